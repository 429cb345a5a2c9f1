// The period picker: whole UTC days ending today, or a custom range; and the period before it
// of the same length, for comparisons.

import { field, h } from "./dom.js";

const DAY = 86400000;
const PRESETS = [["7", "Last 7 days"], ["30", "Last 30 days"], ["90", "Last 90 days"], ["365", "Last 12 months"]];
const chosen = { days: sessionStorage.getItem("period") ?? "30" };

function tomorrow() {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + DAY;
}

export function period() {
  const to = tomorrow();
  const days = Number(chosen.days);
  return { from: new Date(to - days * DAY).toISOString(), to: new Date(to).toISOString(), days };
}

export function previous(p) {
  const from = Date.parse(p.from);
  return { from: new Date(from - p.days * DAY).toISOString(), to: p.from, days: p.days };
}

export function interval(p) {
  return p.days > 120 ? "MONTH" : p.days > 31 ? "WEEK" : "DAY";
}

export function periodPicker(onchange) {
  const pick = field("Period", {
    tag: "select",
    name: "period",
    value: chosen.days,
    options: PRESETS,
    onchange: (event) => {
      chosen.days = event.target.value;
      sessionStorage.setItem("period", chosen.days);
      onchange();
    },
  });
  return h("div", { class: "toolbar" }, pick.row);
}

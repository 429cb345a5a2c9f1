// The period picker: whole UTC days ending today, or a custom range of whole days; and the
// period before it of the same length, for comparisons.

import { field, h } from "./dom.js";

const DAY = 86400000;
const PRESETS = [["7", "Last 7 days"], ["30", "Last 30 days"], ["90", "Last 90 days"], ["365", "Last 12 months"], ["custom", "Custom range"]];
const chosen = {
  days: sessionStorage.getItem("period") ?? "30",
  from: sessionStorage.getItem("period-from") ?? "",
  to: sessionStorage.getItem("period-to") ?? "",
};

function tomorrow() {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + DAY;
}

export function period() {
  if (chosen.days === "custom" && chosen.from && chosen.to) {
    const from = Date.parse(`${chosen.from}T00:00:00Z`);
    const to = Date.parse(`${chosen.to}T00:00:00Z`) + DAY;  // the last day included
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), days: Math.round((to - from) / DAY) };
  }
  const to = tomorrow();
  const days = chosen.days === "custom" ? 30 : Number(chosen.days);
  return { from: new Date(to - days * DAY).toISOString(), to: new Date(to).toISOString(), days };
}

export function previous(p) {
  const from = Date.parse(p.from);
  return { from: new Date(from - p.days * DAY).toISOString(), to: p.from, days: p.days };
}

export function interval(p) {
  return p.days > 120 ? "MONTH" : p.days > 31 ? "WEEK" : "DAY";
}

export function describe(p) {
  return `${p.from.slice(0, 10)} to ${new Date(Date.parse(p.to) - DAY).toISOString().slice(0, 10)} (${p.days} days, UTC)`;
}

export function periodPicker(onchange) {
  const current = period();
  const from = field("From", { type: "date", name: "from", value: current.from.slice(0, 10), required: true });
  const to = field("To", { type: "date", name: "to", value: describe(current).slice(14, 24), required: true });
  const custom = h("form", { class: "row", hidden: chosen.days !== "custom", onsubmit: (event) => {
    event.preventDefault();
    chosen.from = from.input.value;
    chosen.to = to.input.value;
    sessionStorage.setItem("period-from", chosen.from);
    sessionStorage.setItem("period-to", chosen.to);
    onchange();
  } }, from.row, to.row, h("button", { type: "submit" }, "Apply"));
  const pick = field("Period", {
    tag: "select",
    name: "period",
    value: chosen.days,
    options: PRESETS,
    onchange: (event) => {
      chosen.days = event.target.value;
      sessionStorage.setItem("period", chosen.days);
      custom.hidden = chosen.days !== "custom";
      if (chosen.days !== "custom") onchange();
    },
  });
  return h("div", { class: "toolbar" }, pick.row, custom, h("p", { class: "muted period" }, describe(current)));
}

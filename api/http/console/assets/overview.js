// The agency overview: every tenant side by side on one period, sortable, with sparklines.

import { gql } from "./api.js";
import { sparkline } from "./charts.js";
import { clear, h, number, percent } from "./dom.js";
import { describe, period, periodPicker } from "./period.js";

const COLUMNS = [
  ["name", "Tenant", (t) => t.name, (t) => h("a", { href: `#/t/${encodeURIComponent(t.slug)}/dashboard` }, t.name)],
  ["members", "Members", (t) => t.analytics.members.total, (t) => h("span", { class: "cellspark" }, number(t.analytics.members.total), sparkline(t.analytics.series.map((b) => b.members), `${t.name} members`))],
  ["active", "Active engagement", (t) => t.analytics.activeEngagementRate, (t) => h("span", { class: "cellspark" }, percent(t.analytics.activeEngagementRate), sparkline(t.analytics.series.map((b) => b.activeMembers), `${t.name} active members`))],
  ["repeat", "Repeat purchase", (t) => t.analytics.repeatPurchaseRate.members, (t) => percent(t.analytics.repeatPurchaseRate.members)],
  ["bonus", "Monetary bonus", (t) => t.analytics.monetaryBonus, (t) => number(t.analytics.monetaryBonus, 2)],
  ["redemption", "Redemption rate", (t) => t.analytics.redemptionRate, (t) => percent(t.analytics.redemptionRate)],
  ["nps", "NPS", (t) => t.analytics.nps.score, (t) => number(t.analytics.nps.score)],
  ["liability", "Points liability", (t) => t.analytics.pointsLiability.points, (t) => h("span", { class: "cellspark" }, number(t.analytics.pointsLiability.points), sparkline(t.analytics.series.map((b) => b.pointsEarned - b.pointsRedeemed), `${t.name} net points`))],
];

const sort = { key: "name", descending: false };

export async function overviewPage(root, state) {
  const p = period();
  const data = await gql("AgencyAnalytics", { from: p.from, to: p.to });
  const tenants = data.agency?.tenants ?? [];
  const table = h("table", { class: "grid", id: "overview" });
  const draw = () => {
    const column = COLUMNS.find(([key]) => key === sort.key);
    const rows = [...tenants].sort((a, b) => {
      const x = column[2](a);
      const y = column[2](b);
      const order = x === y ? 0 : x === null ? -1 : y === null ? 1 : x < y ? -1 : 1;
      return sort.descending ? -order : order;
    });
    clear(table,
      h("caption", {}, `Every tenant, ${describe(p)}`),
      h("thead", {}, h("tr", {}, COLUMNS.map(([key, label]) => h("th", {
        scope: "col",
        "aria-sort": sort.key === key ? (sort.descending ? "descending" : "ascending") : "none",
      }, h("button", { type: "button", class: "sort", onclick: () => {
        sort.descending = sort.key === key ? !sort.descending : key !== "name";
        sort.key = key;
        draw();
      } }, label, sort.key === key ? (sort.descending ? " ↓" : " ↑") : ""))))),
      h("tbody", {}, rows.map((t) => h("tr", { "data-tenant": t.slug }, COLUMNS.map(([key, label, , cell]) =>
        h("td", { "data-label": label, "data-kpi": key }, cell(t)))))));
  };
  draw();
  clear(root,
    h("h1", {}, "Agency overview"),
    periodPicker(() => overviewPage(root, state)),
    tenants.length ? h("div", { class: "scroll" }, table) : h("p", {}, "No tenant yet."));
}

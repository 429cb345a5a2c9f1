// A tenant's dashboard: KPIs against the previous period of the same length, and charts of
// the period's series, tiers and segments.

import { gql } from "./api.js";
import { barChart, lineChart } from "./charts.js";
import { clear, h, money, number, percent } from "./dom.js";
import { interval, period, periodPicker, previous } from "./period.js";

function delta(now, before, format) {
  if (now === null || now === undefined || before === null || before === undefined) return "no comparison";
  const diff = Number(now) - Number(before);
  const sign = diff > 0 ? "+" : diff < 0 ? "−" : "±";
  return `${sign}${format(Math.abs(diff))} vs previous period`;
}

function kpi(key, label, now, before, format) {
  return h("div", { class: "kpi", "data-kpi": key },
    h("div", { class: "label" }, label),
    h("div", { class: "value" }, format(now)),
    h("div", { class: "delta" }, delta(now, before, format)));
}

export async function dashboardPage(root, ctx) {
  const p = period();
  const [now, before, segments] = await Promise.all([
    gql("Analytics", { from: p.from, to: p.to, interval: interval(p) }, ctx.tenant),
    gql("Analytics", { from: previous(p).from, to: previous(p).to, interval: interval(p) }, ctx.tenant),
    gql("Segments", {}, ctx.tenant),
  ]);
  const a = now.analytics;
  const b = before.analytics;
  const labels = a.series.map((s) => s.start);
  const int = (v) => number(v);
  clear(root,
    h("h1", {}, `Dashboard · ${ctx.tenantName}`),
    periodPicker(() => dashboardPage(root, ctx)),
    h("section", { class: "kpis", "aria-label": "Key figures" },
      kpi("members", "Members", a.members.total, b.members.total, int),
      kpi("newMembers", "New members", a.members.new, b.members.new, int),
      kpi("activeEngagementRate", "Active engagement", a.activeEngagementRate, b.activeEngagementRate, percent),
      kpi("repeatPurchaseRate", "Repeat purchase (members)", a.repeatPurchaseRate.members, b.repeatPurchaseRate.members, percent),
      kpi("monetaryBonus", "Monetary bonus", a.monetaryBonus, b.monetaryBonus, (v) => number(v, 2)),
      kpi("redemptionRate", "Redemption rate", a.redemptionRate, b.redemptionRate, percent),
      kpi("nps", "NPS", a.nps.score, b.nps.score, int),
      kpi("pointsLiability", "Points liability", a.pointsLiability.points, b.pointsLiability.points, int),
      h("div", { class: "kpi", "data-kpi": "averageOrderValue" },
        h("div", { class: "label" }, "Average order: members / guests"),
        h("div", { class: "value" }, money(a.averageOrderValue.members)),
        h("div", { class: "delta" }, `guests ${money(a.averageOrderValue.guests)}`))),
    h("section", { class: "charts", "aria-label": "Charts" },
      lineChart("Members and active members", labels, [
        { name: "Members", values: a.series.map((s) => s.members) },
        { name: "Active", values: a.series.map((s) => s.activeMembers) },
      ]),
      lineChart("Revenue (minor units)", labels, [
        { name: "Revenue", values: a.series.map((s) => s.revenue.amount) },
      ]),
      lineChart("Points earned vs redeemed", labels, [
        { name: "Earned", values: a.series.map((s) => s.pointsEarned) },
        { name: "Redeemed", values: a.series.map((s) => s.pointsRedeemed) },
      ]),
      lineChart("Revenue: members vs guests", labels, [
        { name: "Members", values: a.series.map((s) => s.memberRevenue.amount) },
        { name: "Guests", values: a.series.map((s) => s.guestRevenue.amount) },
      ]),
      // Buckets without answers have no score: gaps, not zeros.
      lineChart("NPS trend", labels, [
        { name: "NPS", values: a.series.map((s) => s.nps.score) },
      ]),
      barChart("Tier distribution", a.tiers.map((t) => ({ label: t.tier?.name ?? "No tier", value: t.members }))),
      barChart("Segment sizes", segments.segments.map((s) => ({
        label: s.name, value: s.count, series: s.key === "at_risk" ? 1 : 0,
      })))));
}

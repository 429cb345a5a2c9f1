// The tenant's audit log (owners and admins): who changed what, newest first.

import { gql } from "./api.js";
import { clear, h, when } from "./dom.js";

export async function auditPage(root, ctx) {
  if (!ctx.canEdit) {
    clear(root, h("h1", {}, "Audit log"), h("p", {}, "Owners and admins read the audit log."));
    return;
  }
  const data = await gql("AuditLog", { first: 50 }, ctx.tenant);
  const entries = data.auditLog.edges.map((e) => e.node);
  const cells = (e) => [
    ["When", when(e.at)],
    ["Who", `${e.actor.label ?? e.actor.kind.toLowerCase()}`],
    ["Action", e.action],
    ["What", e.summary ?? e.target ?? "—"],
    ["Request", e.requestId ?? "—"],
  ];
  clear(root, h("h1", {}, `Audit log · ${ctx.tenantName}`),
    entries.length ? h("div", { class: "scroll" }, h("table", { class: "grid", id: "audit" },
      h("thead", {}, h("tr", {}, cells(entries[0]).map(([t]) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, entries.map((e) => h("tr", {}, cells(e).map(([label, value]) =>
        h("td", { "data-label": label }, value)))))))
      : h("p", {}, "Nothing changed yet."));
}

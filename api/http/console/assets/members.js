// Members: search by externalId, email or name; a member's page with balance, tier and
// progress, history, redemptions, segments and survey answers; points adjusted by owners and
// admins, export and erasure by owners.

import { gql, mutate } from "./api.js";
import { clear, field, grid, h, number, showError, showNotice, when } from "./dom.js";

const memberLink = (ctx, m) => `#/t/${encodeURIComponent(ctx.tenant)}/members/${encodeURIComponent(m.id)}`;

export async function membersPage(root, ctx) {
  const query = sessionStorage.getItem(`search:${ctx.tenant}`) ?? "";
  const search = field("Search by external id, email or name", { type: "search", name: "search", value: query });
  const results = h("div", { id: "member-results" });
  const run = async () => {
    sessionStorage.setItem(`search:${ctx.tenant}`, search.input.value);
    const filter = search.input.value.trim() ? { search: search.input.value.trim() } : null;
    const data = await gql("Members", { first: 25, filter }, ctx.tenant);
    const members = data.members.edges.map((e) => e.node);
    results.dataset.search = filter?.search ?? "";  // which search the list answers
    clear(results, members.length ? h("div", { class: "scroll" }, h("table", { class: "grid" },
      h("thead", {}, h("tr", {}, ["Member", "External id", "Email", "Available", "Status"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, members.map((m) => h("tr", {},
        h("td", { "data-label": "Member" }, h("a", { href: memberLink(ctx, m) }, m.name || m.externalId || m.email || m.id)),
        h("td", { "data-label": "External id" }, m.externalId ?? "—"),
        h("td", { "data-label": "Email" }, m.email ?? "—"),
        h("td", { "data-label": "Available" }, number(m.points.available)),
        h("td", { "data-label": "Status" }, m.status))))))
      : h("p", {}, "No member matches."));
  };
  const form = h("form", { class: "toolbar", role: "search", onsubmit: (event) => {
    event.preventDefault();
    run().catch(showError);
  } }, search.row, h("button", { type: "submit" }, "Search"));
  clear(root, h("h1", {}, `Members · ${ctx.tenantName}`), form, results);
  await run();
}

function adjustForm(ctx, member, onDone) {
  const points = field("Points (negative deducts)", { type: "number", name: "points", required: true, step: 1 });
  const reason = field("Reason", { name: "reason", required: true, maxlength: 200 });
  let key = crypto.randomUUID();
  return h("form", { class: "card", id: "adjust", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const payload = await mutate("AdjustMemberPoints", {
        memberId: member.id,
        points: Number(points.input.value),
        reason: reason.input.value,
        idempotencyKey: `console-${key}`,
      }, ctx.tenant);
      key = crypto.randomUUID();
      showNotice(`Adjusted by ${payload.entry.points}: ${payload.member.points.available} points available.`);
      await onDone();
    } catch (error) {
      showError(error);
    }
  } }, h("h2", {}, "Adjust points"), h("div", { class: "row" }, points.row, reason.row,
    h("button", { type: "submit", class: "primary" }, "Adjust")));
}

export async function memberPage(root, ctx) {
  const [data, tierData, activity] = await Promise.all([
    gql("Member", { id: ctx.id, historyFirst: 20 }, ctx.tenant),
    gql("MemberTier", { id: ctx.id, first: 5 }, ctx.tenant),
    gql("MemberActivity", { id: ctx.id, first: 10 }, ctx.tenant),
  ]);
  const m = data.member;
  if (!m) {
    clear(root, h("h1", {}, "Member"), h("p", {}, "No such member."));
    return;
  }
  const tier = tierData.member?.tier;
  const act = activity.member;
  const progress = tier?.progress
    ? `${number(tier.progress.value)} of ${number(tier.progress.threshold)} (${number(tier.progress.remaining)} to go)` : "—";
  const reload = () => memberPage(root, ctx);
  const owner = ctx.isOwner ? h("div", { class: "card" }, h("h2", {}, "Data requests"),
    h("div", { class: "row" },
      h("button", { type: "button", id: "export", onclick: () => exportMember(ctx, m).catch(showError) }, "Export member data"),
      h("button", { type: "button", class: "danger", id: "erase", onclick: () => eraseMember(ctx, m, root).catch(showError) }, "Erase member"))) : null;
  clear(root,
    h("p", {}, h("a", { href: `#/t/${encodeURIComponent(ctx.tenant)}/members` }, "← Members")),
    h("h1", {}, m.name || m.externalId || m.email || "Member"),
    h("div", { class: "card" }, h("dl", { class: "facts" },
      h("dt", {}, "External id"), h("dd", {}, m.externalId ?? "—"),
      h("dt", {}, "Email"), h("dd", {}, m.email ?? "—"),
      h("dt", {}, "Status"), h("dd", {}, m.status),
      h("dt", {}, "Enrolled"), h("dd", {}, when(m.enrolledAt)),
      h("dt", {}, "Available points"), h("dd", { id: "balance" }, number(m.points.available)),
      h("dt", {}, "Pending / lifetime"), h("dd", {}, `${number(m.points.pending)} / ${number(m.points.lifetime)}`),
      h("dt", {}, "Tier"), h("dd", { id: "tier" }, tier?.current?.name ?? "No tier"),
      h("dt", {}, "Next tier"), h("dd", {}, tier?.next ? `${tier.next.name}: ${progress}` : "—"),
      h("dt", {}, "Segments"), h("dd", {}, act?.segments?.join(", ") || "—"))),
    ctx.canEdit ? adjustForm(ctx, m, reload) : null,
    owner,
    h("h2", {}, "History"),
    grid(["When", "Kind", "Points", "Reason"], m.history.edges.map(({ node: e }) =>
      [when(e.createdAt), e.kind, number(e.points), e.reason ?? e.note ?? "—"])),
    h("h2", {}, "Redemptions"),
    grid(["When", "Reward", "Code", "Points", "Status"], (act?.redemptions.nodes ?? []).map((r) =>
      [when(r.createdAt), r.reward?.name ?? "—", r.code, number(r.points), r.status])),
    h("h2", {}, "Survey answers"),
    grid(["When", "Kind", "Score", "Answer"], (act?.surveyResponses.nodes ?? []).map((s) =>
      [when(s.createdAt), s.kind, s.score, s.answer ?? "—"])));
}

async function exportMember(ctx, m) {
  const payload = await mutate("ExportMember", { member: m.id }, ctx.tenant);
  const file = new Blob([JSON.stringify(payload.export, null, 2)], { type: "application/json" });
  const link = h("a", { href: URL.createObjectURL(file), download: `member-${m.externalId ?? m.id}.json` }, "Download the export");
  showNotice("The export is ready.");
  document.querySelector("#banner .notice").append(link);
}

async function eraseMember(ctx, m, root) {
  if (!window.confirm(`Erase ${m.externalId ?? m.id}? Their personal data is removed for good.`)) return;
  await mutate("EraseMember", { id: m.id }, ctx.tenant);
  showNotice("The member was erased.");
  location.hash = `#/t/${encodeURIComponent(ctx.tenant)}/members`;
}

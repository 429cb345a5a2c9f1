// The program: tiers edited with the preview previewTierChange gives before saving, earning
// rules with an example order's earning (previewOrder), rewards and surveys.

import { gql, mutate } from "./api.js";
import { clear, field, grid, h, number, showError, showNotice } from "./dom.js";

function previewText(p) {
  return `Of ${number(p.members)} members, ${number(p.up)} would move up, ${number(p.down)} down, `
    + `${number(p.unchanged)} stay${p.keptUntilDue ? ` (${number(p.keptUntilDue)} kept until their review)` : ""}.`;
}

// A tier's form: an existing tier's (updateTier) or, without one, a new tier's (createTier);
// either way previewTierChange says who would move before it is saved.
function tierForm(ctx, tier, reload) {
  const creating = tier === null;
  const name = field(creating ? "Name of the new tier" : `Name of ${tier.name}`, { name: "name", value: tier?.name ?? "", required: true });
  const threshold = field("Threshold", { type: "number", name: "threshold", value: tier?.threshold ?? "", min: 0, step: 1, required: true });
  const multiplier = field("Multiplier", { name: "multiplier", value: tier?.multiplier ?? "1", inputmode: "decimal" });
  const preview = h("p", { class: "preview", "aria-live": "polite", hidden: true });
  const change = () => ({
    ...(creating ? {} : { id: tier.id }),
    name: name.input.value,
    threshold: threshold.input.value,
    multiplier: multiplier.input.value,
  });
  const show = async () => {
    const data = await gql("PreviewTierChange", { input: { [creating ? "create" : "update"]: change() } }, ctx.tenant);
    preview.hidden = false;
    preview.textContent = previewText(data.previewTierChange);
  };
  const verb = creating ? "Create" : "Save";
  return h("form", { class: `card tier${creating ? " new-tier" : ""}`, "data-tier": tier?.name ?? "", onsubmit: async (event) => {
    event.preventDefault();
    try {
      await show();
      if (!window.confirm(`${verb} ${name.input.value}? ${preview.textContent}`)) return;
      await mutate(creating ? "CreateTier" : "UpdateTier", change(), ctx.tenant);
      showNotice(`${creating ? "Created" : "Saved"} the tier ${name.input.value}.`);
      await reload();
    } catch (error) {
      showError(error);
    }
  } },
  h("div", { class: "row" }, name.row, threshold.row, multiplier.row,
    h("button", { type: "button", class: "preview-button", onclick: () => show().catch(showError) }, "Preview"),
    h("button", { type: "submit", class: "primary" }, verb)),
  preview);
}

function tiersSection(ctx, tiers, reload) {
  const live = tiers.filter((t) => !t.archived);
  if (ctx.canEdit) {
    return [h("h2", {}, "Tiers"), live.length ? live.map((t) => tierForm(ctx, t, reload)) : h("p", {}, "No tier yet."),
      h("h3", {}, "New tier"), tierForm(ctx, null, reload)];
  }
  return [h("h2", {}, "Tiers"), grid(["Tier", "Threshold", "Multiplier", "Perks"],
    live.map((t) => [t.name, number(t.threshold), t.multiplier, t.perks.join(", ") || "—"]))];
}

function earningSection(ctx, program, reload) {
  const subtotal = field("Example order subtotal (minor units)", { type: "number", name: "subtotal", value: 10000, min: 0, step: 1 });
  const result = h("div", { class: "preview", "aria-live": "polite", hidden: true });
  const form = h("form", { class: "card", id: "preview-order", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const data = await gql("PreviewOrderEarning", { input: {
        orderId: `console-preview-${Date.now()}`,
        guestId: "console-preview",
        currency: program.currency,
        placedAt: new Date().toISOString(),
        lines: [{ sku: "EXAMPLE", quantity: 1, unitPrice: Number(subtotal.input.value) }],
      } }, ctx.tenant);
      const p = data.previewOrder;
      result.hidden = false;
      clear(result, h("p", {}, `This order would earn ${number(p.points)} points.`),
        h("ul", {}, p.breakdown.map((line) => h("li", {}, `${line.description}: ${number(line.points)}`))));
    } catch (error) {
      showError(error);
    }
  } }, h("div", { class: "row" }, subtotal.row, h("button", { type: "submit" }, "Preview the earning")), result);
  return [
    h("h2", {}, "Earning rules"),
    h("p", {}, `${program.pointsPerUnit} points per ${program.currency} unit; a point is worth ${program.pointValue}.`),
    editableList(ctx, program.earnRules, {
      headings: ["Rule", "Kind", "Multiplier / points", "Active"],
      cells: (r) => [r.name, r.kind, r.multiplier ?? number(r.points), r.active ? "yes" : "no"],
      editor: (r) => ruleEditor(ctx, program, r, reload),
    }),
    form,
  ];
}

// The rules as configureProgram takes them: every rule, one of them changed.
function rulesWith(program, id, values) {
  return program.earnRules.map(({ __typename, ...rule }) => (rule.id === id ? { ...rule, ...values } : rule));
}

function ruleEditor(ctx, program, rule, reload) {
  const inputs = [];
  if (rule.multiplier !== null) inputs.push(["multiplier", `Multiplier of ${rule.name}`, { value: rule.multiplier, inputmode: "decimal", required: true }]);
  if (rule.points !== null) inputs.push(["points", `Points of ${rule.name}`, { type: "number", value: rule.points, step: 1 }]);
  inputs.push(["active", "Active", { type: "checkbox", checked: rule.active }]);
  return rowEditor(ctx, "rule", rule.name, inputs,
    (v) => mutate("ConfigureProgram", { earnRules: rulesWith(program, rule.id, v) }, ctx.tenant), reload);
}

// One editable row (a reward, a survey): its fields, saved by `save(values)`.
function rowEditor(ctx, kind, label, inputs, save, reload) {
  const fields = inputs.map(([name, text, attrs]) => [name, field(`${text}`, { name, ...attrs })]);
  return h("form", { class: `card ${kind}`, "data-name": label, onsubmit: async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(fields
      .filter(([, f]) => !(f.input.type === "number" && f.input.value === ""))  // left as it is
      .map(([name, f]) => [name, f.input.type === "checkbox" ? f.input.checked
        : f.input.type === "number" ? Number(f.input.value) : f.input.value]));
    try {
      await save(values);
      showNotice(`Saved ${label}.`);
      await reload();
    } catch (error) {
      showError(error);
    }
  } }, h("div", { class: "row" }, fields.map(([, f]) => f.row), h("button", { type: "submit", class: "primary" }, "Save")));
}

// A list owners and admins edit row by row, and the others read as a table.
function editableList(ctx, items, { headings, cells, editor }) {
  if (!ctx.canEdit) return grid(headings, items.map(cells));
  if (!items.length) return h("p", { class: "muted" }, "None yet.");
  return items.map(editor);
}

const rewardsSection = (ctx, rewards, reload) => editableList(ctx, rewards, {
  headings: ["Reward", "Kind", "Points", "Archived"],
  cells: (r) => [r.name, r.kind, number(r.pointsCost), r.archived ? "yes" : "no"],
  editor: (r) => rowEditor(ctx, "reward", r.name, [
    ["name", `Reward (${r.kind.toLowerCase()})`, { value: r.name, required: true }],
    ["pointsCost", "Points", { type: "number", value: r.pointsCost ?? "", min: 0, step: 1 }],
    ["archived", "Archived", { type: "checkbox", checked: r.archived }],
  ], (v) => mutate("UpdateReward", { id: r.id, ...v }, ctx.tenant), reload),
});

const surveysSection = (ctx, surveys, reload) => editableList(ctx, surveys, {
  headings: ["Question", "Kind", "Points", "Active"],
  cells: (s) => [s.question, s.kind, number(s.points), s.active ? "yes" : "no"],
  editor: (s) => rowEditor(ctx, "survey", s.question, [
    ["question", `Question (${s.kind})`, { value: s.question, required: true }],
    ["points", "Points for an answer", { type: "number", value: s.points, min: 0, step: 1 }],
    ["active", "Active", { type: "checkbox", checked: s.active }],
  ], (v) => mutate("UpdateSurvey", { id: s.id, ...v }, ctx.tenant), reload),
});

export async function programPage(root, ctx) {
  const data = await gql("ProgramSettings", {}, ctx.tenant);
  const program = data.program;
  const reload = () => programPage(root, ctx);
  clear(root,
    h("h1", {}, `Program · ${program.name}`),
    h("p", { class: "muted" }, `Version ${program.version}`),
    tiersSection(ctx, program.tiers, reload),
    earningSection(ctx, program, reload),
    h("h2", {}, "Rewards"),
    rewardsSection(ctx, program.rewards, reload),
    h("h2", {}, "Surveys"),
    surveysSection(ctx, data.surveys.edges.map((e) => e.node), reload));
}


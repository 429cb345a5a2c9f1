// Team, API keys and webhooks: everyone reads the team and the webhooks; owners and admins
// see the keys, create and revoke them, add and delete endpoints and invite operators.

import { gql, mutate } from "./api.js";
import { clear, field, grid, h, showError, showNotice, when } from "./dom.js";

function secretNotice(text, secret) {
  showNotice(text);
  document.querySelector("#banner .notice").append(h("code", { class: "secret" }, secret));
}

function inviteForm(ctx, reload) {
  const email = field("Email", { type: "email", name: "invite-email", required: true });
  const role = field("Role", {
    tag: "select", name: "invite-role", value: "VIEWER",
    options: [["VIEWER", "Viewer"], ["ADMIN", "Admin"], ...(ctx.isOwner ? [["OWNER", "Owner"]] : [])],
  });
  return h("form", { class: "card", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const payload = await mutate("InviteOperator", { email: email.input.value, role: role.input.value, tenants: [ctx.tenantId].filter(Boolean) }, ctx.tenant);
      secretNotice(`Invited ${email.input.value}; give them this one-time token:`, payload.token);
      await reload();
    } catch (error) {
      showError(error);
    }
  } }, h("h2", {}, "Invite an operator"), h("div", { class: "row" }, email.row, role.row, h("button", { type: "submit" }, "Invite")));
}

function keyForm(ctx, reload) {
  const name = field("Key name", { name: "key-name", required: true, maxlength: 100 });
  const kind = field("Kind", { tag: "select", name: "key-kind", value: "SECRET", options: [["SECRET", "Secret"], ["PUBLISHABLE", "Publishable"]] });
  return h("form", { class: "card", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const payload = await mutate("CreateApiKey", { name: name.input.value, kind: kind.input.value }, ctx.tenant);
      await reload();
      secretNotice("The new key, shown once:", payload.key);
    } catch (error) {
      showError(error);
    }
  } }, h("h2", {}, "New API key"), h("div", { class: "row" }, name.row, kind.row, h("button", { type: "submit" }, "Create key")));
}

function webhookForm(ctx, reload) {
  const url = field("Endpoint URL", { type: "url", name: "webhook-url", required: true });
  const events = field("Events (comma-separated)", { name: "webhook-events", value: "points.changed, tier.changed" });
  return h("form", { class: "card", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const eventTypes = events.input.value.split(",").map((e) => e.trim()).filter(Boolean);
      const payload = await mutate("CreateWebhookEndpoint", { url: url.input.value, eventTypes }, ctx.tenant);
      await reload();
      secretNotice("The endpoint's signing secret, shown once:", payload.secret);
    } catch (error) {
      showError(error);
    }
  } }, h("h2", {}, "New webhook endpoint"), h("div", { class: "row" }, url.row, events.row, h("button", { type: "submit" }, "Add endpoint")));
}

const action = (label, run) => h("button", { type: "button", class: "danger", onclick: () => run().catch(showError) }, label);

export async function teamPage(root, ctx) {
  const reload = () => teamPage(root, ctx);
  const [team, hooks, keys] = await Promise.all([
    gql("Team", {}, ctx.tenant),
    gql("WebhookEndpoints", {}, ctx.tenant),
    ctx.canEdit ? gql("ApiKeys", {}, ctx.tenant) : null,
  ]);
  clear(root,
    h("h1", {}, `Team, API keys and webhooks · ${ctx.tenantName}`),
    h("h2", {}, "Team"),
    grid(["Name", "Email", "Agency role", "This tenant"], team.team.map((op) =>
      [op.name, op.email, op.role, op.tenants.find((t) => t.slug === ctx.tenant)?.role ?? "no access"])),
    ctx.canEdit ? inviteForm(ctx, reload) : null,
    keys ? [h("h2", {}, "API keys"),
      grid(["Name", "Kind", "Prefix", "Created", "Revoked", ""], keys.apiKeys.map((k) =>
        [k.name, k.kind, k.prefix, when(k.createdAt), k.revokedAt ? when(k.revokedAt) : "—",
          k.revokedAt ? "" : action(`Revoke ${k.prefix}`, async () => {
            if (!window.confirm(`Revoke the key ${k.prefix}…? Clients using it stop working.`)) return;
            await mutate("RevokeApiKey", { id: k.id }, ctx.tenant);
            showNotice(`Revoked ${k.prefix}.`);
            await reload();
          })])),
      keyForm(ctx, reload)] : null,
    h("h2", {}, "Webhooks"),
    grid(["URL", "Events", "Enabled", "Failures", ...(ctx.canEdit ? [""] : [])], hooks.webhookEndpoints.map((e) =>
      [e.url, e.eventTypes.join(", "), e.enabled ? "yes" : `no (${e.disabledReason ?? "disabled"})`, String(e.consecutiveFailures),
        ...(ctx.canEdit ? [action(`Delete ${e.url}`, async () => {
          if (!window.confirm(`Delete the endpoint ${e.url}?`)) return;
          await mutate("DeleteWebhookEndpoint", { id: e.id }, ctx.tenant);
          await reload();
        })] : [])])),
    ctx.canEdit ? webhookForm(ctx, reload) : null);
}

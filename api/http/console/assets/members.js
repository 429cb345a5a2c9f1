import { clear, h } from "./dom.js";

export async function membersPage(root, ctx) {
  clear(root, h("h1", {}, "Members"), h("p", {}, ctx.tenantName));
}

export async function memberPage(root, ctx) {
  clear(root, h("h1", {}, "Member"), h("p", {}, ctx.id));
}

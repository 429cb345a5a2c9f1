import { clear, h } from "./dom.js";

export async function dashboardPage(root, ctx) {
  clear(root, h("h1", {}, "dashboard"), h("p", {}, ctx.tenantName));
}

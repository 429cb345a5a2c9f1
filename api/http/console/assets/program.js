import { clear, h } from "./dom.js";

export async function programPage(root, ctx) {
  clear(root, h("h1", {}, "program"), h("p", {}, ctx.tenantName));
}

import { clear, h } from "./dom.js";

export async function teamPage(root, ctx) {
  clear(root, h("h1", {}, "team"), h("p", {}, ctx.tenantName));
}

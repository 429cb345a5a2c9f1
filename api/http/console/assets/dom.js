// Small DOM helpers: elements from plain calls (no HTML strings, so nothing the API answers
// is ever parsed as markup), and the error banner.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let fieldIds = 0;

// A labelled input: the label names it for screen readers and is clicked to focus it.
export function field(label, attrs = {}) {
  const id = attrs.id ?? `f${++fieldIds}`;
  const input = attrs.tag === "select"
    ? h("select", { ...attrs, tag: null, id }, ...(attrs.options ?? []).map(([value, text]) =>
        h("option", { value, selected: String(attrs.value) === String(value) }, text)))
    : h(attrs.tag ?? "input", { ...attrs, tag: null, id });
  if (attrs.tag === "select") input.removeAttribute("options");
  return { input, row: h("div", { class: "field" }, h("label", { for: id }, label), input) };
}

export function showError(error) {
  const banner = document.getElementById("banner");
  const id = error?.requestId ? ` (request ${error.requestId})` : "";
  const code = error?.code ? `${error.code}: ` : "";
  clear(banner, h("div", { class: "error" },
    h("p", {}, `${code}${error?.message ?? String(error)}${id}`),
    h("button", { type: "button", class: "link", onclick: () => clear(banner) }, "Dismiss")));
}

export function showNotice(text) {
  clear(document.getElementById("banner"), h("div", { class: "notice" }, h("p", {}, text)));
}

export function clearBanner() {
  clear(document.getElementById("banner"));
}

export const number = (value, digits = 0) =>
  value === null || value === undefined ? "—" : Number(value).toLocaleString("en", {
    maximumFractionDigits: digits, minimumFractionDigits: digits,
  });

export const percent = (rate) =>
  rate === null || rate === undefined ? "—" : `${(Number(rate) * 100).toFixed(1)} %`;

export const money = (m) =>
  m ? `${(Number(m.amount) / 100).toLocaleString("en", { minimumFractionDigits: 2 })} ${m.currency ?? ""}`.trim() : "—";

export const when = (iso) => (iso ? new Date(iso).toLocaleString("en-GB", { timeZone: "UTC" }) + " UTC" : "—");

// A table that turns into labelled rows on a narrow screen (console.css).
export function grid(headings, rows, attrs = {}) {
  if (!rows.length) return h("p", { class: "muted" }, "None yet.");
  return h("div", { class: "scroll" }, h("table", { class: "grid", ...attrs },
    h("thead", {}, h("tr", {}, headings.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c, i) => h("td", { "data-label": headings[i] }, c)))))));
}

// The console: sign-in, the header (tenant switch, pages, sign-out) and a router over the
// location's hash (#/overview, #/t/<tenant>/<page>[/<id>]).

import { ApiError, gql, login, logout, signedIn } from "./api.js";
import { clear, clearBanner, field, h, showError } from "./dom.js";
import { overviewPage } from "./overview.js";
import { dashboardPage } from "./dashboard.js";
import { memberPage, membersPage } from "./members.js";
import { programPage } from "./program.js";
import { auditPage } from "./audit.js";
import { teamPage } from "./team.js";

const state = { tenants: [], operator: sessionStorage.getItem("operator") ?? "" };

const PAGES = [
  ["dashboard", "Dashboard", dashboardPage],
  ["members", "Members", membersPage],
  ["program", "Program", programPage],
  ["audit", "Audit log", auditPage],
  ["team", "Team & keys", teamPage],
];

const main = () => document.getElementById("main");

function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  if (parts[0] === "t" && parts[1]) return { tenant: parts[1], page: parts[2] || "dashboard", id: parts[3] };
  return { page: "overview" };
}

export const go = (hash) => {
  if (location.hash === hash) render();
  else location.hash = hash;
};

function loginPage() {
  clear(document.getElementById("top"), h("span", { class: "brand" }, "Loyalty console"));
  const email = field("Email", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = field("Password", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const form = h("form", { class: "card login", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const operator = await login(email.input.value, password.input.value);
      state.operator = operator.email;
      sessionStorage.setItem("operator", operator.email);
      clearBanner();
      await start();
    } catch (error) {
      showError(error);
    }
  } },
  h("h1", {}, "Sign in"),
  h("p", {}, "Operators of an agency sign in with their email and password."),
  email.row, password.row,
  h("button", { type: "submit", class: "primary" }, "Sign in"));
  clear(main(), form);
  email.input.focus();
}

function header(current) {
  const switcher = field("Tenant", {
    tag: "select",
    name: "tenant",
    value: current.tenant ?? "",
    options: [["", "All tenants (overview)"], ...state.tenants.map((t) => [t.slug, `${t.name} (${t.role.toLowerCase()})`])],
    onchange: (event) => go(event.target.value ? `#/t/${encodeURIComponent(event.target.value)}/${current.tenant ? current.page : "dashboard"}` : "#/overview"),
  });
  const links = current.tenant
    ? PAGES.map(([page, label]) =>
      h("a", { href: `#/t/${encodeURIComponent(current.tenant)}/${page}`, "aria-current": current.page === page ? "page" : null }, label))
    : [h("a", { href: "#/overview", "aria-current": "page" }, "Overview")];
  clear(document.getElementById("top"),
    h("a", { class: "brand", href: "#/overview" }, "Loyalty console"),
    h("div", { class: "switch" }, switcher.row),
    h("nav", { "aria-label": "Pages" }, ...links),
    h("div", { class: "who" },
      state.operator ? h("span", {}, state.operator) : null,
      h("button", { type: "button", id: "logout", onclick: signOut }, "Log out")));
}

async function signOut() {
  try {
    await logout();
  } catch (error) {
    showError(error);
  }
  sessionStorage.removeItem("operator");
  state.tenants = [];
  location.hash = "";
  loginPage();
}

export async function render() {
  if (!signedIn()) {
    loginPage();
    return;
  }
  const current = route();
  header(current);
  // A container of this render's own: a slower render of a page left before it writes into
  // a container no longer shown, never over the page shown now.
  const root = h("div", { class: "page" }, h("p", { class: "loading" }, "Loading…"));
  clear(main(), root);
  try {
    if (current.page === "overview" || !current.tenant) {
      await overviewPage(root, state);
      return;
    }
    const tenant = state.tenants.find((t) => t.slug === current.tenant);
    if (!tenant) throw new ApiError(`You have no access to the tenant ${current.tenant}.`, "FORBIDDEN");
    const role = tenant.role;
    const ctx = {
      tenant: tenant.slug,
      tenantName: tenant.name,
      tenantId: tenant.id,
      role,
      canEdit: role === "OWNER" || role === "ADMIN",
      isOwner: role === "OWNER",
      id: current.id,
    };
    if (current.page === "members" && current.id) await memberPage(root, ctx);
    else {
      const page = PAGES.find(([name]) => name === current.page) ?? PAGES[0];
      await page[2](root, ctx);
    }
  } catch (error) {
    if (error.code === "UNAUTHENTICATED") {
      sessionStorage.removeItem("operator");
      loginPage();
      showError(error);
      return;
    }
    clear(root, h("div", { class: "card failed" }, h("h1", {}, "This page could not be shown"),
      h("p", {}, "The platform refused or failed; the message above says why.")));
    showError(error);
  }
}

async function start() {
  try {
    const data = await gql("AgencyTenants");
    state.tenants = data.agency?.tenants ?? [];
  } catch (error) {
    if (error.code === "UNAUTHENTICATED" || error.code === "FORBIDDEN") {
      loginPage();
      showError(error);
      return;
    }
    showError(error);
  }
  await render();
}

window.addEventListener("hashchange", () => {
  clearBanner();
  render();
});

if (signedIn()) start();
else loginPage();

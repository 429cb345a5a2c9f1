// The console's only way to the platform: the public /graphql API, with the agency documents
// of graphql/operations/agency/ loaded by name from the server. The session is a cookie the
// page cannot read; the CSRF token beside it is sent back in X-CSRF-Token.

const texts = new Map();

export class ApiError extends Error {
  constructor(message, code, requestId, field) {
    super(message);
    this.code = code;
    this.requestId = requestId;
    this.field = field;
  }
}

function csrfToken() {
  const pair = document.cookie.split("; ").find((c) => c.startsWith("lp_console_csrf="));
  return pair ? decodeURIComponent(pair.slice("lp_console_csrf=".length)) : "";
}

export const signedIn = () => csrfToken() !== "";

async function documentText(name) {
  if (!texts.has(name)) {
    const response = await fetch(`/console/operations/${name}.graphql`, { credentials: "same-origin" });
    if (!response.ok) throw new ApiError(`The console's document ${name} is missing.`, "NOT_FOUND");
    texts.set(name, await response.text());
  }
  return texts.get(name);
}

async function post(url, body, headers = {}) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken(), ...headers },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(`The platform could not be reached (${error.message}).`, "NETWORK");
  }
  const requestId = response.headers.get("X-Request-Id");
  let answer;
  try {
    answer = await response.json();
  } catch {
    throw new ApiError(`The platform answered ${response.status} without JSON.`, "INTERNAL", requestId);
  }
  const first = answer.errors?.[0];
  if (first) {
    throw new ApiError(first.message, first.extensions?.code ?? `HTTP_${response.status}`,
      first.extensions?.requestId ?? requestId);
  }
  answer.requestId = requestId;
  return answer;
}

// Runs an agency document; `tenant` goes in X-Tenant. Throws ApiError on any error.
export async function gql(name, variables = {}, tenant = null) {
  const query = await documentText(name);
  const headers = tenant ? { "X-Tenant": tenant } : {};
  const answer = await post("/graphql", { query, operationName: name, variables }, headers);
  return answer.data;
}

// The payload of a mutation document's one root field, or an ApiError carrying its first
// user error.
export async function mutate(name, input, tenant) {
  const data = await gql(name, { input }, tenant);
  const payload = Object.values(data)[0];
  const error = payload?.errors?.[0];
  if (error) throw new ApiError(error.message, error.code, null, error.field);
  return payload;
}

export async function login(email, password) {
  const answer = await post("/console/session", { email, password });
  const payload = answer.data.login;
  const error = payload.errors?.[0];
  if (error) throw new ApiError(error.message, error.code, answer.requestId, error.field);
  return payload.operator;
}

export async function logout() {
  await post("/console/session/end", {});
}

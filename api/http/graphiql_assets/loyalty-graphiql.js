// The platform's GraphiQL page: GraphiQL with the headers editor open on a template of the
// Authorization header, example operations, and a sign-in bar for operators (a browser
// opening a URL cannot send a bearer header: signing in here puts the session in the
// headers editor). Loaded from the platform itself, never from elsewhere.
(function () {
  "use strict";
  var TEMPLATE = "Bearer lp_sk_…";
  var DEFAULT_HEADERS = JSON.stringify({ Authorization: TEMPLATE }, null, 2);
  var url = new URL("/graphql", window.location.href);
  var ws = new URL(url);
  ws.protocol = url.protocol === "https:" ? "wss:" : "ws:";

  var TABS = [
    {
      query:
        "# The secret key (lp_sk_…), a publishable key (lp_pk_…), a member token or an\n" +
        "# operator session goes in the Authorization header (the headers tab below).\n" +
        "# Operators: sign in above, and name the tenant in X-Tenant.\n" +
        "query Program {\n  program {\n    __typename\n    name\n    slug\n    currency\n" +
        "    rewards { __typename id name pointsCost }\n  }\n}\n",
    },
    {
      query:
        "# With the secret key, or an operator session and X-Tenant\n" +
        "query Member($externalId: String) {\n  member(externalId: $externalId) {\n" +
        "    __typename\n    id\n    name\n    points { available pending lifetime }\n" +
        "    tier { current { name } next { name threshold } }\n" +
        "    referralUrl\n  }\n}\n",
      variables: JSON.stringify({ externalId: "cust-1001" }, null, 2),
    },
    {
      query:
        "# With the secret key; the idempotency key makes a retry harmless\n" +
        "mutation AdjustPoints($input: AdjustPointsInput!) {\n" +
        "  adjustPoints(input: $input) {\n    entry { __typename id kind points }\n" +
        "    points { available lifetime }\n    replayed\n" +
        "    errors { code field message }\n  }\n}\n",
      variables: JSON.stringify(
        {
          input: {
            externalId: "cust-1001",
            points: 50,
            reason: "Goodwill",
            idempotencyKey: "goodwill-1",
          },
        },
        null,
        2
      ),
    },
    {
      query:
        "# With an operator session: the agency's tenants, then X-Tenant for one of them\n" +
        "query AgencyTenants {\n  agency {\n    __typename\n" +
        "    tenants { __typename slug name role }\n  }\n}\n",
    },
  ];

  // The unfilled template is no credential: left out, so that the schema loads wherever an
  // anonymous caller may read it (development) instead of failing on a key that is not one.
  function withoutTemplate(headers) {
    var kept = {};
    Object.keys(headers || {}).forEach(function (name) {
      var value = headers[name];
      if (!(typeof value === "string" && value.indexOf("…") !== -1)) kept[name] = value;
    });
    return kept;
  }

  var signedIn = null;

  function App() {
    var headersState = React.useState(DEFAULT_HEADERS);
    var generation = React.useState(0);
    var fetcher = React.useMemo(
      function () {
        var base = GraphiQL.createFetcher({ url: url.href, subscriptionUrl: ws.href });
        return function (params, options) {
          var opts = Object.assign({}, options || {});
          opts.headers = withoutTemplate(opts.headers);
          return base(params, opts);
        };
      },
      [generation[0]]
    );
    signedIn = function (headers) {
      headersState[1](headers);
      // Then a new fetcher, so the schema is read again: once the headers editor shows the
      // session (GraphiQL reads the schema with the editor's headers).
      window.setTimeout(function () {
        generation[1](function (n) {
          return n + 1;
        });
      }, 0);
    };
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      headers: headersState[0],
      defaultHeaders: DEFAULT_HEADERS,
      defaultTabs: TABS,
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    });
  }

  function say(text) {
    document.getElementById("login-status").textContent = text;
  }

  document.getElementById("login").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var tenant = form.elements.tenant.value.trim();
    say("Signing in…");
    fetch(url.href, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        query:
          "mutation Login($input: LoginInput!) { login(input: $input) " +
          "{ token expiresAt errors { code message } } }",
        variables: { input: { email: form.elements.email.value, password: form.elements.password.value } },
      }),
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (body) {
        var login = body.data && body.data.login;
        if (!login || !login.token) {
          var errors = (login && login.errors) || body.errors || [];
          say(errors.length ? errors[0].message : "Signing in failed.");
          return;
        }
        form.elements.password.value = "";
        var headers = { Authorization: "Bearer " + login.token };
        if (tenant) headers["X-Tenant"] = tenant;
        signedIn(JSON.stringify(headers, null, 2));
        say("Signed in until " + login.expiresAt + "; the session is in the headers tab.");
      })
      .catch(function () {
        say("The server could not be reached.");
      });
  });

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(App));
})();

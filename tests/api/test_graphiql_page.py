"""The GraphiQL page works offline: it references no other host, and the platform serves
every file it names (React, react-dom and GraphiQL from the package, with their licences).
It opens on a template of the Authorization header and lets operators sign in on it, so it
is served in production too, to anyone: it grants nothing by itself."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser

from api.http.graphiql_page import ASSETS, LICENCES

HTML = {"Accept": "text/html"}


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "action") and value is not None:
                self.urls.append(value)


def _references(page: str) -> list[str]:
    parser = _References()
    parser.feed(page)
    return parser.urls


async def test_the_page_names_no_other_host_and_every_file_it_names_is_served(gql):
    # given the page, as an anonymous browser opens the GraphQL URL (the suite runs as
    # production)
    response = await gql.http.get("/graphql", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text

    # then nothing it references is on another host
    urls = _references(page)
    assert urls
    assert not re.search(r"(https?:)?//[a-z0-9]", page, flags=re.I), "an absolute URL"
    local = [u for u in urls if not u.startswith("data:")]
    assert all(u.startswith("/graphiql/") for u in local), local

    # and every file it names is served, as the file in the package
    for url in local:
        served = await gql.http.get(url)
        assert served.status_code == 200, url
        name = url.removeprefix("/graphiql/").split("?")[0]
        assert served.content == (ASSETS / name).read_bytes(), url
        kind = "text/javascript" if name.endswith(".js") else "text/css"
        assert served.headers["content-type"].startswith(kind), url
        assert "immutable" in served.headers["cache-control"]
    names = {u.removeprefix("/graphiql/").split("?")[0] for u in local}
    assert {"react.production.min.js", "react-dom.production.min.js", "graphiql.min.js"} <= names
    assert "graphiql.min.css" in names


async def test_the_stylesheets_load_nothing_from_elsewhere():
    for css in ASSETS.glob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text()):
            assert url.startswith("data:"), (css.name, url[:80])
        assert "@import" not in css.read_text(), css.name


async def test_the_licences_are_served_and_other_names_are_not(gql):
    for name in LICENCES:
        served = await gql.http.get(f"/graphiql/{name}")
        assert served.status_code == 200
        assert "MIT License" in served.text
    for name in ("README.md", "..%2F..%2Fsettings.py", "graphiql.min.js.map", "x.js"):
        assert (await gql.http.get(f"/graphiql/{name}")).status_code == 404, name


async def test_large_files_are_sent_compressed_to_browsers_that_accept_it(gql):
    page = (await gql.http.get("/graphql", headers=HTML)).text
    url = next(u for u in _references(page) if "graphiql.min.js" in u)
    raw = await gql.http.get(url, headers={"Accept-Encoding": "identity"})
    squeezed = await gql.http.get(url, headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in raw.headers
    assert squeezed.headers["content-encoding"] == "gzip"
    # httpx undoes the encoding: the same bytes, fewer of them on the wire
    assert squeezed.content == raw.content
    assert int(squeezed.headers["content-length"]) < len(raw.content) // 2


async def test_the_page_preloads_the_header_template_examples_and_a_sign_in():
    page_script = (ASSETS / "loyalty-graphiql.js").read_text()
    # the Authorization header template, opened in the headers editor
    assert '"Bearer lp_sk_…"' in page_script
    assert 'defaultEditorToolsVisibility: "headers"' in page_script
    # example operations, each one of the API's own root fields
    for operation in ("query Program", "query Member(", "mutation AdjustPoints(", "agency {"):
        assert operation in page_script, operation
    # a sign-in that calls login and puts the session into the headers editor
    assert "login(input: $input)" in page_script
    assert '"Bearer " + login.token' in page_script
    assert "X-Tenant" in page_script


def test_the_vendored_files_are_the_release_files_the_readme_names():
    # The README records each file's package, version and sha256: a file changed by hand,
    # or replaced without the README saying so, fails here.
    readme = (ASSETS / "README.md").read_text()
    recorded = dict(re.findall(r"\| `([^`]+)` \| [^|]+ \| `([0-9a-f]{64})` \|", readme))
    vendored = {"graphiql.min.js", "graphiql.min.css", "react.production.min.js"}
    vendored |= {"react-dom.production.min.js"}
    assert set(recorded) == vendored
    for name, digest in recorded.items():
        assert hashlib.sha256((ASSETS / name).read_bytes()).hexdigest() == digest, name

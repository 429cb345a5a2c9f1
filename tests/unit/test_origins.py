"""Allowed browser origins: stored in the one form a browser sends, and nothing else."""

from __future__ import annotations

import pytest

from domain.errors import DomainError
from domain.origins import (
    MAX_ALLOWED_ORIGINS,
    canonical_origin,
    canonical_origins,
    origin_of_url,
)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://shop.example.com", "https://shop.example.com"),
        ("  HTTPS://Shop.Example.COM ", "https://shop.example.com"),
        ("https://shop.example.com:443", "https://shop.example.com"),
        ("https://shop.example.com:8443", "https://shop.example.com:8443"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("http://127.0.0.1:5173", "http://127.0.0.1:5173"),
        ("http://[0:0::1]:8080", "http://[::1]:8080"),
        ("http://shop.localhost", "http://shop.localhost"),
        ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
    ],
)
def test_an_origin_is_stored_as_a_browser_sends_it(given, stored):
    assert canonical_origin(given, production=True) == stored


@pytest.mark.parametrize(
    "given",
    [
        "*",
        "null",
        "https://*.example.com",
        "https://shop.example.com/",
        "https://shop.example.com/checkout",
        "https://shop.example.com?x=1",
        "https://shop.example.com#top",
        "https://user@shop.example.com",
        "shop.example.com",
        "//shop.example.com",
        "ftp://shop.example.com",
        "javascript://shop.example.com",
        "https://shop.example.com:0",
        "https://shop.example.com:65536",
        "https://-shop.example.com",
        "https://shop..example.com",
        "https://bücher.example",
        "https://shop.example.\u212a",  # KELVIN SIGN, which lower() turns into a k
        "https://shop.example.com\x00.evil.example",
        "https://shop.example.com\n",
        "https://999.1.1.1",
        "https://[::g]",
        "https://" + "a" * 300 + ".example",
        "",
    ],
)
def test_anything_but_scheme_host_and_port_is_refused(given):
    with pytest.raises(DomainError):
        canonical_origin(given, production=False)


def test_plain_http_is_refused_in_production_except_for_localhost():
    # given production
    # when an http origin other than the developer's machine is allowed, then it is refused
    with pytest.raises(DomainError, match="https"):
        canonical_origin("http://shop.example.com", production=True)
    # and in development it is accepted
    assert canonical_origin("http://shop.example.com", production=False) == (
        "http://shop.example.com"
    )


def test_a_list_names_the_item_at_fault_and_drops_duplicates():
    # when one item of a list is wrong, then the error names its index
    with pytest.raises(DomainError) as refused:
        canonical_origins(["https://a.example", "https://b.example/path"], production=True)
    assert refused.value.field == ("origins", "1")

    # and duplicates (in any spelling) are stored once, in the order given
    assert canonical_origins(
        ["https://b.example", "https://a.example", "HTTPS://B.example:443"], production=True
    ) == ("https://b.example", "https://a.example")


def test_a_list_is_bounded():
    too_many = [f"https://s{i}.example" for i in range(MAX_ALLOWED_ORIGINS + 1)]
    with pytest.raises(DomainError) as refused:
        canonical_origins(too_many, production=True)
    assert refused.value.field == ("origins",)


def test_the_origin_of_the_platforms_public_url():
    assert origin_of_url("https://loyalty.example.com/") == "https://loyalty.example.com"
    assert origin_of_url("http://127.0.0.1:8000") == "http://127.0.0.1:8000"
    assert origin_of_url("https://loyalty.example.com:443/api?x#y") == (
        "https://loyalty.example.com"
    )
    assert origin_of_url("not a url") is None

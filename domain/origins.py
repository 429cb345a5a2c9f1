"""Browser origins a tenant allows: the one form they are stored and compared in.

An origin is `scheme://host[:port]` and nothing else, as a browser sends it in the `Origin`
header: lower case, no path, no user, and no port when it is the scheme's default. Stored in
that form, an allowed origin is matched by plain string equality with the header.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from domain.errors import DomainError

MAX_ALLOWED_ORIGINS = 50
_MAX_LENGTH = 300  # a host name is at most 253 characters, a port 6 more, a scheme 8
_DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_ORIGIN = re.compile(
    rf"(?P<scheme>[a-z]+)://(?P<host>{_LABEL}(?:\.{_LABEL})*|\[[0-9a-f:.]+\])"
    r"(?::(?P<port>[0-9]{1,5}))?"
)
_IPV4 = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
# Plain http is refused in production except for a developer's own machine.
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]"}


def canonical_origin(text: str, *, production: bool) -> str:
    """`text` as an origin in canonical form, or a DomainError saying what is wrong."""
    if len(text) > _MAX_LENGTH:
        raise DomainError(f"An origin is at most {_MAX_LENGTH} characters.")
    if not text.isascii():
        raise DomainError("Write an international host name in its xn-- (punycode) form.")
    match = _ORIGIN.fullmatch(text.strip(" ").lower())  # a pasted space, not a newline
    if match is None:
        raise DomainError(
            "An origin is scheme://host[:port], with no path, query, user or wildcard,"
            " e.g. https://shop.example.com."
        )
    scheme, host, port = match["scheme"], match["host"], match["port"]
    if scheme not in _DEFAULT_PORTS:
        raise DomainError("An origin's scheme is https (or http for local development).")
    host = _canonical_host(host)
    if production and scheme == "http" and not _loopback(host):
        raise DomainError("Use https: plain http is allowed only for localhost.")
    if port is None:
        return f"{scheme}://{host}"
    number = int(port)
    if not 1 <= number <= 65535:
        raise DomainError("An origin's port is between 1 and 65535.")
    if number == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"  # a browser leaves the default port out
    return f"{scheme}://{host}:{number}"


def canonical_origins(texts: Sequence[str], *, production: bool) -> tuple[str, ...]:
    """A tenant's whole list, checked item by item (the error names the item), duplicates
    dropped, order kept."""
    if len(texts) > MAX_ALLOWED_ORIGINS:
        raise DomainError(
            f"At most {MAX_ALLOWED_ORIGINS} origins may be allowed.", field=("origins",)
        )
    found: dict[str, None] = {}
    for index, text in enumerate(texts):
        try:
            found[canonical_origin(text, production=production)] = None
        except DomainError as exc:
            raise DomainError(exc.message, field=("origins", str(index))) from None
    return tuple(found)


def origin_of_url(url: str) -> str | None:
    """The origin of an absolute http(s) URL (the platform's public URL), or None."""
    scheme, sep, rest = url.strip().partition("://")
    if not sep:
        return None
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0].rpartition("@")[2]
    try:
        return canonical_origin(f"{scheme}://{authority}", production=False)
    except DomainError:
        return None


def _canonical_host(host: str) -> str:
    if host.startswith("["):
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError:
            raise DomainError("That is not an IPv6 address.") from None
    if _IPV4.fullmatch(host):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise DomainError("That is not an IPv4 address.") from None
    if len(host) > 253:
        raise DomainError("A host name is at most 253 characters.")
    return host


def _loopback(host: str) -> bool:
    return host in _LOOPBACK_HOSTS or host.endswith(".localhost")

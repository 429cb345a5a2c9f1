"""Trusted documents: a client's persisted-query manifest, as its build tooling writes it.

Two formats are read, exactly as the tools produce them:

- Apollo's `generate-persisted-query-manifest`:
  `{"format": "apollo-persisted-query-manifest", "version": 1,
    "operations": [{"id", "name", "type", "body"}]}`
- Relay's compiler (`persistConfig` with `"algorithm": "SHA256"`): `{"<id>": "<text>", ...}`

Every id must be the lowercase hex sha256 of its body's UTF-8 bytes: a wrong id is refused
with DOCUMENT_ID_MISMATCH naming the entry, and nothing of the manifest is stored.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from enum import StrEnum

from domain.errors import DomainError, ErrorCode

APOLLO_FORMAT = "apollo-persisted-query-manifest"
MAX_DOCUMENTS = 1_000  # in one manifest
MAX_MANIFEST_CHARACTERS = 1_000_000
_CLIENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_FIELD = ("manifest",)


class OperationType(StrEnum):
    QUERY = "QUERY"
    MUTATION = "MUTATION"
    SUBSCRIPTION = "SUBSCRIPTION"


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    sha256: str
    body: str
    name: str | None = None
    operation_type: OperationType | None = None


def sha256_of(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def is_sha256(text: str) -> bool:
    return _SHA256.fullmatch(text) is not None


def client_name(text: str) -> str:
    """The client a manifest is registered for, e.g. `storefront-web` or `ios`."""
    if _CLIENT.fullmatch(text) is None:
        raise DomainError(
            "A client is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter"
            " or digit.",
            field=("client",),
        )
    return text


def read_manifest(text: str, *, max_body_length: int) -> list[ManifestEntry]:
    """The documents of a manifest (Apollo's or Relay's JSON), each id checked."""
    if len(text) > MAX_MANIFEST_CHARACTERS:
        raise DomainError(
            f"A manifest is at most {MAX_MANIFEST_CHARACTERS} characters.", field=_FIELD
        )
    try:
        data = json.loads(text)
    except ValueError:
        raise DomainError("The manifest is not JSON.", field=_FIELD) from None
    if not isinstance(data, dict):
        raise DomainError("A manifest is a JSON object.", field=_FIELD)
    apollo = "format" in data or "operations" in data
    entries = _apollo(data) if apollo else _relay(data)
    if not entries:
        raise DomainError("The manifest holds no documents.", field=_FIELD)
    if len(entries) > MAX_DOCUMENTS:
        raise DomainError(f"A manifest holds at most {MAX_DOCUMENTS} documents.", field=_FIELD)
    for entry, where in entries:
        if len(entry.body) > max_body_length:
            raise DomainError(
                f"A document is at most {max_body_length} characters.", field=(*where, "body")
            )
        if sha256_of(entry.body) != entry.sha256:
            hint = "" if is_sha256(entry.sha256) else " (Relay: persistConfig.algorithm SHA256)"
            raise DomainError(
                f"{entry.sha256[:64]!r} is not the sha256 of its document's text{hint}.",
                field=(*where, "id"),
                code=ErrorCode.DOCUMENT_ID_MISMATCH,
            )
    return list({entry.sha256: entry for entry, _ in entries}.values())


_Located = list[tuple[ManifestEntry, tuple[str, ...]]]


def _apollo(data: dict[str, object]) -> _Located:
    if data.get("format") != APOLLO_FORMAT or data.get("version") != 1:
        raise DomainError(
            f'An Apollo manifest has "format": "{APOLLO_FORMAT}" and "version": 1.',
            field=_FIELD,
        )
    operations = data.get("operations")
    if not isinstance(operations, list):
        raise DomainError('An Apollo manifest has an "operations" list.', field=_FIELD)
    entries: _Located = []
    for index, operation in enumerate(operations[: MAX_DOCUMENTS + 1]):
        where = (*_FIELD, "operations", str(index))
        if not isinstance(operation, dict):
            raise DomainError("An operation is an object.", field=where)
        sha256, body = operation.get("id"), operation.get("body")
        name, kind = operation.get("name"), operation.get("type")
        if not isinstance(sha256, str) or not isinstance(body, str):
            raise DomainError('An operation has a string "id" and "body".', field=where)
        if name is not None and not isinstance(name, str):
            raise DomainError('An operation\'s "name" is a string.', field=(*where, "name"))
        try:
            operation_type = None if kind is None else OperationType(str(kind).upper())
        except ValueError:
            raise DomainError(
                'An operation\'s "type" is query, mutation or subscription.',
                field=(*where, "type"),
            ) from None
        entries.append((ManifestEntry(sha256, body, name, operation_type), where))
    return entries


def _relay(data: dict[str, object]) -> _Located:
    entries: _Located = []
    for sha256, body in list(data.items())[: MAX_DOCUMENTS + 1]:
        where = (*_FIELD, sha256[:64])
        if not isinstance(body, str):
            raise DomainError(
                'A Relay manifest maps each id to its text: {"<sha256>": "<document>"}.',
                field=where,
            )
        entries.append((ManifestEntry(sha256, body), where))
    return entries

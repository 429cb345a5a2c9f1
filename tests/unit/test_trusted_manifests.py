"""Reading a client's persisted-query manifest (domain/trusted_documents.py): Apollo's and
Relay's formats, each id the sha256 of its body, bounded."""

from __future__ import annotations

import hashlib
import json

import pytest

from domain.errors import DomainError, ErrorCode
from domain.trusted_documents import (
    MAX_DOCUMENTS,
    ManifestEntry,
    OperationType,
    client_name,
    read_manifest,
)

BODY = "query Q { program { name } }"
ID = hashlib.sha256(BODY.encode()).hexdigest()


def apollo(*operations: dict[str, object]) -> str:
    return json.dumps(
        {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
    )


def refusal(text: str, max_body_length: int = 10_000) -> DomainError:
    with pytest.raises(DomainError) as caught:
        read_manifest(text, max_body_length=max_body_length)
    return caught.value


def test_an_apollo_manifest_is_read_with_names_and_types():
    text = apollo({"id": ID, "name": "Q", "type": "query", "body": BODY})

    assert read_manifest(text, max_body_length=1000) == [
        ManifestEntry(ID, BODY, "Q", OperationType.QUERY)
    ]


def test_a_relay_manifest_is_read_and_a_repeated_document_kept_once():
    text = json.dumps({ID: BODY})

    assert read_manifest(text, max_body_length=1000) == [ManifestEntry(ID, BODY)]
    assert len(read_manifest(apollo(*[{"id": ID, "body": BODY}] * 2), max_body_length=99)) == 1


def test_a_wrong_id_names_its_entry():
    wrong = refusal(apollo({"id": ID, "body": BODY}, {"id": ID, "body": BODY + " "}))
    relay = refusal(json.dumps({"0" * 64: BODY}))

    assert (wrong.code, wrong.field) == (
        ErrorCode.DOCUMENT_ID_MISMATCH,
        ("manifest", "operations", "1", "id"),
    )
    assert (relay.code, relay.field) == (
        ErrorCode.DOCUMENT_ID_MISMATCH,
        ("manifest", "0" * 64, "id"),
    )


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[]", ("manifest",)),
        ("{}", ("manifest",)),
        ("{", ("manifest",)),
        (json.dumps({"format": "other", "version": 1, "operations": []}), ("manifest",)),
        (apollo({"id": ID}), ("manifest", "operations", "0")),
        (
            apollo({"id": ID, "body": BODY, "type": "thing"}),
            ("manifest", "operations", "0", "type"),
        ),
        (apollo({"id": ID, "body": BODY, "name": 3}), ("manifest", "operations", "0", "name")),
        (json.dumps({ID: 3}), ("manifest", ID)),
    ],
)
def test_what_is_not_a_manifest_is_refused_where_it_is_wrong(text: str, field: tuple[str, ...]):
    error = refusal(text)

    assert (error.code, error.field) == (ErrorCode.INVALID, field)


def test_a_manifest_is_bounded():
    too_many = json.dumps(
        {hashlib.sha256(str(n).encode()).hexdigest(): str(n) for n in range(MAX_DOCUMENTS + 1)}
    )
    too_long = json.dumps({ID: BODY})

    assert "at most" in refusal(too_many).message
    assert refusal(too_long, max_body_length=10).field == ("manifest", ID, "body")


@pytest.mark.parametrize("name", ["", "a b", "-web", "x" * 65, "web/ios"])
def test_a_client_name_is_refused_unless_it_is_a_plain_name(name: str):
    with pytest.raises(DomainError):
        client_name(name)
    assert client_name("storefront-web.v2_1") == "storefront-web.v2_1"

"""Given the cache of parsed documents, when documents of every size arrive from callers
of every kind, then it stays within its byte budgets, the persisted documents are never
evicted, and untrusted callers' documents evict only each other."""

from __future__ import annotations

from functools import cache

from graphql import GraphQLSchema

from api.schema.build import build_schema
from api.settings import Settings
from engine.documents import TOKEN_BYTES, DocumentCache, weight

PERSISTED = "query Persisted { program { name } }"
TRUSTED = "query Trusted { program { name currency } }"


@cache
def schema() -> GraphQLSchema:
    return build_schema(Settings(secret_key="x"))._schema


def cache_of(trusted_bytes: int = 1_000_000, untrusted_bytes: int = 100_000) -> DocumentCache:
    return DocumentCache(
        [],
        max_tokens=2000,
        trusted_bytes=trusted_bytes,
        untrusted_bytes=untrusted_bytes,
        persisted=frozenset({PERSISTED}),
    )


def distinct(i: int, padding: int = 0) -> str:
    """A distinct valid document; `padding` characters of comment make it heavier, not
    longer in tokens (a comment is no token)."""
    return f"query Q{i} {{ program {{ name }} }} #" + "x" * padding


def test_a_documents_weight_is_its_text_and_its_tokens():
    query = "query Q { program { name } }"
    prepared = cache_of().get(schema(), query, trusted=True)
    assert prepared is not None

    # "query", "Q", "{", "program", "{", "name", "}", "}" with <SOF> and <EOF>
    assert weight(query, prepared.document) == len(query) + 10 * TOKEN_BYTES


def test_untrusted_documents_stay_within_their_byte_budget():
    # given a cache whose untrusted pool holds 100 kB
    documents = cache_of(untrusted_bytes=100_000)

    # when 40 distinct documents of 20 kB each arrive from an untrusted caller
    for i in range(40):
        assert documents.get(schema(), distinct(i, padding=20_000), trusted=False) is not None

    # then the pool keeps the latest few, within its budget
    assert documents.untrusted.bytes <= 100_000
    assert 1 <= len(documents.untrusted) <= 5
    assert distinct(39, padding=20_000) in documents.untrusted
    assert distinct(0, padding=20_000) not in documents.untrusted


def test_untrusted_documents_never_evict_trusted_or_persisted_ones():
    # given a trusted caller's document and a persisted one, cached
    documents = cache_of()
    trusted = documents.get(schema(), TRUSTED, trusted=True)
    persisted = documents.get(schema(), PERSISTED, trusted=False)

    # when untrusted callers send a flood of distinct documents
    for i in range(1000):
        documents.get(schema(), distinct(i, padding=500), trusted=False)

    # then both are still cached, the very same objects
    assert documents.get(schema(), TRUSTED, trusted=False) is trusted
    assert documents.get(schema(), PERSISTED, trusted=False) is persisted
    assert TRUSTED in documents.trusted
    assert PERSISTED in documents.persisted


def test_persisted_documents_outlive_a_flood_of_trusted_ones():
    # given a persisted document, cached
    documents = cache_of(trusted_bytes=50_000)
    persisted = documents.get(schema(), PERSISTED, trusted=True)

    # when a trusted caller fills its pool many times over
    for i in range(500):
        documents.get(schema(), distinct(i, padding=1_000), trusted=True)

    # then the persisted one is still there, and the pool within its budget
    assert documents.get(schema(), PERSISTED, trusted=True) is persisted
    assert documents.trusted.bytes <= 50_000


def test_a_document_heavier_than_its_pool_is_answered_but_not_kept():
    # given a pool of 10 kB
    documents = cache_of(untrusted_bytes=10_000)
    small = documents.get(schema(), distinct(1), trusted=False)

    # when a 20 kB document arrives
    heavy = documents.get(schema(), distinct(2, padding=20_000), trusted=False)

    # then it is prepared for its request, kept nowhere, and evicts nothing
    assert heavy is not None and not heavy.errors
    assert distinct(2, padding=20_000) not in documents.untrusted
    assert documents.get(schema(), distinct(1), trusted=False) is small


async def test_a_document_over_the_length_limit_is_refused_before_it_is_parsed_on_any_path():
    # given a schema whose documents may be 100 characters long (the HTTP endpoint refuses
    # longer ones itself: this is what guards a document arriving another way)
    limited = build_schema(Settings(secret_key="x", max_query_length=100))
    long = "query { __typename } #" + "x" * 100

    # when a longer document is executed, and a short one
    refused = await limited.execute(long)
    served = await limited.execute("query { __typename }")

    # then only the long one is refused, with its code
    assert refused.data is None
    [error] = refused.errors or []
    assert error.extensions == {"code": "QUERY_TOO_LARGE"}
    assert served.data == {"__typename": "Query"}

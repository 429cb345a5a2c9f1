"""The JSON encoding of every GraphQL answer.

orjson refuses a string holding a lone surrogate, which JSON text carries as an escape
(`"\\udfff"`) and which error messages quote back when a client sent one. Such an answer is
encoded by the standard library instead, with every non-ASCII character escaped, so the
client gets its error rather than a plain-text 500 from the encoder."""

from __future__ import annotations

import json

import orjson


def encode_json(data: object) -> bytes:
    try:
        return orjson.dumps(data)
    except TypeError:  # a lone surrogate somewhere in the answer: rare, so the slow path
        return json.dumps(data, ensure_ascii=True, separators=(",", ":")).encode()

"""A strawberry schema whose documents the engine's cache prepares.

Apart from the executor (engine/direct.py) so that the application can build its schema
without importing the engine's execution: with `LOYALTY_ENGINE=stock` only this, the
document cache and the policy are imported.
"""

from __future__ import annotations

from strawberry import Schema

from engine.documents import DocumentCache


class CachedSchema(Schema):
    """A strawberry schema whose documents are prepared by the engine's cache (its
    PreparedOperation extension is built around the same cache)."""

    documents: DocumentCache

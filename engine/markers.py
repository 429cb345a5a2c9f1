"""Marks the application puts on its strawberry fields for the engine to read.

A module of its own, importing nothing: the application's types carry these marks whether
the engine runs or not (`LOYALTY_ENGINE=stock` never imports the engine's executor).
"""

from __future__ import annotations

# In a strawberry field's metadata: its resolver answers an object of a list from a batch
# every object of the list shares (engine/query_plan.py). The value is the field's batch
# resolver.
BATCHED = "engine.batched"

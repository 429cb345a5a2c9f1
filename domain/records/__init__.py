"""Records: the values that ports take and return and use cases pass around.

A record module imports records and pure rules only, never `domain.ports` nor a use case,
so that ports can import every record without an import cycle.
"""

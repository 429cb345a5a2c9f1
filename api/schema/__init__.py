"""The strawberry schema: one module per area, assembled in api/schema/build.py."""

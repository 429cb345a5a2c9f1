"""Adapters for the domain's ports: PostgreSQL through asyncpg, Redis through redis-py."""

"""Credentials: API keys, member tokens, operator sessions and passwords."""

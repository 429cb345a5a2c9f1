"""api/schema/auth"""

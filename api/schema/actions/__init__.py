"""api/schema/actions"""

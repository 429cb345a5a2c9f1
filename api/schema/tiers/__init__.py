"""api/schema/tiers"""

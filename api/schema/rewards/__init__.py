"""api/schema/rewards"""

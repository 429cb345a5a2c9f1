"""api/schema/points"""

"""api/schema/members"""

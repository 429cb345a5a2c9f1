"""api/schema/common"""

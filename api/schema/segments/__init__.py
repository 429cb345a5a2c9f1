"""api/schema/segments"""

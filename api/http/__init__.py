"""api/http"""

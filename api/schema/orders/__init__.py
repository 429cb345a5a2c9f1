"""api/schema/orders"""

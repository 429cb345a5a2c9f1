"""api/schema/tenants"""

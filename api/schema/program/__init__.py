"""api/schema/program"""

"""Tenant registry, provisioning, schema naming, and migrating every tenant schema."""

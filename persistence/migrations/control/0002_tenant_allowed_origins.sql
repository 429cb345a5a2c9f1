-- The browser origins (scheme://host[:port]) from which a tenant's storefront may call the
-- API (api/cors.py). Canonical form and the count are checked by domain/origins.py; the
-- CHECK is a backstop.
ALTER TABLE tenants
    ADD COLUMN allowed_origins text[] NOT NULL DEFAULT '{}'
    CHECK (cardinality(allowed_origins) <= 50);

-- Which PostgreSQL cluster holds each tenant's schema is a name only: the clusters' addresses
-- and credentials come from the settings (LOYALTY_CLUSTERS), never from the database.
ALTER TABLE tenants
    ADD CONSTRAINT tenants_placement_is_a_name CHECK (placement ~ '^[a-z][a-z0-9_]{0,39}$');
-- New tenants go to the cluster holding the fewest (persistence/clusters.py), and `loyalty
-- migrate` goes cluster by cluster.
CREATE INDEX tenants_by_placement ON tenants (placement);

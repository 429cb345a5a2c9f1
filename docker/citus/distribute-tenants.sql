-- NOT RUN here (see compose.yaml). Distributes every tenant schema that is still a regular
-- schema on the coordinator: Citus moves it, whole, to a worker and routes every statement
-- whose search path names it there. The control schema stays a regular schema on the
-- coordinator. Then spreads the schemas evenly over the workers (a background job).
SELECT citus_schema_distribute(t.schema_name)
FROM control.tenants t
WHERE to_regnamespace(t.schema_name) IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM pg_dist_schema d WHERE d.schemaid = to_regnamespace(t.schema_name)
  );

SELECT citus_rebalance_start();

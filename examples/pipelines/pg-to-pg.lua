-- PostgreSQL to PostgreSQL: a consistent full load of every table in schema
-- public, then change data capture (logical replication, pgoutput) applied to
-- the target in commit order, until sluice is stopped (SIGINT/SIGTERM).
--
-- The connection strings come from the environment, so no secret is in this
-- file and none is ever printed:
--   export SOURCE_PG="host=127.0.0.1 port=5432 dbname=app user=replicator"
--   export TARGET_PG="host=127.0.0.1 port=5433 dbname=app user=loader"
--   sluice run pg-to-pg.lua          # scripts/demo.sh runs exactly this
--   sluice status pg-to-pg
--   sluice cleanup pg-to-pg.lua      # drop the slot and the publication
--
-- The source needs wal_level = logical, a role with REPLICATION, and a primary
-- key (or REPLICA IDENTITY FULL) on every table: see docs/source-pg.md.
return {
  name = "pg-to-pg",
  mode = "full-load-and-cdc",
  source = {
    plugin = "source-pg",
    conninfo = env "SOURCE_PG",
    schemas = "public",
    slot = "sluice_pg_to_pg",          -- created on the first run, dropped by cleanup
    publication = "sluice_pg_to_pg",   -- likewise
    heartbeat_interval_ms = 10000,     -- keeps the slot moving while tables are idle
  },
  target = {
    plugin = "sink-pg",
    conninfo = env "TARGET_PG",
    checkpoint_key = "pg-to-pg",       -- this pipeline's row in sluice.sluice_checkpoint
  },
  settings = {
    MaxFullLoadSubTasks = 2,           -- tables / table chunks loaded in parallel
    FullLoadChunkRows = 250000,        -- split bigger tables into chunks of this size
    TargetTablePrepMode = "DROP_AND_CREATE",
  },
}

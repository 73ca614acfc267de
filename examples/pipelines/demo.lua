-- The self-contained demo: a synthetic source (the generator test plugin) into a
-- journal file (the capture test plugin). Full load of 4 tables, then change
-- capture of 20,000 transactions, resumable at any point.
return {
  name = "demo",
  mode = "full-load-and-cdc",
  source = {
    plugin = "generator",
    tables = 4,
    rows = 250000,
    chunk_rows = 100000,   -- big tables are split and loaded in parallel
    txns = 20000,
    ops_per_txn = 4,
    history = 100,         -- the snapshot is taken after 100 transactions
  },
  target = {
    plugin = "capture",
    path = "demo.journal",
  },
  settings = {
    MaxFullLoadSubTasks = 4,
    FullLoadChunkRows = 100000,
    TargetTablePrepMode = "DROP_AND_CREATE",
  },
}

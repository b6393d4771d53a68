// Schema migrations, applied in order; PRAGMA user_version holds how many have run.
// Append new migrations at the end; never edit one that has shipped.
export const MIGRATIONS: string[] = [
  // 1: runs and their metrics.
  `CREATE TABLE runs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'diverged', 'interrupted')),
     task TEXT NOT NULL,
     model TEXT NOT NULL,
     seed INTEGER NOT NULL,
     config_json TEXT NOT NULL,
     config_hash TEXT NOT NULL,
     overrides_json TEXT NOT NULL,
     task_info_json TEXT,
     details_json TEXT,
     params INTEGER,
     step INTEGER NOT NULL DEFAULT 0,
     steps INTEGER NOT NULL,
     diverged_step INTEGER,
     git_commit TEXT,
     git_dirty INTEGER,
     versions_json TEXT,
     backend TEXT,
     engine TEXT,
     host TEXT,
     pid INTEGER,
     started_at TEXT NOT NULL,
     ended_at TEXT,
     heartbeat_at TEXT,
     error TEXT
   );
   CREATE INDEX runs_by_hash ON runs (config_hash, status);
   CREATE TABLE metrics (
     run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
     step INTEGER NOT NULL,
     name TEXT NOT NULL,
     value REAL,
     wall_time REAL NOT NULL,
     PRIMARY KEY (run_id, step, name)
   );`,
  // 2: sweeps and their jobs. A job links to the run that holds its result (run_id); a skipped job
  // (its config already had a finished run) links to that earlier run.
  `CREATE TABLE sweeps (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     spec_json TEXT NOT NULL,
     command TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'interrupted')),
     created_at TEXT NOT NULL,
     ended_at TEXT
   );
   CREATE TABLE sweep_jobs (
     sweep_id INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
     idx INTEGER NOT NULL,
     overrides_json TEXT NOT NULL,
     config_hash TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'finished', 'failed', 'diverged', 'interrupted')),
     run_id INTEGER REFERENCES runs (id),
     error TEXT,
     started_at TEXT,
     ended_at TEXT,
     heartbeat_at TEXT,
     worker_pid INTEGER,
     PRIMARY KEY (sweep_id, idx)
   );
   CREATE INDEX sweep_jobs_by_run ON sweep_jobs (run_id);`,
  // 3: checkpoints, resumes and the `pruned` status (a sweep scheduler stopped the run early).
  // Each run records its latest checkpoint, the rung and reason when pruned, and every resume.
  // The status CHECK constraints gain 'pruned' by editing their text in the schema (SQLite's
  // documented procedure for changes that leave the stored rows as they are); the ADD COLUMNs come
  // first and change the schema version, so other open connections reload the schema.
  `ALTER TABLE runs ADD COLUMN checkpoint_path TEXT;
   ALTER TABLE runs ADD COLUMN checkpoint_step INTEGER;
   ALTER TABLE runs ADD COLUMN prune_rung INTEGER;
   ALTER TABLE runs ADD COLUMN prune_reason TEXT;
   ALTER TABLE runs ADD COLUMN resumes_json TEXT;
   PRAGMA writable_schema = ON;
   UPDATE sqlite_master SET sql = replace(sql, '''interrupted''))', '''interrupted'', ''pruned''))')
     WHERE type = 'table' AND name IN ('runs', 'sweep_jobs');
   PRAGMA writable_schema = RESET;`,
  // 4: which kernel implementation ran the fused engine ('native' or 'typescript'; null for the
  // unrolled engine and for runs recorded before this column), and the native build's SIMD width.
  `ALTER TABLE runs ADD COLUMN kernel TEXT;
   ALTER TABLE runs ADD COLUMN simd_width INTEGER;`,
  // 5: gradient-flow diagnostics (src/train/diagnostics.ts), one row per value: per lag
  // (grad_h, grad_c, state_norm; lag 1 = the last step) or per recurrent matrix (lag 0).
  `CREATE TABLE diagnostics (
     run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
     step INTEGER NOT NULL,
     quantity TEXT NOT NULL,
     layer INTEGER NOT NULL,
     direction INTEGER NOT NULL,
     lag INTEGER NOT NULL,
     value REAL,
     PRIMARY KEY (run_id, step, quantity, layer, direction, lag)
   ) WITHOUT ROWID;`,
  // 6: where a run merged from a sweep shard came from ('<shard id>:<run id in the shard>'), so
  // merging the same shard twice adds nothing; null for runs written straight into this store.
  `ALTER TABLE runs ADD COLUMN origin TEXT;
   CREATE UNIQUE INDEX runs_by_origin ON runs (origin);`,
  // 7: identities and claims. The store gets an identity when it is created (or first migrated):
  // checkpoints carry it and a run's own `uid`, so a checkpoint is never resumed into another store
  // or another run that happens to have the same id. `claim` is the token of the one process that
  // may write a running run (a compare-and-set in runs.ts); `stop_reason` says why a run finished
  // before its last step (a target, patience or plateau rule).
  `CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
   INSERT INTO store_meta (key, value) VALUES ('store_id', lower(hex(randomblob(16))));
   INSERT INTO store_meta (key, value) VALUES ('created_at', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
   ALTER TABLE runs ADD COLUMN uid TEXT;
   UPDATE runs SET uid = lower(hex(randomblob(16)));
   CREATE UNIQUE INDEX runs_by_uid ON runs (uid);
   ALTER TABLE runs ADD COLUMN claim TEXT;
   ALTER TABLE runs ADD COLUMN stop_reason TEXT;`,
];

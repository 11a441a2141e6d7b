// The relayer's SQLite store: one file, WAL, versioned migrations. Each component registers
// its migrations under its own name (leases here; the general durable queue adds its own), and
// every statement is plain SQL that PostgreSQL also runs (TEXT for 64-bit ids and amounts,
// INTEGER milliseconds for times), so the PostgreSQL backend can reuse the schema.
import Database from "better-sqlite3";

export type Db = Database.Database;

export interface Migration {
  /** component name: migrations are ordered per component */
  component: string;
  version: number;
  description: string;
  /** SQLite's statements (and PostgreSQL's unless `postgres` is given) */
  sql: string;
  /** the same schema in PostgreSQL's types, where they differ */
  postgres?: string;
}

export function openDb(file: string): Db {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL"); // a state persisted before a broadcast must survive a power cut
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    component  TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    description TEXT   NOT NULL,
    applied_at INTEGER NOT NULL,
    PRIMARY KEY (component, version)
  )`);
  return db;
}

/** Apply the migrations of `component` that are not applied yet, each in its own transaction. */
export function migrate(db: Db, migrations: Migration[]): void {
  const applied = new Set(
    (db.prepare("SELECT component, version FROM schema_migrations").all() as { component: string; version: number }[]).map(
      (r) => `${r.component}/${r.version}`,
    ),
  );
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(`${m.component}/${m.version}`)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (component, version, description, applied_at) VALUES (?, ?, ?, ?)").run(
        m.component,
        m.version,
        m.description,
        Date.now(),
      );
    })();
  }
}

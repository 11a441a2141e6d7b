// One small SQL executor over both backends, so the operations queue is written once:
// SQLite (better-sqlite3, one file, default) and PostgreSQL (pg Pool, several instances on one
// queue). Statements use `?` placeholders (rewritten to $n for PostgreSQL) and only types both
// accept (TEXT, INTEGER, BIGINT). SQLite work is serialized through a promise mutex so that an
// async transaction is never interleaved with another statement on the same connection.
import * as path from "path";
import { Pool, types as pgTypes, type PoolClient } from "pg";
import { migrate, openDb, type Db, type Migration } from "./db";

export type Row = Record<string, unknown>;

/** Where a store lives: a SQLite file (":memory:" for tests) or a PostgreSQL URL. */
export type StoreSpec = { sqlite: string } | { postgres: string };
export type Param = string | number | null;

export interface Exec {
  all<T extends Row = Row>(sql: string, params?: readonly Param[]): Promise<T[]>;
  /** number of rows changed */
  run(sql: string, params?: readonly Param[]): Promise<number>;
}

export interface SqlDriver extends Exec {
  readonly dialect: "sqlite" | "postgres";
  /** Run `fn` in one write transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: READ COMMITTED). */
  tx<T>(fn: (e: Exec) => Promise<T>): Promise<T>;
  migrate(migrations: Migration[]): Promise<void>;
  close(): Promise<void>;
}

class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

// One mutex per database file: two handles on one file in one process must not interleave
// transactions (better-sqlite3's busy wait would block the thread that holds the lock).
const fileLocks = new Map<string, Mutex>();

export class SqliteDriver implements SqlDriver {
  readonly dialect = "sqlite" as const;
  readonly db: Db;
  private readonly lock: Mutex;
  private readonly direct: Exec;

  constructor(file: string) {
    const key = file === ":memory:" ? `:memory:${Math.random()}` : path.resolve(file);
    this.lock = fileLocks.get(key) ?? new Mutex();
    fileLocks.set(key, this.lock);
    this.db = openDb(file);
    this.direct = {
      all: async <T extends Row>(sql: string, params: readonly Param[] = []) => this.db.prepare(sql).all(...params) as T[],
      run: async (sql: string, params: readonly Param[] = []) => this.db.prepare(sql).run(...params).changes,
    };
  }

  all<T extends Row = Row>(sql: string, params?: readonly Param[]): Promise<T[]> {
    return this.lock.run(() => this.direct.all<T>(sql, params));
  }

  run(sql: string, params?: readonly Param[]): Promise<number> {
    return this.lock.run(() => this.direct.run(sql, params));
  }

  tx<T>(fn: (e: Exec) => Promise<T>): Promise<T> {
    return this.lock.run(async () => {
      this.db.exec("BEGIN IMMEDIATE");
      try {
        const r = await fn(this.direct);
        this.db.exec("COMMIT");
        return r;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
        throw e;
      }
    });
  }

  async migrate(migrations: Migration[]): Promise<void> {
    await this.lock.run(async () => migrate(this.db, migrations));
  }

  async close(): Promise<void> {
    await this.lock.run(async () => this.db.close());
  }
}

const toPg = (sql: string): string => {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
};

// BIGINT (int8) columns come back as JS numbers: every value stored here (heights, nonces,
// milliseconds) is below 2^53.
const pgTypeParsers = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === 20 ? (v: string) => Number(v) : pgTypes.getTypeParser(oid, format ?? "text")) as typeof pgTypes.getTypeParser,
};

function pgExec(c: Pool | PoolClient): Exec {
  return {
    all: async <T extends Row>(sql: string, params: readonly Param[] = []) => (await c.query(toPg(sql), [...params])).rows as T[],
    run: async (sql: string, params: readonly Param[] = []) => (await c.query(toPg(sql), [...params])).rowCount ?? 0,
  };
}

export class PostgresDriver implements SqlDriver {
  readonly dialect = "postgres" as const;
  private readonly pool: Pool;
  private readonly direct: Exec;

  constructor(url: string) {
    this.pool = new Pool({ connectionString: url, max: 4, types: pgTypeParsers });
    this.direct = pgExec(this.pool);
  }

  all<T extends Row = Row>(sql: string, params?: readonly Param[]): Promise<T[]> {
    return this.direct.all<T>(sql, params);
  }

  run(sql: string, params?: readonly Param[]): Promise<number> {
    return this.direct.run(sql, params);
  }

  async tx<T>(fn: (e: Exec) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const r = await fn(pgExec(client));
      await client.query("COMMIT");
      return r;
    } catch (e) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  /** Same bookkeeping table as SQLite's `migrate`; an advisory lock lets several instances start at once. */
  async migrate(migrations: Migration[]): Promise<void> {
    await this.tx(async (e) => {
      await e.run("SELECT pg_advisory_xact_lock(7243012)");
      await e.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
        component TEXT NOT NULL, version INTEGER NOT NULL, description TEXT NOT NULL,
        applied_at BIGINT NOT NULL, PRIMARY KEY (component, version))`);
      const applied = new Set(
        (await e.all<{ component: string; version: number }>("SELECT component, version FROM schema_migrations")).map(
          (r) => `${r.component}/${r.version}`,
        ),
      );
      for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
        if (applied.has(`${m.component}/${m.version}`)) continue;
        await e.run(m.postgres ?? m.sql);
        await e.run("INSERT INTO schema_migrations (component, version, description, applied_at) VALUES (?, ?, ?, ?)", [
          m.component,
          m.version,
          m.description,
          Date.now(),
        ]);
      }
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** A driver for `spec` with `migrations` applied. */
export async function openDriver(spec: StoreSpec, migrations: Migration[]): Promise<SqlDriver> {
  const driver: SqlDriver = "sqlite" in spec ? new SqliteDriver(spec.sqlite) : new PostgresDriver(spec.postgres);
  try {
    await driver.migrate(migrations);
  } catch (e) {
    await driver.close().catch(() => undefined);
    throw e;
  }
  return driver;
}

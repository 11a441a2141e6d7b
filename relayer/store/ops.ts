// The durable operations queue and source cursors (migration "ops" v1), one implementation over
// SQLite and PostgreSQL (./sql.ts).
//
// An operation is one codec message on one lane: observed (read from a finalized source block)
// → attested (threshold signatures collected) → submitted (tx hash known) → confirmed (the
// destination's lane nonce moved past it). A failing operation keeps its attempts, next attempt
// time and last error; after too many attempts it is parked (visible in `status`, requeued by
// `retry`). Work is taken per lane — messages of a lane must be applied in nonce order — by
// claiming the lane row: PostgreSQL selects it `FOR UPDATE SKIP LOCKED` and leases it until
// `claim_until`, so two instances never take the same operation.
import type { Migration } from "./db";
import { openDriver, type Exec, type Param, type Row, type SqlDriver, type StoreSpec } from "./sql";

export const OP_STATES = ["observed", "attested", "submitted", "confirmed", "parked"] as const;
export type OpState = (typeof OP_STATES)[number];
/** states a delivery worker still has to move */
export const PENDING_STATES: readonly OpState[] = ["observed", "attested", "submitted"];

export interface LaneRef {
  src: number;
  dst: number;
}

export interface NewOp {
  src: number;
  dst: number;
  nonce: number;
  kind: number;
  /** 0x-hex codec message */
  message: string;
  digest: string;
  source: string;
  sourceHeight: number;
  sourceHash: string;
  /** source block time, ms (start of the end-to-end latency) */
  sourceTime: number;
}

export interface Op extends NewOp {
  id: string;
  state: OpState;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  txHash: string | null;
  observedAt: number;
  updatedAt: number;
  confirmedAt: number | null;
}

export interface Cursor {
  /** last height fully processed */
  height: number;
  hash: string | null;
}

export interface BlockRef {
  height: number;
  hash: string;
}

export const opId = (src: number, dst: number, nonce: number): string => `${src}-${dst}-${nonce}`;

export const OPS_MIGRATIONS: Migration[] = [
  {
    component: "ops",
    version: 1,
    description: "operations queue, lane claims, source cursors and block hashes, tx nonces",
    sql: `
CREATE TABLE ops (
  id              TEXT    PRIMARY KEY,
  src_chain       BIGINT  NOT NULL,
  dst_chain       BIGINT  NOT NULL,
  nonce           BIGINT  NOT NULL,
  kind            INTEGER NOT NULL,
  message         TEXT    NOT NULL,
  digest          TEXT    NOT NULL,
  source          TEXT    NOT NULL,
  source_height   BIGINT  NOT NULL,
  source_hash     TEXT    NOT NULL,
  source_time     BIGINT  NOT NULL,
  state           TEXT    NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT  NOT NULL,
  last_error      TEXT,
  tx_hash         TEXT,
  observed_at     BIGINT  NOT NULL,
  updated_at      BIGINT  NOT NULL,
  confirmed_at    BIGINT,
  UNIQUE (src_chain, dst_chain, nonce)
);
CREATE INDEX ops_lane_state ON ops (src_chain, dst_chain, state, nonce);
CREATE INDEX ops_source_height ON ops (source, source_height);
CREATE TABLE op_lanes (
  src_chain       BIGINT NOT NULL,
  dst_chain       BIGINT NOT NULL,
  claimed_by      TEXT,
  claim_until     BIGINT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (src_chain, dst_chain)
);
CREATE TABLE cursors (
  source     TEXT   PRIMARY KEY,
  height     BIGINT NOT NULL,
  hash       TEXT,
  updated_at BIGINT NOT NULL
);
CREATE TABLE source_blocks (
  source TEXT   NOT NULL,
  height BIGINT NOT NULL,
  hash   TEXT   NOT NULL,
  PRIMARY KEY (source, height)
);
CREATE TABLE tx_nonces (
  chain      TEXT   NOT NULL,
  address    TEXT   NOT NULL,
  next_nonce BIGINT NOT NULL,
  PRIMARY KEY (chain, address)
);`,
  },
  {
    component: "ops",
    version: 2,
    description: "signed transactions persisted before their broadcast (re-sent as signed after a crash)",
    sql: `
CREATE TABLE signed_txs (
  tx_hash    TEXT   PRIMARY KEY,
  chain      TEXT   NOT NULL,
  raw        TEXT   NOT NULL,
  created_at BIGINT NOT NULL
);`,
  },
];

const COLS = `id, src_chain, dst_chain, nonce, kind, message, digest, source, source_height, source_hash, source_time,
  state, attempts, next_attempt_at, last_error, tx_hash, observed_at, updated_at, confirmed_at`;

function toOp(r: Row): Op {
  return {
    id: String(r.id),
    src: Number(r.src_chain),
    dst: Number(r.dst_chain),
    nonce: Number(r.nonce),
    kind: Number(r.kind),
    message: String(r.message),
    digest: String(r.digest),
    source: String(r.source),
    sourceHeight: Number(r.source_height),
    sourceHash: String(r.source_hash),
    sourceTime: Number(r.source_time),
    state: r.state as OpState,
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    lastError: (r.last_error as string | null) ?? null,
    txHash: (r.tx_hash as string | null) ?? null,
    observedAt: Number(r.observed_at),
    updatedAt: Number(r.updated_at),
    confirmedAt: r.confirmed_at == null ? null : Number(r.confirmed_at),
  };
}

const inList = (n: number): string => Array.from({ length: n }, () => "?").join(", ");
const PENDING_SQL = `('observed', 'attested', 'submitted')`;

export class OpStore {
  private constructor(readonly driver: SqlDriver) {}

  /** Open (and migrate) the store named by the config's `store` section. */
  static async open(store: StoreSpec): Promise<OpStore> {
    return new OpStore(await openDriver(store, OPS_MIGRATIONS));
  }

  get backend(): "sqlite" | "postgres" {
    return this.driver.dialect;
  }

  close(): Promise<void> {
    return this.driver.close();
  }

  // ---------------------------------------------------------------- sources

  async cursor(source: string): Promise<Cursor | undefined> {
    const [r] = await this.driver.all("SELECT height, hash FROM cursors WHERE source = ?", [source]);
    return r ? { height: Number(r.height), hash: (r.hash as string | null) ?? null } : undefined;
  }

  /**
   * Atomically: insert the operations of a processed block range (ids already present are left
   * as they are, so a replay never duplicates), remember the range's block hashes (the newest
   * `keepBlocks` are kept for reorg detection) and move the cursor. Returns how many were new.
   */
  async advance(
    source: string,
    cursor: Cursor,
    blocks: readonly BlockRef[],
    ops: readonly NewOp[],
    keepBlocks: number,
    now = Date.now(),
  ): Promise<number> {
    return this.driver.tx(async (e) => {
      let inserted = 0;
      for (const o of ops) {
        inserted += await e.run(
          `INSERT INTO ops (${COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'observed', 0, ?, NULL, NULL, ?, ?, NULL) ON CONFLICT (id) DO NOTHING`,
          [
            opId(o.src, o.dst, o.nonce),
            o.src,
            o.dst,
            o.nonce,
            o.kind,
            o.message,
            o.digest,
            o.source,
            o.sourceHeight,
            o.sourceHash,
            o.sourceTime,
            now,
            now,
            now,
          ],
        );
        await e.run("INSERT INTO op_lanes (src_chain, dst_chain) VALUES (?, ?) ON CONFLICT (src_chain, dst_chain) DO NOTHING", [
          o.src,
          o.dst,
        ]);
      }
      for (const b of blocks) {
        await e.run(
          "INSERT INTO source_blocks (source, height, hash) VALUES (?, ?, ?) ON CONFLICT (source, height) DO UPDATE SET hash = excluded.hash",
          [source, b.height, b.hash],
        );
      }
      await e.run("DELETE FROM source_blocks WHERE source = ? AND height <= ?", [source, cursor.height - keepBlocks]);
      await setCursor(e, source, cursor, now);
      return inserted;
    });
  }

  /** Remembered block hashes of a source at or above `fromHeight`, newest first. */
  async blockHashes(source: string, fromHeight = 0): Promise<BlockRef[]> {
    const rows = await this.driver.all(
      "SELECT height, hash FROM source_blocks WHERE source = ? AND height >= ? ORDER BY height DESC",
      [source, fromHeight],
    );
    return rows.map((r) => ({ height: Number(r.height), hash: String(r.hash) }));
  }

  /**
   * A reorg replaced the source's blocks above `toHeight`: drop the operations observed in them
   * that were not handed to a destination yet, forget their hashes and move the cursor back.
   * Operations already submitted or confirmed cannot be taken back; they are returned so the
   * caller can raise the alarm.
   */
  async rewind(source: string, toHeight: number, now = Date.now()): Promise<{ dropped: number; delivered: Op[] }> {
    return this.driver.tx(async (e) => {
      const delivered = (
        await e.all(`SELECT ${COLS} FROM ops WHERE source = ? AND source_height > ? AND state IN ('submitted', 'confirmed')`, [
          source,
          toHeight,
        ])
      ).map(toOp);
      const dropped = await e.run(
        "DELETE FROM ops WHERE source = ? AND source_height > ? AND state IN ('observed', 'attested', 'parked')",
        [source, toHeight],
      );
      await e.run("DELETE FROM source_blocks WHERE source = ? AND height > ?", [source, toHeight]);
      const [b] = await e.all("SELECT hash FROM source_blocks WHERE source = ? AND height = ?", [source, toHeight]);
      await setCursor(e, source, { height: toHeight, hash: b ? String(b.hash) : null }, now);
      return { dropped, delivered };
    });
  }

  /** Operator replay: scan the source again from `fromHeight` (existing operations are kept). */
  async replayFrom(source: string, fromHeight: number, now = Date.now()): Promise<void> {
    await this.driver.tx(async (e) => {
      await e.run("DELETE FROM source_blocks WHERE source = ? AND height >= ?", [source, fromHeight]);
      await setCursor(e, source, { height: Math.max(0, fromHeight - 1), hash: null }, now);
    });
  }

  // ---------------------------------------------------------------- delivery

  /**
   * Take a lane that has due work and no parked operation, leased to `owner` for `claimMs`.
   * PostgreSQL: the lane row is locked `FOR UPDATE SKIP LOCKED` while the lease is written, so
   * concurrent instances each get a different lane (or none).
   */
  async claimLane(owner: string, claimMs: number, now = Date.now()): Promise<LaneRef | undefined> {
    const lock = this.driver.dialect === "postgres" ? " FOR UPDATE OF l SKIP LOCKED" : "";
    return this.driver.tx(async (e) => {
      const [r] = await e.all(
        `SELECT l.src_chain, l.dst_chain FROM op_lanes l
          WHERE l.claim_until <= ? AND l.next_attempt_at <= ?
            AND EXISTS (SELECT 1 FROM ops o WHERE o.src_chain = l.src_chain AND o.dst_chain = l.dst_chain AND o.state IN ${PENDING_SQL})
            AND NOT EXISTS (SELECT 1 FROM ops p WHERE p.src_chain = l.src_chain AND p.dst_chain = l.dst_chain AND p.state = 'parked')
          ORDER BY l.next_attempt_at, l.src_chain, l.dst_chain LIMIT 1${lock}`,
        [now, now],
      );
      if (!r) return undefined;
      const lane = { src: Number(r.src_chain), dst: Number(r.dst_chain) };
      await e.run("UPDATE op_lanes SET claimed_by = ?, claim_until = ? WHERE src_chain = ? AND dst_chain = ?", [
        owner,
        now + claimMs,
        lane.src,
        lane.dst,
      ]);
      return lane;
    });
  }

  /** Give a claimed lane back; `nextAttemptAt` delays the next claim (backoff after a failure). */
  async releaseLane(lane: LaneRef, owner: string, nextAttemptAt = 0): Promise<void> {
    await this.driver.run(
      "UPDATE op_lanes SET claimed_by = NULL, claim_until = 0, next_attempt_at = ? WHERE src_chain = ? AND dst_chain = ? AND claimed_by = ?",
      [nextAttemptAt, lane.src, lane.dst, owner],
    );
  }

  /** The lane's operations still to deliver, lowest nonce first. */
  async pendingOps(lane: LaneRef, limit: number): Promise<Op[]> {
    const rows = await this.driver.all(
      `SELECT ${COLS} FROM ops WHERE src_chain = ? AND dst_chain = ? AND state IN ${PENDING_SQL} ORDER BY nonce LIMIT ?`,
      [lane.src, lane.dst, limit],
    );
    return rows.map(toOp);
  }

  /** Operations `first .. first+count-1` of a lane that this relayer observed (for attestations). */
  async opsRange(lane: LaneRef, first: number, count: number): Promise<Op[]> {
    const rows = await this.driver.all(
      `SELECT ${COLS} FROM ops WHERE src_chain = ? AND dst_chain = ? AND nonce >= ? AND nonce < ? ORDER BY nonce`,
      [lane.src, lane.dst, first, first + count],
    );
    return rows.map(toOp);
  }

  async get(id: string): Promise<Op | undefined> {
    const [r] = await this.driver.all(`SELECT ${COLS} FROM ops WHERE id = ?`, [id]);
    return r ? toOp(r) : undefined;
  }

  /** The destination applied the lane through `nonce`: everything up to it is confirmed. Returns the newly confirmed. */
  async confirmThrough(lane: LaneRef, nonce: number, now = Date.now()): Promise<Op[]> {
    return this.driver.tx(async (e) => {
      const rows = (
        await e.all(`SELECT ${COLS} FROM ops WHERE src_chain = ? AND dst_chain = ? AND nonce <= ? AND state IN ${PENDING_SQL}`, [
          lane.src,
          lane.dst,
          nonce,
        ])
      ).map(toOp);
      if (rows.length) {
        await e.run(
          `UPDATE ops SET state = 'confirmed', confirmed_at = ?, updated_at = ?, last_error = NULL WHERE src_chain = ? AND dst_chain = ? AND nonce <= ? AND state IN ${PENDING_SQL}`,
          [now, now, lane.src, lane.dst, nonce],
        );
        // the batches are applied: their persisted signed transactions will not be sent again
        const hashes = [...new Set(rows.map((o) => o.txHash).filter((h): h is string => !!h))];
        if (hashes.length) await e.run(`DELETE FROM signed_txs WHERE tx_hash IN (${inList(hashes.length)})`, hashes);
      }
      return rows;
    });
  }

  async transition(ids: readonly string[], state: OpState, patch: { txHash?: string } = {}, now = Date.now()): Promise<void> {
    if (!ids.length) return;
    const params: Param[] = [state, now];
    let set = "state = ?, updated_at = ?";
    if (patch.txHash !== undefined) {
      set += ", tx_hash = ?";
      params.push(patch.txHash);
    }
    await this.driver.run(`UPDATE ops SET ${set} WHERE id IN (${inList(ids.length)})`, [...params, ...ids]);
  }

  /**
   * A batch's transaction was signed: in one write, its signed bytes are kept and its operations
   * become `submitted` under its hash, before anything is broadcast. A crash after this re-sends
   * the same bytes (same nonce, same hash: never a second transaction for the batch).
   */
  async submitSigned(
    ids: readonly string[],
    tx: { chain: string; txHash: string; raw: string },
    now = Date.now(),
  ): Promise<void> {
    await this.driver.tx(async (e) => {
      await e.run(
        "INSERT INTO signed_txs (tx_hash, chain, raw, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (tx_hash) DO NOTHING",
        [tx.txHash, tx.chain, tx.raw, now],
      );
      if (ids.length)
        await e.run(`UPDATE ops SET state = 'submitted', tx_hash = ?, updated_at = ? WHERE id IN (${inList(ids.length)})`, [
          tx.txHash,
          now,
          ...ids,
        ]);
    });
  }

  /** The signed bytes of a transaction persisted by `submitSigned` (undefined once forgotten or never stored). */
  async signedTx(txHash: string): Promise<string | undefined> {
    const [r] = await this.driver.all("SELECT raw FROM signed_txs WHERE tx_hash = ?", [txHash]);
    return r ? String(r.raw) : undefined;
  }

  /** The transaction's outcome is final (mined): its signed bytes are no longer needed. */
  async forgetSignedTx(txHash: string): Promise<void> {
    await this.driver.run("DELETE FROM signed_txs WHERE tx_hash = ?", [txHash]);
  }

  /** Record a failed attempt of a batch; `park` takes them out of the queue until `retry`. */
  async fail(ids: readonly string[], error: string, nextAttemptAt: number, park: boolean, now = Date.now()): Promise<void> {
    if (!ids.length) return;
    const state = park ? ", state = 'parked'" : "";
    await this.driver.run(
      `UPDATE ops SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, updated_at = ?${state} WHERE id IN (${inList(ids.length)})`,
      [error.slice(0, 2000), nextAttemptAt, now, ...ids],
    );
  }

  /** Requeue an operation (and the parked ones after it on its lane) for an immediate attempt. */
  async retry(id: string, now = Date.now()): Promise<number> {
    const op = await this.get(id);
    if (!op) return 0;
    return this.driver.tx(async (e) => {
      const n = await e.run(
        `UPDATE ops SET state = CASE WHEN state = 'parked' THEN 'observed' ELSE state END, attempts = 0, next_attempt_at = ?, updated_at = ?
          WHERE src_chain = ? AND dst_chain = ? AND nonce >= ? AND state IN ('observed', 'attested', 'submitted', 'parked')`,
        [now, now, op.src, op.dst, op.nonce],
      );
      await e.run("UPDATE op_lanes SET next_attempt_at = 0 WHERE src_chain = ? AND dst_chain = ?", [op.src, op.dst]);
      return n;
    });
  }

  async counts(): Promise<Record<OpState, number>> {
    const out = Object.fromEntries(OP_STATES.map((s) => [s, 0])) as Record<OpState, number>;
    for (const r of await this.driver.all("SELECT state, COUNT(*) AS n FROM ops GROUP BY state"))
      out[r.state as OpState] = Number(r.n);
    return out;
  }

  async list(filter: { state?: OpState; limit?: number } = {}): Promise<Op[]> {
    const where = filter.state ? "WHERE state = ?" : "";
    const params: Param[] = filter.state ? [filter.state] : [];
    return (
      await this.driver.all(`SELECT ${COLS} FROM ops ${where} ORDER BY src_chain, dst_chain, nonce LIMIT ?`, [
        ...params,
        filter.limit ?? 100,
      ])
    ).map(toOp);
  }

  async cursors(): Promise<{ source: string; height: number; updatedAt: number }[]> {
    return (await this.driver.all("SELECT source, height, updated_at FROM cursors ORDER BY source")).map((r) => ({
      source: String(r.source),
      height: Number(r.height),
      updatedAt: Number(r.updated_at),
    }));
  }

  // ---------------------------------------------------------------- transaction nonces

  /**
   * The next transaction nonce for `address` on `chain`, handed out under the row lock, so
   * instances sharing one identity never reuse a nonce: max(stored, chain's pending count).
   */
  async allocateTxNonce(chain: string, address: string, chainPending: number): Promise<number> {
    const lock = this.driver.dialect === "postgres" ? " FOR UPDATE" : "";
    return this.driver.tx(async (e) => {
      await e.run("INSERT INTO tx_nonces (chain, address, next_nonce) VALUES (?, ?, ?) ON CONFLICT (chain, address) DO NOTHING", [
        chain,
        address,
        chainPending,
      ]);
      const [r] = await e.all(`SELECT next_nonce FROM tx_nonces WHERE chain = ? AND address = ?${lock}`, [chain, address]);
      const nonce = Math.max(Number(r.next_nonce), chainPending);
      await e.run("UPDATE tx_nonces SET next_nonce = ? WHERE chain = ? AND address = ?", [nonce + 1, chain, address]);
      return nonce;
    });
  }

  /**
   * Run `use(nonce)` while holding the identity's nonce row (PostgreSQL: FOR UPDATE; SQLite: the
   * write transaction); only if `use` resolves is the counter moved, to the `next` it returns
   * (normally nonce + 1; a chain may name another sequence it expects). For chains whose
   * mempool wants an account's transactions in sequence order (Cosmos SDK account sequence): the
   * instance holding the row signs AND hands the transaction to the node before another instance
   * of the same identity can take the next sequence. `use` must be short (a sync broadcast).
   */
  async withTxNonce<T>(
    chain: string,
    address: string,
    chainNext: number,
    use: (nonce: number) => Promise<{ out: T; next: number }>,
  ): Promise<T> {
    const lock = this.driver.dialect === "postgres" ? " FOR UPDATE" : "";
    return this.driver.tx(async (e) => {
      await e.run("INSERT INTO tx_nonces (chain, address, next_nonce) VALUES (?, ?, ?) ON CONFLICT (chain, address) DO NOTHING", [
        chain,
        address,
        chainNext,
      ]);
      const [r] = await e.all(`SELECT next_nonce FROM tx_nonces WHERE chain = ? AND address = ?${lock}`, [chain, address]);
      const nonce = Math.max(Number(r.next_nonce), chainNext);
      const { out, next } = await use(nonce);
      await e.run("UPDATE tx_nonces SET next_nonce = ? WHERE chain = ? AND address = ?", [next, chain, address]);
      return out;
    });
  }

  /** Forget the local nonce (after "nonce too low/high"): the next allocation follows the chain. */
  async resetTxNonce(chain: string, address: string): Promise<void> {
    await this.driver.run("DELETE FROM tx_nonces WHERE chain = ? AND address = ?", [chain, address]);
  }
}

async function setCursor(e: Exec, source: string, c: Cursor, now: number): Promise<void> {
  await e.run(
    "INSERT INTO cursors (source, height, hash, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (source) DO UPDATE SET height = excluded.height, hash = excluded.hash, updated_at = excluded.updated_at",
    [source, c.height, c.hash, now],
  );
}

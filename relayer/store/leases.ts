// Persisted lease jobs: one row per purchase that asked for a deployment. The job columns
// (state, attempts, next_attempt_at, last_error, created_at, updated_at) have the shape the
// relayer's general durable queue uses, so that queue can list, requeue and meter lease jobs
// like its own; the Akash columns record every identifier needed to resume without a second
// deployment or lease (dseq reserved before the first broadcast, tx hashes recorded when signed,
// the chosen bid).
import { migrate, type Db, type Migration } from "./db";

export const LEASE_STATES = [
  "requested", // accepted, nothing on Akash yet
  "dseq_reserved", // dseq persisted; MsgCreateDeployment may or may not have been broadcast
  "deployment_created", // deployment on chain; collecting bids until bids_deadline_at
  "bid_chosen", // bid persisted; MsgCreateLease may or may not have been broadcast
  "lease_created", // lease on chain; manifest not yet accepted
  "manifest_sent", // provider accepted the manifest; confirming the lease
  "leased", // lease confirmed: report success
  "reported", // success reported on the purchase's chain (terminal while the key lives)
  "closing", // failed: close the deployment if one exists
  "failed_closed", // nothing left open on Akash: report failure
  "failed", // failure reported: the buyer can claim the refund (terminal)
  "expired", // key expired: deployment closed after a success (terminal)
] as const;
export type LeaseState = (typeof LEASE_STATES)[number];
export const TERMINAL_STATES: readonly LeaseState[] = ["reported", "failed", "expired"];

export interface LeaseRow {
  id: number;
  purchaseChain: string;
  keyId: string;
  modelId: string;
  buyer: string;
  paramsJson: string;
  akashChain: string;
  owner: string;
  dseq: string | null;
  state: LeaseState;
  outcome: "leased" | "failed" | null;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  failureReason: string | null;
  bidsDeadlineAt: number | null;
  manifestHash: string | null;
  provider: string | null;
  gseq: number | null;
  oseq: number | null;
  bseq: number | null;
  price: string | null;
  deploymentTx: string | null;
  leaseTx: string | null;
  closeTx: string | null;
  reportTx: string | null;
  expiresAt: number | null;
  createdAt: number;
  updatedAt: number;
}

const MIGRATIONS: Migration[] = [
  {
    component: "leases",
    version: 1,
    description: "lease jobs, dseq counters, transition log, escrow top-ups",
    sql: `
CREATE TABLE leases (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  purchase_chain   TEXT    NOT NULL,
  key_id           TEXT    NOT NULL,
  model_id         TEXT    NOT NULL,
  buyer            TEXT    NOT NULL,
  params_json      TEXT    NOT NULL,
  akash_chain      TEXT    NOT NULL,
  owner            TEXT    NOT NULL,
  dseq             TEXT,
  state            TEXT    NOT NULL,
  outcome          TEXT,
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  last_error       TEXT,
  failure_reason   TEXT,
  bids_deadline_at INTEGER,
  manifest_hash    TEXT,
  provider         TEXT,
  gseq             INTEGER,
  oseq             INTEGER,
  bseq             INTEGER,
  price            TEXT,
  deployment_tx    TEXT,
  lease_tx         TEXT,
  close_tx         TEXT,
  report_tx        TEXT,
  expires_at       INTEGER,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  UNIQUE (purchase_chain, key_id),
  UNIQUE (akash_chain, owner, dseq)
);
CREATE INDEX leases_due ON leases (state, next_attempt_at);
CREATE TABLE dseq_counters (
  akash_chain TEXT NOT NULL,
  owner       TEXT NOT NULL,
  last_dseq   TEXT NOT NULL,
  PRIMARY KEY (akash_chain, owner)
);
CREATE TABLE lease_events (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  lease_id   INTEGER NOT NULL REFERENCES leases (id),
  at         INTEGER NOT NULL,
  from_state TEXT,
  to_state   TEXT    NOT NULL,
  detail     TEXT
);
CREATE TABLE escrow_topups (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  source_chain    TEXT    NOT NULL,
  source_tx       TEXT    NOT NULL,
  log_index       INTEGER NOT NULL,
  owner           TEXT    NOT NULL,
  dseq            TEXT    NOT NULL,
  amount_uact     TEXT    NOT NULL,
  state           TEXT    NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT,
  deposit_tx      TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  UNIQUE (source_chain, source_tx, log_index)
);`,
  },
  {
    component: "leases",
    version: 2,
    description: "feed cursors (purchases, DAO spends) and LeaseReported messages sent or co-signed on the Akash lanes",
    sql: `
CREATE TABLE akash_cursors (
  source     TEXT    PRIMARY KEY,
  height     INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE lease_reports (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  role           TEXT    NOT NULL,
  lane_src       INTEGER NOT NULL,
  lane_dst       INTEGER NOT NULL,
  nonce          INTEGER NOT NULL,
  purchase_chain TEXT    NOT NULL,
  key_id         TEXT    NOT NULL,
  ok             INTEGER NOT NULL,
  digest         TEXT    NOT NULL,
  message        TEXT    NOT NULL,
  created_at     INTEGER NOT NULL,
  UNIQUE (role, lane_src, lane_dst, nonce),
  UNIQUE (role, purchase_chain, key_id)
);`,
  },
];

const COLUMNS: Record<keyof LeaseRow, string> = {
  id: "id",
  purchaseChain: "purchase_chain",
  keyId: "key_id",
  modelId: "model_id",
  buyer: "buyer",
  paramsJson: "params_json",
  akashChain: "akash_chain",
  owner: "owner",
  dseq: "dseq",
  state: "state",
  outcome: "outcome",
  attempts: "attempts",
  nextAttemptAt: "next_attempt_at",
  lastError: "last_error",
  failureReason: "failure_reason",
  bidsDeadlineAt: "bids_deadline_at",
  manifestHash: "manifest_hash",
  provider: "provider",
  gseq: "gseq",
  oseq: "oseq",
  bseq: "bseq",
  price: "price",
  deploymentTx: "deployment_tx",
  leaseTx: "lease_tx",
  closeTx: "close_tx",
  reportTx: "report_tx",
  expiresAt: "expires_at",
  createdAt: "created_at",
  updatedAt: "updated_at",
};
const SELECT = `SELECT ${Object.entries(COLUMNS)
  .map(([k, c]) => `${c} AS "${k}"`)
  .join(", ")} FROM leases`;

export interface NewLease {
  purchaseChain: string;
  keyId: string;
  modelId: string;
  buyer: string;
  paramsJson: string;
  akashChain: string;
  owner: string;
  expiresAt?: number | null;
}

export type LeasePatch = Partial<Omit<LeaseRow, "id" | "purchaseChain" | "keyId" | "createdAt" | "updatedAt">>;

export interface EscrowTopupRow {
  id: number;
  sourceChain: string;
  sourceTx: string;
  logIndex: number;
  owner: string;
  dseq: string;
  amountUact: string;
  state: "pending" | "deposited" | "skipped";
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  depositTx: string | null;
}

export class LeaseStore {
  constructor(
    readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    migrate(db, MIGRATIONS);
  }

  /** Insert a lease job for a purchase; a second call for the same purchase returns the first row. */
  insert(l: NewLease): LeaseRow {
    const t = this.now();
    this.db
      .prepare(
        `INSERT INTO leases (purchase_chain, key_id, model_id, buyer, params_json, akash_chain, owner, state, attempts, next_attempt_at, expires_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'requested', 0, ?, ?, ?, ?)
         ON CONFLICT (purchase_chain, key_id) DO NOTHING`,
      )
      .run(l.purchaseChain, l.keyId, l.modelId, l.buyer, l.paramsJson, l.akashChain, l.owner, t, l.expiresAt ?? null, t, t);
    return this.byPurchase(l.purchaseChain, l.keyId)!;
  }

  get(id: number): LeaseRow {
    const row = this.db.prepare(`${SELECT} WHERE id = ?`).get(id) as LeaseRow | undefined;
    if (!row) throw new Error(`lease job ${id} does not exist in this store`);
    return row;
  }
  byPurchase(purchaseChain: string, keyId: string): LeaseRow | undefined {
    return this.db.prepare(`${SELECT} WHERE purchase_chain = ? AND key_id = ?`).get(purchaseChain, keyId) as LeaseRow | undefined;
  }
  byDeployment(akashChain: string, owner: string, dseq: string): LeaseRow | undefined {
    return this.db.prepare(`${SELECT} WHERE akash_chain = ? AND owner = ? AND dseq = ?`).get(akashChain, owner, dseq) as
      LeaseRow | undefined;
  }
  /** Jobs not in a terminal state whose next attempt is due. */
  due(limit = 50): LeaseRow[] {
    const terminal = TERMINAL_STATES.map((s) => `'${s}'`).join(", ");
    return this.db
      .prepare(`${SELECT} WHERE state NOT IN (${terminal}) AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`)
      .all(this.now(), limit) as LeaseRow[];
  }
  /** Successful leases whose key has expired (expires_at in seconds). */
  expired(nowSeconds: number): LeaseRow[] {
    return this.db
      .prepare(`${SELECT} WHERE state = 'reported' AND expires_at IS NOT NULL AND expires_at > 0 AND expires_at <= ?`)
      .all(nowSeconds) as LeaseRow[];
  }
  all(): LeaseRow[] {
    return this.db.prepare(`${SELECT} ORDER BY id`).all() as LeaseRow[];
  }

  /** Update columns; a state change is logged in lease_events. Returns the new row. */
  update(id: number, patch: LeasePatch, detail?: string): LeaseRow {
    return this.db.transaction(() => {
      const before = this.get(id);
      const entries = Object.entries(patch).filter(([, v]) => v !== undefined) as [keyof LeasePatch, unknown][];
      const t = this.now();
      if (entries.length) {
        const sets = entries.map(([k]) => `${COLUMNS[k]} = ?`).join(", ");
        this.db
          .prepare(`UPDATE leases SET ${sets}, updated_at = ? WHERE id = ?`)
          .run(...entries.map(([, v]) => v as string | number | null), t, id);
      }
      if (patch.state && patch.state !== before.state) {
        this.db
          .prepare("INSERT INTO lease_events (lease_id, at, from_state, to_state, detail) VALUES (?, ?, ?, ?, ?)")
          .run(id, t, before.state, patch.state, detail ?? null);
      }
      return this.get(id);
    })();
  }

  /**
   * Reserve the next dseq for (akashChain, owner) — at least `floor` (the chain height, as the
   * Akash CLI does) and above every dseq this store handed out — and persist it on the job in
   * the same transaction. Idempotent: a job that already has a dseq keeps it.
   */
  reserveDseq(id: number, floor: bigint): LeaseRow {
    return this.db.transaction(() => {
      const row = this.get(id);
      if (row.dseq) return row;
      const counter = this.db
        .prepare("SELECT last_dseq FROM dseq_counters WHERE akash_chain = ? AND owner = ?")
        .get(row.akashChain, row.owner) as { last_dseq: string } | undefined;
      const last = counter ? BigInt(counter.last_dseq) : 0n;
      const dseq = (last + 1n > floor ? last + 1n : floor).toString();
      this.db
        .prepare(
          "INSERT INTO dseq_counters (akash_chain, owner, last_dseq) VALUES (?, ?, ?) ON CONFLICT (akash_chain, owner) DO UPDATE SET last_dseq = excluded.last_dseq",
        )
        .run(row.akashChain, row.owner, dseq);
      return this.update(id, { dseq, state: "dseq_reserved" }, `dseq ${dseq}`);
    })();
  }

  events(id: number): { at: number; fromState: string | null; toState: string; detail: string | null }[] {
    return this.db
      .prepare(
        'SELECT at, from_state AS "fromState", to_state AS "toState", detail FROM lease_events WHERE lease_id = ? ORDER BY id',
      )
      .all(id) as {
      at: number;
      fromState: string | null;
      toState: string;
      detail: string | null;
    }[];
  }

  // ------------------------------------------------------------------ escrow top-ups

  /** Record a top-up request once per source event. Returns the row (existing or new). */
  insertTopup(t: {
    sourceChain: string;
    sourceTx: string;
    logIndex: number;
    owner: string;
    dseq: string;
    amountUact: string;
  }): EscrowTopupRow {
    const now = this.now();
    this.db
      .prepare(
        `INSERT INTO escrow_topups (source_chain, source_tx, log_index, owner, dseq, amount_uact, state, attempts, next_attempt_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?) ON CONFLICT (source_chain, source_tx, log_index) DO NOTHING`,
      )
      .run(t.sourceChain, t.sourceTx, t.logIndex, t.owner, t.dseq, t.amountUact, now, now, now);
    return this.topupBySource(t.sourceChain, t.sourceTx, t.logIndex)!;
  }
  topupBySource(sourceChain: string, sourceTx: string, logIndex: number): EscrowTopupRow | undefined {
    return this.db
      .prepare(`${TOPUP_SELECT} WHERE source_chain = ? AND source_tx = ? AND log_index = ?`)
      .get(sourceChain, sourceTx, logIndex) as EscrowTopupRow | undefined;
  }
  dueTopups(): EscrowTopupRow[] {
    return this.db
      .prepare(`${TOPUP_SELECT} WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id`)
      .all(this.now()) as EscrowTopupRow[];
  }
  updateTopup(
    id: number,
    patch: Partial<Pick<EscrowTopupRow, "state" | "attempts" | "nextAttemptAt" | "lastError" | "depositTx">>,
  ): void {
    const cols: Record<string, string> = {
      state: "state",
      attempts: "attempts",
      nextAttemptAt: "next_attempt_at",
      lastError: "last_error",
      depositTx: "deposit_tx",
    };
    const entries = Object.entries(patch).filter(([, v]) => v !== undefined);
    if (!entries.length) return;
    this.db
      .prepare(`UPDATE escrow_topups SET ${entries.map(([k]) => `${cols[k]} = ?`).join(", ")}, updated_at = ? WHERE id = ?`)
      .run(...entries.map(([, v]) => v as string | number | null), this.now(), id);
  }
}

export interface LeaseReportRow {
  id: number;
  role: "sent" | "cosigned";
  laneSrc: number;
  laneDst: number;
  nonce: number;
  purchaseChain: string;
  keyId: string;
  ok: boolean;
  digest: string;
  message: string;
  createdAt: number;
}

const REPORT_SELECT = `SELECT id, role, lane_src AS "laneSrc", lane_dst AS "laneDst", nonce, purchase_chain AS "purchaseChain", key_id AS "keyId", ok, digest, message,
  created_at AS "createdAt" FROM lease_reports`;
const toReport = (r: Record<string, unknown> | undefined): LeaseReportRow | undefined =>
  r ? ({ ...r, ok: r.ok === 1 } as unknown as LeaseReportRow) : undefined;

/** Feed cursors and LeaseReported lane records (same SQLite file as the lease jobs). */
export class LeaseReportStore {
  constructor(
    readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    migrate(db, MIGRATIONS);
  }

  cursor(source: string): number | undefined {
    const r = this.db.prepare("SELECT height FROM akash_cursors WHERE source = ?").get(source) as { height: number } | undefined;
    return r?.height;
  }
  setCursor(source: string, height: number): void {
    this.db
      .prepare(
        "INSERT INTO akash_cursors (source, height, updated_at) VALUES (?, ?, ?) ON CONFLICT (source) DO UPDATE SET height = excluded.height, updated_at = excluded.updated_at",
      )
      .run(source, height, this.now());
  }

  byPurchase(role: LeaseReportRow["role"], purchaseChain: string, keyId: string): LeaseReportRow | undefined {
    return toReport(
      this.db.prepare(`${REPORT_SELECT} WHERE role = ? AND purchase_chain = ? AND key_id = ?`).get(role, purchaseChain, keyId) as
        Record<string, unknown> | undefined,
    );
  }
  atNonce(role: LeaseReportRow["role"], src: number, dst: number, nonce: number): LeaseReportRow | undefined {
    return toReport(
      this.db
        .prepare(`${REPORT_SELECT} WHERE role = ? AND lane_src = ? AND lane_dst = ? AND nonce = ?`)
        .get(role, src, dst, nonce) as Record<string, unknown> | undefined,
    );
  }
  /** The lane's records above `afterNonce`, lowest first. */
  laneAfter(role: LeaseReportRow["role"], src: number, dst: number, afterNonce: number, limit = 64): LeaseReportRow[] {
    return (
      this.db
        .prepare(`${REPORT_SELECT} WHERE role = ? AND lane_src = ? AND lane_dst = ? AND nonce > ? ORDER BY nonce LIMIT ?`)
        .all(role, src, dst, afterNonce, limit) as Record<string, unknown>[]
    ).map((r) => toReport(r)!);
  }
  lastNonce(role: LeaseReportRow["role"], src: number, dst: number): number {
    const r = this.db
      .prepare("SELECT MAX(nonce) AS n FROM lease_reports WHERE role = ? AND lane_src = ? AND lane_dst = ?")
      .get(role, src, dst) as { n: number | null };
    return r.n ?? 0;
  }
  /** Failure reports (refunds) recorded on a lane since `sinceMs`. */
  refundsSince(role: LeaseReportRow["role"], src: number, dst: number, sinceMs: number): number {
    const r = this.db
      .prepare(
        "SELECT COUNT(*) AS n FROM lease_reports WHERE role = ? AND lane_src = ? AND lane_dst = ? AND ok = 0 AND created_at >= ?",
      )
      .get(role, src, dst, sinceMs) as { n: number };
    return r.n;
  }

  /**
   * Record a report at `nonce` (a transaction: the purchase and the nonce are each used once per
   * role). `nonce` is computed inside the transaction by `pickNonce(lastNonceOnLane)`.
   */
  insert(
    r: Omit<LeaseReportRow, "id" | "createdAt" | "nonce" | "message" | "digest">,
    pickNonce: (last: number) => number,
    encode: (nonce: number) => { message: string; digest: string },
  ): LeaseReportRow {
    return this.db.transaction(() => {
      const existing = this.byPurchase(r.role, r.purchaseChain, r.keyId);
      if (existing) return existing;
      const nonce = pickNonce(this.lastNonce(r.role, r.laneSrc, r.laneDst));
      const { message, digest } = encode(nonce);
      this.db
        .prepare(
          "INSERT INTO lease_reports (role, lane_src, lane_dst, nonce, purchase_chain, key_id, ok, digest, message, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .run(r.role, r.laneSrc, r.laneDst, nonce, r.purchaseChain, r.keyId, r.ok ? 1 : 0, digest, message, this.now());
      return this.atNonce(r.role, r.laneSrc, r.laneDst, nonce)!;
    })();
  }
}

const TOPUP_SELECT = `SELECT id, source_chain AS "sourceChain", source_tx AS "sourceTx", log_index AS "logIndex", owner, dseq, amount_uact AS "amountUact", state, attempts,
  next_attempt_at AS "nextAttemptAt", last_error AS "lastError", deposit_tx AS "depositTx" FROM escrow_topups`;

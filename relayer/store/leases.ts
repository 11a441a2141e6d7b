// Persisted lease jobs: one row per purchase that asked for a deployment. The job columns
// (state, attempts, next_attempt_at, last_error, created_at, updated_at) have the shape the
// relayer's general durable queue uses, so that queue can list, requeue and meter lease jobs
// like its own; the Akash columns record every identifier needed to resume without a second
// deployment or lease (dseq reserved before the first broadcast, tx hashes recorded when signed,
// the chosen bid).
//
// Written once over the queue's driver (./sql.ts): SQLite (one file, default) or PostgreSQL, so a
// lease leader can keep its jobs in PostgreSQL like the queue. The schema text is SQLite's;
// PostgreSQL runs it with 64-bit integers and identity ids (`forPostgres`).
import type { Migration } from "./db";
import { openDriver, type Exec, type Param, type Row, type SqlDriver, type StoreSpec } from "./sql";

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
  /** the key holder the deployment's manifest is bound to (account word); null: unbound (a job recorded before migration 4) */
  holder: string | null;
  /** the Hexs chain the key resides on for `holder` */
  holderChain: string | null;
  createdAt: number;
  updatedAt: number;
}

export const LEASE_MIGRATIONS: Migration[] = withPostgres([
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
  {
    component: "leases",
    version: 3,
    description:
      "the deployment each LeaseReported names (one purchase per dseq) and the model each DAO top-up is for (hourly caps)",
    sql: `
ALTER TABLE lease_reports ADD COLUMN dseq TEXT;
CREATE INDEX lease_reports_dseq ON lease_reports (role, dseq);
ALTER TABLE escrow_topups ADD COLUMN model_id TEXT;
CREATE INDEX escrow_topups_model ON escrow_topups (source_chain, model_id, created_at);`,
  },
  {
    component: "leases",
    version: 4,
    description: "the key holder each deployment is bound to, and handover jobs (one per key transfer or move of a leased key)",
    sql: `
ALTER TABLE leases ADD COLUMN holder TEXT;
ALTER TABLE leases ADD COLUMN holder_chain TEXT;
CREATE TABLE handovers (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  lease_id        INTEGER NOT NULL REFERENCES leases (id),
  source_chain    TEXT    NOT NULL,
  source_tx       TEXT    NOT NULL,
  log_index       INTEGER NOT NULL,
  block           INTEGER NOT NULL,
  kind            TEXT    NOT NULL,
  to_holder       TEXT    NOT NULL,
  to_chain        TEXT    NOT NULL,
  state           TEXT    NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT,
  manifest_hash   TEXT,
  update_tx       TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  UNIQUE (source_chain, source_tx, log_index)
);
CREATE INDEX handovers_due ON handovers (state, next_attempt_at);
CREATE INDEX handovers_lease ON handovers (lease_id, id);
CREATE INDEX leases_key ON leases (key_id);`,
  },
  {
    component: "leases",
    version: 5,
    description: "what became of each done handover's LeaseHandedOver report (its lane reference, or why none was sent)",
    sql: `
ALTER TABLE handovers ADD COLUMN report TEXT;`,
  },
  {
    component: "leases",
    version: 6,
    description:
      "a handover's escrow accounting (what remained on the deployment, and whom it is accounted to) and its failure path (close tx, reason)",
    sql: `
ALTER TABLE handovers ADD COLUMN escrow_uact TEXT;
ALTER TABLE handovers ADD COLUMN escrow_to TEXT;
ALTER TABLE handovers ADD COLUMN close_tx TEXT;
ALTER TABLE handovers ADD COLUMN failure_reason TEXT;`,
  },
  {
    component: "leases",
    version: 7,
    description:
      "a handover's escrow payout: the value of a failed handover's returned escrow paid to the new holder on its chain, once (the signed tx persisted before broadcast)",
    sql: `
ALTER TABLE handovers ADD COLUMN payout_state TEXT;
ALTER TABLE handovers ADD COLUMN payout_to TEXT;
ALTER TABLE handovers ADD COLUMN payout_chain TEXT;
ALTER TABLE handovers ADD COLUMN payout_currency TEXT;
ALTER TABLE handovers ADD COLUMN payout_amount TEXT;
ALTER TABLE handovers ADD COLUMN payout_nonce INTEGER;
ALTER TABLE handovers ADD COLUMN payout_raw TEXT;
ALTER TABLE handovers ADD COLUMN payout_tx TEXT;
ALTER TABLE handovers ADD COLUMN payout_note TEXT;
ALTER TABLE handovers ADD COLUMN payout_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE handovers ADD COLUMN payout_next_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX handovers_payout ON handovers (payout_state, payout_next_at);`,
  },
]);

/** The same schema for PostgreSQL: times in milliseconds need 64 bits, ids are identities. */
function withPostgres(migrations: Migration[]): Migration[] {
  return migrations.map((m) => ({
    ...m,
    postgres: m.sql
      .replace(/INTEGER PRIMARY KEY AUTOINCREMENT/g, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
      .replace(/\bINTEGER\b/g, "BIGINT"),
  }));
}

/** Open (and migrate) the lease database: a SQLite file, ":memory:", or a PostgreSQL URL. */
export async function openLeaseDb(spec: StoreSpec | string): Promise<SqlDriver> {
  return openDriver(typeof spec === "string" ? storeSpec(spec) : spec, LEASE_MIGRATIONS);
}

/** `postgres://…` / `postgresql://…` names a PostgreSQL database; anything else a SQLite file. */
export function storeSpec(db: string): StoreSpec {
  return /^postgres(ql)?:\/\//.test(db) ? { postgres: db } : { sqlite: db };
}

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
  holder: "holder",
  holderChain: "holder_chain",
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
  /** the key holder the deployment is bound to (account word) and the chain the key resides on */
  holder?: string | null;
  holderChain?: string | null;
}

export type LeasePatch = Partial<Omit<LeaseRow, "id" | "purchaseChain" | "keyId" | "createdAt" | "updatedAt">>;

/**
 * A handover job: one per key transfer / move of a key with a lease job.
 *   pending    → MsgUpdateDeployment (new holder's manifest version) may or may not have been broadcast (update_tx)
 *   updated    → the deployment's version on Akash is the new holder's manifest; the manifest is PUT next
 *   done       → the provider accepted the new manifest; the lease job names the new holder (terminal)
 *   superseded → a later transfer of the same key on the same chain arrived before this one broadcast anything (terminal)
 *   skipped    → nothing to hand over: the lease failed or expired, or an earlier handover of it failed (terminal)
 *   closing    → the handover cannot complete: the deployment is closed (close_tx persisted when signed)
 *   failed     → deployment closed, its remaining escrow returned to the owner and accounted to the new holder (terminal)
 */
export const HANDOVER_STATES = ["pending", "updated", "done", "superseded", "skipped", "closing", "failed"] as const;
export type HandoverState = (typeof HANDOVER_STATES)[number];

export interface HandoverRow {
  id: number;
  leaseId: number;
  sourceChain: string;
  sourceTx: string;
  logIndex: number;
  block: number;
  kind: "transfer" | "move";
  toHolder: string;
  toChain: string;
  state: HandoverState;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  manifestHash: string | null;
  updateTx: string | null;
  /** a done handover's LeaseHandedOver: the lane reference once proposed, or why none is sent (null: to report) */
  report: string | null;
  /**
   * uact left in the deployment's escrow (LegacyDec as Akash reports it): for `done`, handed over
   * with the running deployment (priced into the sale); for `failed`, returned to the owner by the close
   */
  escrowUact: string | null;
  /** whom that escrow is accounted to: the new holder's account word (priced-in) */
  escrowTo: string | null;
  closeTx: string | null;
  failureReason: string | null;
  /**
   * The escrow payout (relayer/akash/payouts.ts): null = not decided yet; `owed` (amount fixed, no
   * tx signed), `sent` (payout_raw / payout_tx persisted before broadcast), `paid` (receipt seen),
   * `none` (nothing to pay: payout_note says why). Only failed handovers owe one.
   */
  payoutState: "owed" | "sent" | "paid" | "none" | null;
  /** the recipient's address on `payoutChain` */
  payoutTo: string | null;
  payoutChain: string | null;
  /** 0x0…0 = the chain's native coin, else the ERC-20 */
  payoutCurrency: string | null;
  /** smallest units of payoutCurrency */
  payoutAmount: string | null;
  payoutNonce: number | null;
  payoutRaw: string | null;
  payoutTx: string | null;
  payoutNote: string | null;
  payoutAttempts: number;
  payoutNextAt: number;
  createdAt: number;
  updatedAt: number;
}

export type NewHandover = Pick<
  HandoverRow,
  "leaseId" | "sourceChain" | "sourceTx" | "logIndex" | "block" | "kind" | "toHolder" | "toChain"
>;
export type HandoverPatch = Partial<
  Pick<
    HandoverRow,
    | "state"
    | "attempts"
    | "nextAttemptAt"
    | "lastError"
    | "manifestHash"
    | "updateTx"
    | "report"
    | "escrowUact"
    | "escrowTo"
    | "closeTx"
    | "failureReason"
    | "payoutState"
    | "payoutTo"
    | "payoutChain"
    | "payoutCurrency"
    | "payoutAmount"
    | "payoutNonce"
    | "payoutRaw"
    | "payoutTx"
    | "payoutNote"
    | "payoutAttempts"
    | "payoutNextAt"
  >
>;

const HANDOVER_COLUMNS: Record<keyof HandoverRow, string> = {
  id: "id",
  leaseId: "lease_id",
  sourceChain: "source_chain",
  sourceTx: "source_tx",
  logIndex: "log_index",
  block: "block",
  kind: "kind",
  toHolder: "to_holder",
  toChain: "to_chain",
  state: "state",
  attempts: "attempts",
  nextAttemptAt: "next_attempt_at",
  lastError: "last_error",
  manifestHash: "manifest_hash",
  updateTx: "update_tx",
  report: "report",
  escrowUact: "escrow_uact",
  escrowTo: "escrow_to",
  closeTx: "close_tx",
  failureReason: "failure_reason",
  payoutState: "payout_state",
  payoutTo: "payout_to",
  payoutChain: "payout_chain",
  payoutCurrency: "payout_currency",
  payoutAmount: "payout_amount",
  payoutNonce: "payout_nonce",
  payoutRaw: "payout_raw",
  payoutTx: "payout_tx",
  payoutNote: "payout_note",
  payoutAttempts: "payout_attempts",
  payoutNextAt: "payout_next_at",
  createdAt: "created_at",
  updatedAt: "updated_at",
};
const HANDOVER_SELECT = `SELECT ${Object.entries(HANDOVER_COLUMNS)
  .map(([k, c]) => `${c} AS "${k}"`)
  .join(", ")} FROM handovers`;
const HANDOVER_INTEGERS = new Set([
  "id",
  "leaseId",
  "logIndex",
  "block",
  "attempts",
  "nextAttemptAt",
  "payoutNonce",
  "payoutAttempts",
  "payoutNextAt",
  "createdAt",
  "updatedAt",
]);
function toHandover(r: Row): HandoverRow {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(HANDOVER_COLUMNS)) {
    const v = r[k] ?? null;
    out[k] = v !== null && HANDOVER_INTEGERS.has(k) ? Number(v) : v;
  }
  return out as unknown as HandoverRow;
}

export interface EscrowTopupRow {
  id: number;
  sourceChain: string;
  sourceTx: string;
  logIndex: number;
  owner: string;
  dseq: string;
  amountUact: string;
  /** refused: the spend failed a check (last_error says which); never deposited */
  state: "pending" | "deposited" | "skipped" | "refused";
  modelId: string | null;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  depositTx: string | null;
}

const TERMINAL_SQL = `(${TERMINAL_STATES.map((s) => `'${s}'`).join(", ")})`;

export class LeaseStore {
  constructor(
    readonly driver: SqlDriver,
    private readonly now: () => number = Date.now,
  ) {}

  /** Open (and migrate) a lease store on its own connection. */
  static async open(spec: StoreSpec | string, now?: () => number): Promise<LeaseStore> {
    return new LeaseStore(await openLeaseDb(spec), now);
  }

  close(): Promise<void> {
    return this.driver.close();
  }

  /** `FOR UPDATE` on PostgreSQL (SQLite's write transaction already excludes other writers) */
  private get forUpdate(): string {
    return this.driver.dialect === "postgres" ? " FOR UPDATE" : "";
  }

  /** Insert a lease job for a purchase; a second call for the same purchase returns the first row. */
  async insert(l: NewLease): Promise<LeaseRow> {
    const t = this.now();
    await this.driver.run(
      `INSERT INTO leases (purchase_chain, key_id, model_id, buyer, params_json, akash_chain, owner, state, attempts, next_attempt_at, expires_at, holder, holder_chain, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'requested', 0, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (purchase_chain, key_id) DO NOTHING`,
      [
        l.purchaseChain,
        l.keyId,
        l.modelId,
        l.buyer,
        l.paramsJson,
        l.akashChain,
        l.owner,
        t,
        l.expiresAt ?? null,
        l.holder ?? null,
        l.holder ? (l.holderChain ?? l.purchaseChain) : null,
        t,
        t,
      ],
    );
    return (await this.byPurchase(l.purchaseChain, l.keyId))!;
  }

  get(id: number): Promise<LeaseRow> {
    return getLease(this.driver, id);
  }
  async byPurchase(purchaseChain: string, keyId: string): Promise<LeaseRow | undefined> {
    const [r] = await this.driver.all(`${SELECT} WHERE purchase_chain = ? AND key_id = ?`, [purchaseChain, keyId]);
    return r && toLease(r);
  }
  async byDeployment(akashChain: string, owner: string, dseq: string): Promise<LeaseRow | undefined> {
    const [r] = await this.driver.all(`${SELECT} WHERE akash_chain = ? AND owner = ? AND dseq = ?`, [akashChain, owner, dseq]);
    return r && toLease(r);
  }
  /** Jobs not in a terminal state whose next attempt is due. */
  async due(limit = 50): Promise<LeaseRow[]> {
    const rows = await this.driver.all(
      `${SELECT} WHERE state NOT IN ${TERMINAL_SQL} AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
      [this.now(), limit],
    );
    return rows.map(toLease);
  }
  /** Successful leases whose key has expired (expires_at in seconds). */
  async expired(nowSeconds: number): Promise<LeaseRow[]> {
    const rows = await this.driver.all(
      `${SELECT} WHERE state = 'reported' AND expires_at IS NOT NULL AND expires_at > 0 AND expires_at <= ? ORDER BY id`,
      [nowSeconds],
    );
    return rows.map(toLease);
  }
  /** How many jobs are in each state (the relayer's lease gauges). */
  async counts(): Promise<Record<string, number>> {
    const rows = await this.driver.all(`SELECT state, COUNT(*) AS n FROM leases GROUP BY state`);
    return Object.fromEntries(rows.map((r) => [String(r.state), Number(r.n)]));
  }
  async all(): Promise<LeaseRow[]> {
    return (await this.driver.all(`${SELECT} ORDER BY id`)).map(toLease);
  }

  /** Update columns; a state change is logged in lease_events. Returns the new row. */
  update(id: number, patch: LeasePatch, detail?: string): Promise<LeaseRow> {
    return this.driver.tx((e) => this.updateIn(e, id, patch, detail));
  }

  private async updateIn(e: Exec, id: number, patch: LeasePatch, detail?: string): Promise<LeaseRow> {
    const before = await getLease(e, id, this.forUpdate);
    const entries = Object.entries(patch).filter(([, v]) => v !== undefined) as [keyof LeasePatch, Param][];
    const t = this.now();
    if (entries.length) {
      const sets = entries.map(([k]) => `${COLUMNS[k]} = ?`).join(", ");
      await e.run(`UPDATE leases SET ${sets}, updated_at = ? WHERE id = ?`, [...entries.map(([, v]) => v), t, id]);
    }
    if (patch.state && patch.state !== before.state) {
      await e.run("INSERT INTO lease_events (lease_id, at, from_state, to_state, detail) VALUES (?, ?, ?, ?, ?)", [
        id,
        t,
        before.state,
        patch.state,
        detail ?? null,
      ]);
    }
    return getLease(e, id);
  }

  /**
   * Reserve the next dseq for (akashChain, owner) — at least `floor` (the chain height, as the
   * Akash CLI does) and above every dseq this store handed out — and persist it on the job in
   * the same transaction. Idempotent: a job that already has a dseq keeps it.
   */
  reserveDseq(id: number, floor: bigint): Promise<LeaseRow> {
    return this.driver.tx(async (e) => {
      const row = await getLease(e, id, this.forUpdate);
      if (row.dseq) return row;
      // the counter row exists before it is read, so PostgreSQL can lock it (FOR UPDATE)
      await e.run(
        "INSERT INTO dseq_counters (akash_chain, owner, last_dseq) VALUES (?, ?, '0') ON CONFLICT (akash_chain, owner) DO NOTHING",
        [row.akashChain, row.owner],
      );
      const [counter] = await e.all<{ last_dseq: string }>(
        `SELECT last_dseq FROM dseq_counters WHERE akash_chain = ? AND owner = ?${this.forUpdate}`,
        [row.akashChain, row.owner],
      );
      const last = counter ? BigInt(counter.last_dseq) : 0n;
      const dseq = (last + 1n > floor ? last + 1n : floor).toString();
      await e.run(
        "INSERT INTO dseq_counters (akash_chain, owner, last_dseq) VALUES (?, ?, ?) ON CONFLICT (akash_chain, owner) DO UPDATE SET last_dseq = excluded.last_dseq",
        [row.akashChain, row.owner, dseq],
      );
      return this.updateIn(e, id, { dseq, state: "dseq_reserved" }, `dseq ${dseq}`);
    });
  }

  async events(id: number): Promise<{ at: number; fromState: string | null; toState: string; detail: string | null }[]> {
    const rows = await this.driver.all(
      'SELECT at, from_state AS "fromState", to_state AS "toState", detail FROM lease_events WHERE lease_id = ? ORDER BY id',
      [id],
    );
    return rows.map((r) => ({
      at: Number(r.at),
      fromState: (r.fromState as string | null) ?? null,
      toState: String(r.toState),
      detail: (r.detail as string | null) ?? null,
    }));
  }

  // ------------------------------------------------------------------ handovers

  /** The lease job of a key (ids are global), newest first if a key was ever bought twice. */
  async byKey(keyId: string): Promise<LeaseRow | undefined> {
    const [r] = await this.driver.all(`${SELECT} WHERE key_id = ? ORDER BY id DESC LIMIT 1`, [keyId]);
    return r && toLease(r);
  }

  /** Record a handover once per source event. Returns the row (existing or new). */
  async insertHandover(h: NewHandover): Promise<HandoverRow> {
    const t = this.now();
    await this.driver.run(
      `INSERT INTO handovers (lease_id, source_chain, source_tx, log_index, block, kind, to_holder, to_chain, state, attempts, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?) ON CONFLICT (source_chain, source_tx, log_index) DO NOTHING`,
      [h.leaseId, h.sourceChain, h.sourceTx, h.logIndex, h.block, h.kind, h.toHolder.toLowerCase(), h.toChain, t, t, t],
    );
    const [r] = await this.driver.all(`${HANDOVER_SELECT} WHERE source_chain = ? AND source_tx = ? AND log_index = ?`, [
      h.sourceChain,
      h.sourceTx,
      h.logIndex,
    ]);
    return toHandover(r);
  }
  async handover(id: number): Promise<HandoverRow> {
    const [r] = await this.driver.all(`${HANDOVER_SELECT} WHERE id = ?`, [id]);
    if (!r) throw new Error(`handover ${id} does not exist in this store`);
    return toHandover(r);
  }
  /** A lease's handovers in feed order (per source chain: block, then log index). */
  async handoversOf(leaseId: number): Promise<HandoverRow[]> {
    return (await this.driver.all(`${HANDOVER_SELECT} WHERE lease_id = ? ORDER BY block, log_index, id`, [leaseId])).map(
      toHandover,
    );
  }
  /** Leases with an open handover due now. */
  async leasesWithDueHandovers(limit = 50): Promise<number[]> {
    const rows = await this.driver.all(
      `SELECT DISTINCT lease_id AS "leaseId" FROM handovers WHERE state IN ('pending', 'updated', 'closing') AND next_attempt_at <= ? ORDER BY lease_id LIMIT ?`,
      [this.now(), limit],
    );
    return rows.map((r) => Number(r.leaseId));
  }
  /** Done handovers whose LeaseHandedOver is not settled yet (no report reference), due now, oldest first. */
  async handoversToReport(limit = 50): Promise<HandoverRow[]> {
    return (
      await this.driver.all(
        `${HANDOVER_SELECT} WHERE state = 'done' AND report IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?`,
        [this.now(), limit],
      )
    ).map(toHandover);
  }
  /** Failed handovers whose escrow payout is undecided or not settled (owed / sent), due now, oldest first. */
  async handoversToPay(limit = 50): Promise<HandoverRow[]> {
    return (
      await this.driver.all(
        `${HANDOVER_SELECT} WHERE state = 'failed' AND (payout_state IS NULL OR payout_state IN ('owed', 'sent')) AND payout_next_at <= ? ORDER BY id LIMIT ?`,
        [this.now(), limit],
      )
    ).map(toHandover);
  }
  /** A payout's receipt was seen: `paid`, with an `escrow_paid` entry in the lease's log (one transaction). */
  payHandover(id: number, detail: string): Promise<HandoverRow> {
    return this.driver.tx(async (e) => {
      const [r] = await e.all(`${HANDOVER_SELECT} WHERE id = ?${this.forUpdate}`, [id]);
      const h = toHandover(r);
      const t = this.now();
      await e.run(
        "UPDATE handovers SET payout_state = 'paid', payout_attempts = 0, payout_note = ?, updated_at = ? WHERE id = ?",
        [detail.slice(0, 1000), t, id],
      );
      await e.run("INSERT INTO lease_events (lease_id, at, from_state, to_state, detail) VALUES (?, ?, ?, ?, ?)", [
        h.leaseId,
        t,
        "handover_failed",
        "escrow_paid",
        detail,
      ]);
      const [after] = await e.all(`${HANDOVER_SELECT} WHERE id = ?`, [id]);
      return toHandover(after);
    });
  }
  async updateHandover(id: number, patch: HandoverPatch): Promise<HandoverRow> {
    const entries = Object.entries(patch).filter(([, v]) => v !== undefined) as [keyof HandoverRow, Param][];
    if (entries.length)
      await this.driver.run(
        `UPDATE handovers SET ${entries.map(([k]) => `${HANDOVER_COLUMNS[k]} = ?`).join(", ")}, updated_at = ? WHERE id = ?`,
        [...entries.map(([, v]) => v), this.now(), id],
      );
    return this.handover(id);
  }
  /** The provider runs the new holder's manifest: the handover is done and the lease job names the holder (one transaction). */
  completeHandover(id: number, detail: string, escrow?: { uact: string | null; to: string }): Promise<HandoverRow> {
    return this.driver.tx(async (e) => {
      const [r] = await e.all(`${HANDOVER_SELECT} WHERE id = ?${this.forUpdate}`, [id]);
      const h = toHandover(r);
      const t = this.now();
      await e.run(
        "UPDATE handovers SET state = 'done', attempts = 0, last_error = NULL, escrow_uact = ?, escrow_to = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?",
        [escrow?.uact ?? null, escrow?.to ?? null, t, t, id],
      );
      await e.run("UPDATE leases SET holder = ?, holder_chain = ?, manifest_hash = ?, updated_at = ? WHERE id = ?", [
        h.toHolder,
        h.toChain,
        h.manifestHash,
        t,
        h.leaseId,
      ]);
      await e.run("INSERT INTO lease_events (lease_id, at, from_state, to_state, detail) VALUES (?, ?, ?, ?, ?)", [
        h.leaseId,
        t,
        "handover",
        "handover",
        detail,
      ]);
      const [after] = await e.all(`${HANDOVER_SELECT} WHERE id = ?`, [id]);
      return toHandover(after);
    });
  }
  /**
   * The handover could not complete and its deployment is closed: `failed`, with the escrow the
   * close returned accounted to `escrowTo` (already recorded before the close), and a
   * `handover_failed` entry in the lease's log (one transaction).
   */
  failHandover(id: number, detail: string): Promise<HandoverRow> {
    return this.driver.tx(async (e) => {
      const [r] = await e.all(`${HANDOVER_SELECT} WHERE id = ?${this.forUpdate}`, [id]);
      const h = toHandover(r);
      const t = this.now();
      await e.run(
        "UPDATE handovers SET state = 'failed', attempts = 0, last_error = NULL, escrow_uact = COALESCE(escrow_uact, '0'), escrow_to = COALESCE(escrow_to, to_holder), next_attempt_at = ?, updated_at = ? WHERE id = ?",
        [t, t, id],
      );
      await e.run("INSERT INTO lease_events (lease_id, at, from_state, to_state, detail) VALUES (?, ?, ?, ?, ?)", [
        h.leaseId,
        t,
        "handover",
        "handover_failed",
        detail,
      ]);
      const [after] = await e.all(`${HANDOVER_SELECT} WHERE id = ?`, [id]);
      return toHandover(after);
    });
  }
  /**
   * The escrow accounted by handovers, by outcome: `handed_over` (done: left on the running
   * deployment for the new holder) and `refunded` (failed: returned to the owner by the close, owed
   * to the new holder), and of those `paid` (their value paid to the new holder, receipt seen).
   * uact LegacyDec strings summed exactly, returned as whole uact.
   */
  async handoverEscrow(): Promise<{ handed_over: bigint; refunded: bigint; paid: bigint }> {
    const rows = await this.driver.all(
      "SELECT state, escrow_uact AS e, payout_state AS p FROM handovers WHERE state IN ('done', 'failed') AND escrow_uact IS NOT NULL",
    );
    const out = { handed_over: 0n, refunded: 0n, paid: 0n };
    for (const r of rows) {
      out[r.state === "done" ? "handed_over" : "refunded"] += uactOf(String(r.e));
      if (r.p === "paid") out.paid += uactOf(String(r.e));
    }
    return out;
  }
  /** How many handovers are in each state (`retrying`: pending or updated after a failed attempt). */
  async handoverCounts(): Promise<Record<string, number>> {
    const rows = await this.driver.all(
      `SELECT CASE WHEN state IN ('pending', 'updated') AND attempts > 0 THEN 'retrying' ELSE state END AS s, COUNT(*) AS n FROM handovers GROUP BY 1`,
    );
    const out: Record<string, number> = Object.fromEntries(HANDOVER_STATES.map((s) => [s, 0]));
    out.retrying = 0;
    for (const r of rows) out[String(r.s)] = Number(r.n);
    return out;
  }

  // ------------------------------------------------------------------ escrow top-ups

  /** Record a top-up request once per source event. Returns the row (existing or new). */
  async insertTopup(t: {
    sourceChain: string;
    sourceTx: string;
    logIndex: number;
    owner: string;
    dseq: string;
    amountUact: string;
    /** the model whose DAO paid (hourly caps count per model) */
    modelId?: string;
    /** a refused spend is recorded (once, with why) so that it is visible and never re-checked */
    refused?: string;
  }): Promise<EscrowTopupRow> {
    const now = this.now();
    await this.driver.run(
      `INSERT INTO escrow_topups (source_chain, source_tx, log_index, owner, dseq, amount_uact, model_id, state, last_error, attempts, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT (source_chain, source_tx, log_index) DO NOTHING`,
      [
        t.sourceChain,
        t.sourceTx,
        t.logIndex,
        t.owner,
        t.dseq,
        t.amountUact,
        t.modelId ?? null,
        t.refused === undefined ? "pending" : "refused",
        t.refused ?? null,
        now,
        now,
        now,
      ],
    );
    return (await this.topupBySource(t.sourceChain, t.sourceTx, t.logIndex))!;
  }
  async topupBySource(sourceChain: string, sourceTx: string, logIndex: number): Promise<EscrowTopupRow | undefined> {
    const [r] = await this.driver.all(`${TOPUP_SELECT} WHERE source_chain = ? AND source_tx = ? AND log_index = ?`, [
      sourceChain,
      sourceTx,
      logIndex,
    ]);
    return r && toTopup(r);
  }
  /** The top-ups (not refused) accepted for one model of one chain since `sinceMs`: the hourly cap's window. */
  async topupsSince(sourceChain: string, modelId: string, sinceMs: number): Promise<EscrowTopupRow[]> {
    return (
      await this.driver.all(
        `${TOPUP_SELECT} WHERE source_chain = ? AND model_id = ? AND state <> 'refused' AND created_at >= ? ORDER BY id`,
        [sourceChain, modelId, sinceMs],
      )
    ).map(toTopup);
  }
  async dueTopups(): Promise<EscrowTopupRow[]> {
    return (
      await this.driver.all(`${TOPUP_SELECT} WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id`, [this.now()])
    ).map(toTopup);
  }
  async updateTopup(
    id: number,
    patch: Partial<Pick<EscrowTopupRow, "state" | "attempts" | "nextAttemptAt" | "lastError" | "depositTx">>,
  ): Promise<void> {
    const cols: Record<string, string> = {
      state: "state",
      attempts: "attempts",
      nextAttemptAt: "next_attempt_at",
      lastError: "last_error",
      depositTx: "deposit_tx",
    };
    const entries = Object.entries(patch).filter(([, v]) => v !== undefined) as [string, Param][];
    if (!entries.length) return;
    await this.driver.run(
      `UPDATE escrow_topups SET ${entries.map(([k]) => `${cols[k]} = ?`).join(", ")}, updated_at = ? WHERE id = ?`,
      [...entries.map(([, v]) => v), this.now(), id],
    );
  }
}

async function getLease(e: Exec, id: number, lock = ""): Promise<LeaseRow> {
  const [r] = await e.all(`${SELECT} WHERE id = ?${lock}`, [id]);
  if (!r) throw new Error(`lease job ${id} does not exist in this store`);
  return toLease(r);
}

/** Integer columns come back as numbers from both backends (PostgreSQL BIGINT via the driver's parser). */
const INTEGER_COLUMNS = new Set<string>([
  "id",
  "attempts",
  "nextAttemptAt",
  "bidsDeadlineAt",
  "gseq",
  "oseq",
  "bseq",
  "expiresAt",
  "createdAt",
  "updatedAt",
]);
function toLease(r: Row): LeaseRow {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(COLUMNS)) {
    const v = r[k] ?? null;
    out[k] = v !== null && INTEGER_COLUMNS.has(k) ? Number(v) : v;
  }
  return out as unknown as LeaseRow;
}

function toTopup(r: Row): EscrowTopupRow {
  return {
    ...r,
    id: Number(r.id),
    logIndex: Number(r.logIndex),
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.nextAttemptAt),
  } as unknown as EscrowTopupRow;
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
  /** the Akash deployment the report names ("0" or null: none) */
  dseq: string | null;
  digest: string;
  message: string;
  createdAt: number;
}

const REPORT_SELECT = `SELECT id, role, lane_src AS "laneSrc", lane_dst AS "laneDst", nonce, purchase_chain AS "purchaseChain", key_id AS "keyId", ok, dseq, digest, message,
  created_at AS "createdAt" FROM lease_reports`;
const toReport = (r: Row): LeaseReportRow =>
  ({
    ...r,
    id: Number(r.id),
    laneSrc: Number(r.laneSrc),
    laneDst: Number(r.laneDst),
    nonce: Number(r.nonce),
    ok: Number(r.ok) === 1,
    createdAt: Number(r.createdAt),
  }) as unknown as LeaseReportRow;

/** Feed cursors and LeaseReported lane records (same database as the lease jobs). */
export class LeaseReportStore {
  constructor(
    readonly driver: SqlDriver,
    private readonly now: () => number = Date.now,
  ) {}

  /** Open (and migrate) a report store on its own connection. */
  static async open(spec: StoreSpec | string, now?: () => number): Promise<LeaseReportStore> {
    return new LeaseReportStore(await openLeaseDb(spec), now);
  }

  close(): Promise<void> {
    return this.driver.close();
  }

  async cursor(source: string): Promise<number | undefined> {
    const [r] = await this.driver.all("SELECT height FROM akash_cursors WHERE source = ?", [source]);
    return r ? Number(r.height) : undefined;
  }
  async setCursor(source: string, height: number): Promise<void> {
    await this.driver.run(
      "INSERT INTO akash_cursors (source, height, updated_at) VALUES (?, ?, ?) ON CONFLICT (source) DO UPDATE SET height = excluded.height, updated_at = excluded.updated_at",
      [source, height, this.now()],
    );
  }

  byPurchase(role: LeaseReportRow["role"], purchaseChain: string, keyId: string): Promise<LeaseReportRow | undefined> {
    return reportByPurchase(this.driver, role, purchaseChain, keyId);
  }
  atNonce(role: LeaseReportRow["role"], src: number, dst: number, nonce: number): Promise<LeaseReportRow | undefined> {
    return reportAtNonce(this.driver, role, src, dst, nonce);
  }
  /** The lane's records above `afterNonce`, lowest first. */
  async laneAfter(
    role: LeaseReportRow["role"],
    src: number,
    dst: number,
    afterNonce: number,
    limit = 64,
  ): Promise<LeaseReportRow[]> {
    const rows = await this.driver.all(
      `${REPORT_SELECT} WHERE role = ? AND lane_src = ? AND lane_dst = ? AND nonce > ? ORDER BY nonce LIMIT ?`,
      [role, src, dst, afterNonce, limit],
    );
    return rows.map(toReport);
  }
  lastNonce(role: LeaseReportRow["role"], src: number, dst: number): Promise<number> {
    return lastReportNonce(this.driver, role, src, dst);
  }
  /** The lease (an ok report, on any lane) that named deployment `dseq`, if one did: a deployment serves one purchase. */
  async leaseByDseq(role: LeaseReportRow["role"], dseq: string): Promise<LeaseReportRow | undefined> {
    const [r] = await this.driver.all(`${REPORT_SELECT} WHERE role = ? AND dseq = ? AND ok = 1 ORDER BY id LIMIT 1`, [
      role,
      dseq,
    ]);
    return r && toReport(r);
  }
  /**
   * The highest LeaseHandedOver number recorded for a key (0: none). A handover report is a
   * lane record like a lease report, its key_id written `keyId/handover/number` (one per number).
   */
  async lastHandover(role: LeaseReportRow["role"], purchaseChain: string, keyId: string): Promise<number> {
    const rows = await this.driver.all(
      "SELECT key_id AS k FROM lease_reports WHERE role = ? AND purchase_chain = ? AND key_id LIKE ?",
      [role, purchaseChain, `${keyId}/handover/%`],
    );
    return rows.reduce((max, r) => Math.max(max, Number(String(r.k).split("/")[2])), 0);
  }
  /** Failure reports (refunds) recorded on a lane since `sinceMs`. */
  async refundsSince(role: LeaseReportRow["role"], src: number, dst: number, sinceMs: number): Promise<number> {
    const [r] = await this.driver.all(
      "SELECT COUNT(*) AS n FROM lease_reports WHERE role = ? AND lane_src = ? AND lane_dst = ? AND ok = 0 AND created_at >= ?",
      [role, src, dst, sinceMs],
    );
    return Number(r.n);
  }

  /**
   * Record a report at `nonce` (a transaction: the purchase and the nonce are each used once per
   * role). `nonce` is computed inside the transaction by `pickNonce(lastNonceOnLane)`.
   */
  insert(
    r: Omit<LeaseReportRow, "id" | "createdAt" | "nonce" | "message" | "digest" | "dseq"> & { dseq?: string | null },
    pickNonce: (last: number) => number,
    encode: (nonce: number) => { message: string; digest: string },
  ): Promise<LeaseReportRow> {
    return this.driver.tx(async (e) => {
      // PostgreSQL: one writer of report nonces at a time (SQLite's write transaction already is)
      if (this.driver.dialect === "postgres") await e.run("SELECT pg_advisory_xact_lock(7243013)");
      const existing = await reportByPurchase(e, r.role, r.purchaseChain, r.keyId);
      if (existing) return existing;
      const nonce = pickNonce(await lastReportNonce(e, r.role, r.laneSrc, r.laneDst));
      const { message, digest } = encode(nonce);
      await e.run(
        "INSERT INTO lease_reports (role, lane_src, lane_dst, nonce, purchase_chain, key_id, ok, dseq, digest, message, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
          r.role,
          r.laneSrc,
          r.laneDst,
          nonce,
          r.purchaseChain,
          r.keyId,
          r.ok ? 1 : 0,
          r.dseq ?? null,
          digest,
          message,
          this.now(),
        ],
      );
      return (await reportAtNonce(e, r.role, r.laneSrc, r.laneDst, nonce))!;
    });
  }
}

async function reportByPurchase(
  e: Exec,
  role: LeaseReportRow["role"],
  purchaseChain: string,
  keyId: string,
): Promise<LeaseReportRow | undefined> {
  const [r] = await e.all(`${REPORT_SELECT} WHERE role = ? AND purchase_chain = ? AND key_id = ?`, [role, purchaseChain, keyId]);
  return r && toReport(r);
}

async function reportAtNonce(
  e: Exec,
  role: LeaseReportRow["role"],
  src: number,
  dst: number,
  nonce: number,
): Promise<LeaseReportRow | undefined> {
  const [r] = await e.all(`${REPORT_SELECT} WHERE role = ? AND lane_src = ? AND lane_dst = ? AND nonce = ?`, [
    role,
    src,
    dst,
    nonce,
  ]);
  return r && toReport(r);
}

async function lastReportNonce(e: Exec, role: LeaseReportRow["role"], src: number, dst: number): Promise<number> {
  const [r] = await e.all("SELECT MAX(nonce) AS n FROM lease_reports WHERE role = ? AND lane_src = ? AND lane_dst = ?", [
    role,
    src,
    dst,
  ]);
  return r?.n == null ? 0 : Number(r.n);
}

const TOPUP_SELECT = `SELECT id, source_chain AS "sourceChain", source_tx AS "sourceTx", log_index AS "logIndex", owner, dseq, amount_uact AS "amountUact", state, model_id AS "modelId", attempts,
  next_attempt_at AS "nextAttemptAt", last_error AS "lastError", deposit_tx AS "depositTx" FROM escrow_topups`;

/** Whole uact of a LegacyDec / integer amount string (the fraction is dropped). */
function uactOf(dec: string): bigint {
  const m = /^(\d+)(?:\.\d*)?$/.exec(dec.trim());
  return m ? BigInt(m[1]) : 0n;
}

export { openDb, migrate, type Db, type Migration } from "./db";
export {
  LeaseStore,
  LeaseReportStore,
  LEASE_STATES,
  TERMINAL_STATES,
  type LeaseReportRow,
  type LeaseRow,
  type LeaseState,
  type LeasePatch,
  type NewLease,
  type EscrowTopupRow,
} from "./leases";
export {
  OpStore,
  OPS_MIGRATIONS,
  OP_STATES,
  PENDING_STATES,
  opId,
  type Op,
  type OpState,
  type NewOp,
  type LaneRef,
  type Cursor,
  type BlockRef,
} from "./ops";
export { SqliteDriver, PostgresDriver, type SqlDriver, type Exec } from "./sql";

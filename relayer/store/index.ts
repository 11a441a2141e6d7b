export { openDb, migrate, type Db, type Migration } from "./db";
export {
  LeaseStore,
  LeaseReportStore,
  LEASE_MIGRATIONS,
  openLeaseDb,
  storeSpec,
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
export { SqliteDriver, PostgresDriver, openDriver, type SqlDriver, type Exec, type StoreSpec } from "./sql";

export { openDb, migrate, type Db, type Migration } from "./db";
export { LeaseStore, LEASE_STATES, TERMINAL_STATES, type LeaseRow, type LeaseState, type LeasePatch, type NewLease, type EscrowTopupRow } from "./leases";

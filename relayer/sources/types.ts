// What every source (one per chain family) offers the runtime: one poll step that reads the next
// finalized range, turns the chain's outbound events into operations and moves the persisted
// cursor in the same transaction.
export interface PollResult {
  /** chain head seen by this poll */
  head: number;
  /** cursor after the poll (last height fully processed) */
  cursor: number;
  /** new operations stored by this poll */
  observed: number;
  /** a reorg was found and the cursor rewound */
  reorg?: { toHeight: number; dropped: number };
  /** more finalized blocks are waiting (poll again at once) */
  behind: boolean;
}

export interface Source {
  readonly name: string;
  readonly hexsChainId: number;
  readonly pollIntervalMs: number;
  /** cap on the source loop's backoff after failed polls (default 5 s) */
  readonly retryMaxMs?: number;
  /** check the chain and contract (e.g. the hub's Hexs chain id); throws with an actionable message */
  init(): Promise<void>;
  poll(): Promise<PollResult>;
  /** optional push: resolves when the chain has a new head (undefined: none available, poll on the interval) */
  nextHead?(): Promise<void> | undefined;
  close(): Promise<void>;
}

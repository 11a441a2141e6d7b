// What the app reads: models (with lineage), each chain's copy of a model, prices per chain and
// currency, and key sales per chain. Ids are the protocol's global ids (Hexs chain << 32 | serial).
import { index, onchainTable } from "ponder";

export const model = onchainTable("model", (t) => ({
  id: t.bigint().primaryKey(),
  /** Hexs chain the model was published on (the id's upper 32 bits). */
  homeChain: t.integer().notNull(),
  creator: t.hex().notNull(),
  /**
   * The creator as its home chain spells it, for a model published on a chain the indexer does not
   * read (e.g. `wasm1…` on the CosmWasm chain; `creator` is then the EVM registries' stand-in address).
   */
  creatorAccount: t.text(),
  /** 0 for a root model. */
  parentId: t.bigint().notNull(),
  depth: t.integer(),
  /** The parent's cut of this model's revenue (bps), i.e. the royalty share of the edge to its parent. */
  upstreamBps: t.integer(),
  /** What each direct fork owes this model (bps). */
  forkRoyaltyBps: t.integer(),
  daoBps: t.integer(),
  forkable: t.boolean(),
  retired: t.boolean().notNull().default(false),
  contentCommitment: t.hex(),
  parentCommitment: t.hex(),
  sdlLocator: t.text(),
  metadataUri: t.text(),
  /** Unix seconds of the home chain's block that published it (null until that block is indexed). */
  publishedAt: t.bigint(),
  /** Sales on every chain, and the sales of every descendant counted to this model (for trending). */
  sales: t.integer().notNull().default(0),
  lineageSales: t.integer().notNull().default(0),
}));

export const modelChain = onchainTable(
  "model_chain",
  (t) => ({
    id: t.text().primaryKey(), // `${hexsChain}:${modelId}`
    modelId: t.bigint().notNull(),
    hexsChain: t.integer().notNull(),
    keys: t.hex().notNull(),
    mirrored: t.boolean().notNull(),
    keysSold: t.integer().notNull().default(0),
    block: t.bigint().notNull(),
  }),
  (t) => ({ byModel: index().on(t.modelId) }),
);

export const price = onchainTable(
  "price",
  (t) => ({
    id: t.text().primaryKey(), // `${hexsChain}:${modelId}:${currency}`
    modelId: t.bigint().notNull(),
    hexsChain: t.integer().notNull(),
    currency: t.hex().notNull(),
    keyPrice: t.bigint().notNull(),
    deploymentPrice: t.bigint().notNull(),
    listed: t.boolean().notNull(),
    updatedAt: t.bigint().notNull(),
  }),
  (t) => ({ byModel: index().on(t.modelId) }),
);

export const sale = onchainTable(
  "sale",
  (t) => ({
    id: t.text().primaryKey(), // `${hexsChain}:${txHash}:${logIndex}`
    keyId: t.bigint().notNull(),
    modelId: t.bigint().notNull(),
    hexsChain: t.integer().notNull(),
    buyer: t.hex().notNull(),
    recipient: t.hex().notNull(),
    currency: t.hex().notNull(),
    keyPrice: t.bigint().notNull(),
    deploymentEscrow: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    /**
     * "market": read from the chain's own HexsMarket (Purchased). "mirrored": a sale on a chain the
     * indexer does not read (the CosmWasm chain), from the PurchaseSettled fact its relayers
     * delivered to an indexed hub; then `currency` is the codec's currency bytes (a denom's ASCII),
     * `keyPrice` the total paid, `timestamp` when the first hub received it, `txHash` that delivery.
     */
    source: t.text().notNull().default("market"),
    /** The indexed chain whose hub reported a mirrored sale first (null for "market"). */
    reportedBy: t.integer(),
  }),
  (t) => ({ byModel: index().on(t.modelId), byTime: index().on(t.timestamp) }),
);

/** A model's key collection (KeyNFT clone) on a chain, to find the model of a key event. */
export const keyCollection = onchainTable("key_collection", (t) => ({
  id: t.text().primaryKey(), // `${hexsChain}:${keys address, lowercase}`
  modelId: t.bigint().notNull(),
  hexsChain: t.integer().notNull(),
}));

/**
 * A key as held on one chain: minted there (bought, or arrived by a move), transferred, and gone
 * (`held` false) once burned or moved away. A key that moved has one row per chain it visited;
 * the row with `held` is where it is now (multichain indexing may read the arrival first).
 */
export const keyHolding = onchainTable(
  "key_holding",
  (t) => ({
    id: t.text().primaryKey(), // `${hexsChain}:${keyId}`
    keyId: t.bigint().notNull(),
    modelId: t.bigint().notNull(),
    hexsChain: t.integer().notNull(),
    keys: t.hex().notNull(),
    owner: t.hex().notNull(),
    held: t.boolean().notNull(),
    /** Soul-bound (ERC-5192 Locked): it never changes holder. */
    locked: t.boolean().notNull().default(false),
    /** Unix seconds; 0 = never expires. */
    expiresAt: t.bigint().notNull().default(0n),
    /** Minted here by a move from another chain (not bought here). */
    arrived: t.boolean().notNull().default(false),
    updatedAt: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (t) => ({ byOwner: index().on(t.owner), byKey: index().on(t.keyId) }),
);

/**
 * A key listed for resale on a chain (HexsResale). One row per chain and key: a new listing of the
 * key replaces the old one. `active` ends with a cancel or a fill; `stale` while the seller no
 * longer holds the key (the contract refuses to fill it then; it revives if the key comes back).
 */
export const listing = onchainTable(
  "listing",
  (t) => ({
    id: t.text().primaryKey(), // `${hexsChain}:${keyId}`
    keyId: t.bigint().notNull(),
    modelId: t.bigint().notNull(),
    hexsChain: t.integer().notNull(),
    seller: t.hex().notNull(),
    currency: t.hex().notNull(),
    price: t.bigint().notNull(),
    /** 0: a running deployment's escrow is priced in; 1: it is credited to the seller (docs/resale.md). */
    leaseEscrow: t.integer().notNull(),
    active: t.boolean().notNull(),
    stale: t.boolean().notNull().default(false),
    listedAt: t.bigint().notNull(),
    updatedAt: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (t) => ({ byModel: index().on(t.modelId), bySeller: index().on(t.seller) }),
);

/** An escrowed offer for a key (HexsResale): open until accepted (a fill) or cancelled. */
export const offer = onchainTable(
  "offer",
  (t) => ({
    id: t.text().primaryKey(), // `${hexsChain}:${offerId}`
    offerId: t.bigint().notNull(),
    keyId: t.bigint().notNull(),
    modelId: t.bigint().notNull(),
    hexsChain: t.integer().notNull(),
    buyer: t.hex().notNull(),
    currency: t.hex().notNull(),
    amount: t.bigint().notNull(),
    validUntil: t.bigint().notNull(),
    /** "open", "accepted" or "cancelled". */
    state: t.text().notNull(),
    updatedAt: t.bigint().notNull(),
  }),
  (t) => ({ byModel: index().on(t.modelId), byKey: index().on(t.keyId) }),
);

/** A key that changed hands through HexsResale (a bought listing, an accepted offer or a cross-chain fill). */
export const resale = onchainTable(
  "resale",
  (t) => ({
    id: t.text().primaryKey(), // `${hexsChain}:${txHash}:${logIndex}`
    keyId: t.bigint().notNull(),
    modelId: t.bigint().notNull(),
    hexsChain: t.integer().notNull(),
    seller: t.hex().notNull(),
    buyer: t.hex().notNull(),
    currency: t.hex().notNull(),
    price: t.bigint().notNull(),
    /** Paid into the model's vault (ERC-2981). */
    royalty: t.bigint().notNull(),
    /** 0 for a bought listing. */
    offerId: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (t) => ({ byModel: index().on(t.modelId), byTime: index().on(t.timestamp) }),
);

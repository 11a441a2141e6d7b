// What the app reads: models (with lineage), each chain's copy of a model, prices per chain and
// currency, and key sales per chain. Ids are the protocol's global ids (Hexs chain << 32 | serial).
import { index, onchainTable } from "ponder";

export const model = onchainTable("model", (t) => ({
  id: t.bigint().primaryKey(),
  /** Hexs chain the model was published on (the id's upper 32 bits). */
  homeChain: t.integer().notNull(),
  creator: t.hex().notNull(),
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

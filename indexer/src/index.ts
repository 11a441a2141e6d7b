// Event handlers: every chain's registry and market feed one catalog. A model's row comes from its
// home chain's ModelPublished (full terms) or, when a mirror's event is read first, from a
// mirror's ModelMirrored (lineage only; the home event fills in the rest).
import { ponder, type Context } from "ponder:registry";
import { keyCollection, keyHolding, listing, model, modelChain, offer, price, resale, sale } from "ponder:schema";
import { decodeFunctionData, keccak256 } from "viem";
import { decodeMessage, encodeAccount } from "../../codec/codec";
import { AccountFamily, Kind, type Account, type ModelRegisteredBody, type ModelUpdatedBody } from "../../codec/messages";
import { toBech32Address } from "../../sdk/accounts";
import { AttestationGateway__factory } from "../../sdk/typechain/factories/contracts/evm/bridge/AttestationGateway__factory";
import { indexedChains, registry } from "../chains";

const hexsChainOf = new Map(indexedChains().map((c) => [c.evmChainId, c.hexsChainId]));

function hexsChain(context: Context): number {
  const id = hexsChainOf.get(context.chain.id);
  if (id === undefined) throw new Error(`chain ${context.chain.name} (${context.chain.id}) is not in the chain registry`);
  return id;
}

const homeOf = (modelId: bigint) => Number(modelId >> 32n);
const ZERO = "0x0000000000000000000000000000000000000000";

/** This chain's copy of a model: its home copy (published here) or a mirror. */
async function recordCopy(context: Context, modelId: bigint, keys: `0x${string}`, mirrored: boolean, block: bigint) {
  const chain = hexsChain(context);
  await context.db
    .insert(modelChain)
    .values({ id: `${chain}:${modelId}`, modelId, hexsChain: chain, keys, mirrored, block })
    .onConflictDoNothing();
  await context.db
    .insert(keyCollection)
    .values({ id: `${chain}:${keys.toLowerCase()}`, modelId, hexsChain: chain })
    .onConflictDoNothing();
}

ponder.on("HexsRegistry:ModelPublished", async ({ event, context }) => {
  const { modelId, creator, parentId, keys, contentCommitment, parentCommitment, sdlLocator, metadataUri, terms } = event.args;
  const full = {
    homeChain: homeOf(modelId),
    creator,
    parentId,
    depth: terms.depth,
    upstreamBps: terms.upstreamBps,
    forkRoyaltyBps: terms.forkRoyaltyBps,
    daoBps: terms.daoBps,
    forkable: terms.forkable,
    contentCommitment,
    parentCommitment,
    sdlLocator,
    metadataUri,
    publishedAt: event.block.timestamp,
  };
  await context.db
    .insert(model)
    .values({ id: modelId, ...full })
    .onConflictDoUpdate(full);
  await recordCopy(context, modelId, keys, false, event.block.number);
});

ponder.on("HexsRegistry:ModelMirrored", async ({ event, context }) => {
  const { modelId, creator, parentId, keys } = event.args;
  await context.db
    .insert(model)
    .values({ id: modelId, homeChain: homeOf(modelId), creator, parentId })
    .onConflictDoNothing();
  await recordCopy(context, modelId, keys, true, event.block.number);
});

ponder.on("HexsRegistry:ModelRetired", async ({ event, context }) => {
  const m = await context.db.find(model, { id: event.args.modelId });
  if (m) await context.db.update(model, { id: event.args.modelId }).set({ retired: true });
});

ponder.on("HexsRegistry:ModelUpdated", async ({ event, context }) => {
  const { modelId, contentCommitment, sdlLocator, metadataUri } = event.args;
  const m = await context.db.find(model, { id: modelId });
  // Only the home chain's update is authoritative; mirrors replay it.
  if (m && hexsChain(context) === m.homeChain)
    await context.db.update(model, { id: modelId }).set({ contentCommitment, sdlLocator, metadataUri });
});

ponder.on("HexsRegistry:PriceSet", async ({ event, context }) => {
  const { modelId, currency, keyPrice, deploymentPrice, listed } = event.args;
  const chain = hexsChain(context);
  const row = { keyPrice, deploymentPrice, listed, updatedAt: event.block.timestamp };
  await context.db
    .insert(price)
    .values({ id: `${chain}:${modelId}:${currency.toLowerCase()}`, modelId, hexsChain: chain, currency, ...row })
    .onConflictDoUpdate(row);
});

/**
 * Count one key sale of `modelId` made on `chain`: the model's copy there (a chain the indexer does
 * not read has no copy row yet: one is made, with no key collection address) and trending, where a
 * fork's sales count toward every ancestor.
 */
async function countSale(context: Context, modelId: bigint, chain: number, block: bigint) {
  await context.db
    .insert(modelChain)
    .values({
      id: `${chain}:${modelId}`,
      modelId,
      hexsChain: chain,
      keys: ZERO,
      mirrored: homeOf(modelId) !== chain,
      keysSold: 1,
      block,
    })
    .onConflictDoUpdate((r) => ({ keysSold: r.keysSold + 1 }));
  let id: bigint = modelId;
  for (let hop = 0; id !== 0n && hop < 64; hop++) {
    const m = await context.db.find(model, { id });
    if (!m) break;
    await context.db
      .update(model, { id })
      .set({ lineageSales: m.lineageSales + 1, ...(hop === 0 ? { sales: m.sales + 1 } : {}) });
    id = m.parentId;
  }
}

ponder.on("HexsMarket:Purchased", async ({ event, context }) => {
  const { keyId, modelId, buyer, recipient, currency, keyPrice, deploymentEscrow } = event.args;
  const chain = hexsChain(context);
  await context.db.insert(sale).values({
    id: `${chain}:${event.transaction.hash}:${event.log.logIndex}`,
    keyId,
    modelId,
    hexsChain: chain,
    buyer,
    recipient,
    currency,
    keyPrice,
    deploymentEscrow,
    timestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
  await countSale(context, modelId, chain, event.block.number);
});

// Chains the indexer does not read (the CosmWasm chain) reach every hub as facts, attested by the
// relayers and delivered through the gateway's submitBatch (its calldata holds the messages; the
// hub emits no event per message, and ModelMirrored carries lineage only). Read from there:
// - ModelRegistered: a model published there (full terms: the catalog lists it like any other);
// - ModelUpdated from its home chain: its new content, SDL location, metadata, retirement;
// - PurchaseSettled: a key sale there. The same sale reaches each indexed hub: it is keyed by its
//   global purchase id and counted once.
// Facts from a chain the indexer reads itself are skipped (its own events say the same).
const indexedHexsChains = new Set(indexedChains().map((c) => c.hexsChainId));
const bech32Prefix = new Map(
  registry().chains.flatMap((c) => (c.family === "cosmos" && c.bech32Prefix ? [[c.hexsChainId, c.bech32Prefix] as const] : [])),
);

/** The address the EVM registries stand in for a non-EVM creator (HexsRegistry.localCreator). */
const localCreator = (a: Account) =>
  (a.family === AccountFamily.Evm ? a.address : `0x${keccak256(encodeAccount(a)).slice(-40)}`).toLowerCase() as `0x${string}`;

/** The account as its chain writes it: bech32 with the registry's prefix, else `family:0x…`. */
function accountText(a: Account, chain: number): string {
  const prefix = bech32Prefix.get(chain);
  if (a.family === AccountFamily.Evm) return a.address.toLowerCase();
  return prefix ? toBech32Address(a, prefix) : `${AccountFamily[a.family].toLowerCase()}:${a.address.toLowerCase()}`;
}

async function onRemoteModel(context: Context, srcChain: number, b: ModelRegisteredBody, timestamp: bigint, block: bigint) {
  const modelId = BigInt(b.modelId);
  const parentId = BigInt(b.parentId);
  const parent = parentId !== 0n ? await context.db.find(model, { id: parentId }) : null;
  const full = {
    homeChain: srcChain,
    creatorAccount: accountText(b.creator, srcChain),
    parentId,
    depth: parentId === 0n ? 0 : parent?.depth != null ? parent.depth + 1 : null,
    upstreamBps: parentId === 0n ? 0 : b.upstreamBps,
    forkRoyaltyBps: b.forkRoyaltyBps,
    daoBps: b.daoBps,
    forkable: b.forkable,
    contentCommitment: b.contentCommitment.toLowerCase() as `0x${string}`,
    parentCommitment: b.parentCommitment.toLowerCase() as `0x${string}`,
    sdlLocator: b.sdlLocator,
    metadataUri: b.metadataUri || null,
    // when a hub accepted it (the home chain's own block time is not in the fact)
    publishedAt: timestamp,
  };
  await context.db
    .insert(model)
    .values({ id: modelId, creator: localCreator(b.creator), ...full })
    .onConflictDoUpdate(full);
  // its home copy, on a chain with no key collection the indexer can read
  await context.db
    .insert(modelChain)
    .values({ id: `${srcChain}:${modelId}`, modelId, hexsChain: srcChain, keys: ZERO, mirrored: false, block })
    .onConflictDoNothing();
}

async function onRemoteUpdate(context: Context, srcChain: number, b: ModelUpdatedBody) {
  const id = BigInt(b.modelId);
  const m = await context.db.find(model, { id });
  // only its home chain changes a model (the hubs apply the newest sequence only; so does this,
  // as far as facts arrive in order on a lane, which the hub enforces)
  if (!m || m.homeChain !== srcChain) return;
  await context.db.update(model, { id }).set({
    retired: b.retired,
    contentCommitment: b.contentCommitment.toLowerCase() as `0x${string}`,
    sdlLocator: b.sdlLocator,
    ...(b.metadataUri ? { metadataUri: b.metadataUri } : {}),
  });
}

ponder.on("AttestationGateway:BatchAccepted", async ({ event, context }) => {
  const { srcChain, firstNonce, count } = event.args;
  if (indexedHexsChains.has(srcChain)) return;
  const tx = event.transaction;
  // a batch submitted through another contract (a multisig, a bundler) carries calldata that is not ours to parse
  if (tx.to?.toLowerCase() !== event.log.address.toLowerCase()) return;
  let messages: readonly `0x${string}`[];
  try {
    const call = decodeFunctionData({ abi: AttestationGateway__factory.abi, data: tx.input });
    if (call.functionName !== "submitBatch") return;
    messages = call.args[0];
  } catch {
    return;
  }
  if (BigInt(messages.length) !== count) return; // not the batch this event accepted
  const chain = hexsChain(context);
  for (const raw of messages) {
    let m: ReturnType<typeof decodeMessage>;
    try {
      m = decodeMessage(raw);
    } catch {
      continue; // the gateway accepted it, the hub refuses it: no fact
    }
    if (m.srcChain !== srcChain || m.nonce < firstNonce) continue;
    if (m.kind === Kind.ModelRegistered) {
      // a model id names its home chain: only that chain's lane may register it
      if (Number(BigInt(m.body.modelId) >> 32n) === srcChain)
        await onRemoteModel(context, srcChain, m.body, event.block.timestamp, event.block.number);
      continue;
    }
    if (m.kind === Kind.ModelUpdated) {
      await onRemoteUpdate(context, srcChain, m.body);
      continue;
    }
    if (m.kind !== Kind.PurchaseSettled) continue;
    const b = m.body;
    const purchaseId = BigInt(b.purchaseId);
    // a purchase id names the chain that sold it: only that chain's lane may report it
    if (Number(purchaseId >> 32n) !== srcChain) continue;
    const id = `${srcChain}:purchase:${purchaseId}`;
    if (await context.db.find(sale, { id })) continue; // seen on another hub first
    const modelId = BigInt(b.modelId);
    const buyer = b.buyer.address.toLowerCase() as `0x${string}`;
    await context.db.insert(sale).values({
      id,
      keyId: BigInt(b.keyId),
      modelId,
      hexsChain: srcChain,
      buyer,
      recipient: buyer,
      currency: (b.currency === "0x" ? ZERO : b.currency.toLowerCase()) as `0x${string}`,
      keyPrice: BigInt(b.amount),
      deploymentEscrow: 0n,
      timestamp: event.block.timestamp,
      txHash: tx.hash,
      source: "mirrored",
      reportedBy: chain,
    });
    await countSale(context, modelId, srcChain, event.block.number);
  }
});

// Keys: who holds each key on each chain (ERC-721 Transfer: mint, transfer, burn or move away),
// whether it is soul-bound (ERC-5192 Locked, emitted at mint or arrival) and when it expires
// (ExpiryUpdated, set by the expiry plugin at mint and carried by a move).
type KeyEvent = { log: { address: `0x${string}` }; block: { timestamp: bigint }; transaction: { hash: `0x${string}` } };

async function holdingOf(context: Context, event: KeyEvent, keyId: bigint) {
  const chain = hexsChain(context);
  const coll = await context.db.find(keyCollection, { id: `${chain}:${event.log.address.toLowerCase()}` });
  const id = `${chain}:${keyId}`;
  return { chain, id, modelId: coll?.modelId, row: await context.db.find(keyHolding, { id }) };
}

async function onKeyTransfer(
  context: Context,
  event: KeyEvent & { args: { from: `0x${string}`; to: `0x${string}`; tokenId: bigint } },
) {
  const { from, to, tokenId: keyId } = event.args;
  const h = await holdingOf(context, event, keyId);
  if (h.modelId === undefined) return; // not a Hexs key collection
  const stamp = { updatedAt: event.block.timestamp, txHash: event.transaction.hash };
  if (from === ZERO) {
    // Apply a mint once, should a log be delivered again.
    if (h.row?.held && h.row.txHash === event.transaction.hash) return;
    // Minted here: bought (the key's id names the chain that sold it) or arrived by a move; a key
    // coming back to a chain it left has a row there already.
    const arrived = h.row != null || Number(keyId >> 32n) !== h.chain;
    const fresh = { owner: to, held: true, locked: false, expiresAt: 0n, arrived, ...stamp };
    await context.db
      .insert(keyHolding)
      .values({ id: h.id, keyId, modelId: h.modelId, hexsChain: h.chain, keys: event.log.address, ...fresh })
      .onConflictDoUpdate(fresh);
  } else if (h.row) {
    await context.db.update(keyHolding, { id: h.id }).set(to === ZERO ? { held: false, ...stamp } : { owner: to, ...stamp });
  }
  // A listing here is fillable only while its seller holds the key (it revives if the key comes back).
  const l = await context.db.find(listing, { id: `${h.chain}:${keyId}` });
  if (l?.active) await context.db.update(listing, { id: l.id }).set({ stale: to.toLowerCase() !== l.seller.toLowerCase() });
}

async function onKeyLocked(context: Context, event: KeyEvent & { args: { tokenId: bigint } }) {
  const h = await holdingOf(context, event, event.args.tokenId);
  if (h.row) await context.db.update(keyHolding, { id: h.id }).set({ locked: true });
}

async function onKeyExpiry(context: Context, event: KeyEvent & { args: { keyId: bigint; expires: bigint } }) {
  const h = await holdingOf(context, event, event.args.keyId);
  if (h.row) await context.db.update(keyHolding, { id: h.id }).set({ expiresAt: event.args.expires });
}

for (const c of ["HomeKeys", "MirrorKeys"] as const) {
  ponder.on(`${c}:Transfer`, ({ event, context }) => onKeyTransfer(context, event));
  ponder.on(`${c}:Locked`, ({ event, context }) => onKeyLocked(context, event));
  ponder.on(`${c}:ExpiryUpdated`, ({ event, context }) => onKeyExpiry(context, event));
}

// The secondary market (HexsResale): listings, escrowed offers and fills on each chain.
ponder.on("HexsResale:Listed", async ({ event, context }) => {
  const { keyId, modelId, seller, currency, price: amount, leaseEscrow } = event.args;
  const chain = hexsChain(context);
  // a new listing of the key replaces the old one (the seller holds it: list() checked that)
  const row = {
    modelId,
    seller,
    currency,
    price: amount,
    leaseEscrow,
    active: true,
    stale: false,
    listedAt: event.block.timestamp,
    updatedAt: event.block.timestamp,
    txHash: event.transaction.hash,
  };
  await context.db
    .insert(listing)
    .values({ id: `${chain}:${keyId}`, keyId, hexsChain: chain, ...row })
    .onConflictDoUpdate(row);
});

ponder.on("HexsResale:ListingCancelled", async ({ event, context }) => {
  const id = `${hexsChain(context)}:${event.args.keyId}`;
  if (await context.db.find(listing, { id }))
    await context.db.update(listing, { id }).set({ active: false, updatedAt: event.block.timestamp });
});

ponder.on("HexsResale:OfferMade", async ({ event, context }) => {
  const { offerId, keyId, buyer, modelId, currency, amount, validUntil } = event.args;
  const chain = hexsChain(context);
  await context.db.insert(offer).values({
    id: `${chain}:${offerId}`,
    offerId,
    keyId,
    modelId,
    hexsChain: chain,
    buyer,
    currency,
    amount,
    validUntil: BigInt(validUntil),
    state: "open",
    updatedAt: event.block.timestamp,
  });
});

ponder.on("HexsResale:OfferCancelled", async ({ event, context }) => {
  const id = `${hexsChain(context)}:${event.args.offerId}`;
  if (await context.db.find(offer, { id }))
    await context.db.update(offer, { id }).set({ state: "cancelled", updatedAt: event.block.timestamp });
});

ponder.on("HexsResale:ResaleFilled", async ({ event, context }) => {
  const { keyId, modelId, buyer, seller, currency, price: amount, royalty, offerId } = event.args;
  const chain = hexsChain(context);
  await context.db.insert(resale).values({
    id: `${chain}:${event.transaction.hash}:${event.log.logIndex}`,
    keyId,
    modelId,
    hexsChain: chain,
    seller,
    buyer,
    currency,
    price: amount,
    royalty,
    offerId,
    timestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
  // The key changed hands: its listing here is gone (the contract deleted it, or it went stale
  // for good with the seller no longer holding the key); an accepted offer is closed.
  const l = await context.db.find(listing, { id: `${chain}:${keyId}` });
  if (l?.active && l.seller.toLowerCase() === seller.toLowerCase())
    await context.db.update(listing, { id: l.id }).set({ active: false, updatedAt: event.block.timestamp });
  if (offerId !== 0n) {
    const id = `${chain}:${offerId}`;
    if (await context.db.find(offer, { id }))
      await context.db.update(offer, { id }).set({ state: "accepted", updatedAt: event.block.timestamp });
  }
});

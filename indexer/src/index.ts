// Event handlers: every chain's registry and market feed one catalog. A model's row comes from its
// home chain's ModelPublished (full terms) or, when a mirror's event is read first, from a
// mirror's ModelMirrored (lineage only; the home event fills in the rest).
import { ponder, type Context } from "ponder:registry";
import { keyCollection, keyHolding, model, modelChain, price, sale } from "ponder:schema";
import { indexedChains } from "../chains";

const hexsChainOf = new Map(indexedChains().map((c) => [c.evmChainId, c.hexsChainId]));

function hexsChain(context: Context): number {
  const id = hexsChainOf.get(context.chain.id);
  if (id === undefined) throw new Error(`chain ${context.chain.name} (${context.chain.id}) is not in the chain registry`);
  return id;
}

const homeOf = (modelId: bigint) => Number(modelId >> 32n);

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
  await context.db
    .update(modelChain, { id: `${chain}:${modelId}` })
    .set((r) => ({ keysSold: r.keysSold + 1 }))
    .catch(() => undefined); // a sale without the model's copy here cannot happen on a sound chain
  // Trending counts a fork's sales toward every ancestor.
  let id: bigint = modelId;
  for (let hop = 0; id !== 0n && hop < 64; hop++) {
    const m = await context.db.find(model, { id });
    if (!m) break;
    await context.db
      .update(model, { id })
      .set({ lineageSales: m.lineageSales + 1, ...(hop === 0 ? { sales: m.sales + 1 } : {}) });
    id = m.parentId;
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

const ZERO = "0x0000000000000000000000000000000000000000";

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

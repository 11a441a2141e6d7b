// Resale of keys resident on the CosmWasm chain (contracts/cosmwasm/hexs/src/resale.rs): list a
// key, cancel, buy a listing, make / accept / cancel an offer, set a model's resale royalty, and
// read listings and offers. Each call goes through cosmwasm-client's checked execute (funds and
// the contract's simulation before the wallet signs, steps reported), and a contract refusal
// comes back as the HexsError subclass that says what to do (`cosmosResaleRefusal`).
// Browser-safe; like cosmwasm-client.ts not re-exported from sdk/index.ts (cosmjs is large).
import type { CosmosHexs, CosmosStep } from "./cosmwasm-client";
import { cosmosExecute, cosmosKeyOwner, formatCoin } from "./cosmwasm-client";
import type { ListingResponse, ListingsResponse, OfferResponse, OffersResponse, TokensResponse } from "./cosmwasm/Hexs.types";
import { HexsError } from "./errors";
import { formatId } from "./ids";
import { InvalidParamsError, NotAllowedError, NotFoundError, RevertError, StateError } from "./actions/errors";

/** The contract's cap on a model's resale royalty (the EVM registry's MAX_SECONDARY_ROYALTY_BPS). */
export const MAX_RESALE_BPS = 2500;
const PAGE = 30;

export interface CosmosListing {
  keyId: bigint;
  modelId: bigint;
  seller: string;
  price: bigint;
  denom: string;
  /** Seconds since the epoch. */
  listedAt: number;
  /** The seller still holds the key, it has not expired and the model has a resale rate. */
  fillable: boolean;
}

export interface CosmosOffer {
  keyId: bigint;
  bidder: string;
  amount: bigint;
  denom: string;
  madeAt: number;
  /** Seconds since the epoch from which it can no longer be accepted; undefined: never. */
  expiresAt?: number;
  /** Past its expiry at the chain's latest block: only its bidder can still cancel it. */
  expired: boolean;
}

/** A listing bought or an offer accepted: what the seller was credited and the vault got. */
export interface CosmosResaleFill {
  keyId: bigint;
  modelId: bigint;
  seller: string;
  buyer: string;
  price: bigint;
  denom: string;
  /** Paid into the model's vault; the seller is credited `price - royalty` (claim). */
  royalty: bigint;
  via: "listing" | "offer";
  /** The transaction fee paid, in the contract's denom. */
  fee: bigint;
  txHash: string;
}

type Events = readonly { type: string; attributes: readonly { key: string; value: string }[] }[];

/** Attribute `key` of the first `wasm-<type>` event. */
function eventAttr(events: Events, type: string, key: string): string | undefined {
  return events.find((e) => e.type === `wasm-${type}`)?.attributes.find((a) => a.key === key)?.value;
}

function positive(name: string, v: bigint): bigint {
  if (typeof v !== "bigint" || v <= 0n)
    throw new InvalidParamsError(`bad ${name} ${String(v)}: a whole amount above 0 in the contract's denom`);
  return v;
}

function keyIdOf(v: bigint): bigint {
  if (typeof v !== "bigint" || v <= 0n || v >= 1n << 64n)
    throw new InvalidParamsError(`bad key id ${String(v)}: a key id above 0`);
  return v;
}

const ADVICE: [RegExp, (m: string) => HexsError][] = [
  [/is not listed/, (m) => new NotFoundError(`${m}. Nothing to buy or cancel: cosmosListings shows the model's listings`)],
  [/listing of key \d+ is void/, (m) => new StateError(`${m}. The listing cannot be bought`)],
  [/has no offer for key/, (m) => new NotFoundError(`${m}. cosmosOffers shows the key's offers`)],
  [/already has an offer for key/, (m) => new StateError(m)],
  [/offer of .* expired at/, (m) => new StateError(`${m} (cosmosCancelOffer)`)],
  [/cannot buy its own key/, (m) => new NotAllowedError(m)],
  [/unauthorized: only/, (m) => new NotAllowedError(`${m}: sign with that account`)],
  [
    /expiration is already in the past/,
    (m) => new InvalidParamsError(`${m}: give an offer expiry after the chain's latest block time`),
  ],
  [/an expired key cannot be listed or sold/, (m) => new StateError(m)],
  [/is soul-bound/, (m) => new StateError(`${m}, so it cannot be resold`)],
  [/sets no resale royalty/, (m) => new StateError(m)],
  [/resale is priced in/, (m) => new InvalidParamsError(m)],
  [/wrong payment/, (m) => new InvalidParamsError(`${m}: pay exactly the listing's price`)],
  [/a listing price must be above zero/, (m) => new InvalidParamsError(m)],
  [/royalty too high/, (m) => new InvalidParamsError(m)],
  [/can only be set on its home chain/, (m) => new NotAllowedError(`${m}: set it there`)],
  [/is resident on chain \d+ and read-only here/, (m) => new StateError(`${m}: resell it on that chain`)],
  [/unknown key/, (m) => new NotFoundError(m)],
  [/unknown model/, (m) => new NotFoundError(m)],
  [
    /contract is paused/,
    (m) =>
      new StateError(
        `${m}: listing, buying, offering and accepting wait until governance unpauses (cancelling stays open)`,
        true,
      ),
  ],
];

/**
 * The HexsError for a resale call the contract refused (a RevertError from the simulation or the
 * transaction): a specific class and the contract's words with what to do next. Anything else is
 * returned as it is.
 */
export function cosmosResaleRefusal(e: unknown): unknown {
  if (!(e instanceof RevertError)) return e;
  for (const [re, make] of ADVICE) {
    if (re.test(e.message)) {
      const err = make(e.message);
      return Object.assign(err, { cause: e });
    }
  }
  return e;
}

async function run(
  h: CosmosHexs,
  what: string,
  msg: Parameters<typeof cosmosExecute>[2],
  funds: bigint,
  on: (s: CosmosStep) => void,
) {
  try {
    return await cosmosExecute(h, what, msg, funds, on);
  } catch (e) {
    throw cosmosResaleRefusal(e);
  }
}

const toListing = (l: ListingResponse): CosmosListing => ({
  keyId: BigInt(l.token_id),
  modelId: BigInt(l.model),
  seller: l.seller,
  price: BigInt(l.price.amount),
  denom: l.price.denom,
  listedAt: l.listed_at,
  fillable: l.fillable,
});

const toOffer = (o: OfferResponse, now: number): CosmosOffer => ({
  keyId: BigInt(o.token_id),
  bidder: o.bidder,
  amount: BigInt(o.amount.amount),
  denom: o.amount.denom,
  madeAt: o.made_at,
  expiresAt: o.expires_at ?? undefined,
  expired: o.expires_at != null && o.expires_at <= now,
});

/** The chain's latest block time, in seconds since the epoch. */
async function chainTime(h: CosmosHexs): Promise<number> {
  const b = await h.client.getBlock();
  return Math.floor(new Date(b.header.time).getTime() / 1000);
}

/** The listing of key `keyId`, or undefined when it is not listed. */
export async function cosmosListing(h: CosmosHexs, keyId: bigint): Promise<CosmosListing | undefined> {
  const l = (await h.client.queryContractSmart(h.contract, {
    listing: { token_id: keyIdOf(keyId).toString() },
  })) as ListingResponse | null;
  return l ? toListing(l) : undefined;
}

/** Every listing of model `modelId`'s keys, by key id; void ones included (`fillable` false). */
export async function cosmosListings(h: CosmosHexs, modelId: bigint): Promise<CosmosListing[]> {
  const out: CosmosListing[] = [];
  for (;;) {
    const start = out.at(-1)?.keyId;
    const page = (await h.client.queryContractSmart(h.contract, {
      listings: { model: modelId.toString(), start_after: start === undefined ? null : start.toString(), limit: PAGE },
    })) as ListingsResponse;
    out.push(...page.listings.map(toListing));
    if (page.listings.length < PAGE) return out;
  }
}

/** The ids of the keys `owner` holds on this chain (resident here), ascending. */
export async function cosmosHeldKeys(h: CosmosHexs, owner = h.sender): Promise<bigint[]> {
  const tokens: string[] = [];
  for (;;) {
    const page = (await h.client.queryContractSmart(h.contract, {
      tokens: { owner, start_after: tokens.at(-1) ?? null, limit: PAGE },
    })) as TokensResponse;
    tokens.push(...page.tokens);
    if (page.tokens.length < PAGE) return tokens.map(BigInt);
  }
}

/** The listings of the keys `seller` holds on this chain (those it can be paid for), by key id. */
export async function cosmosSellerListings(h: CosmosHexs, seller = h.sender): Promise<CosmosListing[]> {
  const out: CosmosListing[] = [];
  for (const id of await cosmosHeldKeys(h, seller)) {
    const l = await cosmosListing(h, id);
    if (l && l.seller === seller) out.push(l);
  }
  return out;
}

/** Every offer for key `keyId`, by bidder, with whether it has expired. */
export async function cosmosOffers(h: CosmosHexs, keyId: bigint): Promise<CosmosOffer[]> {
  const now = await chainTime(h);
  const out: CosmosOffer[] = [];
  for (;;) {
    const page = (await h.client.queryContractSmart(h.contract, {
      offers: { token_id: keyIdOf(keyId).toString(), start_after: out.at(-1)?.bidder ?? null, limit: PAGE },
    })) as OffersResponse;
    out.push(...page.offers.map((o) => toOffer(o, now)));
    if (page.offers.length < PAGE) return out;
  }
}

/**
 * List key `keyId` at `price` (the contract's denom, smallest unit). The holder keeps the key; a new
 * listing replaces the old one.
 */
export async function cosmosListKey(
  h: CosmosHexs,
  p: { keyId: bigint; price: bigint },
  on: (s: CosmosStep) => void = () => undefined,
): Promise<{ keyId: bigint; modelId: bigint; price: bigint; txHash: string }> {
  const keyId = keyIdOf(p.keyId);
  const price = positive("price", p.price);
  const r = await run(
    h,
    `list key ${formatId(keyId)}`,
    { list_key: { token_id: keyId.toString(), price: { denom: h.denom, amount: price.toString() } } },
    0n,
    on,
  );
  return { keyId, modelId: BigInt(eventAttr(r.events, "hexs_listed", "model") ?? "0"), price, txHash: r.txHash };
}

/** Withdraw key `keyId`'s listing (its seller, or whoever may transfer the key now). */
export async function cosmosCancelListing(
  h: CosmosHexs,
  p: { keyId: bigint },
  on: (s: CosmosStep) => void = () => undefined,
): Promise<{ keyId: bigint; txHash: string }> {
  const keyId = keyIdOf(p.keyId);
  const r = await run(
    h,
    `cancel the listing of key ${formatId(keyId)}`,
    { cancel_listing: { token_id: keyId.toString() } },
    0n,
    on,
  );
  return { keyId, txHash: r.txHash };
}

function fillOf(events: Events, fee: bigint, txHash: string): CosmosResaleFill {
  const a = (k: string) => {
    const v = eventAttr(events, "hexs_resale_filled", k);
    if (v === undefined) throw new RevertError(`transaction ${txHash} emitted no hexs_resale_filled ${k}`);
    return v;
  };
  return {
    keyId: BigInt(a("token_id")),
    modelId: BigInt(a("model")),
    seller: a("seller"),
    buyer: a("buyer"),
    price: BigInt(a("price")),
    denom: a("denom"),
    royalty: BigInt(a("royalty")),
    via: a("via") === "offer" ? "offer" : "listing",
    fee,
    txHash,
  };
}

/** Buy key `keyId`'s listing at its listed price, which is read first and paid exactly. */
export async function cosmosBuyListing(
  h: CosmosHexs,
  p: { keyId: bigint },
  on: (s: CosmosStep) => void = () => undefined,
): Promise<CosmosResaleFill> {
  const keyId = keyIdOf(p.keyId);
  const l = await cosmosListing(h, keyId);
  if (!l)
    throw new NotFoundError(`key ${formatId(keyId)} is not listed on ${h.chain.name}: cosmosListings shows the model's listings`);
  if (!l.fillable) {
    const holder = (await cosmosKeyOwner(h, keyId)) ?? "nobody here (moved or burned)";
    throw new StateError(
      `the listing of key ${formatId(keyId)} on ${h.chain.name} cannot be bought: its seller ${l.seller} no longer holds it (now ${holder}), it has expired, or its model has no resale rate`,
    );
  }
  if (l.seller === h.sender)
    throw new NotAllowedError(`${h.sender} listed key ${formatId(keyId)} itself: it cannot buy its own key`);
  if (l.denom !== h.denom)
    throw new StateError(
      `key ${formatId(keyId)} is listed in ${l.denom}, the contract takes ${h.denom}: the seller must list it again`,
    );
  const r = await run(
    h,
    `buy key ${formatId(keyId)} for ${formatCoin(l.price, l.denom)}`,
    { buy_listing: { token_id: keyId.toString() } },
    l.price,
    on,
  );
  return fillOf(r.events, r.fee, r.txHash);
}

/**
 * Offer `amount` for key `keyId`, escrowed in the contract until accepted or cancelled. With
 * `expiresAt` (seconds since the epoch) the offer can no longer be accepted from then on.
 */
export async function cosmosMakeOffer(
  h: CosmosHexs,
  p: { keyId: bigint; amount: bigint; expiresAt?: number },
  on: (s: CosmosStep) => void = () => undefined,
): Promise<{ keyId: bigint; amount: bigint; expiresAt?: number; txHash: string }> {
  const keyId = keyIdOf(p.keyId);
  const amount = positive("amount", p.amount);
  if (p.expiresAt !== undefined) {
    if (!Number.isSafeInteger(p.expiresAt) || p.expiresAt <= 0)
      throw new InvalidParamsError(`bad offer expiry ${p.expiresAt}: seconds since the epoch`);
    const now = await chainTime(h);
    if (p.expiresAt <= now)
      throw new InvalidParamsError(
        `bad offer expiry ${p.expiresAt}: the chain's latest block is at ${now}; give a later time (seconds since the epoch)`,
      );
  }
  const r = await run(
    h,
    `offer ${formatCoin(amount, h.denom)} for key ${formatId(keyId)}`,
    { make_offer: { token_id: keyId.toString(), expires_at: p.expiresAt ?? null } },
    amount,
    on,
  );
  return { keyId, amount, expiresAt: p.expiresAt, txHash: r.txHash };
}

/** Accept `bidder`'s offer for key `keyId` (its holder, or whoever may transfer it). */
export async function cosmosAcceptOffer(
  h: CosmosHexs,
  p: { keyId: bigint; bidder: string },
  on: (s: CosmosStep) => void = () => undefined,
): Promise<CosmosResaleFill> {
  const keyId = keyIdOf(p.keyId);
  if (typeof p.bidder !== "string" || p.bidder.trim() === "") throw new InvalidParamsError("give the bidder's address");
  const r = await run(
    h,
    `accept ${p.bidder}'s offer for key ${formatId(keyId)}`,
    { accept_offer: { token_id: keyId.toString(), bidder: p.bidder.trim() } },
    0n,
    on,
  );
  return fillOf(r.events, r.fee, r.txHash);
}

/** Take the signer's offer for key `keyId` back: the escrow is sent back in the same transaction. */
export async function cosmosCancelOffer(
  h: CosmosHexs,
  p: { keyId: bigint },
  on: (s: CosmosStep) => void = () => undefined,
): Promise<{ keyId: bigint; refunded: bigint; txHash: string }> {
  const keyId = keyIdOf(p.keyId);
  const r = await run(h, `cancel the offer for key ${formatId(keyId)}`, { cancel_offer: { token_id: keyId.toString() } }, 0n, on);
  return { keyId, refunded: BigInt(eventAttr(r.events, "hexs_offer_cancelled", "amount") ?? "0"), txHash: r.txHash };
}

/**
 * Set or change the resale royalty of a model published on this chain (its creator only, at most
 * MAX_RESALE_BPS). It applies to every fill from then on, keys listed already included.
 */
export async function cosmosSetResaleBps(
  h: CosmosHexs,
  p: { modelId: bigint; bps: number },
  on: (s: CosmosStep) => void = () => undefined,
): Promise<{ modelId: bigint; bps: number; txHash: string }> {
  if (!Number.isInteger(p.bps) || p.bps < 0 || p.bps > MAX_RESALE_BPS)
    throw new InvalidParamsError(`bad resale royalty ${p.bps} bps: 0 to ${MAX_RESALE_BPS}`);
  const r = await run(
    h,
    `set the resale royalty of model ${formatId(p.modelId)}`,
    { update_model: { model: p.modelId.toString(), resale_bps: p.bps } },
    0n,
    on,
  );
  return { modelId: p.modelId, bps: p.bps, txHash: r.txHash };
}

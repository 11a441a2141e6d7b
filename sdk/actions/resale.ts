// Resale: list a key you hold, buy a listing, make / accept / cancel escrowed offers, claim
// proceeds. Royalties (ERC-2981) go into the model's vault in the same transaction.
import type { Signer } from "ethers";
import { ZeroAddress } from "ethers";
import { keysOf, type HexsContracts } from "../contracts";
import type { HexsResale } from "../typechain";
import { formatId } from "../ids";
import {
  currencyInfo,
  ensureAllowance,
  findEvent,
  fmt,
  NATIVE_INFO,
  requireFunds,
  send,
  type ActionOptions,
  type CurrencyInfo,
  type TxReport,
} from "../tx";
import { requireModel } from "./common";
import { InvalidParamsError, NotAllowedError, NotFoundError, RevertError, StateError } from "./errors";

/** What happens to the Akash escrow of a running deployment when the key changes hands (docs/resale.md). */
export type LeaseEscrow = "priced-in" | "to-seller";
const LEASE_ESCROW: Record<LeaseEscrow, number> = { "priced-in": 0, "to-seller": 1 };
const leaseEscrowName = (v: bigint | number): LeaseEscrow => (Number(v) === 1 ? "to-seller" : "priced-in");

export interface Fill {
  keyId: bigint;
  modelId: bigint;
  seller: string;
  buyer: string;
  currency: string;
  price: bigint;
  /** Paid into the model's vault. */
  royalty: bigint;
  /** 0 for a listing. */
  offerId: bigint;
  leaseEscrow: LeaseEscrow;
  txHash: string;
  gasUsed: bigint;
}

export interface ListingView {
  keyId: bigint;
  seller: string;
  modelId: bigint;
  currency: string;
  price: bigint;
  leaseEscrow: LeaseEscrow;
  /** False when the listing went stale (key moved, approval revoked, expired) or resale is paused. */
  fillable: boolean;
}

function requireResale(c: HexsContracts): HexsResale {
  if (!c.resale)
    throw new NotFoundError(
      `network '${c.chain.name}' has no HexsResale: redeploy (npx hardhat deploy) to add the secondary market`,
    );
  return c.resale;
}

async function requireTradeCurrency(c: HexsContracts, currency: string): Promise<CurrencyInfo> {
  const cur = await currencyInfo(c, currency);
  if (!cur.native && !(await c.market.isAccepted(currency)))
    throw new StateError(`bad --currency ${currency}: the market does not accept ${cur.symbol} (protocol:accept-token first)`);
  return cur;
}

async function requireOpen(r: HexsResale): Promise<void> {
  if (await r.paused()) throw new StateError("resale is paused by the protocol guardian: try again later", true);
}

function fillOf(r: HexsResale, rep: TxReport): Fill {
  const ev = findEvent(rep.receipt, r.interface, "ResaleFilled");
  if (!ev) throw new RevertError(`transaction ${rep.hash} emitted no ResaleFilled event`);
  const a = ev.args;
  return {
    keyId: a.keyId as bigint,
    modelId: a.modelId as bigint,
    seller: a.seller as string,
    buyer: a.buyer as string,
    currency: a.currency as string,
    price: a.price as bigint,
    royalty: a.royalty as bigint,
    offerId: a.offerId as bigint,
    leaseEscrow: leaseEscrowName(a.leaseEscrow as bigint),
    txHash: rep.hash,
    gasUsed: rep.gasUsed,
  };
}

/** Approve the resale contract for `keyId` when it is not approved yet (holder only). */
async function ensureKeyApproval(c: HexsContracts, signer: Signer, modelId: bigint, keyId: bigint, o: ActionOptions) {
  const r = requireResale(c);
  const keys = (await keysOf(c, modelId)).connect(signer);
  const me = await signer.getAddress();
  const holder = await keys.ownerOf(keyId).catch(() => ZeroAddress);
  if (holder === ZeroAddress)
    throw new NotFoundError(`key ${formatId(keyId)} is not a key of model ${formatId(modelId)} on '${c.chain.name}'`);
  if (holder !== me)
    throw new NotAllowedError(`key ${formatId(keyId)} is held by ${holder}, not ${me}: use --from with the holder`);
  const spender = await r.getAddress();
  if ((await keys.getApproved(keyId)) === spender || (await keys.isApprovedForAll(me, spender))) return;
  await send(
    c,
    `approve key ${formatId(keyId)} for resale`,
    () => keys.approve.staticCall(spender, keyId),
    () => keys.approve(spender, keyId),
    o.log,
  );
}

export interface ListKeyParams {
  modelId: bigint;
  keyId: bigint;
  /** Token address, or NATIVE. */
  currency: string;
  price: bigint;
  leaseEscrow?: LeaseEscrow;
}

/** List a key you hold (approving the resale contract for it first when needed). */
export async function listKey(
  c: HexsContracts,
  signer: Signer,
  p: ListKeyParams,
  o: ActionOptions = {},
): Promise<{ txHash: string; gasUsed: bigint }> {
  const r = requireResale(c);
  if (p.price <= 0n) throw new InvalidParamsError(`bad --price '${p.price}': a listing needs a price above 0`);
  await requireModel(c, p.modelId);
  const cur = await requireTradeCurrency(c, p.currency);
  await requireOpen(r);
  await ensureKeyApproval(c, signer, p.modelId, p.keyId, o);
  const mode = LEASE_ESCROW[p.leaseEscrow ?? "priced-in"];
  const rs = r.connect(signer);
  const rep = await send(
    c,
    `list key ${formatId(p.keyId)} at ${fmt(p.price, cur)}`,
    () => rs.list.staticCall(p.modelId, p.keyId, p.currency, p.price, mode),
    () => rs.list(p.modelId, p.keyId, p.currency, p.price, mode),
    o.log,
  );
  return { txHash: rep.hash, gasUsed: rep.gasUsed };
}

/** Withdraw your listing of a key. */
export async function cancelListing(
  c: HexsContracts,
  signer: Signer,
  p: { keyId: bigint },
  o: ActionOptions = {},
): Promise<{ txHash: string }> {
  const r = requireResale(c).connect(signer);
  const rep = await send(
    c,
    `cancel listing of ${formatId(p.keyId)}`,
    () => r.cancelListing.staticCall(p.keyId),
    () => r.cancelListing(p.keyId),
    o.log,
  );
  return { txHash: rep.hash };
}

/** A key's listing, or undefined when it has none. */
export async function listingOf(c: HexsContracts, keyId: bigint): Promise<ListingView | undefined> {
  const r = requireResale(c);
  const l = await r.listingOf(keyId);
  if (l.seller === ZeroAddress) return undefined;
  return {
    keyId,
    seller: l.seller,
    modelId: l.modelId,
    currency: l.currency,
    price: l.price,
    leaseEscrow: leaseEscrowName(l.leaseEscrow),
    fillable: await isFillable(c, r, keyId, l.seller, l.modelId),
  };
}

/**
 * Whether `buy` of a listing would pass its checks now: resale open, the seller still holds the
 * key and has approved HexsResale for it, the key is neither soul-bound nor expired. (Read here
 * rather than on chain: HexsResale has no bytecode room for the view.)
 */
async function isFillable(c: HexsContracts, r: HexsResale, keyId: bigint, seller: string, modelId: bigint) {
  if (await r.paused()) return false;
  const keys = await keysOf(c, modelId);
  const holder = await keys.ownerOf(keyId).catch(() => ZeroAddress);
  if (holder !== seller) return false;
  const spender = await r.getAddress();
  if ((await keys.getApproved(keyId)) !== spender && !(await keys.isApprovedForAll(seller, spender))) return false;
  if (await keys.locked(keyId)) return false;
  const expiry = await keys.expiresAt(keyId);
  const now = BigInt((await c.provider.getBlock("latest"))!.timestamp);
  return expiry === 0n || expiry > now;
}

/** Buy a listed key at its listed price (approving the ERC-20 first when needed). */
export async function buyListing(c: HexsContracts, signer: Signer, p: { keyId: bigint }, o: ActionOptions = {}): Promise<Fill> {
  const r = requireResale(c);
  const l = await listingOf(c, p.keyId);
  if (!l) throw new NotFoundError(`key ${formatId(p.keyId)} is not listed on '${c.chain.name}'`);
  await requireOpen(r);
  if (!l.fillable)
    throw new StateError(
      `the listing of key ${formatId(p.keyId)} is stale: its seller ${l.seller} no longer holds or approved the key, or it expired`,
    );
  const cur = await currencyInfo(c, l.currency);
  const me = await signer.getAddress();
  await requireFunds(c, cur, me, l.price, 300_000n);
  await ensureAllowance(cur, signer, await r.getAddress(), l.price, o.log);
  const value = cur.native ? l.price : 0n;
  const rs = r.connect(signer);
  const rep = await send(
    c,
    `buy key ${formatId(p.keyId)} for ${fmt(l.price, cur)}`,
    () => rs.buy.staticCall(p.keyId, l.currency, l.price, { value }),
    () => rs.buy(p.keyId, l.currency, l.price, { value }),
    o.log,
  );
  return fillOf(r, rep);
}

export interface MakeOfferParams {
  modelId: bigint;
  keyId: bigint;
  currency: string;
  amount: bigint;
  /** Seconds the offer stays valid (default one day). */
  validFor?: number;
  leaseEscrow?: LeaseEscrow;
}

/** Offer an amount for a key; the amount is escrowed until accepted or cancelled. */
export async function makeOffer(
  c: HexsContracts,
  signer: Signer,
  p: MakeOfferParams,
  o: ActionOptions = {},
): Promise<{ offerId: bigint; validUntil: number; txHash: string }> {
  const r = requireResale(c);
  if (p.amount <= 0n) throw new InvalidParamsError(`bad --amount '${p.amount}': an offer needs an amount above 0`);
  await requireModel(c, p.modelId);
  const cur = await requireTradeCurrency(c, p.currency);
  await requireOpen(r);
  const latest = await c.provider.getBlock("latest");
  const validUntil = Number(latest?.timestamp ?? Math.floor(Date.now() / 1000)) + (p.validFor ?? 86_400);
  const me = await signer.getAddress();
  await requireFunds(c, cur, me, p.amount, 250_000n);
  await ensureAllowance(cur, signer, await r.getAddress(), p.amount, o.log);
  const value = cur.native ? p.amount : 0n;
  const mode = LEASE_ESCROW[p.leaseEscrow ?? "priced-in"];
  const rs = r.connect(signer);
  const rep = await send(
    c,
    `offer ${fmt(p.amount, cur)} for key ${formatId(p.keyId)}`,
    () => rs.makeOffer.staticCall(p.modelId, p.keyId, p.currency, p.amount, validUntil, mode, { value }),
    () => rs.makeOffer(p.modelId, p.keyId, p.currency, p.amount, validUntil, mode, { value }),
    o.log,
  );
  const ev = findEvent(rep.receipt, r.interface, "OfferMade");
  if (!ev) throw new RevertError(`makeOffer: transaction ${rep.hash} emitted no OfferMade event`);
  return { offerId: ev.args.offerId as bigint, validUntil, txHash: rep.hash };
}

/** Accept an offer for a key you hold (approving the resale contract for it first when needed). */
export async function acceptOffer(
  c: HexsContracts,
  signer: Signer,
  p: { offerId: bigint },
  o: ActionOptions = {},
): Promise<Fill> {
  const r = requireResale(c);
  const offer = await r.offerOf(p.offerId);
  if (offer.buyer === ZeroAddress) throw new NotFoundError(`no open offer ${p.offerId} on '${c.chain.name}'`);
  await requireOpen(r);
  await ensureKeyApproval(c, signer, offer.modelId, offer.keyId, o);
  const rs = r.connect(signer);
  const rep = await send(
    c,
    `accept offer ${p.offerId}`,
    () => rs.acceptOffer.staticCall(p.offerId),
    () => rs.acceptOffer(p.offerId),
    o.log,
  );
  return fillOf(r, rep);
}

/** Withdraw your offer; its escrow is credited back (claim it with claimResale). */
export async function cancelOffer(
  c: HexsContracts,
  signer: Signer,
  p: { offerId: bigint },
  o: ActionOptions = {},
): Promise<{ refunded: bigint; txHash: string }> {
  const r = requireResale(c).connect(signer);
  const rep = await send(
    c,
    `cancel offer ${p.offerId}`,
    () => r.cancelOffer.staticCall(p.offerId),
    () => r.cancelOffer(p.offerId),
    o.log,
  );
  const ev = findEvent(rep.receipt, r.interface, "OfferCancelled");
  return { refunded: (ev?.args.refunded as bigint) ?? 0n, txHash: rep.hash };
}

/** Pull your resale proceeds and refunded offers in one currency. */
export async function claimResale(
  c: HexsContracts,
  signer: Signer,
  p: { currency: string; to?: string },
  o: ActionOptions = {},
): Promise<{ amount: bigint; to: string; txHash: string }> {
  const r = requireResale(c).connect(signer);
  const me = await signer.getAddress();
  const to = p.to ?? me;
  const cur = await currencyInfo(c, p.currency);
  const owed = await r.creditOf(me, p.currency);
  if (owed === 0n) throw new StateError(`nothing to claim: ${me} has no resale credit in ${cur.symbol}`);
  await requireFunds(c, NATIVE_INFO, me, 0n, 100_000n);
  const rep = await send(
    c,
    `claim ${fmt(owed, cur)} of resale credit`,
    () => r.claim.staticCall(p.currency, to),
    () => r.claim(p.currency, to),
    o.log,
  );
  return { amount: owed, to, txHash: rep.hash };
}

// ---------------------------------------------------------------- cross-chain fills

export interface SetRemotePriceParams {
  keyId: bigint;
  /** Hexs chain id of the buyers' chain (a resale peer). */
  chain: number;
  /** Token address on that chain, or NATIVE for its native coin. */
  currency: string;
  /** 0 withdraws the remote price. */
  price: bigint;
}

/** On the listing's chain: the price buyers paying on `chain` pay for your listed key. */
export async function setRemotePrice(
  c: HexsContracts,
  signer: Signer,
  p: SetRemotePriceParams,
  o: ActionOptions = {},
): Promise<{ txHash: string }> {
  const r = requireResale(c);
  const l = await listingOf(c, p.keyId);
  if (!l) throw new NotFoundError(`key ${formatId(p.keyId)} is not listed on '${c.chain.name}': list it first`);
  const me = await signer.getAddress();
  if (l.seller !== me) throw new NotAllowedError(`key ${formatId(p.keyId)} is listed by ${l.seller}, not ${me}`);
  if (!(await r.isResalePeer(p.chain)))
    throw new InvalidParamsError(
      `bad --chain ${p.chain}: not a resale peer of '${c.chain.name}' (its HexsResale would never answer)`,
    );
  await requireOpen(r);
  const rs = r.connect(signer);
  const rep = await send(
    c,
    `price key ${formatId(p.keyId)} for buyers on chain ${p.chain}`,
    () => rs.setRemotePrice.staticCall(p.keyId, p.chain, p.currency, p.price),
    () => rs.setRemotePrice(p.keyId, p.chain, p.currency, p.price),
    o.log,
  );
  return { txHash: rep.hash };
}

export interface BuyRemoteParams {
  /** Hexs chain id where the key is listed. */
  listingChain: number;
  modelId: bigint;
  keyId: bigint;
  /** The listing's seller (as read on the listing chain). */
  seller: string;
  /** Token address on this (the paying) chain, or NATIVE: the seller's remote price for it. */
  currency: string;
  price: bigint;
  /**
   * Unix seconds until which the listing chain may fill the order (it refuses it later); default
   * one hour from now, at most 30 days. Without an answer, `withdrawExpiredOrder` takes the escrow
   * back after the deadline plus HexsResale's ORDER_WITHDRAW_MARGIN (3 days).
   */
  deadline?: number;
}

/** Default life of an order: long enough for the relayer's round trip, short enough to wait for. */
export const DEFAULT_ORDER_TTL_SECONDS = 3600;

/** An order paid here, awaiting (or settled by) the listing chain's answer. */
export interface RemoteOrderView {
  orderId: bigint;
  /** "pending" until the listing chain's ResaleResult is applied here; then the order is gone. */
  state: "pending" | "settled";
  buyer?: string;
  listingChain?: number;
  modelId?: bigint;
  keyId?: bigint;
  seller?: string;
  currency?: string;
  price?: bigint;
  /** Unix seconds: the listing chain fills it only until then. */
  deadline?: number;
  /** Unix seconds after which its buyer may withdraw it unanswered (`withdrawExpiredOrder`). */
  withdrawableAt?: number;
}

/**
 * On the paying chain: order a key listed on another chain at the seller's remote price for this
 * chain. The payment is escrowed here until the listing chain answers (after the relayer carries
 * the order there and the answer back): a fill moves the key to you here and pays the seller; a
 * refusal credits the payment back in full (claimResale). Read the seller's remote price on the
 * listing chain first (`remotePriceOf`): a different price is refused there and refunded here.
 */
export async function buyListingRemote(
  c: HexsContracts,
  signer: Signer,
  p: BuyRemoteParams,
  o: ActionOptions = {},
): Promise<{ orderId: bigint; txHash: string }> {
  const r = requireResale(c);
  if (p.price <= 0n) throw new InvalidParamsError(`bad --price '${p.price}': a remote order needs a price above 0`);
  const now = (await c.provider.getBlock("latest"))!.timestamp;
  const deadline = p.deadline ?? now + DEFAULT_ORDER_TTL_SECONDS;
  const ttl = Number(await r.MAX_ORDER_TTL());
  if (!Number.isSafeInteger(deadline) || deadline <= now || deadline > now + ttl)
    throw new InvalidParamsError(
      `bad --deadline ${p.deadline}: an order's deadline must be after now (${now}) and at most ${ttl} s later`,
    );
  if (!(await r.isResalePeer(p.listingChain)))
    throw new InvalidParamsError(
      `bad --listing-chain ${p.listingChain}: not a resale peer of '${c.chain.name}' (an order there would never be answered)`,
    );
  if ((await c.registry.hub()) === ZeroAddress)
    throw new StateError(
      `'${c.chain.name}' has no hub (a single-chain deployment): an order could never reach chain ${p.listingChain}`,
    );
  await requireModel(c, p.modelId);
  const cur = await requireTradeCurrency(c, p.currency);
  await requireOpen(r);
  const me = await signer.getAddress();
  await requireFunds(c, cur, me, p.price, 400_000n);
  await ensureAllowance(cur, signer, await r.getAddress(), p.price, o.log);
  const value = cur.native ? p.price : 0n;
  const rs = r.connect(signer);
  const args = [p.listingChain, p.modelId, p.keyId, p.seller, p.currency, p.price, deadline] as const;
  const rep = await send(
    c,
    `order key ${formatId(p.keyId)} listed on chain ${p.listingChain} for ${fmt(p.price, cur)}`,
    () => rs.buyRemote.staticCall(...args, { value }),
    () => rs.buyRemote(...args, { value }),
    o.log,
  );
  const ev = findEvent(rep.receipt, r.interface, "RemoteOrderPlaced");
  if (!ev) throw new RevertError(`buyRemote: transaction ${rep.hash} emitted no RemoteOrderPlaced event`);
  return { orderId: ev.args.orderId as bigint, txHash: rep.hash };
}

/** An order paid on this chain: pending (escrowed) or settled (filled or refunded). */
export async function remoteOrderOf(c: HexsContracts, orderId: bigint): Promise<RemoteOrderView> {
  const r = requireResale(c);
  const o = await r.orderOf(orderId);
  if (o.buyer === ZeroAddress) {
    const placedHere = orderId >> 32n === BigInt(c.chain.hexsChainId);
    if (!placedHere || (orderId & 0xffffffffn) > (await r.ordersPlaced()))
      throw new NotFoundError(`no order ${formatId(orderId)} was placed on '${c.chain.name}'`);
    return { orderId, state: "settled" };
  }
  return {
    orderId,
    state: "pending",
    buyer: o.buyer,
    listingChain: Number(o.listingChain),
    modelId: o.modelId,
    keyId: o.keyId,
    seller: o.seller,
    currency: o.currency,
    price: o.price,
    deadline: Number(o.deadline),
    withdrawableAt: Number(o.deadline) + Number(await r.ORDER_WITHDRAW_MARGIN()),
  };
}

/**
 * On the paying chain: take back the escrow of your order that the listing chain has not answered
 * by its deadline + ORDER_WITHDRAW_MARGIN (a halted lane, relayers gone). The refund is credited
 * to you here (claimResale pays it). The listing chain refuses the order after its deadline, so
 * the key stays with its seller there, and an answer arriving later changes nothing here.
 */
export async function withdrawExpiredOrder(
  c: HexsContracts,
  signer: Signer,
  p: { orderId: bigint },
  o: ActionOptions = {},
): Promise<{ refunded: bigint; currency: string; txHash: string }> {
  const r = requireResale(c);
  const view = await remoteOrderOf(c, p.orderId);
  if (view.state === "settled")
    throw new StateError(`order ${formatId(p.orderId)} is already settled (filled or refunded): see resale:order`);
  const me = await signer.getAddress();
  if (view.buyer !== me) throw new NotAllowedError(`order ${formatId(p.orderId)} was placed by ${view.buyer}, not ${me}`);
  const now = (await c.provider.getBlock("latest"))!.timestamp;
  if (view.deadline === 0 || now < view.withdrawableAt!)
    throw new StateError(
      view.deadline === 0
        ? `order ${formatId(p.orderId)} has no deadline: only the listing chain's answer settles it`
        : `order ${formatId(p.orderId)} can be withdrawn after ${new Date(view.withdrawableAt! * 1000).toISOString()} ` +
            `(its deadline + the margin for an answer in flight); the listing chain may still answer before`,
      true,
    );
  await requireFunds(c, NATIVE_INFO, me, 0n, 100_000n);
  const rs = r.connect(signer);
  const rep = await send(
    c,
    `withdraw the unanswered order ${formatId(p.orderId)}`,
    () => rs.withdrawOrder.staticCall(p.orderId),
    () => rs.withdrawOrder(p.orderId),
    o.log,
  );
  return { refunded: view.price!, currency: view.currency!, txHash: rep.hash };
}

/** The remote price a listing here asks of buyers on `chain` (undefined when none applies). */
export async function remotePriceOf(
  c: HexsContracts,
  keyId: bigint,
  chain: number,
): Promise<{ seller: string; currency: string; price: bigint } | undefined> {
  const r = requireResale(c);
  const rp = await r.remotePriceOf(keyId, chain);
  const l = await r.listingOf(keyId);
  if (rp.price === 0n || l.seller === ZeroAddress || rp.seller !== l.seller) return undefined;
  return { seller: rp.seller, currency: rp.currency, price: rp.price };
}

/**
 * How an order placed on this (the paying) chain ended, once the listing chain's answer is applied
 * here: "filled" (the key arrived here, the seller was paid) or "refunded" (the payment credited
 * back to the buyer); undefined while it is pending. `fromBlock`: where to start looking (the
 * order's block, when known).
 */
export async function remoteOrderOutcome(
  c: HexsContracts,
  orderId: bigint,
  fromBlock = 0,
): Promise<{ outcome: "filled" | "refunded"; payee: string; txHash: string } | undefined> {
  const r = requireResale(c);
  const [ev] = await r.queryFilter(r.filters.RemoteOrderSettled(orderId), fromBlock);
  if (!ev) return undefined;
  return { outcome: ev.args.filled ? "filled" : "refunded", payee: ev.args.payee, txHash: ev.transactionHash };
}

/** What the market owes `account` here in `currency` (proceeds, withdrawn offers, refunded orders); claimResale pays it. */
export async function resaleCreditOf(c: HexsContracts, account: string, currency: string): Promise<bigint> {
  return requireResale(c).creditOf(account, currency);
}

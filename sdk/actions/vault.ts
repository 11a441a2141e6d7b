// Vaults: settle a model's vault up its lineage, claim what is credited.
import type { Signer } from "ethers";
import { ZeroAddress } from "ethers";
import { formatAccount, toSolAccount, type Account } from "../accounts";
import type { HexsContracts } from "../contracts";
import { formatId } from "../ids";
import { currencyInfo, findEvent, fmt, NATIVE_INFO, requireFunds, send, type ActionOptions } from "../tx";
import { requireModel } from "./common";
import { InvalidParamsError, NotAllowedError, RevertError, StateError } from "./errors";

export interface SettleLevel {
  modelId: bigint;
  amount: bigint;
  creator: string;
  creatorShare: bigint;
  parentId: bigint;
  parentShare: bigint;
  dao: string;
  daoShare: bigint;
  protocolFee: bigint;
  txHash?: string;
}

export interface SettleParams {
  modelId: bigint;
  /** Token address, or NATIVE. */
  currency: string;
  /** How many lineage levels to settle, walking up the parents (default: up to the root). */
  levels?: bigint;
}

/** Split a model's vault one lineage level up, then its parent's, … (anyone may call). Empty vaults are reported, not sent. */
export async function settle(c: HexsContracts, signer: Signer, p: SettleParams, o: ActionOptions = {}): Promise<SettleLevel[]> {
  const levels = p.levels ?? 1n << 16n;
  if (levels === 0n) throw new InvalidParamsError("bad --levels '0': settle at least one level");
  await requireModel(c, p.modelId);
  const cur = await currencyInfo(c, p.currency);
  const market = c.market.connect(signer);
  const out: SettleLevel[] = [];
  let id = p.modelId;
  for (let level = 0n; level < levels && id !== 0n; level++) {
    const lineage = await c.registry.lineageOf(id);
    const dao = await c.registry.daoOf(id);
    const amount = await c.market.vaultOf(id, p.currency);
    if (amount === 0n) {
      o.log?.(`level ${level}: model ${formatId(id)} vault is empty in ${cur.symbol}; nothing to settle`);
      out.push({
        modelId: id,
        amount,
        creator: lineage.creator,
        creatorShare: 0n,
        parentId: lineage.parentId,
        parentShare: 0n,
        dao,
        daoShare: 0n,
        protocolFee: 0n,
      });
    } else {
      await requireFunds(c, NATIVE_INFO, await signer.getAddress(), 0n, 120_000n);
      const modelId = id;
      const r = await send(
        c,
        `settle ${formatId(modelId)}`,
        () => market.settle.staticCall(modelId, p.currency),
        () => market.settle(modelId, p.currency),
        o.log,
      );
      const ev = findEvent(r.receipt, c.market.interface, "Settled");
      if (!ev) throw new RevertError(`settle: transaction ${r.hash} emitted no Settled event`);
      const lvl: SettleLevel = {
        modelId,
        amount,
        creator: lineage.creator,
        creatorShare: ev.args.creatorShare as bigint,
        parentId: lineage.parentId,
        parentShare: ev.args.parentShare as bigint,
        dao,
        daoShare: ev.args.daoShare as bigint,
        protocolFee: ev.args.protocolFee as bigint,
        txHash: r.hash,
      };
      out.push(lvl);
      if (o.log) {
        o.log(`level ${level}: model ${formatId(modelId)} vault ${fmt(amount, cur)} settled`);
        o.log(`  creator ${lvl.creator} credited ${fmt(lvl.creatorShare, cur)}`);
        if (lvl.parentId !== 0n) o.log(`  parent ${formatId(lvl.parentId)} vault +${fmt(lvl.parentShare, cur)}`);
        if (lvl.daoShare > 0n) o.log(`  DAO treasury ${dao} credited ${fmt(lvl.daoShare, cur)}`);
        o.log(`  protocol fee ${fmt(lvl.protocolFee, cur)}`);
      }
    }
    id = lineage.parentId;
  }
  return out;
}

export interface ClaimParams {
  /** Token address, or NATIVE. */
  currency: string;
  /** Where to send the funds (default: the signer). */
  to?: string;
  /**
   * Claim for this creator as its bound payout address: a creator on another chain family is
   * credited here under the registry's stand-in address for its account.
   */
  payee?: Account;
}

export interface ClaimResult {
  payee: string;
  to: string;
  amount: bigint;
  txHash: string;
}

/** Pull everything credited to the signer (creator, DAO, refunded buyer) — or to `payee`, as its bound payout address — in one currency. */
export async function claim(c: HexsContracts, signer: Signer, p: ClaimParams, o: ActionOptions = {}): Promise<ClaimResult> {
  const cur = await currencyInfo(c, p.currency);
  const me = await signer.getAddress();
  const market = c.market.connect(signer);
  await requireFunds(c, NATIVE_INFO, me, 0n, 100_000n);
  const to = p.to ?? me;
  if (p.payee) {
    const shown = formatAccount(p.payee);
    const payee = await c.registry.localCreator(toSolAccount(p.payee));
    const bound = await c.registry.payoutOf(payee);
    if (bound !== me) {
      throw new NotAllowedError(
        `${me} is not the payout address bound for ${shown} on this chain (${bound === ZeroAddress ? "none is bound yet: the creator binds one with payout:bind, or BindPayout on its own chain" : `bound: ${bound}`})`,
      );
    }
    // A payout address reaches the creator's earnings only (not its refunds or other credit).
    const owed = await c.market.earningsOf(payee, p.currency);
    if (owed === 0n)
      throw new StateError(
        `nothing to claim: ${shown} (${payee} here) has no ${cur.symbol} earnings credited. Vaults pay out only after settlement (vault:settle --model <id>).`,
      );
    const r = await send(
      c,
      `claim for ${shown}`,
      () => market.claimAs.staticCall(payee, p.currency, to),
      () => market.claimAs(payee, p.currency, to),
      o.log,
    );
    return { payee, to, amount: owed, txHash: r.hash };
  }
  const amount = await c.market.creditOf(me, p.currency);
  if (amount === 0n) {
    throw new StateError(
      `nothing to claim: ${me} has no ${cur.symbol} credited. Vaults pay out only after settlement (vault:settle --model <id>), or use --from with the payee's account.`,
    );
  }
  const r = await send(
    c,
    "claim",
    () => market.claim.staticCall(p.currency, to),
    () => market.claim(p.currency, to),
    o.log,
  );
  return { payee: me, to, amount, txHash: r.hash };
}

/** Pay the accrued protocol fees in one currency to the fee recipient governance set (anyone may call). */
export async function claimProtocolFees(
  c: HexsContracts,
  signer: Signer,
  currency: string,
  o: ActionOptions = {},
): Promise<ClaimResult> {
  const cur = await currencyInfo(c, currency);
  await requireFunds(c, NATIVE_INFO, await signer.getAddress(), 0n, 100_000n);
  const market = c.market.connect(signer);
  const [, recipient] = await c.market.protocolFee();
  const amount = await c.market.protocolFeesOf(currency);
  if (amount === 0n) throw new StateError(`no protocol fees accrued in ${cur.symbol}: settle some vaults first (vault:settle)`);
  const r = await send(
    c,
    "claim protocol fees",
    () => market.claimProtocolFees.staticCall(currency),
    () => market.claimProtocolFees(currency),
    o.log,
  );
  return { payee: recipient, to: recipient, amount, txHash: r.hash };
}

export interface ReclaimEscrowResult {
  keyId: bigint;
  buyer: string;
  currency: string;
  amount: bigint;
  txHash: string;
}

/**
 * The buyer takes back a purchase's deployment escrow that no lease report resolved before its
 * timeout (HexsMarket.reclaimEscrow); the amount is credited to the buyer, who then `claim`s it.
 */
export async function reclaimEscrow(
  c: HexsContracts,
  signer: Signer,
  keyId: bigint,
  o: ActionOptions = {},
): Promise<ReclaimEscrowResult> {
  const me = await signer.getAddress();
  const e = await c.market.escrowOf(keyId);
  if (e.amount === 0n)
    throw new StateError(
      `purchase ${formatId(keyId)} has no open deployment escrow on this chain: it was resolved by a lease report, reclaimed already, or bought without a deployment`,
    );
  if (e.buyer.toLowerCase() !== me.toLowerCase())
    throw new NotAllowedError(`only the buyer ${e.buyer} may reclaim the escrow of purchase ${formatId(keyId)}, not ${me}`);
  const now = BigInt((await c.provider.getBlock("latest"))!.timestamp);
  if (now < e.reclaimableAt)
    throw new StateError(
      `the escrow of purchase ${formatId(keyId)} is reclaimable from ${new Date(Number(e.reclaimableAt) * 1000).toISOString()} (in ${e.reclaimableAt - now} s) unless a lease is reported first`,
      true,
    );
  await requireFunds(c, NATIVE_INFO, me, 0n, 100_000n);
  const market = c.market.connect(signer);
  const r = await send(
    c,
    `reclaim the escrow of ${formatId(keyId)}`,
    () => market.reclaimEscrow.staticCall(keyId),
    () => market.reclaimEscrow(keyId),
    o.log,
  );
  if (o.log) o.log(`escrow of ${formatId(keyId)} credited back to ${me}: claim it with vault:claim`);
  return { keyId, buyer: me, currency: e.currency, amount: e.amount, txHash: r.hash };
}

/**
 * What became of a purchase's deployment (from the purchase chain, by its clock):
 * - `none`: bought without a deployment (or not bought on this chain);
 * - `pending`: the escrow is held while the lease service opens the lease;
 * - `reclaimable`: still unreported after the timeout: the buyer may take the escrow back;
 * - `leased`: a lease was reported for deployment `dseq`; the escrow paid the operator (`payee`);
 * - `refunded`: the deployment failed and the escrow was credited to the buyer (`payee`);
 * - `reclaimed`: the buyer took the escrow back after the timeout.
 */
export type DeploymentState = "none" | "pending" | "reclaimable" | "leased" | "refunded" | "reclaimed";

export interface DeploymentView {
  keyId: bigint;
  state: DeploymentState;
  /** the deployment part of the price (escrowed, then paid or refunded) */
  amount: bigint;
  currency?: string;
  /** who paid the escrow (may differ from the key's holder) */
  buyer?: string;
  /** unix seconds from which the buyer may reclaim a pending escrow */
  reclaimableAt?: number;
  /** who the escrow was credited to: the lease operator, or the buyer */
  payee?: string;
  /** the Akash deployment sequence of a reported lease */
  dseq?: bigint;
  /** the transaction that resolved or reclaimed the escrow */
  txHash?: string;
}

/** A purchase's deployment state on the chain it was bought on (`c`). */
export async function deploymentOf(c: HexsContracts, keyId: bigint): Promise<DeploymentView> {
  const e = await c.market.escrowOf(keyId);
  if (e.amount !== 0n) {
    const now = (await c.provider.getBlock("latest"))!.timestamp;
    const at = Number(e.reclaimableAt);
    return {
      keyId,
      state: now >= at ? "reclaimable" : "pending",
      amount: e.amount,
      currency: e.currency,
      buyer: e.buyer,
      reclaimableAt: at,
    };
  }
  const [purchase] = await c.market.queryFilter(c.market.filters.Purchased(keyId));
  if (!purchase || purchase.args.deploymentEscrow === 0n) return { keyId, state: "none", amount: 0n };
  const paid = { keyId, amount: purchase.args.deploymentEscrow, currency: purchase.args.currency, buyer: purchase.args.buyer };
  const [resolved] = await c.market.queryFilter(c.market.filters.DeploymentResolved(keyId));
  if (resolved) {
    const a = resolved.args;
    return {
      ...paid,
      state: a.leased ? "leased" : "refunded",
      payee: a.payee,
      ...(a.leased ? { dseq: a.dseq } : {}),
      txHash: resolved.transactionHash,
    };
  }
  const [reclaimed] = await c.market.queryFilter(c.market.filters.EscrowReclaimed(keyId));
  if (reclaimed) return { ...paid, state: "reclaimed", payee: reclaimed.args.buyer, txHash: reclaimed.transactionHash };
  return { keyId, state: "none", amount: 0n };
}

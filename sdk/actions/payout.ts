// Payout bindings: a creator names the account that is paid its earnings on a chain (how a
// creator on one chain family is paid on another). A binding redirects earnings only: it gives
// no rights over the creator's models and reaches no other credit of the creator's account.
import type { Signer } from "ethers";
import { ZeroAddress } from "ethers";
import { AccountFamily, toSolAccount, type Account } from "../accounts";
import type { HexsContracts } from "../contracts";
import { globalId } from "../../codec";
import { encodeEip712Blob, payoutDomain, PAYOUT_BINDING_TYPES, payoutTypedValue } from "../payout-binding";
import { send, type ActionOptions } from "../tx";
import { requirePayoutBindings } from "./common";
import { InvalidParamsError } from "./errors";

export interface BindPayoutParams {
  /** Hexs chain id the payout account is for (this chain or a peer). */
  chain: number;
  payout: Account;
  /** Binding nonce (default: one above the creator's last binding for that chain). */
  nonce?: bigint;
  /** A model of the creator on this chain (default: its latest one found here). */
  modelId?: bigint;
}

export interface BindResult {
  creator: string;
  chain: number;
  payout: Account;
  nonce: bigint;
  /** the signature blob recorded in PayoutAddressBound (scheme 1, EIP-712) */
  signature: string;
  txHash: string;
}

/**
 * Bind the creator's payout account on a chain: the creator (the signer) signs the binding as
 * EIP-712 typed data (what a wallet shows field by field) for this chain's PayoutBindings
 * contract, which checks it and has the hub record it for every chain.
 */
export async function bindPayout(
  c: HexsContracts,
  signer: Signer,
  p: BindPayoutParams,
  o: ActionOptions = {},
): Promise<BindResult> {
  const payoutBindings = requirePayoutBindings(c, "payout bindings");
  const bindings = payoutBindings.connect(signer);
  const creator = await signer.getAddress();
  const creatorAccount: Account = { family: AccountFamily.Evm, address: creator.toLowerCase() };
  const self = Number(await c.registry.chainId());
  const last = p.chain === self ? await c.registry.payoutNonceOf(creator) : await payoutBindings.sourceNonce(creator, p.chain);
  const nonce = p.nonce ?? last + 1n;
  if (nonce !== last + 1n)
    throw new InvalidParamsError(
      `bad nonce ${nonce}: the next binding of ${creator} for chain ${p.chain} has nonce ${last + 1n}`,
    );
  const modelId = p.modelId ?? (await latestModelOf(c, self, creator));
  const { chainId } = await c.provider.getNetwork();
  const domain = payoutDomain(chainId, await payoutBindings.getAddress());
  const sig = await signer.signTypedData(
    domain,
    PAYOUT_BINDING_TYPES,
    payoutTypedValue({ creator: creatorAccount, chain: p.chain, payout: p.payout, nonce }),
  );
  const r = await send(
    c,
    `bind payout ${p.payout.address} on chain ${p.chain} (nonce ${nonce})`,
    () => bindings.bindPayout.staticCall(creator, modelId, p.chain, toSolAccount(p.payout), nonce, sig),
    () => bindings.bindPayout(creator, modelId, p.chain, toSolAccount(p.payout), nonce, sig),
    o.log,
  );
  return {
    creator,
    chain: p.chain,
    payout: p.payout,
    nonce,
    signature: encodeEip712Blob(chainId, domain.verifyingContract as string, sig),
    txHash: r.hash,
  };
}

/** The creator's latest model published on this chain (only creators may bind). */
async function latestModelOf(c: HexsContracts, self: number, creator: string): Promise<bigint> {
  const count = Number(await c.registryLens.modelCount(await c.registry.getAddress()));
  for (let serial = count; serial >= 1; serial--) {
    const id = globalId(self, serial);
    if ((await c.registry.creatorOf(id)).toLowerCase() === creator.toLowerCase()) return id;
  }
  throw new InvalidParamsError(`${creator} created no model on this chain: only creators bind payout accounts`);
}

/** What a creator from another chain family has on this chain. */
export interface RemoteCreatorView {
  /** This chain's stand-in address for the creator's account (what the market credits). */
  standIn: string;
  /** The payout address bound for it here (its earnings are claimed by that address), if any. */
  payout?: string;
  /** The nonce its next binding for this chain must carry. */
  nextPayoutNonce: bigint;
  /** Its earnings credited here in `currency` (claimable by the payout address). */
  earnings: bigint;
}

/**
 * A creator on another chain family (e.g. a Cosmos account) as this chain sees it: its stand-in
 * address, the payout address bound for it, and what it earned here in `currency`.
 */
export async function remoteCreatorOn(c: HexsContracts, creator: Account, currency: string): Promise<RemoteCreatorView> {
  const standIn = await c.registry.localCreator(toSolAccount(creator));
  const [payout, nonce, earnings] = await Promise.all([
    c.registry.payoutOf(standIn),
    c.registry.payoutNonceOf(standIn),
    c.market.earningsOf(standIn, currency),
  ]);
  return { standIn, ...(payout === ZeroAddress ? {} : { payout }), nextPayoutNonce: nonce + 1n, earnings };
}

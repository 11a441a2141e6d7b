// Payout bindings: a creator names the account that is paid for it on a chain (how a creator on
// one chain family is paid on another).
import type { Signer } from "ethers";
import { getBytes } from "ethers";
import { payoutBindingDigest } from "../../codec";
import { AccountFamily, toSolAccount, type Account } from "../accounts";
import type { HexsContracts } from "../contracts";
import { send, type ActionOptions } from "../tx";
import { InvalidParamsError, NotFoundError } from "./errors";

export interface BindPayoutParams {
  /** Hexs chain id the payout account is for. */
  chain: number;
  payout: Account;
  /** Binding nonce (default: one above the creator's last binding for that chain). */
  nonce?: bigint;
}

export interface BindResult {
  creator: string;
  chain: number;
  payout: Account;
  nonce: bigint;
  signature: string;
  txHash: string;
}

/**
 * Bind the creator's payout account on a chain: the creator (the signer) signs the binding
 * (EIP-191) and the hub records it and tells every chain.
 */
export async function bindPayout(
  c: HexsContracts,
  signer: Signer,
  p: BindPayoutParams,
  o: ActionOptions = {},
): Promise<BindResult> {
  if (!c.hub)
    throw new NotFoundError(
      `network '${c.chain.name}' has a single-chain Hexs deployment (no HexsHub): cross-chain tasks need the hub`,
    );
  const hubRead = c.hub;
  const creator = await signer.getAddress();
  const creatorAccount: Account = { family: AccountFamily.Evm, address: creator.toLowerCase() };
  const sign = (nonce: bigint) => signer.signMessage(getBytes(payoutBindingDigest(creatorAccount, p.chain, p.payout, nonce)));
  const hub = hubRead.connect(signer);
  let nonce = p.nonce ?? 1n;
  if (nonce === 0n) throw new InvalidParamsError("bad --nonce 0: binding nonces start at 1");
  let signature = await sign(nonce);
  if (p.nonce === undefined) {
    // The hub keeps the last nonce per (creator, chain) without a getter: a stale probe names it.
    try {
      await hub.bindPayout.staticCall(creator, p.chain, toSolAccount(p.payout), nonce, signature);
    } catch (e) {
      const data = (e as { data?: string }).data;
      const parsed = data ? hubRead.interface.parseError(data) : null;
      if (parsed?.name === "StaleBinding") {
        nonce = (parsed.args[1] as bigint) + 1n;
        signature = await sign(nonce);
      }
    }
  }
  const r = await send(
    c,
    `bind payout ${p.payout.address} on chain ${p.chain} (nonce ${nonce})`,
    () => hub.bindPayout.staticCall(creator, p.chain, toSolAccount(p.payout), nonce, signature),
    () => hub.bindPayout(creator, p.chain, toSolAccount(p.payout), nonce, signature),
    o.log,
  );
  return { creator, chain: p.chain, payout: p.payout, nonce, signature, txHash: r.hash };
}

// Buying a key with an injected EIP-1193 wallet (MetaMask-like), through the SDK: switch the
// wallet to the sale's chain, let the SDK check funds and simulate, watch the wallet sign and
// submit, wait for the receipt, then watch the other chains' hubs until the key is mirrored.
import { useEffect, useState } from "react";
import { BrowserProvider, JsonRpcProvider, toBeHex } from "ethers";
import * as hexs from "../../sdk";
import type { EvmChain } from "../../sdk/chains";

export interface Eip1193 {
  request(args: { method: string; params?: unknown[] | Record<string, unknown> }): Promise<unknown>;
  on?(event: string, fn: (...args: unknown[]) => void): void;
  removeListener?(event: string, fn: (...args: unknown[]) => void): void;
}

export function injectedWallet(): Eip1193 | undefined {
  return (window as unknown as { ethereum?: Eip1193 }).ethereum;
}

/** The injected wallet's current account, following the wallet's account changes. */
export function useAccount(): string | undefined {
  const [account, setAccount] = useState<string>();
  useEffect(() => {
    const eth = injectedWallet();
    if (!eth) return;
    const read = () =>
      void eth
        .request({ method: "eth_accounts" })
        .then((a) => setAccount((a as string[])[0]))
        .catch(() => undefined);
    read();
    eth.on?.("accountsChanged", read);
    return () => eth.removeListener?.("accountsChanged", read);
  }, []);
  return account;
}

/** The wallet is on another network and did not switch. */
export class WrongNetworkError extends Error {
  constructor(
    readonly walletChainId: number,
    readonly chain: EvmChain,
    readonly reason: string,
  ) {
    super(`wallet is on chain ${walletChainId}, the sale is on ${chain.name} (${chain.evmChainId}): ${reason}`);
  }
}

export class NoWalletError extends Error {
  constructor() {
    super("no injected wallet (window.ethereum)");
  }
}

const codeOf = (e: unknown): unknown => (e && typeof e === "object" ? (e as { code?: unknown }).code : undefined);

/** Whether a wallet refusal (EIP-1193 code 4001, ethers' ACTION_REJECTED, Keplr's "Request rejected") is anywhere in the error's causes. */
export function isRejection(e: unknown): boolean {
  const seen = new Set<unknown>();
  let cur: unknown = e;
  while (cur && typeof cur === "object" && !seen.has(cur)) {
    seen.add(cur);
    const code = codeOf(cur);
    if (code === 4001 || code === "ACTION_REJECTED") return true;
    // Keplr (and wallets built like it) refuse with a plain Error("Request rejected")
    if (cur instanceof Error && /^request rejected$/i.test(cur.message)) return true;
    const r = cur as Record<string, unknown>;
    cur = r.cause ?? r.error ?? r.info;
  }
  return false;
}

export async function walletChainId(eth: Eip1193): Promise<number> {
  return Number(await eth.request({ method: "eth_chainId" }));
}

/** Ask the wallet to switch to `chain` (adding it first if it does not know it). */
export async function ensureChain(eth: Eip1193, chain: EvmChain): Promise<void> {
  const want = chain.evmChainId;
  if (!want) throw new Error(`the chain registry gives no EVM chain id for ${chain.name}`);
  const current = await walletChainId(eth);
  if (current === want) return;
  const chainId = toBeHex(want);
  try {
    await eth.request({ method: "wallet_switchEthereumChain", params: [{ chainId }] });
  } catch (e) {
    if (codeOf(e) === 4902 && chain.rpcUrl) {
      try {
        await eth.request({
          method: "wallet_addEthereumChain",
          params: [
            {
              chainId,
              chainName: chain.name,
              rpcUrls: [chain.rpcUrl],
              nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
            },
          ],
        });
      } catch (e2) {
        throw new WrongNetworkError(
          current,
          chain,
          isRejection(e2) ? "you declined adding the network" : String((e2 as Error).message ?? e2),
        );
      }
    } else {
      throw new WrongNetworkError(current, chain, isRejection(e) ? "you declined the switch" : String((e as Error).message ?? e));
    }
  }
  const now = await walletChainId(eth);
  if (now !== want) throw new WrongNetworkError(now, chain, "the wallet stayed on its network");
}

export type BuyStep =
  | { step: "switching"; chain: string }
  | { step: "checking" }
  /** ERC-20 prices: the wallet is asked to approve the market, then the approval is mined. */
  | { step: "approving"; txHash?: string }
  | { step: "approved"; txHash?: string }
  | { step: "signing" }
  | { step: "submitted"; txHash: string }
  | { step: "confirmed"; txHash: string; keyId: bigint; buyer: string }
  | { step: "mirrored"; keyId: bigint; chains: string[]; seconds: number };

/** ERC-20 approve(address,uint256). */
const APPROVE_SELECTOR = "0x095ea7b3";

/**
 * Wrap the wallet so a flow sees when it asks for a signature and when the transaction is out. An
 * ERC-20 approval (the SDK sends it and waits for it before the buy) shows as approving →
 * approved; the SDK only sends the buy once the approval is mined.
 */
function watched(eth: Eip1193, on: (s: BuyStep) => void): Eip1193 {
  let approval: string | undefined;
  return {
    request: async (args) => {
      if (args.method !== "eth_sendTransaction") return eth.request(args);
      const data = String((args.params as { data?: string }[] | undefined)?.[0]?.data ?? "");
      if (data.toLowerCase().startsWith(APPROVE_SELECTOR)) {
        on({ step: "approving" });
        approval = (await eth.request(args)) as string;
        on({ step: "approving", txHash: approval });
        return approval;
      }
      if (approval) on({ step: "approved", txHash: approval });
      on({ step: "signing" });
      const hash = (await eth.request(args)) as string;
      on({ step: "submitted", txHash: hash });
      return hash;
    },
    on: eth.on?.bind(eth),
    removeListener: eth.removeListener?.bind(eth),
  };
}

export interface BuyRequest {
  chain: EvmChain;
  modelId: bigint;
  currency: string;
  /** The model's metadata URI: where an allowlisted model publishes its list. */
  metadataUri?: string | null;
  /** Ask for an Akash deployment with the key (the price's deployment escrow is paid too). */
  deploymentParams?: Record<string, unknown>;
}

export interface Bought {
  keyId: bigint;
  modelId: bigint;
  recipient: string;
  txHash: string;
}

/** The wallet on `chain` (switched there first), as the SDK's contracts and signer, its steps reported. */
export async function walletOn(eth: Eip1193, chain: EvmChain, on: (s: BuyStep) => void) {
  on({ step: "switching", chain: chain.name });
  await eth.request({ method: "eth_requestAccounts" });
  await ensureChain(eth, chain);
  on({ step: "checking" });
  const provider = new BrowserProvider(watched(eth, on), chain.evmChainId);
  provider.pollingInterval = 500;
  const signer = await provider.getSigner();
  return { c: hexs.connectContracts(chain, provider), signer };
}

/** Buy one key; reports each step up to "confirmed" (or throws a wallet/SDK error). */
export async function buyKey(eth: Eip1193, r: BuyRequest, on: (s: BuyStep) => void): Promise<Bought> {
  const { c, signer } = await walletOn(eth, r.chain, on);
  // an allowlisted model: this account's proof from the published list, or a refusal before any signature
  const root = await hexs.allowlistRootOf(c, r.modelId);
  const allowlistProof = root
    ? hexs.allowlistProofFor(r.modelId, hexs.allowlistFromMetadata(r.metadataUri), root, await signer.getAddress())
    : undefined;
  const res = await hexs.buy(c, signer, {
    modelId: r.modelId,
    currency: r.currency,
    allowlistProof,
    ...(r.deploymentParams ? { deploymentParams: r.deploymentParams } : {}),
  });
  on({ step: "confirmed", txHash: res.txHash, keyId: res.keyId, buyer: res.buyer });
  return { keyId: res.keyId, modelId: r.modelId, recipient: res.recipient, txHash: res.txHash };
}

/** Watch the other chains' hubs until the bought key is mirrored on each of them. */
export async function watchMirrors(
  mirrors: EvmChain[],
  b: Bought,
  on: (s: BuyStep) => void,
  signal?: AbortSignal,
): Promise<void> {
  const t0 = Date.now();
  const pending = mirrors.filter((m) => m.contracts.HexsHub && m.contracts.HexsHubLens && m.rpcUrl);
  const total = pending.length;
  const done: string[] = [];
  const owner = hexs.toSolAccount(hexs.evmAccount(b.recipient));
  while (pending.length && !signal?.aborted) {
    for (const m of [...pending]) {
      const mc = hexs.connectContracts(m, new JsonRpcProvider(m.rpcUrl, m.evmChainId, { staticNetwork: true }));
      const v = await mc.hubLens!.mirroredKey(m.contracts.HexsHub!, b.keyId, b.modelId, owner).catch(() => undefined);
      if (v && v.resident !== 0n) {
        pending.splice(pending.indexOf(m), 1);
        done.push(m.name);
      }
    }
    if (pending.length) await new Promise((ok) => setTimeout(ok, 1000));
  }
  if (total && !pending.length) on({ step: "mirrored", keyId: b.keyId, chains: done, seconds: (Date.now() - t0) / 1000 });
}

export interface Explained {
  title: string;
  detail: string;
  next: string;
}

/** A person-readable account of what went wrong, and what to do next (`action`: "purchase", "transfer", …). */
export function explain(e: unknown, chainLabel: string, action = "purchase"): Explained {
  const again = action === "purchase" ? "Buy" : action === "move" ? "Move" : action === "transfer" ? "Transfer" : "the button";
  if (e instanceof NoWalletError)
    return {
      title: "No wallet found",
      detail: "This page needs a browser wallet (an EIP-1193 wallet such as MetaMask) to buy a key.",
      next: "Install or unlock a wallet, then reload the page.",
    };
  if (e instanceof WrongNetworkError)
    return {
      title: "Wrong network",
      detail: `Your wallet is on chain ${e.walletChainId}, but this ${action === "purchase" ? "sale" : action === "move" || action === "transfer" ? "key" : "action"} is on ${chainLabel} (chain ${e.chain.evmChainId}): ${e.reason}.`,
      next: `Switch your wallet to ${chainLabel} and press ${again} again.`,
    };
  if (isRejection(e))
    return {
      title: "Signature rejected",
      detail: "You declined the request in your wallet. Nothing was sent and nothing was paid.",
      next: `Press ${again} again when you are ready to sign.`,
    };
  if (e instanceof hexs.HexsError && e.code === "insufficient_funds")
    return {
      title: "Insufficient funds",
      // the SDK's sentence, without its CLI advice
      detail: e.message.replace(/^insufficient funds: /, "").replace(/ Fund the account or use --from with another one\.$/, ""),
      next:
        action === "purchase"
          ? `Add funds to your account on ${chainLabel}, or buy on another chain.`
          : `Add funds to your account on ${chainLabel}.`,
    };
  if (e instanceof hexs.HexsError && e.code === "not_allowed")
    return { title: "Not allowed", detail: sentence(e.message), next: "Nothing was sent." };
  if (e instanceof hexs.HexsError && e.code === "invalid_params")
    return { title: "Please check what you entered", detail: sentence(e.message), next: "Nothing was sent." };
  if (e instanceof hexs.HexsError)
    return {
      title: `The ${action} cannot go through`,
      detail: sentence(e.message),
      next: e.retryable ? "Try again in a moment." : action === "purchase" ? "Nothing was paid." : "Nothing was sent.",
    };
  return { title: "Something went wrong", detail: sentence(hexs.messageOf(e)), next: "Check your wallet and try again." };
}

/**
 * The SDK's messages start lower-case (CLI style): a sentence for the page, without the raw
 * transaction and RPC payload ethers appends (`(transaction="0x…", info={…}, code=…)`).
 */
const sentence = (raw: string) => {
  const m = raw.replace(/ \((?:transaction|action|info|code|data)=[\s\S]*$/, "").trim();
  return m.charAt(0).toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? "" : ".");
};

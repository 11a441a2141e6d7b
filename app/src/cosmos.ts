// The Cosmos side of the app, loaded only when someone picks a Cosmos chain (cosmjs is large):
// a Keplr-compatible wallet (window.keplr) gives the signer, the SDK's CosmWasm client does the
// rest (reads, checks, signing, broadcast).
import { CosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import type { OfflineAminoSigner, StdSignature } from "@cosmjs/amino";
import type { OfflineSigner } from "@cosmjs/proto-signing";
import type { CosmosChain } from "../../sdk/chains";
import { DeploymentError } from "../../sdk/chains";
import { connectCosmos, formatCoin, type CosmosHexs } from "../../sdk/cosmwasm-client";
import type { ConfigResponse, Model } from "../../sdk/cosmwasm/Hexs.types";
export {
  cosmosAccountOf,
  cosmosBalance,
  cosmosBindPayout,
  isCreatorOf,
  cosmosBuyKey,
  cosmosFork,
  cosmosModels,
  formatCoin,
  parseCoin,
  type CosmosHexs,
  type CosmosStep,
} from "../../sdk/cosmwasm-client";

/** The part of Keplr's injected API the app uses (other Keplr-compatible wallets offer the same). */
export interface Keplr {
  /** Offer the wallet a chain it may not know (Keplr's ChainInfo); optional: not every wallet has it. */
  experimentalSuggestChain?(info: KeplrChainInfo): Promise<void>;
  enable(chainId: string): Promise<void>;
  getOfflineSigner(chainId: string): OfflineSigner | Promise<OfflineSigner>;
  /** ADR-36: sign arbitrary bytes (the key service's challenges); Keplr's API for messages that are not transactions. */
  signArbitrary?(chainId: string, signer: string, data: string | Uint8Array): Promise<StdSignature>;
}

/** The wallet cannot sign messages (no signArbitrary): the key service cannot be asked to hold the SDL's key. */
export class NoMessageSigningError extends Error {
  constructor() {
    super("the Cosmos wallet cannot sign messages (no signArbitrary): use Keplr or a wallet with ADR-36 signing");
  }
}

interface KeplrCurrency {
  coinDenom: string;
  coinMinimalDenom: string;
  coinDecimals: number;
}

/** Keplr's ChainInfo: what a wallet needs to add a chain it does not know. */
export interface KeplrChainInfo {
  chainId: string;
  chainName: string;
  rpc: string;
  rest: string;
  bip44: { coinType: number };
  bech32Config: Record<
    | "bech32PrefixAccAddr"
    | "bech32PrefixAccPub"
    | "bech32PrefixValAddr"
    | "bech32PrefixValPub"
    | "bech32PrefixConsAddr"
    | "bech32PrefixConsPub",
    string
  >;
  currencies: KeplrCurrency[];
  feeCurrencies: (KeplrCurrency & { gasPriceStep: { low: number; average: number; high: number } })[];
  stakeCurrency: KeplrCurrency;
}

export class NoKeplrError extends Error {
  constructor() {
    super("no Keplr-compatible wallet (window.keplr)");
  }
}

/** The wallet declined (or failed) to add the chain: nothing was enabled, signed or sent. */
export class ChainNotAddedError extends Error {
  constructor(
    public chainId: string,
    public reason: string,
  ) {
    super(`the wallet did not add chain ${chainId}: ${reason}`);
  }
}

/**
 * Keplr's ChainInfo for a registry entry: its ids, RPC and bech32 prefix from the app's config, the
 * currency from the contract's own config (the denom it charges in), the gas price from the entry
 * (default 0.025). Keplr also wants a REST (LCD) URL: the entry's `restUrl`, else its RPC URL (the
 * page never uses REST; the wallet only reads balances through it).
 */
export function keplrChainInfo(chain: CosmosChain, label: string, denom: string): KeplrChainInfo {
  const prefix = chain.bech32Prefix;
  if (!chain.cosmosChainId || !chain.rpcUrl || !prefix)
    throw new DeploymentError(`the chain registry entry of ${chain.name} needs cosmosChainId, rpcUrl and bech32Prefix`);
  const micro = /^u[a-z]+$/.test(denom);
  const currency = {
    coinDenom: micro ? denom.slice(1).toUpperCase() : denom,
    coinMinimalDenom: denom,
    coinDecimals: micro ? 6 : 0,
  };
  const gas = Number(/^([0-9.]+)/.exec(chain.gasPrice ?? "")?.[1] ?? "0.025");
  const rest = (chain as CosmosChain & { restUrl?: unknown }).restUrl;
  return {
    chainId: chain.cosmosChainId,
    chainName: label,
    rpc: chain.rpcUrl,
    rest: typeof rest === "string" ? rest : chain.rpcUrl,
    bip44: { coinType: 118 },
    bech32Config: {
      bech32PrefixAccAddr: prefix,
      bech32PrefixAccPub: `${prefix}pub`,
      bech32PrefixValAddr: `${prefix}valoper`,
      bech32PrefixValPub: `${prefix}valoperpub`,
      bech32PrefixConsAddr: `${prefix}valcons`,
      bech32PrefixConsPub: `${prefix}valconspub`,
    },
    currencies: [currency],
    feeCurrencies: [{ ...currency, gasPriceStep: { low: gas, average: gas, high: gas * 2 } }],
    stakeCurrency: currency,
  };
}

/**
 * Ask the wallet for access to `chain`, and connect to the chain's Hexs contract as its account.
 * The chain is suggested to the wallet first (a wallet that does not know the devnet can then
 * connect); a wallet that refuses it is not asked for anything else.
 */
export async function connectKeplr(chain: CosmosChain, label = chain.name): Promise<CosmosHexs> {
  const keplr = (window as unknown as { keplr?: Keplr }).keplr;
  if (!keplr) throw new NoKeplrError();
  if (!chain.cosmosChainId) throw new DeploymentError(`the chain registry gives no Cosmos chain id for ${chain.name}`);
  if (keplr.experimentalSuggestChain) {
    if (!chain.rpcUrl || !chain.contract)
      throw new DeploymentError(`the chain registry gives no RPC URL or contract for ${chain.name}`);
    // the denom the contract charges in, read without a wallet
    const reader = await CosmWasmClient.connect(chain.rpcUrl);
    let denom: string;
    try {
      ({
        config: { denom },
      } = (await reader.queryContractSmart(chain.contract, { config: {} })) as ConfigResponse);
    } finally {
      reader.disconnect();
    }
    const info = keplrChainInfo(chain, label, denom);
    try {
      await keplr.experimentalSuggestChain(info);
    } catch (e) {
      throw new ChainNotAddedError(info.chainId, e instanceof Error ? e.message : String(e));
    }
  }
  await keplr.enable(chain.cosmosChainId);
  return connectCosmos(chain, await keplr.getOfflineSigner(chain.cosmosChainId));
}

/** What a model page shows of a model on a Cosmos chain's contract, read without a wallet. */
export interface CosmosListing {
  /** "1.5 COSM" */
  price: string;
  /** Keys the contract minted for it. */
  minted: number;
  retired: boolean;
}

/** The model's price and keys minted on `chain`'s contract (a query, no wallet); undefined if the contract does not have it. */
export async function readCosmosModel(chain: CosmosChain, id: bigint): Promise<CosmosListing | undefined> {
  if (!chain.rpcUrl || !chain.contract)
    throw new DeploymentError(`the chain registry gives no RPC URL or contract for ${chain.name}`);
  const client = await CosmWasmClient.connect(chain.rpcUrl);
  try {
    const { config } = (await client.queryContractSmart(chain.contract, { config: {} })) as ConfigResponse;
    let m: Model;
    try {
      m = (await client.queryContractSmart(chain.contract, { model: { id: id.toString() } })) as Model;
    } catch {
      return undefined; // not (yet) on this chain's contract
    }
    return { price: formatCoin(m.price, config.denom), minted: m.minted, retired: m.retired };
  } finally {
    client.disconnect();
  }
}

/**
 * The key service's view of the connected Cosmos account: an amino signer whose only signatures are
 * ADR-36 messages (the stores' challenges), made by the wallet's signArbitrary, as Keplr asks dApps
 * to sign non-transaction data. Anything else is refused here, never passed to the wallet.
 */
export function cosmosKeyHolder(h: CosmosHexs): { family: "cosmos"; address: string; signer: OfflineAminoSigner } {
  const keplr = (window as unknown as { keplr?: Keplr }).keplr;
  if (!keplr) throw new NoKeplrError();
  const sign = keplr.signArbitrary?.bind(keplr);
  if (!sign) throw new NoMessageSigningError();
  const chainId = h.chain.cosmosChainId!;
  return {
    family: "cosmos",
    address: h.sender,
    signer: {
      getAccounts: async () => {
        const accounts = await (await keplr.getOfflineSigner(chainId)).getAccounts();
        return accounts.map((a) => ({ address: a.address, algo: a.algo, pubkey: a.pubkey }));
      },
      signAmino: async (signer, doc) => {
        const m = doc.msgs[0] as { type?: string; value?: { signer?: string; data?: string } } | undefined;
        if (doc.msgs.length !== 1 || m?.type !== "sign/MsgSignData" || m.value?.signer !== signer || !m.value.data)
          throw new Error("only ADR-36 messages (the key service's challenges) are signed here");
        const data = Uint8Array.from(atob(m.value.data), (c) => c.charCodeAt(0));
        return { signed: doc, signature: await sign(chainId, signer, data) };
      },
    },
  };
}

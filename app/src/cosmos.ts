// The Cosmos side of the app, loaded only when someone picks a Cosmos chain (cosmjs is large):
// a Keplr-compatible wallet (window.keplr) gives the signer, the SDK's CosmWasm client does the
// rest (reads, checks, signing, broadcast).
import type { OfflineSigner } from "@cosmjs/proto-signing";
import type { CosmosChain } from "../../sdk/chains";
import { DeploymentError } from "../../sdk/chains";
import { connectCosmos, type CosmosHexs } from "../../sdk/cosmwasm-client";
export {
  cosmosBalance,
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
  enable(chainId: string): Promise<void>;
  getOfflineSigner(chainId: string): OfflineSigner | Promise<OfflineSigner>;
}

export class NoKeplrError extends Error {
  constructor() {
    super("no Keplr-compatible wallet (window.keplr)");
  }
}

/** Ask the wallet for access to `chain`, and connect to the chain's Hexs contract as its account. */
export async function connectKeplr(chain: CosmosChain): Promise<CosmosHexs> {
  const keplr = (window as unknown as { keplr?: Keplr }).keplr;
  if (!keplr) throw new NoKeplrError();
  if (!chain.cosmosChainId) throw new DeploymentError(`the chain registry gives no Cosmos chain id for ${chain.name}`);
  await keplr.enable(chain.cosmosChainId);
  return connectCosmos(chain, await keplr.getOfflineSigner(chain.cosmosChainId));
}

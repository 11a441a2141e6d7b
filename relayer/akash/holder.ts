// A running deployment is bound to its key holder: the manifest the lease service sends sets
// HEXS_HOLDER (the holder's account word, 0x-hex: family byte ‖ length ‖ address, as the codec
// and the CosmWasm `key` query write it) and HEXS_HOLDER_CHAIN (the Hexs chain id the key
// resides on) in every service. The model server / API gateway admits only that holder; a
// handover changes both values, so the deployment's version on Akash changes and the provider
// accepts only the new holder's manifest. Co-signers recompute the same manifest from the same
// two values (relayer/akash/attested.ts).
import { getAddress } from "ethers";
import { AccountFamily, encodeAccount, type Account } from "../../codec";
import { prepareSdl, type AkashNetworkId, type PreparedSdl } from "../../sdk/akash/sdl";

export const HOLDER_ENV = "HEXS_HOLDER";
export const HOLDER_CHAIN_ENV = "HEXS_HOLDER_CHAIN";

export interface HolderRef {
  /** account word, 0x-hex lower case */
  word: string;
  /** Hexs chain id where the key resides */
  chain: string;
}

/** The account word of a codec account, 0x-hex lower case. */
export function holderWord(a: Account): string {
  return "0x" + Buffer.from(encodeAccount({ family: a.family, address: a.address.toLowerCase() })).toString("hex");
}

/** The account word of an EVM address. */
export function evmHolderWord(address: string): string {
  return holderWord({ family: AccountFamily.Evm, address: getAddress(address).toLowerCase() });
}

/** The manifest environment that binds a deployment to `holder`. */
export function holderEnv(holder: HolderRef): [string, string][] {
  return [
    [HOLDER_ENV, holder.word.toLowerCase()],
    [HOLDER_CHAIN_ENV, holder.chain],
  ];
}

/** The SDL's manifest bound to `holder` (undefined: the SDL's own manifest, for jobs recorded before holders were bound). */
export function prepareForHolder(sdl: string, network: AkashNetworkId, holder: HolderRef | undefined): PreparedSdl {
  return prepareSdl(sdl, network, holder ? holderEnv(holder) : []);
}

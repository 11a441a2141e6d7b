// Publishing's SDL work in the page (a separate chunk, loaded when the studio publishes): the
// SDK's browser-safe sealing (sdk/keys/seal.ts) with chain-sdk's `/web` build and js-yaml —
// validated here, encrypted here (AES-256-GCM, the key split over the key service's five shard
// stores), and only the ciphertext and the shards (each sealed to its store) leave the page.
import { generateManifest } from "@akashnetwork/chain-sdk/web";
import { load } from "js-yaml";
import { InvalidParamsError, NotFoundError } from "../../sdk/actions/errors";
import type { CosmosChain } from "../../sdk/chains";
import { KeyServiceClient, localEndpoints, type Holder } from "../../sdk/keys/client";
import {
  grantKeyHolders,
  grantOperators,
  imageDigestOf,
  sealSdlWith,
  validateSdlWith,
  type KeyLocations,
  type SealedSdl,
  type SdlTools,
  type ValidSdl,
} from "../../sdk/keys/seal";

const TOOLS: SdlTools = {
  load: (text) => load(text),
  generateManifest: (sdl, network) => generateManifest(sdl as Parameters<typeof generateManifest>[0], network),
};

export function validateInPage(text: string): ValidSdl {
  return validateSdlWith(TOOLS, text, "mainnet", "the SDL");
}

/** Everything sealing checks before it asks a wallet: the SDL and its image pin (or the digest given). */
export function checkInPage(text: string, imageDigest?: string): ValidSdl {
  const valid = validateInPage(text);
  imageDigestOf(valid, imageDigest);
  return valid;
}

/** The Cosmos fork form's checks, all before a wallet is asked: a key service, the contract, a valid pinned SDL. */
export function checkForkInPage(o: { keyServiceUrl?: string; chain?: CosmosChain; sdl: string; imageDigest: string }): ValidSdl {
  if (!o.keyServiceUrl)
    throw new NotFoundError(
      "this deployment names no key service (keyServiceUrl in config.json): the fork's SDL cannot be encrypted and stored",
    );
  if (!o.chain?.contract)
    throw new NotFoundError(`the chain registry gives no Hexs contract for ${o.chain?.name ?? "this chain"}`);
  if (o.sdl.trim() === "") throw new InvalidParamsError("paste or upload the fork's SDL (its Akash deployment file)");
  return checkInPage(o.sdl, o.imageDigest || undefined);
}

export async function sealInPage(keyServiceUrl: string, owner: Holder, text: string, imageDigest?: string): Promise<SealedSdl> {
  return sealSdlWith(TOOLS, new KeyServiceClient(localEndpoints(keyServiceUrl)), owner, text, {
    source: "the SDL",
    ...(imageDigest ? { imageDigest } : {}),
  });
}

/** Let holders of a live key of the model (its collection on each listed EVM chain) decrypt the SDL. */
export async function grantInPage(
  keyServiceUrl: string,
  owner: Holder,
  locator: string,
  evm: { chain: string; keyNft: string }[],
): Promise<void> {
  await grantKeyHolders(new KeyServiceClient(localEndpoints(keyServiceUrl)), owner, locator, { evm });
}

/** Let holders of a key of the model wherever it lives (EVM collections, the CosmWasm contract's has_access) decrypt the SDL. */
export async function grantWhereInPage(
  keyServiceUrl: string,
  owner: Holder,
  locator: string,
  where: KeyLocations,
): Promise<void> {
  await grantKeyHolders(new KeyServiceClient(localEndpoints(keyServiceUrl)), owner, locator, where);
}

/** Let the relayer operators decrypt the SDL (their lease pipeline opens a purchase's Akash lease); the owner's wallet signs. */
export async function grantOperatorsInPage(
  keyServiceUrl: string,
  owner: Holder,
  locator: string,
  operators: string[],
): Promise<void> {
  if (operators.length === 0) throw new NotFoundError("this deployment names no lease operators (leaseOperators in config.json)");
  await grantOperators(new KeyServiceClient(localEndpoints(keyServiceUrl)), owner, locator, operators);
}

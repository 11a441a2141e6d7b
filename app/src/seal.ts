// Publishing's SDL work in the page (a separate chunk, loaded when the studio publishes): the
// SDK's browser-safe sealing (sdk/keys/seal.ts) with chain-sdk's `/web` build and js-yaml —
// validated here, encrypted here (AES-256-GCM, the key split over the key service's five shard
// stores), and only the ciphertext and the shards (each sealed to its store) leave the page.
import { generateManifest } from "@akashnetwork/chain-sdk/web";
import { load } from "js-yaml";
import { KeyServiceClient, localEndpoints, type Holder } from "../../sdk/keys/client";
import { grantKeyHolders, sealSdlWith, validateSdlWith, type SealedSdl, type SdlTools, type ValidSdl } from "../../sdk/keys/seal";

const TOOLS: SdlTools = {
  load: (text) => load(text),
  generateManifest: (sdl, network) => generateManifest(sdl as Parameters<typeof generateManifest>[0], network),
};

export function validateInPage(text: string): ValidSdl {
  return validateSdlWith(TOOLS, text, "mainnet", "the SDL");
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

// SDL checks in Node: seal.ts's browser-safe validation with chain-sdk's CommonJS build and
// js-yaml (the web app passes chain-sdk's `/web` entry instead).
import type { generateManifest as GenerateManifest } from "@akashnetwork/chain-sdk/dist/types/sdl/manifest/generateManifest";
import { validateSdlWith, type AkashNetwork, type SdlTools, type ValidSdl } from "./seal";

export { imageDigestOf } from "./seal";
export type { AkashNetwork, SdlImage, ValidSdl } from "./seal";

// chain-sdk publishes its types only through package "exports", which this project's
// moduleResolution ("node") does not read: the runtime comes from require, the types by path.

const { generateManifest } = require("@akashnetwork/chain-sdk") as { generateManifest: typeof GenerateManifest };

// js-yaml 4 ships no types; chain-sdk depends on it, so it is installed with it.

const { load } = require("js-yaml") as { load(text: string, opts?: { json?: boolean }): unknown };

export const NODE_SDL_TOOLS: SdlTools = {
  load,
  generateManifest: (sdl, network) => generateManifest(sdl as Parameters<typeof GenerateManifest>[0], network),
};

/**
 * Validate an SDL. Throws `invalid_sdl` listing every problem chain-sdk found (with its path in
 * the document), or `unsupported` for confidential-compute services.
 */
export function validateSdl(text: string, network: AkashNetwork = "mainnet", source = "SDL"): ValidSdl {
  return validateSdlWith(NODE_SDL_TOOLS, text, network, source);
}

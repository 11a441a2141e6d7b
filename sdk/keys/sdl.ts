// SDL checks before anything is encrypted: parse with js-yaml and validate with
// @akashnetwork/chain-sdk's generateManifest (the code that also builds the manifest a provider
// will hash), so an SDL that a provider would reject is never published. Confidential-compute
// SDLs (`params.tee`) are refused as unsupported: chain-sdk 1.0.0-alpha.25 cannot produce the
// manifest providers expect for them.
import { createHash } from "node:crypto";
import type { generateManifest as GenerateManifest } from "@akashnetwork/chain-sdk/dist/types/sdl/manifest/generateManifest";
import { refuse } from "./errors";

// chain-sdk publishes its types only through package "exports", which this project's
// moduleResolution ("node") does not read: the runtime comes from require, the types by path.

const { generateManifest } = require("@akashnetwork/chain-sdk") as { generateManifest: typeof GenerateManifest };

// js-yaml 4 ships no types; chain-sdk depends on it, so it is installed with it.

const { load } = require("js-yaml") as { load(text: string, opts?: { json?: boolean }): unknown };

export type AkashNetwork = "mainnet" | "sandbox" | "testnet";

export interface SdlImage {
  service: string;
  image: string;
  /** sha256 digest the image is pinned to (`name@sha256:…`), as 0x + 64 hex. */
  digest?: string;
  hasCredentials: boolean;
}

export interface ValidSdl {
  version: string;
  services: string[];
  images: SdlImage[];
  /** Number of deployment groups the manifest will have. */
  groups: number;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

/**
 * Validate an SDL. Throws `invalid_sdl` listing every problem chain-sdk found (with its path in
 * the document), or `unsupported` for confidential-compute services.
 */
export function validateSdl(text: string, network: AkashNetwork = "mainnet", source = "SDL"): ValidSdl {
  let doc: unknown;
  try {
    doc = load(text);
  } catch (e) {
    refuse("invalid_sdl", `${source} is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  if (!isRecord(doc)) refuse("invalid_sdl", `${source} is not a YAML mapping (version, services, profiles, deployment)`);
  const services = isRecord(doc.services) ? doc.services : {};
  for (const [name, svc] of Object.entries(services)) {
    if (isRecord(svc) && isRecord(svc.params) && svc.params.tee !== undefined) {
      refuse(
        "unsupported",
        `${source}: service '${name}' asks for confidential compute (params.tee: ${JSON.stringify(svc.params.tee)}), which is unsupported: ` +
          "@akashnetwork/chain-sdk 1.0.0-alpha.25 cannot build the manifest providers hash for TEE services. Remove params.tee to publish",
      );
    }
  }
  // chain-sdk's schema validation can throw on shapes it does not expect; report those too.
  let result: ReturnType<typeof generateManifest>;
  try {
    result = generateManifest(doc as unknown as Parameters<typeof generateManifest>[0], network);
  } catch (e) {
    refuse("invalid_sdl", `${source} is invalid: ${(e as Error).message}`);
  }
  if (!result.ok) {
    const seen = new Set<string>();
    const problems = result.value.map((v) => `${v.instancePath || "/"}: ${v.message}`).filter((p) => !seen.has(p) && seen.add(p));
    refuse(
      "invalid_sdl",
      `${source} is invalid (${problems.length} problem${problems.length > 1 ? "s" : ""}):\n  - ${problems.join("\n  - ")}`,
    );
  }
  const images: SdlImage[] = Object.entries(services).map(([service, svc]) => {
    const s = svc as Record<string, unknown>;
    const image = String(s.image);
    const m = /@sha256:([0-9a-f]{64})$/.exec(image);
    return { service, image, digest: m ? "0x" + m[1] : undefined, hasCredentials: s.credentials !== undefined };
  });
  return { version: String(doc.version), services: Object.keys(services), images, groups: result.value.groups.length };
}

/**
 * The image digest a model commits to. An explicit digest wins; otherwise every service's image
 * must be pinned by digest: one service → its digest, several → sha256 over the sorted lines
 * "<service>=<digest>" so the commitment binds each service to its image.
 */
export function imageDigestOf(sdl: ValidSdl, explicit?: string): string {
  if (explicit !== undefined && explicit !== "") {
    const m = /^(?:0x|sha256:)?([0-9a-fA-F]{64})$/.exec(explicit.trim());
    if (!m) refuse("bad_request", `image digest '${explicit}' is not sha256:<64 hex> or 0x<64 hex>`);
    return "0x" + m[1].toLowerCase();
  }
  const unpinned = sdl.images.filter((i) => !i.digest);
  if (unpinned.length) {
    refuse(
      "bad_request",
      `image ${unpinned[0].image} of service '${unpinned[0].service}' is not pinned by digest: ` +
        "pin every image (name@sha256:<digest>) or pass the image digest explicitly (--image-digest)",
    );
  }
  if (sdl.images.length === 1) return sdl.images[0].digest as string;
  const lines = sdl.images
    .map((i) => `${i.service}=${i.digest}`)
    .sort()
    .join("\n");
  return "0x" + createHash("sha256").update(lines).digest("hex");
}

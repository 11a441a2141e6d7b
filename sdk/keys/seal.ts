// SDL checks before anything is encrypted, browser-safe: parse YAML and validate with
// @akashnetwork/chain-sdk's generateManifest (the code that also builds the manifest a provider
// will hash), so an SDL that a provider would reject is never published. The parser and
// generateManifest are passed in (`SdlTools`): Node takes them from chain-sdk's CommonJS build
// (sdl.ts), the web app from its `/web` entry, so one validation runs in both. Confidential-compute
// SDLs (`params.tee`) are refused as unsupported: chain-sdk 1.0.0-alpha.25 cannot produce the
// manifest providers expect for them. Sealing (validate → encrypt in this process → upload) is
// here too: nothing of the SDL leaves unencrypted.
import { sha256 } from "@noble/hashes/sha256";
import { bytesToHex, utf8ToBytes } from "./bytes";
import { anyOf, cosmwasmKeyCondition, evmKeyCondition, type AccessCondition } from "./access";
import { encryptAndUpload, parseLocator, type EncryptedUpload, type Holder, type KeyServiceClient } from "./client";
import { contentCommitment } from "./commitment";
import { refuse } from "./errors";

/** What validation reads of generateManifest's answer (chain-sdk's own types are not reachable from every build). */
export type ManifestResult =
  { ok: true; value: { groups: unknown[] } } | { ok?: false; value: { instancePath?: string; message?: string }[] };

/** The YAML parser (js-yaml's load) and chain-sdk's generateManifest. */
export interface SdlTools {
  load(text: string): unknown;
  generateManifest(sdl: unknown, network: AkashNetwork): ManifestResult;
}

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
export function validateSdlWith(tools: SdlTools, text: string, network: AkashNetwork = "mainnet", source = "SDL"): ValidSdl {
  const { load, generateManifest } = tools;
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
  let result: ManifestResult;
  try {
    result = generateManifest(doc, network);
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
  return "0x" + bytesToHex(sha256(utf8ToBytes(lines)));
}

export interface SealedSdl {
  sdl: ValidSdl;
  upload: EncryptedUpload;
  imageDigest: string;
  /** HexsRegistry.commitment(sha256(encrypted SDL), imageDigest). */
  contentCommitment: string;
}

/** Validate, encrypt here (AES-256-GCM, key split over the shard stores), upload; owner-only access until granted. */
export async function sealSdlWith(
  tools: SdlTools,
  client: KeyServiceClient,
  owner: Holder,
  sdlText: string,
  o: { imageDigest?: string; network?: AkashNetwork; source?: string } = {},
): Promise<SealedSdl> {
  const sdl = validateSdlWith(tools, sdlText, o.network ?? "mainnet", o.source ?? "SDL");
  const imageDigest = imageDigestOf(sdl, o.imageDigest);
  const upload = await encryptAndUpload(client, owner, utf8ToBytes(sdlText));
  return { sdl, upload, imageDigest, contentCommitment: contentCommitment(upload.encryptedSha256, imageDigest) };
}

export interface KeyLocations {
  /** The model's KeyNFT collection on each EVM chain where keys can be bought. */
  evm?: Array<{ chain: string; keyNft: string }>;
  /** The Hexs CosmWasm contract (the mirror of every chain's keys) on each CosmWasm chain. */
  cosmwasm?: Array<{ chain: string; contract: string; modelId: bigint | string }>;
}

export function keyHolderConditions(where: KeyLocations): { conditions: AccessCondition[]; aggregator?: string } {
  const list: AccessCondition[] = [
    ...(where.evm ?? []).map((e) => evmKeyCondition(0, e.chain, e.keyNft)),
    ...(where.cosmwasm ?? []).map((c) => cosmwasmKeyCondition(0, c.chain, c.contract, c.modelId)),
  ];
  if (list.length === 0) refuse("bad_request", "name at least one chain where the model's keys live");
  return anyOf(list);
}

/** Let every holder of a live key of the model decrypt the SDL at `locator`. Owner only. */
export async function grantKeyHolders(
  client: KeyServiceClient,
  owner: Holder,
  locator: string,
  where: KeyLocations,
): Promise<void> {
  await client.setConditions(owner, parseLocator(locator).cid, keyHolderConditions(where));
}

/**
 * Let the relayer operators decrypt the SDL at `locator` (owner only): the lease pipeline decrypts
 * as the operator's key when a buyer asks for a deployment. Operators are EVM addresses (the
 * relayer's operator key; `relayer keys` prints it). Key holders are admitted by the conditions.
 * Browser-safe: the web app's Cosmos page grants from here.
 */
export async function grantOperators(
  client: KeyServiceClient,
  owner: Holder,
  locator: string,
  operators: string[],
): Promise<void> {
  await client.share(owner, parseLocator(locator).cid, operators);
}

// Node-only actions on a model's encrypted SDL, through the key service (sdk/keys, which uses
// node:crypto): seal it before publishing, let key holders (and relayer operators) decrypt it,
// decrypt it as a key holder.
import type { Signer } from "ethers";
import type { HexsContracts } from "../contracts";
import { formatId } from "../ids";
import { requireModel } from "../actions/common";
import { NotFoundError } from "../actions/errors";
import {
  decryptForHolder,
  evmHolder,
  grantKeyHolders,
  grantOperators,
  KeyServiceClient,
  revokeOperators,
  localEndpoints,
  sealSdl,
  type Holder,
  type KeyLocations,
  type SealedSdl,
} from "../keys";

/** A key service reached at one base URL (the devnet's, or any Lighthouse-compatible one). */
export function keyServiceAt(url: string): KeyServiceClient {
  return new KeyServiceClient(localEndpoints(url.replace(/\/+$/, "")));
}

/** The key-service identity of an EVM signer. */
export async function holderOf(signer: Signer): Promise<Holder> {
  return evmHolder(signer, (await signer.getAddress()).toLowerCase());
}

export interface SealParams {
  keyServiceUrl: string;
  /** The plaintext Akash SDL. */
  sdl: string;
  /** The image digest to commit to (sha256:<hex>) when the SDL's images are not pinned by digest. */
  imageDigest?: string;
  /** A name for the SDL in messages (e.g. its file name). */
  source?: string;
}

/**
 * Validate, encrypt and store an SDL with the key service (owner-only access until
 * grantModelSdl); returns the content commitment and SDL locator to publish with.
 */
export async function sealModelSdl(signer: Signer, p: SealParams): Promise<SealedSdl> {
  return sealSdl(keyServiceAt(p.keyServiceUrl), await holderOf(signer), p.sdl, {
    imageDigest: p.imageDigest,
    source: p.source,
  });
}

export interface GrantParams {
  keyServiceUrl: string;
  /** The model's key collection on this chain. */
  keyNft: string;
  sdlLocator: string;
  /** The key service's name for this EVM chain (default hexs-evm-<EIP-155 chain id>). */
  keyChain?: string;
  /** Also admit holders on this CosmWasm chain (the key service's name for it and the Hexs contract there). */
  wasm?: { chain: string; contract: string };
  /** Relayer operator addresses allowed to decrypt too (to open Akash leases for buyers). */
  operators?: string[];
}

export interface GrantResult {
  /** The chains whose key holders may decrypt. */
  chains: string[];
  operators: string[];
}

/** Let holders of a model's live keys (and the given operators) decrypt its SDL; the creator signs. */
export async function grantModelSdl(c: HexsContracts, signer: Signer, modelId: bigint, p: GrantParams): Promise<GrantResult> {
  const chainId = (await c.provider.getNetwork()).chainId;
  const where: KeyLocations = { evm: [{ chain: p.keyChain ?? `hexs-evm-${chainId}`, keyNft: p.keyNft }] };
  if (p.wasm) where.cosmwasm = [{ chain: p.wasm.chain, contract: p.wasm.contract, modelId }];
  const client = keyServiceAt(p.keyServiceUrl);
  const owner = await holderOf(signer);
  await grantKeyHolders(client, owner, p.sdlLocator, where);
  const operators = p.operators ?? [];
  if (operators.length) await grantOperators(client, owner, p.sdlLocator, operators);
  return { chains: [...(where.evm ?? []), ...(where.cosmwasm ?? [])].map((w) => w.chain), operators };
}

/**
 * Revoke relayer operators' decrypt grant for a model's SDL (creator only; Hexs-mode key service):
 * their lease pipelines can no longer decrypt it. Rotate operators by revoking the old ones and
 * granting the new ones (`grantModelSdl` with `operators`).
 */
export async function revokeModelOperators(
  c: HexsContracts,
  signer: Signer,
  modelId: bigint,
  p: { keyServiceUrl: string; operators: string[] },
): Promise<void> {
  await revokeOperators(keyServiceAt(p.keyServiceUrl), await holderOf(signer), await modelSdlLocator(c, modelId), p.operators);
}

/** The SDL locator a model was published with, or a NotFoundError. */
export async function modelSdlLocator(c: HexsContracts, modelId: bigint): Promise<string> {
  await requireModel(c, modelId);
  const m = await c.registry.model(modelId);
  if (!m.sdlLocator) throw new NotFoundError(`model ${formatId(modelId)} has no SDL locator: it was published without --sdl`);
  return m.sdlLocator;
}

export interface DecryptResult {
  modelId: bigint;
  holder: string;
  sdl: Buffer;
}

/**
 * Decrypt a model's SDL as a key holder: the signer answers the key service's challenge, the
 * service checks it holds a live key. Key-service refusals are KeyServiceErrors (code
 * forbidden, unauthenticated, …).
 */
export async function decryptModelSdl(
  c: HexsContracts,
  signer: Signer,
  modelId: bigint,
  o: { keyServiceUrl: string },
): Promise<DecryptResult> {
  const locator = await modelSdlLocator(c, modelId);
  const sdl = await decryptForHolder(keyServiceAt(o.keyServiceUrl), await holderOf(signer), locator);
  return { modelId, holder: await signer.getAddress(), sdl };
}

// model:decrypt, and the --sdl part of model:publish / model:fork (wired in model.ts).
// sdk/keys (Lighthouse SDK, chain-sdk, cosmjs) is loaded only when a task runs, so
// Hardhat's start-up stays light.
import { task } from "hardhat/config";
import type { ConfigurableTaskDefinition, HardhatRuntimeEnvironment } from "hardhat/types";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import type { Signer } from "ethers";
import type { KeyServiceError } from "../sdk/keys";
import { loadProtocol, resolveSigner } from "./lib/context";
import { cli, fail, TaskError } from "./lib/errors";
import { say } from "./lib/log";
import { formatId } from "../sdk/ids";
import { parseId } from "./lib/parse";

/** Where the embedded key service listens unless --key-service or HEXS_KEY_SERVICE says otherwise. */
export const DEFAULT_KEY_SERVICE = "http://127.0.0.1:18500";

export interface SdlArgs {
  sdl?: string;
  imageDigest?: string;
  keyService?: string;
  keyChain?: string;
  wasmChain?: string;
  wasmContract?: string;
  operators?: string;
}

export const SDL_HELP =
  "Akash SDL file to validate, encrypt and store with the key service; sets the content commitment and SDL locator. " +
  "Registry credentials in an SDL should be short-lived pull tokens (read-only, expiring): every key holder can read them";

/** The options --sdl needs, added to model:publish and model:fork. */
export function withSdlParams(t: ConfigurableTaskDefinition): ConfigurableTaskDefinition {
  return t
    .addOptionalParam("sdl", SDL_HELP)
    .addOptionalParam(
      "imageDigest",
      "With --sdl: the image digest to commit to (sha256:<hex>), if the SDL's images are not pinned by digest",
    )
    .addOptionalParam(
      "keyService",
      `Key service base URL (Lighthouse-compatible; default $HEXS_KEY_SERVICE or ${DEFAULT_KEY_SERVICE})`,
    )
    .addOptionalParam("keyChain", "With --sdl: the key service's name for this EVM chain (default hexs-evm-<chainId>)")
    .addOptionalParam("wasmChain", "With --sdl: also admit holders on this CosmWasm chain (the key service's name for it)")
    .addOptionalParam("wasmContract", "With --wasm-chain: the Hexs CosmWasm contract address there")
    .addOptionalParam("operators", OPERATORS_HELP);
}

const OPERATORS_HELP =
  "With --sdl: relayer operator addresses (comma-separated 0x…, default $HEXS_RELAYER_OPERATORS) allowed to decrypt the SDL, " +
  "so the relayer can open Akash leases for buyers who ask for a deployment (`relayer keys` prints an operator's address)";

/** --operators or $HEXS_RELAYER_OPERATORS, validated. */
function operatorsOf(a: SdlArgs): string[] {
  const list = (a.operators ?? process.env.HEXS_RELAYER_OPERATORS ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  for (const x of list)
    if (!/^0x[0-9a-fA-F]{40}$/.test(x))
      fail(`bad --operators entry '${x}': expected 0x-prefixed 20-byte EVM addresses, comma-separated`);
  return list;
}

function keyServiceUrl(a: SdlArgs): string {
  const url = a.keyService ?? process.env.HEXS_KEY_SERVICE ?? DEFAULT_KEY_SERVICE;
  if (!/^https?:\/\/[^/]+/.test(url)) fail(`bad --key-service '${url}': expected a base URL such as ${DEFAULT_KEY_SERVICE}`);
  return url.replace(/\/+$/, "");
}

/** The Node-only SDL actions (sdk/node/sdl.ts: the key service client, Lighthouse, chain-sdk), loaded when a task runs. */
export function sdlActions(): Promise<typeof import("../sdk/node/sdl")> {
  return import("../sdk/node/sdl");
}

/** Turn the key service's refusals into messages that say what to do. */
function explain(e: unknown, who: string, model: string, url: string): never {
  const err = e as KeyServiceError;
  if (!err || typeof err !== "object" || err.name !== "KeyServiceError") throw e;
  const hint: Record<string, string> = {
    forbidden: `${who} holds no live key of model ${model} on any chain the key service checks (never bought, subscription expired, or transferred away). Buy one: npx hardhat key:buy --model ${model}`,
    unauthenticated: `the key service did not accept ${who}'s signature; sign with the account you name (--from)`,
    nonce_replayed: "a signed challenge was used twice; run the command again for a fresh one",
    nonce_expired: "the signed challenge expired before use; check this machine's clock and run again",
    chain_unavailable: `the key service could not decide (a chain or the service at ${url} is unreachable); try again when it is up`,
    not_found: `the key service at ${url} does not know this SDL; is --key-service the one the model was published with?`,
    integrity:
      "the key service or gateway returned data that fails its checks (wrong shard or tampered file); report it to the operator",
  };
  throw new TaskError(`${err.message}\n  → ${hint[err.code] ?? "see the message above"}`);
}

export interface SealedForPublish {
  commitment: string;
  sdlLocator: string;
  source: string;
}

/** --sdl, before the registry transaction: validate, encrypt, upload; owner-only access for now. */
export async function sealForPublish(hre: HardhatRuntimeEnvironment, a: SdlArgs, signer: Signer): Promise<SealedForPublish> {
  if (!a.sdl) fail("--sdl needs a file");
  if (!existsSync(a.sdl) || !statSync(a.sdl).isFile()) fail(`--sdl '${a.sdl}' is not a file`);
  const url = keyServiceUrl(a);
  try {
    const s = await (
      await sdlActions()
    ).sealModelSdl(signer, { keyServiceUrl: url, sdl: readFileSync(a.sdl, "utf8"), imageDigest: a.imageDigest, source: a.sdl });
    if (s.sdl.images.some((i) => i.hasCredentials)) {
      say(
        "  note: the SDL carries registry credentials; every key holder can read them. Use short-lived, read-only pull tokens.",
      );
    }
    say(
      `  SDL ${a.sdl} validated (${s.sdl.services.length} service(s)), encrypted and stored as ${s.upload.cid} (${s.upload.encryptedBytes} bytes)`,
    );
    return {
      commitment: s.contentCommitment,
      sdlLocator: s.upload.locator,
      source: `commitment(sha256 of encrypted SDL ${s.upload.encryptedSha256}, image ${s.imageDigest})`,
    };
  } catch (e) {
    if (e instanceof Error && e.name === "KeyServiceError") throw new TaskError(`--sdl ${a.sdl}: ${e.message}`);
    throw e;
  }
}

/** --sdl, after the registry transaction: let holders of the new model's keys decrypt. */
export async function grantAfterPublish(
  hre: HardhatRuntimeEnvironment,
  a: SdlArgs,
  signer: Signer,
  modelId: bigint,
  keyNft: string,
  sdlLocator: string,
): Promise<void> {
  const url = keyServiceUrl(a);
  if ((a.wasmChain || a.wasmContract) && (!a.wasmChain || !a.wasmContract)) fail("--wasm-chain and --wasm-contract go together");
  const operators = operatorsOf(a);
  const { grantModelSdl } = await sdlActions();
  let granted;
  try {
    granted = await grantModelSdl(await loadProtocol(hre), signer, modelId, {
      keyServiceUrl: url,
      keyNft,
      sdlLocator,
      keyChain: a.keyChain,
      wasm: a.wasmChain && a.wasmContract ? { chain: a.wasmChain, contract: a.wasmContract } : undefined,
      operators,
    });
  } catch (e) {
    if (e instanceof Error && e.name === "KeyServiceError") {
      throw new TaskError(
        `model ${formatId(modelId)} is registered, but its SDL's access conditions were not set: ${e.message}\n` +
          "  → until they are, only the creator can decrypt it; fix the key service and run model:grant-holders",
      );
    }
    throw e;
  }
  say(`  key holders of model ${formatId(modelId)} on ${granted.chains.join(", ")} may decrypt the SDL`);
  if (operators.length) say(`  relayer operators ${operators.join(", ")} may decrypt it to open leases for buyers`);
}

export interface DecryptArgs extends SdlArgs {
  model: string;
  out: string;
  from?: string;
  force: boolean;
}

task("model:decrypt", "Decrypt a model's SDL as a key holder (signs a key-service challenge) and write it to a file")
  .addParam("model", "The model (id such as 4294967297 or chain:serial such as 1:1)")
  .addParam("out", "File to write the SDL to (created with mode 0600)")
  .addOptionalParam("from", "Account holding the key: index (0, 1, …) or address", "0")
  .addOptionalParam("keyService", `Key service base URL (default $HEXS_KEY_SERVICE or ${DEFAULT_KEY_SERVICE})`)
  .addFlag("force", "Overwrite --out if it exists")
  .setAction(
    cli(async (a: DecryptArgs, hre) => {
      const modelId = parseId("model", a.model);
      const p = await loadProtocol(hre);
      const { decryptModelSdl, modelSdlLocator } = await sdlActions();
      await modelSdlLocator(p, modelId); // unknown model / no SDL: say so before anything else
      if (existsSync(a.out) && !a.force) fail(`--out '${a.out}' exists; pass --force to overwrite it`);
      const signer = await resolveSigner(hre, a.from);
      const who = await signer.getAddress();
      const url = keyServiceUrl(a);
      let sdl: Buffer;
      try {
        ({ sdl } = await decryptModelSdl(p, signer, modelId, { keyServiceUrl: url }));
      } catch (e) {
        explain(e, who, formatId(modelId), url);
      }
      writeFileSync(a.out, sdl, { mode: 0o600 });
      say(`model ${formatId(modelId)}: SDL decrypted for ${who} → ${a.out} (${sdl.length} bytes)`);
      return { modelId, out: a.out, bytes: sdl.length };
    }, sdlActions),
  );

task(
  "model:revoke-operators",
  "Revoke relayer operators' grant to decrypt a model's SDL (rotate operators: revoke the old, grant the new with model:grant-holders --operators); creator only",
)
  .addParam("model", "The model")
  .addParam("operators", "Operator addresses to revoke (comma-separated 0x…)")
  .addOptionalParam("from", "The creator's account: index or address", "0")
  .addOptionalParam("keyService", `Key service base URL (default $HEXS_KEY_SERVICE or ${DEFAULT_KEY_SERVICE})`)
  .setAction(
    cli(async (a: SdlArgs & { model: string; from?: string }, hre) => {
      const modelId = parseId("model", a.model);
      const operators = operatorsOf(a);
      if (!operators.length) fail("--operators: name at least one operator address to revoke");
      const p = await loadProtocol(hre);
      const { revokeModelOperators } = await sdlActions();
      const signer = await resolveSigner(hre, a.from);
      const url = keyServiceUrl(a);
      try {
        await revokeModelOperators(p, signer, modelId, { keyServiceUrl: url, operators });
      } catch (e) {
        const who = await signer.getAddress();
        if ((e as KeyServiceError).code === "forbidden")
          throw new TaskError(
            `${(e as Error).message}\n  → only the model's creator (the SDL's owner) revokes operators; ${who} is not it (--from)`,
          );
        explain(e, who, formatId(modelId), url);
      }
      say(`model ${formatId(modelId)}: relayer operators ${operators.join(", ")} may no longer decrypt its SDL`);
      return { modelId, revoked: operators };
    }, sdlActions),
  );

task(
  "model:grant-holders",
  "Set (again) the key service's access conditions of a model's SDL: holders of its live keys may decrypt; creator only",
)
  .addParam("model", "The model")
  .addOptionalParam("from", "The creator's account: index or address", "0")
  .addOptionalParam("keyService", `Key service base URL (default $HEXS_KEY_SERVICE or ${DEFAULT_KEY_SERVICE})`)
  .addOptionalParam("keyChain", "The key service's name for this EVM chain (default hexs-evm-<chainId>)")
  .addOptionalParam("wasmChain", "Also admit holders on this CosmWasm chain")
  .addOptionalParam("wasmContract", "With --wasm-chain: the Hexs CosmWasm contract address there")
  .addOptionalParam("operators", OPERATORS_HELP)
  .setAction(
    cli(async (a: SdlArgs & { model: string; from?: string }, hre) => {
      const modelId = parseId("model", a.model);
      const p = await loadProtocol(hre);
      const { modelSdlLocator } = await sdlActions();
      const locator = await modelSdlLocator(p, modelId);
      const signer = await resolveSigner(hre, a.from);
      await grantAfterPublish(hre, a, signer, modelId, await p.registry.keysOf(modelId), locator);
    }, sdlActions),
  );

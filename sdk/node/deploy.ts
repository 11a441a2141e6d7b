// Node-only: a key holder deploys a model on Akash with their own Akash account, no relayer —
// the same lease pipeline the relayer runs (relayer/akash), its progress in a local SQLite file
// so an interrupted run resumes where it stopped.
import fs from "node:fs";
import path from "node:path";
import type { Signer } from "ethers";
import type { HexsContracts } from "../contracts";
import { keysOf } from "../contracts";
import { formatId } from "../ids";
import { requireModel } from "../actions/common";
import { InvalidParamsError, NotAllowedError, NotFoundError, StateError } from "../actions/errors";
import type { Log } from "../tx";
import { AkashClient } from "../akash/client";
import { modelSdlLocator, holderOf, keyServiceAt } from "./sdl";
import { LeasePipeline } from "../../relayer/akash/pipeline";
import { KeyServiceSdlSource, PlaintextFileSdlSource } from "../../relayer/akash/sdl-source";
import { NoopLeaseReporter } from "../../relayer/akash/reporter";
import { LeaseStore, storeSpec } from "../../relayer/store";

export interface DeployParams {
  modelId: bigint;
  /** BIP-39 mnemonic of the Akash account that pays the deposit (uact) and fees (uakt). */
  akashMnemonic: string;
  /** Akash CometBFT RPC and REST (gRPC-gateway) endpoints. */
  akashRpc: string;
  akashRest: string;
  /** Where the SDL comes from: a plaintext file, or the model's encrypted SDL through the key service. */
  sdl: { file: string } | { keyServiceUrl: string };
  depositUact: bigint;
  /** Highest bid accepted, uact per block. */
  maxPricePerBlockUact: string;
  /** Only these providers (akash1… addresses); empty for any. */
  providers?: string[];
  /** Provider attributes required, e.g. { region: "us-west" }. */
  attributes?: Record<string, string>;
  /** How long to collect bids before choosing. */
  bidWindowMs: number;
  /** SQLite file keeping this deployment's progress (run again with the same file to resume). */
  dbFile: string;
  /** Give up waiting after this long (progress is kept). */
  timeoutMs: number;
}

export interface DeployResult {
  dseq?: string | null;
  provider?: string | null;
  state: string;
  /** The Akash account that owns the deployment. */
  owner: string;
  /** The lease's status endpoint on its provider, when a lease is open. */
  statusUrl?: string;
  price?: string | null;
}

/** Deploy a model on Akash as one of its key holders; resumes a deployment recorded in `dbFile`. */
export async function deployModel(
  c: HexsContracts,
  signer: Signer,
  p: DeployParams,
  o: { log?: Log } = {},
): Promise<DeployResult> {
  const { modelId } = p;
  await requireModel(c, modelId);
  const holder = await signer.getAddress();
  const keys = await keysOf(c, modelId);
  if (!(await keys.hasAccess(holder))) {
    throw new NotAllowedError(
      `${holder} holds no live key of model ${formatId(modelId)} (never bought, expired or transferred). Buy one: npx hardhat key:buy --model ${modelId}`,
    );
  }
  if (p.bidWindowMs <= 0) throw new InvalidParamsError(`bad bid window ${p.bidWindowMs} ms: must be positive`);

  let probe;
  try {
    probe = await AkashClient.fromMnemonic(p.akashMnemonic, { chainId: "", rpcUrl: p.akashRpc, restUrl: p.akashRest });
  } catch (e) {
    throw new InvalidParamsError(`cannot use --akash-mnemonic-file: ${(e as Error).message}`);
  }
  let chainId: string;
  try {
    chainId = await probe.chainId();
  } catch (e) {
    throw new StateError(
      `cannot reach the Akash RPC at ${p.akashRpc}: ${(e as Error).message}. Start the devnet (it runs the Akash stand-in) or pass --akash-rpc/--akash-rest`,
      true,
    );
  } finally {
    await probe.close();
  }
  const akash = await AkashClient.fromMnemonic(p.akashMnemonic, {
    chainId,
    rpcUrl: p.akashRpc,
    restUrl: p.akashRest,
    txPollMs: 500,
  });
  const sdl =
    "file" in p.sdl
      ? new PlaintextFileSdlSource(p.sdl.file)
      : new KeyServiceSdlSource(keyServiceAt(p.sdl.keyServiceUrl), await holderOf(signer), async () => {
          try {
            return await modelSdlLocator(c, modelId);
          } catch (e) {
            if (e instanceof NotFoundError)
              throw new NotFoundError(`model ${formatId(modelId)} has no SDL locator: pass --sdl-file`);
            throw e;
          }
        });
  if ("sqlite" in storeSpec(p.dbFile)) fs.mkdirSync(path.dirname(path.resolve(p.dbFile)), { recursive: true });
  const store = await LeaseStore.open(p.dbFile);
  const pipeline = new LeasePipeline({
    store,
    akash,
    sdl,
    reporter: new NoopLeaseReporter(),
    policy: {
      depositUact: p.depositUact,
      maxPricePerBlockUact: p.maxPricePerBlockUact,
      providerAllowlist: p.providers ?? [],
      requiredAttributes: p.attributes ?? {},
      bidWindowMs: p.bidWindowMs,
      pollMs: 500,
      txTimeoutMs: 60_000,
    },
  });
  try {
    const evmChain = (await c.provider.getNetwork()).chainId;
    const row = await pipeline.submit({
      purchaseChain: `self-service:${evmChain}:${holder.toLowerCase()}`,
      keyId: modelId,
      modelId,
      buyer: holder,
      deploymentParams: { v: 1 },
    });
    if (row.state !== "requested")
      o.log?.(
        `resuming the deployment of model ${formatId(modelId)} recorded in ${p.dbFile} (state ${row.state}, dseq ${row.dseq ?? "-"})`,
      );
    o.log?.(`deploying model ${formatId(modelId)} on ${chainId} as ${akash.address} …`);
    const done = await pipeline.runToCompletion(row.id, p.timeoutMs);
    if (done.state === "failed") {
      throw new StateError(
        `deployment failed: ${done.failureReason}\n  → nothing is left open on Akash (deposit returned). Use another --db to try again.`,
      );
    }
    const statusUrl =
      done.state !== "expired" && done.provider
        ? `${await akash.providerHostUri(done.provider)}/lease/${done.dseq}/${done.gseq}/${done.oseq}/status`
        : undefined;
    return { dseq: done.dseq, provider: done.provider, state: done.state, owner: akash.address, statusUrl, price: done.price };
  } finally {
    await store.close();
    await akash.close();
  }
}

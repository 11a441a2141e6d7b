// model:deploy — a key holder deploys a model on Akash with their own account, no relayer:
// the same lease pipeline the relayer runs (relayer/akash), state in a local SQLite file so
// an interrupted run resumes where it stopped. relayer/akash (chain-sdk, cosmjs) loads only
// when the task runs.
import fs from "node:fs";
import path from "node:path";
import { task } from "hardhat/config";
import { keysOf, loadProtocol, requireModel, resolveSigner } from "./lib/context";
import { fail } from "./lib/errors";
import { say } from "./lib/log";
import { formatId, parseId } from "./lib/parse";
import { DEFAULT_KEY_SERVICE } from "./sdl";

/** The Akash stand-in's default endpoints (devnet). */
export const DEFAULT_AKASH_RPC = "http://127.0.0.1:18600";
export const DEFAULT_AKASH_REST = "http://127.0.0.1:18601";

interface DeployArgs {
  model: string;
  akashMnemonicFile: string;
  sdlFile?: string;
  from?: string;
  keyService?: string;
  akashRpc?: string;
  akashRest?: string;
  deposit: string;
  maxPrice: string;
  providers?: string;
  attributes?: string;
  bidWindow: string;
  db: string;
  timeout: string;
}

task("model:deploy", "Deploy a model on Akash with your own Akash account (key holders; no relayer needed)")
  .addParam("model", "The model (id such as 4294967297 or chain:serial such as 1:1)")
  .addParam(
    "akashMnemonicFile",
    "File holding the BIP-39 mnemonic of your Akash account (it pays the deposit in uact and fees in uakt)",
  )
  .addOptionalParam("sdlFile", "Use this plaintext SDL instead of decrypting the model's SDL with the key service")
  .addOptionalParam("from", "Account holding the key: index (0, 1, …) or address", "0")
  .addOptionalParam("keyService", `Key service base URL (default $HEXS_KEY_SERVICE or ${DEFAULT_KEY_SERVICE})`)
  .addOptionalParam("akashRpc", `Akash CometBFT RPC (default $HEXS_AKASH_RPC or ${DEFAULT_AKASH_RPC})`)
  .addOptionalParam("akashRest", `Akash REST / gRPC-gateway (default $HEXS_AKASH_REST or ${DEFAULT_AKASH_REST})`)
  .addOptionalParam("deposit", "Deployment deposit in uact", "5000000")
  .addOptionalParam("maxPrice", "Highest bid you accept, uact per block", "1000")
  .addOptionalParam("providers", "Only these providers (comma-separated akash1… addresses)")
  .addOptionalParam("attributes", "Provider attributes required, e.g. region=us-west,tier=community")
  .addOptionalParam("bidWindow", "Seconds to collect bids before choosing", "30")
  .addOptionalParam(
    "db",
    "SQLite file keeping this deployment's progress (run again with the same file to resume)",
    ".hexs/akash-deploy.sqlite",
  )
  .addOptionalParam("timeout", "Give up waiting after this many seconds (progress is kept)", "600")
  .setAction(async (a: DeployArgs, hre) => {
    const p = await loadProtocol(hre);
    const modelId = parseId("model", a.model);
    await requireModel(hre, p, modelId);
    const signer = await resolveSigner(hre, a.from);
    const holder = await signer.getAddress();
    const keys = await keysOf(hre, p, modelId);
    if (!(await keys.hasAccess(holder))) {
      fail(
        `${holder} holds no live key of model ${formatId(modelId)} (never bought, expired or transferred). Buy one: npx hardhat key:buy --model ${a.model}`,
      );
    }
    if (!fs.existsSync(a.akashMnemonicFile)) fail(`--akash-mnemonic-file '${a.akashMnemonicFile}' does not exist`);
    const mnemonic = fs.readFileSync(a.akashMnemonicFile, "utf8").trim();
    const rpcUrl = a.akashRpc ?? process.env.HEXS_AKASH_RPC ?? DEFAULT_AKASH_RPC;
    const restUrl = a.akashRest ?? process.env.HEXS_AKASH_REST ?? DEFAULT_AKASH_REST;
    const bidWindowS = Number(a.bidWindow);
    if (!Number.isFinite(bidWindowS) || bidWindowS <= 0) fail(`bad --bid-window '${a.bidWindow}': seconds, e.g. 30`);
    if (!/^\d+$/.test(a.deposit)) fail(`bad --deposit '${a.deposit}': a whole number of uact, e.g. 5000000`);
    const attributes = Object.fromEntries(
      (a.attributes ?? "")
        .split(",")
        .filter(Boolean)
        .map((kv) => {
          const [k, v] = kv.split("=");
          if (!k || v === undefined) fail(`bad --attributes '${a.attributes}': expected key=value[,key=value]`);
          return [k.trim(), v.trim()];
        }),
    );

    const { AkashClient } = await import("../sdk/akash/client");
    const { LeasePipeline } = await import("../relayer/akash/pipeline");
    const { PlaintextFileSdlSource, KeyServiceSdlSource } = await import("../relayer/akash/sdl-source");
    const { NoopLeaseReporter } = await import("../relayer/akash/reporter");
    const { LeaseStore, storeSpec } = await import("../relayer/store");

    let probe;
    try {
      probe = await AkashClient.fromMnemonic(mnemonic, { chainId: "", rpcUrl, restUrl });
    } catch (e) {
      return fail(`cannot use --akash-mnemonic-file: ${(e as Error).message}`);
    }
    let chainId: string;
    try {
      chainId = await probe.chainId();
    } catch (e) {
      return fail(
        `cannot reach the Akash RPC at ${rpcUrl}: ${(e as Error).message}. Start the devnet (it runs the Akash stand-in) or pass --akash-rpc/--akash-rest`,
      );
    } finally {
      await probe.close();
    }
    const akash = await AkashClient.fromMnemonic(mnemonic, { chainId, rpcUrl, restUrl, txPollMs: 500 });
    const sdl = a.sdlFile
      ? new PlaintextFileSdlSource(a.sdlFile)
      : await (async () => {
          const k = await import("../sdk/keys");
          const url = (a.keyService ?? process.env.HEXS_KEY_SERVICE ?? DEFAULT_KEY_SERVICE).replace(/\/+$/, "");
          return new KeyServiceSdlSource(
            new k.KeyServiceClient(k.localEndpoints(url)),
            k.evmHolder(signer, holder.toLowerCase()),
            async () => {
              const m = await p.registry.model(modelId);
              if (!m.sdlLocator) fail(`model ${formatId(modelId)} has no SDL locator: pass --sdl-file`);
              return m.sdlLocator;
            },
          );
        })();
    if ("sqlite" in storeSpec(a.db)) fs.mkdirSync(path.dirname(path.resolve(a.db)), { recursive: true });
    const store = await LeaseStore.open(a.db);
    const pipeline = new LeasePipeline({
      store,
      akash,
      sdl,
      reporter: new NoopLeaseReporter(),
      policy: {
        depositUact: BigInt(a.deposit),
        maxPricePerBlockUact: a.maxPrice,
        providerAllowlist: a.providers ? a.providers.split(",").map((s) => s.trim()) : [],
        requiredAttributes: attributes,
        bidWindowMs: Math.round(bidWindowS * 1000),
        pollMs: 500,
        txTimeoutMs: 60_000,
      },
    });
    try {
      const evmChain = (await hre.ethers.provider.getNetwork()).chainId;
      const row = await pipeline.submit({
        purchaseChain: `self-service:${evmChain}:${holder.toLowerCase()}`,
        keyId: modelId,
        modelId,
        buyer: holder,
        deploymentParams: { v: 1 },
      });
      if (row.state !== "requested")
        say(
          `resuming the deployment of model ${formatId(modelId)} recorded in ${a.db} (state ${row.state}, dseq ${row.dseq ?? "-"})`,
        );
      say(`deploying model ${formatId(modelId)} on ${chainId} as ${akash.address} …`);
      const done = await pipeline.runToCompletion(row.id, Number(a.timeout) * 1000);
      if (done.state === "failed") {
        fail(
          `deployment failed: ${done.failureReason}\n  → nothing is left open on Akash (deposit returned). Use another --db to try again.`,
        );
      }
      if (done.state === "expired") say(`the deployment ${done.dseq} was closed when the key expired`);
      else
        say(
          `lease open: dseq ${done.dseq}, provider ${done.provider}, ${done.price}uact/block (state ${done.state}); status: ${await akash.providerHostUri(done.provider!)}/lease/${done.dseq}/${done.gseq}/${done.oseq}/status`,
        );
      return { dseq: done.dseq, provider: done.provider, state: done.state, owner: akash.address };
    } finally {
      await store.close();
      await akash.close();
    }
  });

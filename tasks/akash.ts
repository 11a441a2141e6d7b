// model:deploy — a key holder deploys a model on Akash with their own account, no relayer:
// the same lease pipeline the relayer runs (relayer/akash), state in a local SQLite file so
// an interrupted run resumes where it stopped. relayer/akash (chain-sdk, cosmjs) loads only
// when the task runs.
import fs from "node:fs";
import { task } from "hardhat/config";
import { loadProtocol, resolveSigner } from "./lib/context";
import { cli, fail } from "./lib/errors";
import { say } from "./lib/log";
import { parseId } from "./lib/parse";
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
  .setAction(
    cli(
      async (a: DeployArgs, hre) => {
        const p = await loadProtocol(hre);
        const modelId = parseId("model", a.model);
        const signer = await resolveSigner(hre, a.from);
        if (!fs.existsSync(a.akashMnemonicFile)) fail(`--akash-mnemonic-file '${a.akashMnemonicFile}' does not exist`);
        const akashMnemonic = fs.readFileSync(a.akashMnemonicFile, "utf8").trim();
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
        // sdk/node/deploy loads the lease pipeline, chain-sdk and cosmjs: only when the task runs.
        const { deployModel } = await import("../sdk/node/deploy");
        const done = await deployModel(
          p,
          signer,
          {
            modelId,
            akashMnemonic,
            akashRpc: a.akashRpc ?? process.env.HEXS_AKASH_RPC ?? DEFAULT_AKASH_RPC,
            akashRest: a.akashRest ?? process.env.HEXS_AKASH_REST ?? DEFAULT_AKASH_REST,
            sdl: a.sdlFile
              ? { file: a.sdlFile }
              : { keyServiceUrl: a.keyService ?? process.env.HEXS_KEY_SERVICE ?? DEFAULT_KEY_SERVICE },
            depositUact: BigInt(a.deposit),
            maxPricePerBlockUact: a.maxPrice,
            providers: a.providers ? a.providers.split(",").map((s) => s.trim()) : [],
            attributes,
            bidWindowMs: Math.round(bidWindowS * 1000),
            dbFile: a.db,
            timeoutMs: Number(a.timeout) * 1000,
          },
          { log: say },
        );
        if (done.state === "expired") say(`the deployment ${done.dseq} was closed when the key expired`);
        else
          say(
            `lease open: dseq ${done.dseq}, provider ${done.provider}, ${done.price}uact/block (state ${done.state}); status: ${done.statusUrl}`,
          );
        return { dseq: done.dseq, provider: done.provider, state: done.state, owner: done.owner };
      },
      () => import("../sdk/node/deploy"),
    ),
  );

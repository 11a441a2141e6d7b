// The key service as six processes (services/key-service/cli.ts): five shard stores, each with its own
// directory and at-rest key, and the front. Any two stores' shards cannot rebuild a key, any three
// can, and with two stores killed (-9) holders still decrypt.
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Signer } from "ethers";
import Database from "better-sqlite3";
import { recoverKey } from "@lighthouse-web3/kavach";
import {
  decryptForHolder,
  evmHolder,
  grantKeyHolders,
  keyCheck,
  KeyServiceClient,
  KeyServiceError,
  localEndpoints,
  parseLocator,
  recoverMasterKey,
  sealSdl,
} from "../../sdk/keys";
import type { Holder, KeyShard } from "../../sdk/keys";
import { buyNative, deployProtocol, eventsOf, publishParams, setNativePrice, type Protocol } from "../../devnet/hardhat/protocol";
import { serveChain } from "./helpers";
import { frontArgs, shardStoreArgs, type KeyChains } from "../../services/key-service/launch";

const ROOT = resolve(__dirname, "../..");
const SDL = readFileSync(join(__dirname, "fixtures/model-with-credentials.sdl.yaml"), "utf8");
const FRONT_PORT = 18590;
const STORE_PORTS = [18591, 18592, 18593, 18594, 18595];

interface Proc {
  proc: ChildProcess;
  ready: string;
}

function run(args: string[]): Promise<Proc> {
  const proc = spawn(join(ROOT, "node_modules/.bin/ts-node"), args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`no READY line from keys ${args[3]} after 60 s: ${err}`)), 60_000);
    proc.stderr!.on("data", (d) => (err += String(d)));
    proc.stdout!.on("data", (d) => {
      out += String(d);
      const line = out.split("\n").find((l) => l.startsWith("READY "));
      if (line) {
        clearTimeout(t);
        res({ proc, ready: line });
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(t);
      rej(new Error(`keys ${args[3]} exited with ${code}: ${err}`));
    });
  });
}

async function stop(p: Proc): Promise<void> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  const exited = new Promise((r) => p.proc.once("exit", r));
  p.proc.kill("SIGTERM");
  await exited;
}

describe("key service as separate processes (5 shard stores + front)", function () {
  this.timeout(180_000);
  let p: Protocol;
  let chain: { url: string; close(): Promise<void> };
  let dir: string;
  const procs: Proc[] = [];
  let client: KeyServiceClient;
  let creator: Signer, alice: Signer;
  let locator: string;
  const holder = async (s: Signer): Promise<Holder> => evmHolder(s, (await s.getAddress()).toLowerCase());

  before(async () => {
    p = await deployProtocol();
    [, , creator, , alice] = p.signers;
    chain = await serveChain();
    dir = mkdtempSync(join(tmpdir(), "hexs-keys-procs-"));
    const front = `http://127.0.0.1:${FRONT_PORT}`;
    const chains: KeyChains = { evm: [{ name: "hexs-evm-31337", rpc: chain.url, chainId: 31337 }] };
    const storeUrls = STORE_PORTS.map((q) => `http://127.0.0.1:${q}`);
    const started = await Promise.all([
      ...STORE_PORTS.map((port, i) =>
        run(shardStoreArgs({ index: i + 1, dir: join(dir, `store-${i + 1}`), port, front, chains })),
      ),
      run(frontArgs({ dir: join(dir, "front"), port: FRONT_PORT, storeUrls, chains: {} })),
    ]);
    procs.push(...started);
    expect(started[5].ready).to.equal(
      `READY key-service ${front} stores=${STORE_PORTS.map((q) => `http://127.0.0.1:${q}`).join(",")}`,
    );
    expect(started[0].ready).to.match(/^READY shard-store 1 http:\/\/127\.0\.0\.1:18591 /);
    client = new KeyServiceClient(localEndpoints(front));
    const sealed = await sealSdl(client, await holder(creator), SDL, { imageDigest: "0x" + "12".repeat(32) });
    const receipt = await (
      await p.registry
        .connect(creator)
        .publish({ ...publishParams(), contentCommitment: sealed.contentCommitment, sdlLocator: sealed.upload.locator })
    ).wait();
    const modelId = eventsOf(receipt, p.registry, "ModelPublished")[0].args.modelId as bigint;
    await grantKeyHolders(client, await holder(creator), sealed.upload.locator, {
      evm: [{ chain: "hexs-evm-31337", keyNft: await p.registry.keysOf(modelId) }],
    });
    await setNativePrice(p, creator, modelId, 10n ** 15n);
    await buyNative(p, alice, modelId, 10n ** 15n);
    locator = sealed.upload.locator;
  });

  after(async () => {
    await Promise.all(procs.map(stop));
    await chain?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("each store process keeps its own directory, at-rest key and exactly one shard", () => {
    for (let i = 1; i <= 5; i++)
      expect(readdirSync(join(dir, `store-${i}`)).sort()).to.include.members(["shards.sqlite", "store.key"]);
    const keys = new Set([1, 2, 3, 4, 5].map((i) => readFileSync(join(dir, `store-${i}`, "store.key"), "utf8")));
    expect(keys.size).to.equal(5);
    for (let i = 1; i <= 5; i++) {
      const db = new Database(join(dir, `store-${i}`, "shards.sqlite"), { readonly: true });
      expect((db.prepare("SELECT COUNT(*) AS n FROM shards").get() as { n: number }).n).to.equal(1);
      db.close();
    }
  });

  it("any 2 stores' shards cannot rebuild the key; any 3 can (shards fetched from each store process directly)", async () => {
    const { cid, keyCheck: check } = parseLocator(locator);
    const shards: KeyShard[] = [];
    for (const port of STORE_PORTS) {
      const { message, token } = await client.authenticate(await holder(alice));
      const r = await fetch(`http://127.0.0.1:${port}/api/retrieveSharedKey/${STORE_PORTS.indexOf(port) + 1}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ address: (await alice.getAddress()).toLowerCase(), cid, message }),
      });
      expect(r.status).to.equal(200);
      shards.push(((await r.json()) as { payload: KeyShard }).payload);
    }
    for (let i = 0; i < 5; i++) {
      for (let j = i + 1; j < 5; j++) {
        const two = [shards[i], shards[j]];
        // kavach alone returns some key for 2 shards: never the right one
        const raw = await recoverKey(two);
        expect(raw.masterKey && keyCheck(raw.masterKey)).to.not.equal(check);
        let refused: unknown;
        await recoverMasterKey(two, check).catch((e: unknown) => (refused = e));
        expect(refused).to.be.instanceOf(KeyServiceError);
        expect((refused as KeyServiceError).code).to.equal("threshold");
        for (let k = j + 1; k < 5; k++)
          expect(keyCheck(await recoverMasterKey([shards[i], shards[j], shards[k]], check))).to.equal(check);
      }
    }
  });

  it("with 2 store processes killed (-9) the holder still decrypts; with 3 killed nobody can", async () => {
    for (const i of [0, 3]) {
      const exited = new Promise((r) => procs[i].proc.once("exit", r));
      procs[i].proc.kill("SIGKILL");
      await exited;
    }
    for (let n = 0; n < 3; n++)
      expect((await decryptForHolder(client, await holder(alice), locator)).toString("utf8")).to.equal(SDL);
    const exited = new Promise((r) => procs[1].proc.once("exit", r));
    procs[1].proc.kill("SIGKILL");
    await exited;
    let e: unknown;
    await decryptForHolder(client, await holder(alice), locator).catch((x: unknown) => (e = x));
    expect(e).to.be.instanceOf(KeyServiceError);
    expect((e as KeyServiceError).message).to.match(/got 2 of the 3 key shards/);
  });
});

// The app's test stack: two `hardhat node`s with Hexs deployed and wired over the real LayerZero
// endpoints (test/lz/helpers/twoNodes: the devnet's deploy code), a small catalog made through the
// SDK (a root model on A, mirrored to B, forked on B, mirrored back to A, keys sold on both
// chains), the chain registry written as chains.json, and the Ponder indexer started on it.
// Every process is a child of a devnet Supervisor, stopped by PID.
import fs from "node:fs";
import path from "node:path";
import { id, parseEther, type Signer } from "ethers";
import * as hexs from "../../../sdk";
import { flushLane } from "../../../sdk/bridge";
import { portFree, ROOT, sdkChain } from "../../../devnet/chains";
import { Supervisor } from "../../../devnet/procs";
import { startTwoNodes, type NodeChain, type TwoNodes } from "../../lz/helpers/twoNodes";

export const INDEXER_DIR = path.join(ROOT, "indexer");
const PONDER = path.join(INDEXER_DIR, "node_modules/.bin/ponder");

/** A model's display metadata, carried on chain as a data: URI (the app reads name and description from it). */
export function metadataUri(name: string, description: string): string {
  return `data:application/json,${encodeURIComponent(JSON.stringify({ name, description }))}`;
}

export interface Catalog {
  root: bigint;
  fork: bigint;
  rootPrice: bigint;
  forkPrice: bigint;
  /** key ids sold: root on A, fork on B */
  sold: { rootOnA: bigint; forkOnB: bigint };
  creator: string;
  forker: string;
}

export interface Indexer {
  url: string;
  port: number;
  /** POST a GraphQL query; throws on GraphQL errors. */
  query: <T>(q: string) => Promise<T>;
  /** Wait until the indexer has read every chain up to its current head. */
  caughtUp: (timeoutMs?: number) => Promise<void>;
}

export interface Stack {
  nodes: TwoNodes;
  chainsFile: string;
  registry: hexs.ChainRegistry;
  catalog: Catalog;
  indexer: Indexer;
  sup: Supervisor;
  /** Flush both LayerZero lanes and deliver what they carry (what the devnet's relayers do). */
  relay: () => Promise<void>;
  stop: () => Promise<void>;
}

async function firstFreePort(from: number): Promise<number> {
  for (let p = from; p < from + 200; p++) if (await portFree(p)) return p;
  throw new Error(`no free port in ${from}-${from + 199}`);
}

async function flushAndDeliver(t: TwoNodes, from: NodeChain, dst: number): Promise<number> {
  const payer = await from.signer(1);
  const tx = await flushLane(from.hub.connect(payer), from.bridge.connect(payer), dst);
  if (!tx) return 0;
  await tx.wait();
  const exec = from === t.a ? t.aToB : t.bToA;
  const r = await exec.tick();
  if (r.failed.length) throw new Error(`LayerZero delivery failed: ${JSON.stringify(r.failed)}`);
  return r.delivered.length;
}

/** Build the catalog through the SDK (what a creator, a fork author and two buyers would do). */
async function makeCatalog(t: TwoNodes, registry: hexs.ChainRegistry): Promise<Catalog> {
  const A = hexs.evmChain(hexs.findChain(registry, 1));
  const B = hexs.evmChain(hexs.findChain(registry, 2));
  const creator = await t.a.signer(2);
  const forker = await t.b.signer(3);
  const on = (chain: hexs.EvmChain, s: Signer) => hexs.connectContracts(chain, s);
  const rootPrice = parseEther("0.01");
  const forkPrice = parseEther("0.02");

  const root = await hexs.publish(on(A, creator), creator, {
    contentCommitment: id("llama forge sdl"),
    sdlLocator: "ipfs://bafy-llama-forge",
    metadataUri: metadataUri("Llama Forge 8B", "An open 8B instruction model served on Akash."),
    forkRoyaltyBps: 1500,
  });
  await hexs.setPrice(on(A, creator), creator, { modelId: root.modelId, currency: hexs.NATIVE, keyPrice: rootPrice });
  await flushAndDeliver(t, t.a, 2); // the model and its price reach B
  const creatorB = await t.b.signer(2);
  await hexs.setPrice(on(B, creatorB), creatorB, { modelId: root.modelId, currency: hexs.NATIVE, keyPrice: rootPrice * 2n });

  const fork = await hexs.fork(on(B, forker), forker, root.modelId, {
    contentCommitment: id("llama forge chat sdl"),
    sdlLocator: "ipfs://bafy-llama-forge-chat",
    metadataUri: metadataUri("Llama Forge Chat", "A chat fine-tune of Llama Forge 8B."),
  });
  await hexs.setPrice(on(B, forker), forker, { modelId: fork.modelId, currency: hexs.NATIVE, keyPrice: forkPrice });
  await flushAndDeliver(t, t.b, 1); // the fork reaches A

  const buyerA = await t.a.signer(4);
  const buyerB = await t.b.signer(5);
  const k1 = await hexs.buy(on(A, buyerA), buyerA, { modelId: root.modelId, currency: hexs.NATIVE });
  const k2 = await hexs.buy(on(B, buyerB), buyerB, { modelId: fork.modelId, currency: hexs.NATIVE });
  return {
    root: root.modelId,
    fork: fork.modelId,
    rootPrice,
    forkPrice,
    sold: { rootOnA: k1.keyId, forkOnB: k2.keyId },
    creator: await creator.getAddress(),
    forker: await forker.getAddress(),
  };
}

/** Start Ponder on `chainsFile` with a fresh PGlite folder; resolves once its HTTP server answers. */
export async function startIndexer(sup: Supervisor, chainsFile: string, dir: string): Promise<Indexer> {
  const port = await firstFreePort(42069 + (process.pid % 50) * 3);
  const c = sup.spawn("indexer", PONDER, ["start", "--port", String(port), "--schema", `hexs_test_${process.pid}`], {
    cwd: INDEXER_DIR,
    env: {
      HEXS_CHAINS_FILE: chainsFile,
      HEXS_INDEXER_DB: path.join(dir, "pglite"),
      HEXS_INDEXER_POLL_MS: "250",
      PONDER_TELEMETRY_DISABLED: "true",
      PONDER_LOG_LEVEL: process.env.PONDER_LOG_LEVEL ?? "warn",
      DATABASE_URL: "",
    },
  });
  const url = `http://127.0.0.1:${port}`;
  const query = async <T>(q: string): Promise<T> => {
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: q }),
    });
    const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
    if (body.errors?.length) throw new Error(`GraphQL: ${body.errors.map((e) => e.message).join("; ")}`);
    return body.data as T;
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (c.proc.exitCode !== null) throw new Error(`the indexer exited (${c.proc.exitCode}):\n${sup.tail(c)}`);
    try {
      await query("{ _meta { status } }");
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`the indexer did not answer on ${url} in 120 s:\n${sup.tail(c)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const chains = (JSON.parse(fs.readFileSync(chainsFile, "utf8")) as { chains: { name: string; rpcUrl: string }[] }).chains;
  const caughtUp = async (timeoutMs = 60_000) => {
    // /ready turns 200 before the last blocks are indexed: compare _meta's block with each head.
    const heads = await Promise.all(
      chains.map(async (ch) => {
        const r = await fetch(ch.rpcUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
        });
        return { name: ch.name, head: Number(((await r.json()) as { result: string }).result) };
      }),
    );
    const until = Date.now() + timeoutMs;
    for (;;) {
      const { _meta } = await query<{ _meta: { status: Record<string, { block?: { number: number } | null }> } }>(
        "{ _meta { status } }",
      );
      if (heads.every((h) => (_meta.status[h.name]?.block?.number ?? -1) >= h.head)) return;
      if (Date.now() > until)
        throw new Error(
          `the indexer is behind: ${JSON.stringify(_meta.status)} vs heads ${JSON.stringify(heads)}\n${sup.tail(c)}`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  return { url, port, query, caughtUp };
}

export async function startStack(log: (line: string) => void = () => undefined): Promise<Stack> {
  const nodes = await startTwoNodes(log);
  const sup = new Supervisor(path.join(nodes.dir, "app-logs"));
  const stop = async () => {
    await sup.stopAll();
    await nodes.stop();
  };
  try {
    const registry: hexs.ChainRegistry = { chains: [sdkChain(nodes.a.node), sdkChain(nodes.b.node)] };
    const chainsFile = path.join(nodes.dir, "chains.json");
    fs.writeFileSync(chainsFile, JSON.stringify(registry, null, 2));
    const catalog = await makeCatalog(nodes, registry);
    log(`catalog: root ${hexs.formatId(catalog.root)}, fork ${hexs.formatId(catalog.fork)}`);
    const indexer = await startIndexer(sup, chainsFile, nodes.dir);
    log(`indexer on ${indexer.url}`);
    const relay = async () => {
      await flushAndDeliver(nodes, nodes.a, 2);
      await flushAndDeliver(nodes, nodes.b, 1);
    };
    return { nodes, chainsFile, registry, catalog, indexer, sup, relay, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

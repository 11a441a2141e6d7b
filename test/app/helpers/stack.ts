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
import { sdkChain } from "../../../devnet/chains";
import { firstFreePort, startIndexer, type Indexer } from "../../../devnet/app";
import { Supervisor } from "../../../devnet/procs";
import { portRange, startTwoNodes, type NodeChain, type TwoNodes } from "../../lz/helpers/twoNodes";

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

export type { Indexer };

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

async function flushAndDeliver(t: TwoNodes, from: NodeChain, dst: number): Promise<number> {
  const payer = await from.signer(1);
  const tx = await flushLane(from.hub.connect(payer), from.bridge.connect(payer), dst);
  if (!tx) return 0;
  await tx.wait();
  const exec = from === t.a ? t.aToB : t.bToA;
  const r = await exec.tick();
  if (r.failed.length)
    throw new Error(
      `LayerZero delivery failed: ${JSON.stringify(r.failed, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}`,
    );
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

/**
 * `more`: chains the registry names beside the two EVM nodes (a Cosmos chain: the indexer does not
 * read it, but learns its bech32 prefix and its models' facts from the hubs).
 */
export async function startStack(
  log: (line: string) => void = () => undefined,
  more: hexs.ChainRegistry["chains"] = [],
): Promise<Stack> {
  const nodes = await startTwoNodes(log);
  const sup = new Supervisor(path.join(nodes.dir, "app-logs"));
  const stop = async () => {
    await sup.stopAll();
    await nodes.stop();
  };
  try {
    const registry: hexs.ChainRegistry = { chains: [sdkChain(nodes.a.node), sdkChain(nodes.b.node)] };
    const chainsFile = path.join(nodes.dir, "chains.json");
    fs.writeFileSync(chainsFile, JSON.stringify({ chains: [...registry.chains, ...more] }, null, 2));
    const catalog = await makeCatalog(nodes, registry);
    log(`catalog: root ${hexs.formatId(catalog.root)}, fork ${hexs.formatId(catalog.fork)}`);
    // with HEXS_PORT_RANGE, the indexer too stays in the range (its upper half)
    const range = process.env.HEXS_PORT_RANGE ? portRange() : undefined;
    const indexer = await startIndexer(sup, chainsFile, nodes.dir, {
      ...(range ? { port: await firstFreePort(range.lo + Math.floor(range.size / 2)) } : {}),
    });
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

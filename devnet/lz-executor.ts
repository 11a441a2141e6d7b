// The devnet's LayerZero side (stand-in for LayerZero's DVNs and executor, plus the permissionless
// `flush` any relayer may call): for each EVM chain it flushes the hub's LayerZero lanes when
// entries are pending (paying the bridge's quoted fee), then verifies and executes the packets on
// the other chain with the dev executor (devnet/lz). Run as a child process of the devnet:
//
//   ts-node devnet/lz-executor.ts <config.json>
//
// config: {"chains": [{"name", "url", "evmChainId", "hexsChainId", "eid", "endpoint", "messageLib",
//           "hub", "bridge"}], "executorIndex": 9, "failedReceives": "<file>", "intervalMs": 500}
import fs from "node:fs";
import { LatestEstimateProvider } from "../relayer/sources/evm-provider";
import { JsonFileFailedReceiveStore, LzExecutor } from "./lz";
import { flushLane } from "../sdk/bridge";
import { HexsHub__factory, HexsLzBridge__factory, HexsRegistry__factory } from "../sdk/typechain";

interface ChainCfg {
  name: string;
  url: string;
  evmChainId: number;
  hexsChainId: number;
  eid: number;
  endpoint: string;
  messageLib: string;
  hub: string;
  bridge: string;
}

interface Cfg {
  chains: ChainCfg[];
  executorIndex: number;
  failedReceives: string;
  intervalMs: number;
}

const log = (line: string): void => console.log(`${new Date().toISOString()} ${line}`);

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error("usage: lz-executor.ts <config.json>");
  const cfg = JSON.parse(fs.readFileSync(file, "utf8")) as Cfg;
  const providers = cfg.chains.map(
    // estimates at "latest": its own transactions are mined before the next (it waits for each),
    // and a "pending" estimate re-executes the relayers' batches waiting in the mempool
    (c) => new LatestEstimateProvider(c.url, c.evmChainId, { staticNetwork: true, pollingInterval: 250 }),
  );
  const signers = await Promise.all(providers.map((p) => p.getSigner(cfg.executorIndex)));
  const store = new JsonFileFailedReceiveStore(cfg.failedReceives);
  const errorInterfaces = [
    HexsHub__factory.createInterface(),
    HexsLzBridge__factory.createInterface(),
    HexsRegistry__factory.createInterface(),
  ];
  const executors: LzExecutor[] = [];
  cfg.chains.forEach((src, i) =>
    cfg.chains.forEach((dst, j) => {
      if (i === j) return;
      executors.push(
        new LzExecutor({
          name: `${src.name}>${dst.name}`,
          source: { provider: providers[i], endpoint: src.endpoint, eid: src.eid },
          destination: { signer: signers[j], endpoint: dst.endpoint, messageLib: dst.messageLib, eid: dst.eid },
          receivers: [dst.bridge],
          errorInterfaces,
          store,
          log,
        }),
      );
    }),
  );
  const flushers = cfg.chains.map((c, i) => ({
    c,
    hub: HexsHub__factory.connect(c.hub, signers[i]),
    bridge: HexsLzBridge__factory.connect(c.bridge, signers[i]),
    peers: cfg.chains.filter((d) => d !== c).map((d) => d.hexsChainId),
  }));
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  log(`LayerZero dev executor for ${cfg.chains.map((c) => `${c.name} (eid ${c.eid})`).join(", ")}`);
  while (!stopping) {
    for (const f of flushers) {
      for (const dst of f.peers) {
        try {
          const tx = await flushLane(f.hub, f.bridge, dst);
          if (tx) {
            await tx.wait();
            log(`flushed ${f.c.name} → chain ${dst} (tx ${tx.hash})`);
          }
        } catch (e) {
          log(`flush ${f.c.name} → chain ${dst} failed: ${(e as Error).message.split("\n")[0]}`);
        }
      }
    }
    for (const ex of executors) {
      try {
        const r = await ex.tick();
        for (const p of r.delivered) log(`${ex.name}: executed packet nonce ${p.nonce}`);
        for (const f of r.failed) log(`${ex.name}: packet nonce ${f.packet.nonce} failed: ${f.reason} (kept for retry)`);
      } catch (e) {
        log(`${ex.name}: ${(e as Error).message.split("\n")[0]}`);
      }
    }
    await new Promise((r) => setTimeout(r, cfg.intervalMs));
  }
  for (const p of providers) p.destroy();
  log("stopped");
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

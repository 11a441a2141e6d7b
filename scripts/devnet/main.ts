// `npm run devnet`: two EVM chains (`hardhat node`, a block every second), a single-node wasmd
// chain and three relayer operators (2-of-3, each its own key and SQLite queue) on 127.0.0.1,
// the LayerZero dev executor between the EVM chains; everything deployed and wired, then the
// cross-chain scenario (scripts/devnet/scenario.ts). Every child process is stopped on exit or
// Ctrl-C, by the PID this script started.
//
//   ts-node scripts/devnet/main.ts            run the scenario, then stop everything
//   ts-node scripts/devnet/main.ts --keep     keep everything running after the scenario (Ctrl-C stops it)
import fs from "node:fs";
import path from "node:path";
import { parseEther } from "ethers";
import {
  COSMOS_CHAIN,
  cosmosAddressOf,
  deployCosmwasm,
  deployEvm,
  EVM_CHAINS,
  EXECUTOR_INDEX,
  operatorKeys,
  requireFreePorts,
  ROOT,
  startEvmNode,
  startWasmd,
} from "./chains";
import { Supervisor } from "./procs";
import { startOperators, writeOperatorConfigs } from "./relayers";
import { runScenario } from "./scenario";

const DIR = path.join(ROOT, ".devnet");
const WASMD_RPC_PORT = 26657;
const WASMD_GRPC_PORT = 9090;
const OPERATOR_PORTS = 7101;
const OPERATORS = 3;
const THRESHOLD = 2;

const t0 = Date.now();
const say = (line: string): void => console.log(line.startsWith("\n") ? line : `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}`);

async function main(): Promise<void> {
  const keep = process.argv.includes("--keep");
  const unknown = process.argv.slice(2).filter((a) => a !== "--keep");
  if (unknown.length) throw new Error(`unknown option(s) ${unknown.join(" ")}: use --keep or nothing`);

  for (const sub of ["logs", "relayers", "wasmd"]) fs.rmSync(path.join(DIR, sub), { recursive: true, force: true });
  const sup = new Supervisor(path.join(DIR, "logs"));
  let exiting = false;
  const shutdown = async (code: number) => {
    if (exiting) return;
    exiting = true;
    say("stopping the devnet…");
    await sup.stopAll(say);
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown(130));
  process.on("SIGTERM", () => void shutdown(143));
  sup.onUnexpectedExit = (c, code, signal) => {
    console.error(`\n${c.name} (pid ${c.pid}) exited unexpectedly (${signal ?? `code ${code}`}); its log ${c.logFile} ends:\n${sup.tail(c)}`);
    void shutdown(1);
  };

  try {
    await requireFreePorts([...EVM_CHAINS.map((c) => c.port), WASMD_RPC_PORT, WASMD_RPC_PORT + 1, WASMD_RPC_PORT + 2, WASMD_GRPC_PORT, ...Array.from({ length: OPERATORS }, (_, i) => OPERATOR_PORTS + i)]);
    say("starting EVM chains A and B (hardhat node) and the Cosmos chain (wasmd)…");
    const [nodes] = await Promise.all([
      Promise.all(EVM_CHAINS.map(async (spec) => ({ ...spec, ...(await startEvmNode(sup, spec)) }))),
      startWasmd(sup, path.join(DIR, "wasmd"), WASMD_RPC_PORT, WASMD_GRPC_PORT),
    ]);
    for (const n of nodes) say(`${n.label}: chain id ${n.evmChainId} on ${n.url}`);
    say(`Cosmos chain: wasmd on http://127.0.0.1:${WASMD_RPC_PORT}`);

    const keys = operatorKeys(OPERATORS);
    say(`relayer operators (${THRESHOLD}-of-${OPERATORS}): ${keys.map((k) => k.address).join(", ")}`);
    const evm = await deployEvm(nodes, keys.map((k) => k.address), THRESHOLD, DIR, say);
    const pubkeys = keys.map((k) => k.signingKey.compressedPublicKey.slice(2));
    const cosmos = await deployCosmwasm(evm.map((c) => c.hexsChainId), pubkeys, THRESHOLD, ["alice", "bob", "carol"]);
    say(`Cosmos chain: Hexs contract ${cosmos.contract} (Hexs chain ${COSMOS_CHAIN}, peers ${evm.map((c) => c.hexsChainId).join(", ")})`);

    // Gas money for the operators on every chain.
    for (const c of evm) {
      const funder = await c.signer(0);
      for (const k of keys) await (await funder.sendTransaction({ to: k.address, value: parseEther("100") })).wait();
    }
    for (const k of keys) {
      await cosmos.admin.client.sendTokens(cosmos.admin.address, await cosmosAddressOf(k), [{ denom: cosmos.env.denom, amount: "10000000" }], "auto");
    }

    // From here on the EVM chains also mine a block every second, so confirmations advance.
    for (const c of evm) await c.provider.send("evm_setIntervalMining", [1000]);

    const lzConfig = path.join(DIR, "logs", "lz-executor.json");
    fs.writeFileSync(
      lzConfig,
      JSON.stringify(
        {
          chains: evm.map((c) => ({ name: c.network, url: c.url, evmChainId: c.evmChainId, hexsChainId: c.hexsChainId, eid: c.eid, endpoint: c.lz.endpoint, messageLib: c.lz.messageLib, hub: c.addresses.HexsHub, bridge: c.addresses.HexsLzBridge })),
          executorIndex: EXECUTOR_INDEX,
          failedReceives: path.join(DIR, "logs", "lz-failed-receives.json"),
          intervalMs: 500,
        },
        null,
        2,
      ),
    );
    sup.spawn("lz-executor", path.join(ROOT, "node_modules/.bin/ts-node"), ["--transpile-only", path.join(__dirname, "lz-executor.ts"), lzConfig], { cwd: ROOT });
    say("LayerZero dev executor running (flushes the hubs' LayerZero lanes, verifies and executes packets)");

    const height = await cosmos.admin.client.getHeight();
    const ops = writeOperatorConfigs(path.join(DIR, "relayers"), keys, OPERATOR_PORTS, evm, cosmos, height);
    await startOperators(sup, ops);
    for (const op of ops) say(`${op.name}: ready on http://127.0.0.1:${op.httpPort} (/metrics, /readyz), config ${path.relative(ROOT, op.configFile)}`);

    const [a, b] = evm;
    const r = await runScenario(a, b, cosmos, say);
    say(`\nscenario done in ${((Date.now() - t0) / 1000).toFixed(0)} s: model ${r.rootModel}, fork ${r.forkModel}, key ${r.keyOnB}`);
    fs.writeFileSync(path.join(DIR, "scenario.json"), JSON.stringify({ ...r, rootModel: String(r.rootModel), forkModel: String(r.forkModel), keyOnB: String(r.keyOnB) }, null, 2) + "\n");
    for (const c of [cosmos.admin, ...Object.values(cosmos.users)]) c.client.disconnect();
    if (keep) {
      say("devnet running (Ctrl-C stops everything). Try: npx hardhat model:show --network devnetB --model 100:1");
      say(`  relayer status: npm run relayer -- status --config ${path.relative(ROOT, ops[0].configFile)}`);
      await new Promise(() => undefined);
    }
    await shutdown(0);
  } catch (e) {
    console.error(`\ndevnet failed: ${(e as Error).stack ?? e}`);
    console.error(`logs: ${path.relative(process.cwd(), path.join(DIR, "logs"))}/`);
    await shutdown(1);
  }
}

void main();

// `npm run devnet`: two EVM chains (`hardhat node`, a block every second), a single-node wasmd
// chain, the key service (front + 5 shard stores), the Akash stand-in and three relayer operators
// (2-of-3, each its own key and SQLite queue; operator1 also leads the Akash lease pipeline) on
// 127.0.0.1, the LayerZero dev executor between the EVM chains, a gas sponsor (ERC-4337) on each
// EVM chain (A: alto :7400, policy signer :7401; B: :7402, :7403; sponsor.ts); everything deployed and wired (network.ts,
// services.ts), then the cross-chain scenario (scenario.ts), which ends with the buyer decrypting
// the SDL, a lease running for her purchase and a burner's sponsored purchase on A. Every child
// process is stopped on exit or Ctrl-C, by the PID this script started.
//
//   ts-node devnet/main.ts            run the scenario, then stop everything
//   ts-node devnet/main.ts --keep     keep everything running after the scenario (Ctrl-C stops it);
//                                     an operator, the executor, a key store, an alto or a policy
//                                     signer that exits is reported and the rest runs on (only a
//                                     chain's exit is fatal)
//   ts-node devnet/main.ts status     what a kept devnet runs
//   ts-node devnet/main.ts restart X  start process X of a kept devnet again
import fs from "node:fs";
import path from "node:path";
import { startDevnetApp } from "./app";
import { controlCommand, startControl } from "./control";
import { ROOT } from "./chains";
import { startDevnet, type Devnet } from "./network";
import { Supervisor } from "./procs";
import { runScenario } from "./scenario";

const t0 = Date.now();
const say = (line: string): void =>
  console.log(line.startsWith("\n") ? line : `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}`);

async function main(): Promise<void> {
  const dir = path.join(ROOT, ".devnet");
  const controlFile = path.join(dir, "control.json");
  const argv = process.argv.slice(2);
  if (argv[0] === "status" || argv[0] === "restart") {
    try {
      console.log(await controlCommand(controlFile, argv));
    } catch (e) {
      console.error(`devnet ${argv[0]}: ${(e as Error).message}`);
      process.exit(1);
    }
    return;
  }
  const keep = argv.includes("--keep");
  const unknown = argv.filter((a) => a !== "--keep");
  if (unknown.length)
    throw new Error(`unknown option(s) ${unknown.join(" ")}: use --keep, nothing, or the commands status / restart <name>`);

  const sup = new Supervisor(path.join(dir, "logs"));
  let net: Devnet | undefined;
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
    console.error(
      `\n${c.name} (pid ${c.pid}) exited unexpectedly (${signal ?? `code ${code}`}); its log ${c.logFile} ends:\n${sup.tail(c)}`,
    );
    // A kept devnet is a lab: 2-of-3 operators carry on without one, and a person restarts it.
    if (keep && !c.fatal) {
      console.error(`the rest keeps running; start it again with: npm run devnet -- restart ${c.name}`);
      return;
    }
    void shutdown(1);
  };
  if (keep) {
    const control = await startControl(sup, controlFile);
    sup.atStop("control endpoint", control.close);
  }
  try {
    net = await startDevnet({ dir, sup, say, sponsor: true });
    const [a, b] = net.evm;
    // The chain registry (.devnet/chains.json), the indexer and the web app (skipped, with a note,
    // until scripts/app-build.sh has run).
    const app = await startDevnetApp(net, say);
    if (!net.services) throw new Error("the devnet started without its key service and Akash stand-in");
    const tScenario = Date.now();
    const r = await runScenario(a, b, net.cosmos, say, {
      services: net.services,
      operators: net.keys.map((k) => k.address),
      leasePayee: net.submitters[0].address,
      outDir: net.dir,
      logDir: sup.dir,
      sponsor: net.sponsor,
      sponsorB: net.sponsors[1],
    });
    say(
      `\nscenario done in ${((Date.now() - t0) / 1000).toFixed(0)} s (start-up ${((tScenario - t0) / 1000).toFixed(0)} s, scenario ${((Date.now() - tScenario) / 1000).toFixed(0)} s): ` +
        `model ${r.rootModel}, fork ${r.forkModel}, key ${r.keyOnB}, lease ${r.lease.owner}/${r.lease.dseq} (${r.lease.seconds.toFixed(1)} s from purchase to LeaseReported on B)` +
        (r.sponsored
          ? `, sponsored key ${r.sponsored.keyId} on A (${r.sponsored.seconds.toFixed(1)} s, ${r.sponsored.bundleGasUsed} bundle gas)`
          : "") +
        (r.sponsoredB
          ? `, sponsored key ${r.sponsoredB.keyId} on B (${r.sponsoredB.seconds.toFixed(1)} s, step ${r.sponsoredB.stepSeconds.toFixed(1)} s, ${r.sponsoredB.bundleGasUsed} bundle gas)`
          : ""),
    );
    fs.writeFileSync(
      path.join(net.dir, "scenario.json"),
      JSON.stringify(r, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n",
    );
    for (const c of [net.cosmos.admin, ...Object.values(net.cosmos.users)]) c.client.disconnect();
    if (keep) {
      say("devnet running (Ctrl-C stops everything). Try: npx hardhat model:show --network devnetB --model 100:1");
      say(
        `  decrypt as a key holder: npx hardhat model:decrypt --network devnetB --model 100:1 --from 3 --out /tmp/fork.sdl.yaml --key-service ${net.services.keyService}`,
      );
      if (app) say(`  web app: ${app.url} (a wallet on the devnet's chains; funded accounts: the dev mnemonic's)`);
      if (net.sponsors.length) {
        say(
          `  no wallet: ${app ? `${app.url}#/burner ("No wallet? Use a burner": it buys on the chain the model is priced on) or ` : ""}a burner in the CLI, sponsored gas on ${net.sponsors.map((sp) => sp.label).join(" and ")}:`,
        );
        for (const sp of net.sponsors) {
          const sf = path.relative(ROOT, sp.file);
          const n = `--network ${sp.network}`;
          say(`    ${sp.label}: npx hardhat aa:burner ${n} --sponsor ${sf}   (prints its smart account on ${sp.label})`);
          say(
            `      fund the account with ${sp.label}'s test ERC-20: npx hardhat devnet:mint-tusd ${n} --token ${sp.d.token} --to <account>`,
          );
          say(
            `      npx hardhat aa:buy ${n} --sponsor ${sf} --model <a model priced on ${sp.label} in ${sp.d.token}> --currency ${sp.d.token}` +
              (sp.hexsChainId === a.hexsChainId ? ` (the scenario priced ${a.hexsChainId}:1's fork there)` : ""),
          );
          say(
            `      bundler ${sp.endpoints.bundlerUrl}, policy signer ${sp.endpoints.policyUrl}; if one exits: npm run devnet -- restart ${sp.alto.name} | ${sp.policy.name}`,
          );
        }
      }
      say(`  relayer status: npm run relayer -- status --config ${path.relative(ROOT, net.operators[0].configFile)}`);
      say("  processes: npm run devnet -- status; one that exited: npm run devnet -- restart operator2");
      await new Promise(() => undefined);
    }
    await shutdown(0);
  } catch (e) {
    if (exiting) return; // stopped by Ctrl-C / TERM: what was still starting fails as its processes go
    console.error(`\ndevnet failed: ${(e as Error).stack ?? e}`);
    console.error(`logs: ${path.relative(process.cwd(), path.join(dir, "logs"))}/`);
    await shutdown(1);
  }
}

void main();

// Lease handover, timed on the devnet stand-in: a leased key changes hands → the new holder's
// access is live. Set-up:
//   * a real `hardhat node` (own process, 127.0.0.1:19160, automine) with Hexs deployed by the deploy procedure;
//   * the Akash stand-in in this process (blocks every 200 ms, two scripted providers, from 127.0.0.1:19170);
//   * the relayer's Akash service as the leader (attested reports, no co-signers), reading the
//     hub's KeyTransferred every 100 ms; SDLs from a plaintext directory (no key service: the
//     handover path decrypts the same SDL either way, `bench/services.ts` times the key service).
// Measured, one transfer at a time (latency, not throughput), keys handed back and forth:
//   transferToAccessLiveMs  transferFrom mined → the provider accepted the new holder's manifest
//                           (HEXS_HOLDER = the new holder; from then on it refuses the old one's)
//   transferToRecordedMs    → the service's feed recorded the handover job (the feed's share)
//   recordedToLiveMs        the handover itself: MsgUpdateDeployment in a block + manifest PUT
// and what each done handover recorded as the escrow handed over with the deployment.
// Run: npx ts-node --transpile-only bench/handover.ts → bench/results/handover.json and a table.
// HEXS_BENCH_HANDOVER_LEASES (default 5) × HEXS_BENCH_HANDOVER_ROUNDS (default 10) samples;
// HEXS_BENCH_HANDOVER_PORT=<p> moves the node to p and the stand-in to p+10…
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  BENCH_LEASE_POLICY,
  BenchProcesses,
  deployBenchHexs,
  eventOf,
  requireFreePorts,
  ROOT,
  startHardhatNode,
  startLeaseBench,
  stats,
} from "./lib";

const PORT_BASE = Number(process.env.HEXS_BENCH_HANDOVER_PORT ?? 19160);
const NODE_PORT = PORT_BASE;
const STANDIN_PORT = PORT_BASE + 10;
const LEASES = Number(process.env.HEXS_BENCH_HANDOVER_LEASES ?? 5);
const ROUNDS = Number(process.env.HEXS_BENCH_HANDOVER_ROUNDS ?? 10);
const OUT = path.join(ROOT, "bench/results/handover.json");

process.env.HARDHAT_NETWORK = "devnetA";
process.env.HEXS_DEVNET_URL_A = `http://127.0.0.1:${NODE_PORT}`;
process.env.HEXS_LOG_LEVEL ??= "warn";

const procs = new BenchProcesses();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-bench-handover-"));
  await requireFreePorts([NODE_PORT]);
  await startHardhatNode(procs, NODE_PORT);

  // hardhat as a library, on the bench's node (network devnetA → HEXS_DEVNET_URL_A)
  const { ethers, a, registry, market } = await deployBenchHexs("bench.");
  const [, , creator, , , buyer, other] = await ethers.getSigners();

  // the model: its SDL in plaintext under sdlDir/<modelId>.yaml
  const sdl = fs.readFileSync(path.join(ROOT, "test/akash/fixtures/model.sdl.yaml"), "utf8");
  const locator = "bench:handover-sdl";
  const receipt = await (
    await registry.connect(creator).publish({
      contentCommitment: ethers.id(locator),
      sdlLocator: locator,
      metadataUri: "ipfs://bench-handover",
      forkRoyaltyBps: 0,
      daoBps: 0,
      forkable: true,
      secondaryRoyaltyBps: 0,
      plugins: [],
    })
  ).wait();
  const modelId = eventOf(registry.interface, receipt, "ModelPublished").args.modelId as bigint;
  const sdlDir = path.join(dir, "sdl");
  fs.mkdirSync(sdlDir);
  fs.writeFileSync(path.join(sdlDir, `${modelId}.yaml`), sdl);
  const keyPrice = ethers.parseEther("0.001");
  const deployPrice = ethers.parseEther("0.002");
  await (await registry.connect(creator).setPrice(modelId, ethers.ZeroAddress, keyPrice, deployPrice, true)).wait();

  const from = await ethers.provider.getBlockNumber();
  const { standin, service, stop } = await startLeaseBench({
    standinPort: STANDIN_PORT,
    dir,
    rpc: `http://127.0.0.1:${NODE_PORT}`,
    hub: a.hub,
    market: a.market,
    from,
    operatorKey: ethers.Wallet.createRandom().privateKey,
    sdl: { sdlDir },
  });
  const store = service.leases!;

  // the leases: LEASES purchases with a deployment, each until the lease is reported
  const keyIds: bigint[] = [];
  for (let i = 0; i < LEASES; i++) {
    const r = await (
      await market
        .connect(buyer)
        .buy(modelId, ethers.ZeroAddress, await buyer.getAddress(), "0x" + Buffer.from('{"v":1}').toString("hex"), "0x", {
          value: keyPrice + deployPrice,
        })
    ).wait();
    keyIds.push(eventOf(market.interface, r, "Purchased").args.keyId as bigint);
  }
  for (const keyId of keyIds) {
    for (const t = Date.now(); ; await sleep(50)) {
      const row = await store.byPurchase("1", keyId.toString());
      if (row?.state === "reported") break;
      if (row && ["failed", "closing", "failed_closed"].includes(row.state))
        throw new Error(`lease for key ${keyId} failed: ${row.failureReason}`);
      if (Date.now() - t > 120_000) throw new Error(`lease for key ${keyId} not reported after 120 s (${row?.state})`);
    }
  }

  // the handovers: one transfer at a time, each key handed back and forth
  const { evmHolderWord, HOLDER_ENV } = await import("../relayer/akash/holder");
  const keyNft = await ethers.getContractAt("KeyNFT", await registry.keysOf(modelId));
  const live: number[] = [];
  const recorded: number[] = [];
  const handover: number[] = [];
  const escrowUact: bigint[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const keyId of keyIds) {
      const lease = (await store.byPurchase("1", keyId.toString()))!;
      const [fromS, toS] = (await keyNft.ownerOf(keyId)) === (await buyer.getAddress()) ? [buyer, other] : [other, buyer];
      const seen = (await store.handoversOf(lease.id)).length;
      const tx = await keyNft.connect(fromS).transferFrom(await fromS.getAddress(), await toS.getAddress(), keyId);
      const t0 = Date.now(); // automine: mined when sent
      await tx.wait();
      const want = `${HOLDER_ENV}=${evmHolderWord(await toS.getAddress())}`;
      const gateway = standin.gateways.get(lease.provider!)!;
      for (;;) {
        const m = gateway.manifests.get(`${lease.owner}/${lease.dseq}`) as { services: { env?: string[] }[] }[] | undefined;
        if (m?.some((g) => g.services.some((x) => x.env?.includes(want)))) {
          live.push(Date.now() - t0);
          break;
        }
        if (Date.now() - t0 > 60_000) throw new Error(`handover of key ${keyId} not live after 60 s`);
        await sleep(5);
      }
      // the job's own timestamps: recorded by the feed, done after the PUT (same clock as t0)
      let h = (await store.handoversOf(lease.id))[seen];
      for (const t = Date.now(); h?.state !== "done"; h = (await store.handoversOf(lease.id))[seen]) {
        if (Date.now() - t > 10_000) throw new Error(`handover ${h?.id} of key ${keyId} live but not done (${h?.state})`);
        await sleep(5);
      }
      const done = (await store.events(lease.id)).find(
        (e) => e.toState === "handover" && e.detail?.startsWith(`handover ${h.id}:`),
      )!;
      recorded.push(h.createdAt - t0);
      handover.push(done.at - h.createdAt);
      escrowUact.push(BigInt((h.escrowUact ?? "0").split(".")[0]));
      // the report is settled before the key's next handover updates the deployment: not timed here
    }
  }
  const states = await store.handoverCounts();
  await stop();

  const result = {
    measuredAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version },
    setup: {
      chain: `hardhat node (own process, chain id 31401, automine) on 127.0.0.1:${NODE_PORT}`,
      akash: "stand-in in process, 200 ms blocks, 2 providers",
      service: "relayer AkashService leader, attested reports without co-signers, feed polled every 100 ms, SDL from sdlDir",
      leasePolicy: BENCH_LEASE_POLICY,
      leases: LEASES,
      rounds: ROUNDS,
    },
    transferToAccessLiveMs: {
      ...stats(live, 1),
      note: "transferFrom mined → the provider holds the manifest with HEXS_HOLDER = the new holder; polled every 5 ms",
    },
    transferToRecordedMs: { ...stats(recorded, 1), note: "the feed's share: KeyTransferred read, handover job recorded" },
    recordedToLiveMs: {
      ...stats(handover, 1),
      note: "the handover job: MsgUpdateDeployment signed, broadcast and in a block, manifest PUT, done persisted",
    },
    escrowHandedOverUact: {
      n: escrowUact.length,
      min: String(escrowUact.reduce((x, y) => (y < x ? y : x), escrowUact[0] ?? 0n)),
      max: String(escrowUact.reduce((x, y) => (y > x ? y : x), 0n)),
      note: "recorded per done handover (handovers.escrow_uact); the stand-in does not settle escrow per block, so it stays at the deposit",
    },
    handoverStates: states,
  };
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, JSON.stringify(result, null, 2) + "\n");
  const row = (name: string, s: { n: number; p50: number; p90: number; p99: number }) =>
    `| ${name.padEnd(36)} | ${String(s.n).padStart(4)} | ${String(s.p50).padStart(8)} | ${String(s.p90).padStart(8)} | ${String(s.p99).padStart(8)} |`;
  console.log("\n| measurement                          |    n | p50 (ms) | p90 (ms) | p99 (ms) |");
  console.log("| ------------------------------------ | ---: | -------: | -------: | -------: |");
  console.log(row("transfer → new holder's access live", result.transferToAccessLiveMs));
  console.log(row("  transfer → handover recorded", result.transferToRecordedMs));
  console.log(row("  recorded → done (update + PUT)", result.recordedToLiveMs));
  console.log(`\nhandovers by state: ${JSON.stringify(states)}; written to ${path.relative(ROOT, OUT)}`);
  fs.rmSync(dir, { recursive: true, force: true });
}

main()
  .catch((e) => {
    console.error(`bench:handover: ${(e as Error).stack ?? e}`);
    process.exitCode = 1;
  })
  .finally(() => {
    procs.stopAll();
    setTimeout(() => process.exit(), 2000).unref();
  });

// Crash safety: two relayer processes (2-of-2 quorum of a 3-key set) deliver a stream of 200
// journal entries (purchases) while each is killed -9 at random moments and restarted; every
// entry is applied on the destination exactly once, in lane order; duplicate submissions the
// destination refused are reported separately. Ends with a graceful SIGTERM (exit code 0).
import { expect } from "chai";
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Wallet, keccak256 } from "ethers";
import {
  appliedNonces,
  deployLane,
  type HexsChain,
  laneChains,
  mine,
  type Node,
  purchaseBody,
  record,
  startNode,
  submissionsTo,
  minedUntilApplied,
} from "./helpers/evm";

const PORT = 18840;
const MESSAGES = Number(process.env.HEXS_CRASH_MESSAGES ?? 200);
const ROOT = path.resolve(__dirname, "../..");
const keys = [0, 1, 2].map((i) => new Wallet(keccak256(Buffer.from(`hexs-relayer-test-${i}`))));

describe("relayer crash safety (kill -9 mid-stream, restart)", function () {
  this.timeout(300_000);
  let node: Node;
  let a: HexsChain, b: HexsChain;
  let dir: string;
  const procs: (ChildProcess | undefined)[] = [undefined, undefined];
  const files: string[] = [];

  function launch(i: number): void {
    const p = spawn(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", "relayer/cli.ts", "start", "--config", files[i]],
      {
        cwd: ROOT,
        stdio: ["ignore", "ignore", "inherit"],
        env: {
          ...process.env,
          HEXS_LOG_LEVEL: process.env.HEXS_LOG_LEVEL ?? "error",
          [`HEXS_CRASH_KEY_${i}`]: keys[i].privateKey,
          TS_NODE_TRANSPILE_ONLY: "1",
        },
      },
    );
    procs[i] = p;
  }

  async function until(ok: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await ok())) {
      if (Date.now() > end) throw new Error("relayer did not become healthy in time");
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async function kill9(i: number): Promise<void> {
    const p = procs[i];
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGKILL");
    await exited;
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-relayer-crash-"));
    node = await startNode(PORT);
    ({ a, b } = await deployLane(
      node.provider,
      keys.map((k) => k.address),
      2,
    ));
    for (const i of [0, 1]) {
      const file = path.join(dir, `r${i}.json`);
      fs.writeFileSync(
        file,
        JSON.stringify({
          instance: `r${i}`,
          operator: { key: { env: `HEXS_CRASH_KEY_${i}` } },
          devnet: true, // one key attests and submits (a test setup)
          chains: laneChains(a, b, { rpcA: node.url }),
          peers: [{ name: `r${1 - i}`, url: `http://127.0.0.1:${PORT + 2 + (1 - i)}` }],
          store: { sqlite: `r${i}.db` },
          http: { port: PORT + 2 + i },
          delivery: { maxBatch: 8, attestTimeoutMs: 500, backoffBaseMs: 100, backoffMaxMs: 1000, idleMs: 50 },
        }),
      );
      files.push(file);
    }
  });

  after(async () => {
    for (const i of [0, 1]) await kill9(i);
    await node?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`applies ${MESSAGES} entries exactly once in lane order`, async () => {
    launch(0);
    launch(1);
    let kills = 0;
    let sent = 0;
    const t0 = Date.now();
    const firstBlock = await node.provider.getBlockNumber();
    // The killer runs on its own clock, independent of the stream: any moment of a relayer's
    // life (start-up, polling, collecting signatures, between broadcast and bookkeeping) may be hit.
    let killing = true;
    const killer = (async () => {
      while (killing) {
        await new Promise((r) => setTimeout(r, 300 + Math.random() * 2200));
        if (!killing) break;
        const victim = Math.random() < 0.5 ? 0 : 1;
        await kill9(victim);
        kills++;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 400));
        launch(victim);
      }
    })();
    while (sent < MESSAGES) {
      const n = Math.min(10, MESSAGES - sent);
      await record(
        a,
        Array.from({ length: n }, (_, i) => purchaseBody(sent + i + 1)),
      );
      sent += n;
      await mine(node.provider, 1);
      await new Promise((r) => setTimeout(r, Math.random() * 1000));
    }
    // keep killing until three quarters are through, then let the relayers finish
    while (Number((await b.hub.lane(1)).inbound) < (MESSAGES * 3) / 4 && Date.now() - t0 < 150_000) {
      await mine(node.provider, 1);
      await new Promise((r) => setTimeout(r, 500));
    }
    killing = false;
    await killer;
    await minedUntilApplied(node.provider, b, 1, MESSAGES, { timeoutMs: 180_000, everyMs: 500 });
    expect(await appliedNonces(b, 1)).to.deep.equal(Array.from({ length: MESSAGES }, (_, i) => i + 1));
    // Duplicate submissions (a relayer killed between broadcast and bookkeeping, or two relayers
    // racing for one range) are refused by the destination: counted apart from the applied ones.
    const onChain = await submissionsTo(node.provider, await b.gateway.getAddress(), firstBlock);
    console.log(
      `      ${MESSAGES} entries, ${kills} kill -9s, delivered in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${onChain.applied} batches applied, ${onChain.reverted} duplicate submissions refused by the destination`,
    );
    expect(onChain.applied).to.be.greaterThan(0);
    // graceful stop: SIGTERM ends the process cleanly. A relayer relaunched by the last kill
    // may still be loading; signal it only once it serves /healthz (its handler is installed).
    for (const i of [0, 1]) {
      const p = procs[i]!;
      await until(async () => (await fetch(`http://127.0.0.1:${PORT + 2 + i}/healthz`).catch(() => undefined))?.ok === true);
      const code = new Promise<number | null>((r) => p.once("exit", (c) => r(c)));
      p.kill("SIGTERM");
      expect(await code).to.equal(0);
    }
  });
});

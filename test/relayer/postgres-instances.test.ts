// Two relayer processes of ONE operator identity (same key, same PostgreSQL database) share the
// queue of one EVM lane (chain 1's hub journal → chain 2's gateway, 1-of-1): lane claims under
// row locks and transaction nonces handed out under a lock mean every entry is applied once, in
// lane order, while both instances submit batches.
import { expect } from "chai";
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Wallet, keccak256 } from "ethers";
import { acceptFrom, appliedNonces, deployChain, fund, mine, purchaseBody, record, startNode, type HexsChain, type Node } from "./helpers/evm";
import { freshDatabase, startPostgres, type PgCluster } from "./helpers/postgres";

const PG_PORT = 18950;
const NODE_PORT = 18951;
const HTTP_PORTS = [18952, 18953];
const MESSAGES = Number(process.env.HEXS_PG_INSTANCES_MESSAGES ?? 60);
const ROOT = path.resolve(__dirname, "../..");
const operator = new Wallet(keccak256(Buffer.from("hexs-relayer-pg-operator")));

interface Instance {
  proc: ChildProcess;
  out: string;
}

describe("two relayer instances on one PostgreSQL queue (same operator)", function () {
  this.timeout(300_000);
  let pg: PgCluster | undefined;
  let node: Node;
  let a: HexsChain, b: HexsChain;
  let dir: string;
  const instances: Instance[] = [];

  before(async function () {
    pg = startPostgres(PG_PORT);
    if (!pg) {
      console.log("      PostgreSQL not installed (apt-get install postgresql): skipped");
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-relayer-pgi-"));
    node = await startNode(NODE_PORT);
    a = await deployChain(node.provider, 1, [operator.address], 1);
    b = await deployChain(node.provider, 2, [operator.address], 1);
    await acceptFrom(b, 1);
    await fund(node.provider, [operator.address]);
    const url = await freshDatabase(pg.url, "hexs_instances");
    for (const i of [0, 1]) {
      const file = path.join(dir, `i${i}.json`);
      fs.writeFileSync(
        file,
        JSON.stringify({
          instance: `i${i}`,
          operator: { key: { env: "HEXS_PG_OPERATOR_KEY" } },
          chains: [
            { type: "evm", name: "a", hexsChainId: 1, rpc: node.url, hub: a.hub.target, confirmations: 1, pollIntervalMs: 100, deliverTo: [2] },
            { type: "evm", name: "b", hexsChainId: 2, rpc: node.url, hub: b.hub.target, gateway: b.gateway.target, confirmations: 0, pollIntervalMs: 200 },
          ],
          store: { postgres: url },
          http: { port: HTTP_PORTS[i] },
          delivery: { maxBatch: 4, attestTimeoutMs: 500, backoffBaseMs: 100, backoffMaxMs: 1000, idleMs: 50 },
        }),
      );
      const proc = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "relayer/cli.ts", "start", "--config", file], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "inherit"],
        env: { ...process.env, HEXS_LOG_LEVEL: "info", HEXS_PG_OPERATOR_KEY: operator.privateKey, TS_NODE_TRANSPILE_ONLY: "1" },
      });
      const inst: Instance = { proc, out: "" };
      proc.stdout!.on("data", (d) => (inst.out += String(d)));
      instances.push(inst);
    }
  });

  after(async function () {
    for (const { proc } of instances) {
      if (proc.exitCode !== null || proc.signalCode !== null) continue;
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGKILL");
      await exited;
    }
    await node?.stop();
    pg?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`applies ${MESSAGES} entries exactly once in lane order, and both instances submit`, async () => {
    const t0 = Date.now();
    for (let sent = 0; sent < MESSAGES; ) {
      const n = Math.min(5, MESSAGES - sent);
      await record(a, Array.from({ length: n }, (_, i) => purchaseBody(sent + i + 1)));
      sent += n;
      await mine(node.provider, 1);
      await new Promise((r) => setTimeout(r, 150));
    }
    const deadline = Date.now() + 120_000;
    for (;;) {
      await mine(node.provider, 1);
      if (Number((await b.hub.lane(1)).inbound) === MESSAGES) break;
      if (Date.now() > deadline) throw new Error(`only ${(await b.hub.lane(1)).inbound} of ${MESSAGES} delivered`);
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(await appliedNonces(b, 1)).to.deep.equal(Array.from({ length: MESSAGES }, (_, i) => i + 1));
    // Graceful stop first so every log line is flushed.
    for (const { proc } of instances) {
      const code = new Promise<number | null>((r) => proc.once("exit", (c) => r(c)));
      proc.kill("SIGTERM");
      expect(await code).to.equal(0);
    }
    const lines = instances.map((x) => x.out.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { msg: string; count?: number; level: number }));
    const submitted = lines.map((ls) => ls.filter((l) => l.msg === "batch submitted").reduce((s, l) => s + (l.count ?? 0), 0));
    const batches = lines.map((ls) => ls.filter((l) => l.msg === "batch submitted").length);
    const refused = lines.map((ls) => ls.filter((l) => /already applied the batch/.test(l.msg)).length);
    console.log(`      ${MESSAGES} entries in ${((Date.now() - t0) / 1000).toFixed(1)} s; batches submitted per instance ${batches.join(" / ")} (messages ${submitted.join(" / ")}); duplicate submissions refused ${refused.join(" / ")}`);
    expect(batches[0], "instance 0 submitted batches").to.be.greaterThan(0);
    expect(batches[1], "instance 1 submitted batches").to.be.greaterThan(0);
    // One identity, one queue: the lane claim means no range is submitted twice.
    expect(submitted[0] + submitted[1]).to.equal(MESSAGES);
    expect(refused).to.deep.equal([0, 0]);
  });
});

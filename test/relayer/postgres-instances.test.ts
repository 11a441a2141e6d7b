// Two relayer processes of ONE operator identity (same key, same PostgreSQL database) share the
// queue of one EVM lane (chain 1's hub journal → chain 2's gateway, 1-of-1): lane claims under
// row locks and transaction nonces handed out under a lock mean every entry is applied once, in
// lane order, while both instances submit batches.
import { expect } from "chai";
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SigningKey, Wallet, hexlify, keccak256 } from "ethers";
import { DirectSecp256k1Wallet } from "@cosmjs/proto-signing";
import { fromHex } from "@cosmjs/encoding";
import { AccountFamily, encodeBody, Kind } from "../../codec";
import type { LanesResponse } from "../../sdk/cosmwasm/Hexs.types";
import {
  connect,
  deploy,
  devnetEnv,
  instantiateMsg,
  startDevnet,
  stopDevnet,
  type DevnetEnv,
  type User,
} from "../../devnet/wasmd";
import {
  appliedNonces,
  deployChain,
  deployLane,
  type HexsChain,
  laneChains,
  mine,
  type Node,
  purchaseBody,
  record,
  recordKinds,
  startNode,
  minedUntilApplied,
} from "./helpers/evm";
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

/** A relayer process (`relayer/cli.ts start`) of the one operator, its stdout collected. */
function startInstance(config: string): Instance {
  const proc = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "relayer/cli.ts", "start", "--config", config], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, HEXS_LOG_LEVEL: "info", HEXS_PG_OPERATOR_KEY: operator.privateKey, TS_NODE_TRANSPILE_ONLY: "1" },
  });
  const inst: Instance = { proc, out: "" };
  proc.stdout!.on("data", (d) => (inst.out += String(d)));
  return inst;
}

async function killAll(instances: Instance[]): Promise<void> {
  for (const { proc } of instances) {
    if (proc.exitCode !== null || proc.signalCode !== null) continue;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGKILL");
    await exited;
  }
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
    ({ a, b } = await deployLane(node.provider, [operator.address], 1));
    const url = await freshDatabase(pg.url, "hexs_instances");
    for (const i of [0, 1]) {
      const file = path.join(dir, `i${i}.json`);
      fs.writeFileSync(
        file,
        JSON.stringify({
          instance: `i${i}`,
          operator: { key: { env: "HEXS_PG_OPERATOR_KEY" } },
          devnet: true, // one key attests and submits (a test setup)
          chains: laneChains(a, b, { rpcA: node.url }),
          store: { postgres: url },
          http: { port: HTTP_PORTS[i] },
          delivery: { maxBatch: 4, attestTimeoutMs: 500, backoffBaseMs: 100, backoffMaxMs: 1000, idleMs: 50 },
        }),
      );
      instances.push(startInstance(file));
    }
  });

  after(async function () {
    await killAll(instances);
    await node?.stop();
    pg?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`applies ${MESSAGES} entries exactly once in lane order, and both instances submit`, async () => {
    const t0 = Date.now();
    for (let sent = 0; sent < MESSAGES;) {
      const n = Math.min(5, MESSAGES - sent);
      await record(
        a,
        Array.from({ length: n }, (_, i) => purchaseBody(sent + i + 1)),
      );
      sent += n;
      await mine(node.provider, 1);
      await new Promise((r) => setTimeout(r, 150));
    }
    await minedUntilApplied(node.provider, b, 1, MESSAGES, { timeoutMs: 120_000, everyMs: 300 });
    expect(await appliedNonces(b, 1)).to.deep.equal(Array.from({ length: MESSAGES }, (_, i) => i + 1));
    // Graceful stop first so every log line is flushed.
    for (const { proc } of instances) {
      const code = new Promise<number | null>((r) => proc.once("exit", (c) => r(c)));
      proc.kill("SIGTERM");
      expect(await code).to.equal(0);
    }
    const lines = instances.map((x) =>
      x.out
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { msg: string; count?: number; level: number }),
    );
    const submitted = lines.map((ls) => ls.filter((l) => l.msg === "batch submitted").reduce((s, l) => s + (l.count ?? 0), 0));
    const batches = lines.map((ls) => ls.filter((l) => l.msg === "batch submitted").length);
    const refused = lines.map((ls) => ls.filter((l) => /already applied the batch/.test(l.msg)).length);
    console.log(
      `      ${MESSAGES} entries in ${((Date.now() - t0) / 1000).toFixed(1)} s; batches submitted per instance ${batches.join(" / ")} (messages ${submitted.join(" / ")}); duplicate submissions refused ${refused.join(" / ")}`,
    );
    expect(batches[0], "instance 0 submitted batches").to.be.greaterThan(0);
    expect(batches[1], "instance 1 submitted batches").to.be.greaterThan(0);
    // One identity, one queue: the lane claim means no range is submitted twice.
    expect(submitted[0] + submitted[1]).to.equal(MESSAGES);
    expect(refused).to.deep.equal([0, 0]);
  });
});

// The same operator identity delivering to ONE CosmWasm contract from two instances: two EVM
// source lanes (chains 1 and 3 → wasmd chain 100) so the instances hold different lanes at the
// same time and submit with the same Cosmos account concurrently. The account sequence is
// handed out under the store's row lock and the transaction reaches the node's mempool while it
// is held, so neither instance's transaction is refused for a wrong sequence; every message is
// applied once (the contract's `wasm-hexs_inbound` events), and both instances did work.
describe("two relayer instances of one operator delivering to one CosmWasm contract (PostgreSQL)", function () {
  this.timeout(600_000);
  const PG2_PORT = 18955;
  const NODE2_PORT = 18956;
  const HTTP2_PORTS = [18957, 18958];
  const PER_LANE = Number(process.env.HEXS_PG_CW_MESSAGES ?? 40);
  const LANES = [1, 3];
  const COSMOS = 100;
  let pg: PgCluster | undefined;
  let node: Node;
  const evm = new Map<number, HexsChain>();
  let dir: string;
  let started = false;
  let env: DevnetEnv;
  let admin: User | undefined;
  let contract: string;
  let operatorCosmos: string;
  const instances: Instance[] = [];

  before(async function () {
    pg = startPostgres(PG2_PORT);
    if (!pg) {
      console.log("      PostgreSQL not installed (apt-get install postgresql): skipped");
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-relayer-pgcw-"));
    if (process.env.WASMD_EXTERNAL !== "1")
      Object.assign(process.env, { WASMD_HOME: path.join(dir, "wasmd"), WASMD_RPC_PORT: "18914", WASMD_GRPC_PORT: "18917" });
    started = startDevnet();
    env = devnetEnv();
    admin = await connect("validator", env);
    const pubkey = SigningKey.computePublicKey(operator.signingKey.publicKey, true).slice(2);
    const base = instantiateMsg(admin.address, [pubkey], env.denom);
    ({ contract } = await deploy(admin, { ...base, config: { ...base.config, peers: LANES }, threshold: 1 }));
    const w = await DirectSecp256k1Wallet.fromKey(fromHex(operator.privateKey.slice(2)), "wasm");
    operatorCosmos = (await w.getAccounts())[0].address;
    await admin.client.sendTokens(admin.address, operatorCosmos, [{ denom: env.denom, amount: "10000000" }], "auto");

    node = await startNode(NODE2_PORT);
    for (const id of LANES) evm.set(id, await deployChain(node.provider, id, [operator.address], 1));
    const url = await freshDatabase(pg!.url, "hexs_cw_instances");
    for (const i of [0, 1]) {
      const file = path.join(dir, `cw${i}.json`);
      fs.writeFileSync(
        file,
        JSON.stringify({
          instance: `cw${i}`,
          operator: { key: { env: "HEXS_PG_OPERATOR_KEY" } },
          devnet: true, // one key attests and submits (a test setup)
          chains: [
            ...LANES.map((id) => ({
              type: "evm",
              name: `evm${id}`,
              hexsChainId: id,
              rpc: node.url,
              hub: evm.get(id)!.hub.target,
              confirmations: 0,
              pollIntervalMs: 100,
              deliverTo: [COSMOS],
            })),
            {
              type: "cosmwasm",
              name: "wasmd",
              hexsChainId: COSMOS,
              rpc: env.rpc,
              contract,
              gasPrice: `0${env.denom}`,
              confirmations: 0,
              pollIntervalMs: 200,
            },
          ],
          store: { postgres: url },
          http: { port: HTTP2_PORTS[i] },
          delivery: { maxBatch: 5, attestTimeoutMs: 500, backoffBaseMs: 100, backoffMaxMs: 1000, idleMs: 50 },
        }),
      );
      instances.push(startInstance(file));
    }
  });

  after(async function () {
    await killAll(instances);
    admin?.client.disconnect();
    if (env) stopDevnet(started);
    await node?.stop();
    pg?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** PurchaseSettled of a purchase made on `chain` (the contract checks the purchase's origin) */
  const purchaseOn = (chain: number, serial: number): string =>
    hexlify(
      encodeBody(Kind.PurchaseSettled, {
        purchaseId: (BigInt(chain) << 32n) | BigInt(serial),
        modelId: (BigInt(chain) << 32n) | 1n,
        keyId: (BigInt(chain) << 32n) | BigInt(serial),
        buyer: { family: AccountFamily.Evm, address: "0x" + "0c".repeat(20) },
        currency: "0x",
        amount: BigInt(1000 + serial),
        deploymentRequested: false,
        deploymentParams: "0x",
      }),
    );

  it(`applies ${2 * PER_LANE} entries of two lanes exactly once, both instances submit with one account`, async () => {
    const t0 = Date.now();
    for (let sent = 0; sent < PER_LANE;) {
      const n = Math.min(5, PER_LANE - sent);
      for (const id of LANES)
        await recordKinds(
          evm.get(id)!,
          Array.from({ length: n }, (_, i) => ({ kind: Kind.PurchaseSettled, body: purchaseOn(id, sent + i + 1) })),
        );
      sent += n;
      await new Promise((r) => setTimeout(r, 100));
    }
    const lanes = async (): Promise<Map<number, number>> =>
      new Map(
        ((await admin!.client.queryContractSmart(contract, { lanes: {} })) as LanesResponse).inbound.map((l) => [
          l.chain,
          l.nonce,
        ]),
      );
    const deadline = Date.now() + 240_000;
    for (;;) {
      const l = await lanes();
      if (LANES.every((id) => l.get(id) === PER_LANE)) break;
      if (Date.now() > deadline) throw new Error(`only ${JSON.stringify([...l])} of ${PER_LANE} per lane delivered`);
      await new Promise((r) => setTimeout(r, 300));
    }
    const elapsed = (Date.now() - t0) / 1000;
    // What the contract applied, from its own events: every (lane, nonce) exactly once.
    const applied: string[] = [];
    const query = `wasm-hexs_inbound._contract_address='${contract}'`;
    for (const tx of await admin!.client.searchTx(query)) {
      if (tx.code !== 0) continue;
      for (const ev of tx.events) {
        if (ev.type !== "wasm-hexs_inbound") continue;
        const a = Object.fromEntries(ev.attributes.map((x) => [x.key, x.value]));
        applied.push(`${a.src}-${a.nonce}`);
      }
    }
    const expected = LANES.flatMap((id) => Array.from({ length: PER_LANE }, (_, i) => `${id}-${i + 1}`));
    expect([...applied].sort()).to.deep.equal([...expected].sort());
    for (const { proc } of instances) {
      const code = new Promise<number | null>((r) => proc.once("exit", (c) => r(c)));
      proc.kill("SIGTERM");
      expect(await code).to.equal(0);
    }
    const lines = instances.map((x) =>
      x.out
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { msg: string; count?: number; lane?: { dst: number }; err?: string; error?: string }),
    );
    const toCosmos = (ls: (typeof lines)[number]) => ls.filter((l) => l.msg === "batch submitted" && l.lane?.dst === COSMOS);
    const batches = lines.map((ls) => toCosmos(ls).length);
    const submitted = lines.map((ls) => toCosmos(ls).reduce((s, l) => s + (l.count ?? 0), 0));
    const mismatches = lines.map((ls) => ls.filter((l) => /sequence mismatch/i.test(`${l.err ?? ""} ${l.error ?? ""}`)).length);
    const corrected = lines.map((ls) => ls.filter((l) => l.msg === "account sequence corrected from the node's answer").length);
    console.log(
      `      ${2 * PER_LANE} entries on 2 lanes to one contract in ${elapsed.toFixed(1)} s; batches submitted per instance ${batches.join(" / ")} (messages ${submitted.join(" / ")}); failed submissions for a wrong sequence ${mismatches.join(" / ")}, sequences corrected from the node ${corrected.join(" / ")}`,
    );
    expect(batches[0], "instance 0 submitted batches").to.be.greaterThan(0);
    expect(batches[1], "instance 1 submitted batches").to.be.greaterThan(0);
    expect(submitted[0] + submitted[1], "no range submitted twice").to.equal(2 * PER_LANE);
    expect(mismatches, "account sequence handed out under the lock").to.deep.equal([0, 0]);
  });
});

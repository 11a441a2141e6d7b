// The devnet's `hardhat node` (devnet/chains.ts startEvmNode) runs with allocator settings that
// keep the memory a mined block freed (EDR's per-opcode traces), so the next block reuses it
// instead of faulting it in afresh (bench/README.md, "What a gateway block costs the node").
// One real node on a free port of HEXS_PORT_RANGE (default 19700-19799), stopped by PID.
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { EVM_CHAINS, evmNodeAllocatorEnv, portFree, startEvmNode } from "../../devnet/chains";
import { Supervisor } from "../../devnet/procs";

function portRange(): { lo: number; hi: number } {
  const m = /^(\d+)-(\d+)$/.exec(process.env.HEXS_PORT_RANGE ?? "19700-19799");
  if (!m) throw new Error(`HEXS_PORT_RANGE=${process.env.HEXS_PORT_RANGE}: expected "<lo>-<hi>", e.g. 19700-19799`);
  return { lo: Number(m[1]), hi: Number(m[2]) };
}

/** The environment a running process was started with, from /proc (Linux). */
function environOf(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean)) {
    const i = kv.indexOf("=");
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

describe("devnet EVM node: allocator settings that keep a mined block's freed memory", function () {
  this.timeout(120_000);
  let sup: Supervisor;
  let dir: string;
  const saved = { delay: process.env.MIMALLOC_PURGE_DELAY, reserve: process.env.MIMALLOC_ARENA_RESERVE };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-evm-node-"));
    sup = new Supervisor(path.join(dir, "logs"));
  });
  after(async () => {
    await sup.stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    for (const [k, v] of [
      ["MIMALLOC_PURGE_DELAY", saved.delay],
      ["MIMALLOC_ARENA_RESERVE", saved.reserve],
    ] as const)
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  });

  it("keeps freed memory (no purge) in a 4 GiB arena by default; an environment's own values win", () => {
    expect(evmNodeAllocatorEnv({})).to.deep.equal({ MIMALLOC_PURGE_DELAY: "-1", MIMALLOC_ARENA_RESERVE: "4GiB" });
    expect(evmNodeAllocatorEnv({ MIMALLOC_PURGE_DELAY: "10", MIMALLOC_ARENA_RESERVE: "1GiB" })).to.deep.equal({
      MIMALLOC_PURGE_DELAY: "10",
      MIMALLOC_ARENA_RESERVE: "1GiB",
    });
    expect(evmNodeAllocatorEnv({ MIMALLOC_PURGE_DELAY: "100" })).to.deep.equal({
      MIMALLOC_PURGE_DELAY: "100",
      MIMALLOC_ARENA_RESERVE: "4GiB",
    });
  });

  it("startEvmNode starts the node process with them, and it serves its chain", async () => {
    delete process.env.MIMALLOC_PURGE_DELAY;
    delete process.env.MIMALLOC_ARENA_RESERVE;
    const { lo, hi } = portRange();
    let port = lo;
    while (port <= hi && !(await portFree(port))) port++;
    if (port > hi) throw new Error(`no free port in ${lo}-${hi}: set HEXS_PORT_RANGE to a free range`);
    const spec = { ...EVM_CHAINS[0], port };
    const { provider } = await startEvmNode(sup, spec);
    expect(Number(await provider.send("eth_chainId", []))).to.equal(spec.evmChainId);
    const node = sup.status().find((c) => c.name === `node-${spec.network}` && c.running);
    expect(node, "the node is a running child of the supervisor").to.not.equal(undefined);
    const env = environOf(node!.pid);
    expect(env.MIMALLOC_PURGE_DELAY).to.equal("-1");
    expect(env.MIMALLOC_ARENA_RESERVE).to.equal("4GiB");
    expect(env.HEXS_NODE_CHAIN_ID).to.equal(String(spec.evmChainId));
    provider.destroy();
  });
});

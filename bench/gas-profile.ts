// Gas profiler for bench/gas.ts (GAS_PROFILE=1): replays a mined transaction with the Hardhat
// network's debug_traceTransaction (struct logs) and attributes its execution gas to the code
// that spent it (contract × opcode class), and lists every SSTORE and LOG with its cost.
//
// Attribution: a step's own cost is the drop in remaining gas to the next step of the same
// frame; a CALL-family step is charged what it cost beyond its callee's inclusive gas (memory
// expansion, cold account access, value transfer, the 1/64 kept is returned so not counted).
// The difference between gasUsed and the execution total is the intrinsic cost (21,000 +
// calldata) minus the refund.
import type { HardhatRuntimeEnvironment } from "hardhat/types";

interface StructLog {
  op: string;
  gas: number;
  gasCost: number;
  depth: number;
  stack?: string[];
}

export interface FrameCost {
  total: number;
  byClass: Record<string, number>;
}

export interface Profile {
  gasUsed: number;
  execution: number;
  /** 21,000 + calldata − refund */
  intrinsicMinusRefund: number;
  byContract: Map<string, FrameCost>;
  sstores: { contract: string; slot: string; cost: number }[];
  logs: { contract: string; op: string; cost: number }[];
}

const ERC1967_IMPLEMENTATION = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";
const CALLS = new Set(["CALL", "CALLCODE", "DELEGATECALL", "STATICCALL", "CREATE", "CREATE2"]);

function opClass(op: string): string {
  if (op === "SSTORE") return "SSTORE";
  if (op === "SLOAD") return "SLOAD";
  if (op.startsWith("LOG")) return "LOG";
  if (CALLS.has(op)) return "CALL";
  if (op === "KECCAK256" || op === "SHA3") return "KECCAK";
  if (op === "EXTCODESIZE" || op === "EXTCODEHASH" || op === "BALANCE") return "ACCOUNT";
  if (op === "TLOAD" || op === "TSTORE") return "TRANSIENT";
  if (op.startsWith("CALLDATA") || op.startsWith("RETURNDATA") || op === "MCOPY" || op === "CODECOPY") return "COPY";
  if (op === "MSTORE" || op === "MSTORE8" || op === "MLOAD") return "MEMORY";
  return "OTHER";
}

const word = (hex: string) => BigInt(hex.startsWith("0x") ? hex : `0x${hex}`);
const addressOf = (hex: string) => `0x${word(hex).toString(16).padStart(40, "0")}`;

/**
 * Labels for addresses: every hardhat-deploy record (proxies as their name, implementations as
 * "<name>_Implementation"), plus `extra` (e.g. a model's key collection).
 */
export async function deploymentLabels(
  hre: HardhatRuntimeEnvironment,
  extra: Record<string, string> = {},
): Promise<Map<string, string>> {
  const labels = new Map<string, string>();
  const all = await (
    hre as unknown as { deployments: { all(): Promise<Record<string, { address: string }>> } }
  ).deployments.all();
  for (const [name, d] of Object.entries(all)) {
    const a = d.address.toLowerCase();
    // A name with a prefix (e.g. "bench.A.HexsHub") keeps it; the shortest name for an address wins.
    if (!labels.has(a) || name.length < labels.get(a)!.length) labels.set(a, name);
  }
  for (const [a, name] of Object.entries(extra)) labels.set(a.toLowerCase(), name);
  // Implementations behind the labeled proxies (ERC-1967 slot) and beacons (implementation()).
  const provider = hre.network.provider;
  for (const [a, name] of [...labels.entries()]) {
    const slot = (await provider.send("eth_getStorageAt", [a, ERC1967_IMPLEMENTATION, "latest"])) as string;
    let impl = word(slot) === 0n ? undefined : addressOf(slot);
    if (!impl) {
      try {
        const out = (await provider.send("eth_call", [{ to: a, data: "0x5c60da1b" }, "latest"])) as string;
        if (out.length === 66 && word(out) !== 0n) impl = addressOf(out);
      } catch {
        // not a beacon
      }
    }
    if (impl && !labels.has(impl))
      labels.set(impl, /KeyBeacon$/.test(name) ? `${name.replace(/KeyBeacon$/, "KeyNFT")} impl` : `${name} impl`);
  }
  return labels;
}

export async function profileTx(hre: HardhatRuntimeEnvironment, txHash: string, labels: Map<string, string>): Promise<Profile> {
  const provider = hre.network.provider;
  const tx = (await provider.send("eth_getTransactionByHash", [txHash])) as { to: string };
  const receipt = (await provider.send("eth_getTransactionReceipt", [txHash])) as { gasUsed: string };
  const trace = (await provider.send("debug_traceTransaction", [txHash, { disableMemory: true, disableStorage: true }])) as {
    structLogs: StructLog[];
  };
  const steps = trace.structLogs;
  const label = (a: string) => labels.get(a.toLowerCase()) ?? `${a.slice(0, 10)}…`;

  // The frame (code address) each step runs in: a stack of code addresses by depth.
  const code: string[] = [];
  const frameOf: string[] = new Array(steps.length);
  const base = steps.length ? steps[0].depth : 1;
  code[base] = tx.to;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    frameOf[i] = code[s.depth];
    const next = steps[i + 1];
    if (next && next.depth > s.depth && CALLS.has(s.op) && s.stack) {
      const st = s.stack;
      // CALL/STATICCALL/DELEGATECALL/CALLCODE: address is the second stack item from the top.
      code[next.depth] = s.op.startsWith("CREATE") ? "0x(create)" : addressOf(st[st.length - 2]);
    }
  }

  // Own cost of each step (see the header); callee costs are summed into `inclusive`.
  const own: number[] = new Array(steps.length).fill(0);
  const open: { i: number; inclusive: number }[] = [];
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    const next = steps[i + 1];
    if (next && next.depth > s.depth) {
      open.push({ i, inclusive: 0 }); // the call's own cost is settled when it returns
      continue;
    }
    own[i] = next && next.depth === s.depth ? s.gas - next.gas : s.gasCost;
    if (open.length) open[open.length - 1].inclusive += own[i];
    // Returning: settle every call the next step is outside of.
    let levels = next ? s.depth - next.depth : open.length;
    while (levels-- > 0 && open.length) {
      const call = open.pop()!;
      const c = steps[call.i];
      const total = next && next.depth === c.depth ? c.gas - next.gas : call.inclusive + c.gasCost;
      own[call.i] = total - call.inclusive;
      if (open.length) open[open.length - 1].inclusive += total;
    }
  }
  const execution = own.reduce((a, b) => a + b, 0);

  const byContract = new Map<string, FrameCost>();
  const sstores: Profile["sstores"] = [];
  const logs: Profile["logs"] = [];
  for (let i = 0; i < steps.length; i++) {
    const who = label(frameOf[i]);
    const cls = opClass(steps[i].op);
    const f = byContract.get(who) ?? { total: 0, byClass: {} };
    f.total += own[i];
    f.byClass[cls] = (f.byClass[cls] ?? 0) + own[i];
    byContract.set(who, f);
    if (steps[i].op === "SSTORE" && steps[i].stack) {
      const st = steps[i].stack!;
      sstores.push({ contract: who, slot: `0x${word(st[st.length - 1]).toString(16)}`, cost: own[i] });
    }
    if (cls === "LOG") logs.push({ contract: who, op: steps[i].op, cost: own[i] });
  }
  const gasUsed = Number(word(receipt.gasUsed));
  return { gasUsed, execution, intrinsicMinusRefund: gasUsed - execution, byContract, sstores, logs };
}

export function formatProfile(name: string, p: Profile): string {
  const out: string[] = [];
  const classes = ["SSTORE", "SLOAD", "LOG", "CALL", "KECCAK", "ACCOUNT", "COPY", "MEMORY", "TRANSIENT", "OTHER"];
  out.push(`\n== ${name}: gasUsed ${p.gasUsed} = execution ${p.execution} + intrinsic−refund ${p.intrinsicMinusRefund}`);
  out.push(`  ${"code".padEnd(34)} ${"total".padStart(7)} ${classes.map((c) => c.padStart(7)).join(" ")}`);
  const rows = [...p.byContract.entries()].sort((a, b) => b[1].total - a[1].total);
  for (const [who, f] of rows) {
    out.push(
      `  ${who.slice(0, 34).padEnd(34)} ${String(f.total).padStart(7)} ${classes
        .map((c) => String(f.byClass[c] ?? 0).padStart(7))
        .join(" ")}`,
    );
  }
  for (const s of p.sstores) out.push(`  SSTORE ${s.contract} ${s.slot.slice(0, 14)}… ${s.cost}`);
  for (const l of p.logs) out.push(`  ${l.op} ${l.contract} ${l.cost}`);
  return out.join("\n");
}

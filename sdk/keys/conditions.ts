// Access conditions in Lighthouse's JSON format, and their evaluation against real chains.
//
// Accepted (the kavach schema the SDK validates with, chainType "EVM"):
//   * EVM: ERC20/ERC721 `balanceOf(:userAddress)`, ERC721 `ownerOf(id)`, ERC1155 `balanceOf`,
//     `Custom` with `inputArrayType`/`outputType` (e.g. KeyNFT `hasAccess(address) → bool`),
//     and "" with `getBalance` / `getBlockNumber` — each an `eth_call` to the chain's RPC.
//   * Beyond Lighthouse: a `Custom` condition whose `chain` is configured as a CosmWasm chain
//     and whose method is `has_access` — a smart query `{ has_access: { model, account } }` of
//     the Hexs CosmWasm contract. It is written in the EVM shape so the unmodified SDK
//     accepts it; real Lighthouse does not know such a chain and cannot evaluate it.
// Several conditions need an aggregator such as "([1] or [2])" ("and" binds tighter than "or").
import { Contract, JsonRpcProvider } from "ethers";
import { CosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { updateConditionSchema } from "@lighthouse-web3/kavach/dist/methods/accessControl/validator";
import type { Account } from "./auth";
import { KeyServiceError, messageOf, refuse } from "./errors";

export type { AccessCondition, Comparator, ConditionSet } from "./access";
import type { AccessCondition, ConditionSet } from "./access";

export type ChainConfig =
  { name: string; kind: "evm"; rpcUrl: string; chainId: number } | { name: string; kind: "cosmwasm"; rpcUrl: string };

// ------------------------------------------------------------------ aggregator

type Expr = { id: number } | { op: "and" | "or"; left: Expr; right: Expr };

/** Parse "([1] or [2]) and [3]". Grammar: or := and ("or" and)*, and := atom ("and" atom)*. */
export function parseAggregator(text: string): Expr {
  const tokens = text.match(/\[\s*\d+\s*\]|\(|\)|\band\b|\bor\b|\S+/gi) ?? [];
  let pos = 0;
  const bad = (why: string): never => refuse("bad_condition", `aggregator "${text}": ${why}`);
  const atom = (): Expr => {
    const t = tokens[pos++];
    if (t === undefined) return bad("ends early");
    if (t === "(") {
      const e = orExpr();
      if (tokens[pos++] !== ")") bad("missing ')'");
      return e;
    }
    const m = /^\[\s*(\d+)\s*\]$/.exec(t);
    if (!m) return bad(`unexpected '${t}' (use [n], and, or, parentheses)`);
    return { id: Number(m[1]) };
  };
  const andExpr = (): Expr => {
    let e = atom();
    while (tokens[pos]?.toLowerCase() === "and") {
      pos++;
      e = { op: "and", left: e, right: atom() };
    }
    return e;
  };
  const orExpr = (): Expr => {
    let e = andExpr();
    while (tokens[pos]?.toLowerCase() === "or") {
      pos++;
      e = { op: "or", left: e, right: andExpr() };
    }
    return e;
  };
  const e = orExpr();
  if (pos !== tokens.length) bad(`unexpected '${tokens[pos]}'`);
  return e;
}

function idsOf(e: Expr): number[] {
  return "id" in e ? [e.id] : [...idsOf(e.left), ...idsOf(e.right)];
}

function evalExpr(e: Expr, results: Map<number, boolean>): boolean {
  if ("id" in e) return results.get(e.id) === true;
  return e.op === "and"
    ? evalExpr(e.left, results) && evalExpr(e.right, results)
    : evalExpr(e.left, results) || evalExpr(e.right, results);
}

// ------------------------------------------------------------------ validation

const NUMERIC = /^u?int\d*$/;

/**
 * Validate a condition set the way the SDK does (kavach's own schema) and then against what this
 * service can evaluate: configured chains, supported methods, aggregator ids. Returns it normalised.
 */
export function validateConditions(input: unknown, chains: ChainConfig[]): ConditionSet {
  const body = (input ?? {}) as Record<string, unknown>;
  const chainType = String(body.chainType ?? "EVM").toUpperCase();
  if (chainType !== "EVM") {
    refuse(
      "unsupported",
      `chainType ${chainType} is not evaluated by this key service: use EVM-shaped conditions (CosmWasm chains are named in 'chain')`,
    );
  }
  const { error } = updateConditionSchema.validate({
    address: String(body.address ?? "0x"),
    cid: String(body.cid ?? "x"),
    conditions: body.conditions,
    aggregator: body.aggregator ?? undefined,
    chainType: "EVM",
  });
  if (error) refuse("bad_condition", `condition validation error: ${error.message}`);
  const conditions = body.conditions as AccessCondition[];
  for (const c of conditions) {
    const chain = chains.find((k) => k.name.toLowerCase() === c.chain.toLowerCase());
    const where = `condition [${c.id}]`;
    if (!chain) {
      refuse(
        "bad_condition",
        `${where}: chain '${c.chain}' is not configured here (configured: ${chains.map((k) => k.name).join(", ") || "none"})`,
      );
    }
    const type = c.standardContractType.toLowerCase();
    if (chain.kind === "cosmwasm") {
      if (type !== "custom" || c.method !== "has_access") {
        refuse(
          "bad_condition",
          `${where}: on CosmWasm chain '${c.chain}' only Custom 'has_access' (Hexs mirror) is supported, got ${c.standardContractType} '${c.method}'`,
        );
      }
      if (c.parameters?.length !== 2 || !/^\d+$/.test(String(c.parameters[0]))) {
        refuse("bad_condition", `${where}: has_access takes parameters [<model id>, ":userAddress" | <account>]`);
      }
      continue;
    }
    if (type === "custom") {
      if ((c.inputArrayType ?? []).length !== (c.parameters ?? []).length) {
        refuse(
          "bad_condition",
          `${where}: inputArrayType has ${(c.inputArrayType ?? []).length} types for ${(c.parameters ?? []).length} parameters`,
        );
      }
    } else if (type === "") {
      if (c.method !== "getBalance" && c.method !== "getBlockNumber")
        refuse("bad_condition", `${where}: method ${c.method} unsupported`);
    } else if (!["balanceof", "ownerof"].includes(c.method.toLowerCase())) {
      refuse("bad_condition", `${where}: ${c.standardContractType}.${c.method} is not supported (balanceOf, ownerOf or Custom)`);
    }
  }
  let aggregator: string | undefined;
  if (conditions.length > 1) {
    aggregator = String(body.aggregator);
    const ids = new Set(conditions.map((c) => c.id));
    for (const id of idsOf(parseAggregator(aggregator))) {
      if (!ids.has(id)) refuse("bad_condition", `aggregator "${aggregator}" names [${id}], which is not a condition id`);
    }
  }
  return { conditions, aggregator, chainType: "EVM" };
}

// ------------------------------------------------------------------ evaluation

function compare(actual: bigint | string | boolean, c: AccessCondition, account: Account): boolean {
  const { comparator, value } = c.returnValueTest;
  const want = value === ":userAddress" ? account.address : value;
  if (typeof actual === "bigint") {
    const w = BigInt(want);
    return { "==": actual === w, "!=": actual !== w, ">=": actual >= w, "<=": actual <= w, ">": actual > w, "<": actual < w }[
      comparator
    ];
  }
  const a = String(actual).toLowerCase();
  const b = String(want).toLowerCase();
  if (comparator === "==") return a === b;
  if (comparator === "!=") return a !== b;
  refuse("bad_condition", `condition [${c.id}]: comparator ${comparator} needs a numeric result`);
}

function substitute(p: string | number, account: Account): string {
  return p === ":userAddress" ? account.address : String(p);
}

/** Reads the chains named in conditions. One provider/client per chain, reused. */
export class ChainAccess {
  private readonly evm = new Map<string, JsonRpcProvider>();
  private readonly wasm = new Map<string, Promise<CosmWasmClient>>();

  constructor(readonly chains: ChainConfig[]) {}

  private chain(name: string): ChainConfig {
    const c = this.chains.find((k) => k.name.toLowerCase() === name.toLowerCase());
    if (!c) refuse("bad_condition", `chain '${name}' is not configured`);
    return c;
  }

  private provider(c: Extract<ChainConfig, { kind: "evm" }>): JsonRpcProvider {
    let p = this.evm.get(c.name);
    if (!p) {
      p = new JsonRpcProvider(c.rpcUrl, c.chainId, { staticNetwork: true, batchMaxCount: 1 });
      this.evm.set(c.name, p);
    }
    return p;
  }

  private client(c: Extract<ChainConfig, { kind: "cosmwasm" }>): Promise<CosmWasmClient> {
    let p = this.wasm.get(c.name);
    if (!p) {
      p = CosmWasmClient.connect(c.rpcUrl);
      p.catch(() => this.wasm.delete(c.name));
      this.wasm.set(c.name, p);
    }
    return p;
  }

  /** One condition's verdict for `account`. Throws chain_unavailable if the chain cannot be read. */
  async check(c: AccessCondition, account: Account): Promise<boolean> {
    const chain = this.chain(c.chain);
    const params = (c.parameters ?? []).map((p) => substitute(p, account));
    try {
      if (chain.kind === "cosmwasm") {
        const client = await this.client(chain);
        const who = params[1];
        const acct = who.startsWith("0x") ? { evm: who } : { cosmos: who };
        const r = (await client.queryContractSmart(c.contractAddress ?? "", {
          has_access: { model: params[0], account: acct },
        })) as { access?: unknown };
        return compare(r.access === true, c, account);
      }
      if (account.family !== "evm" && (c.parameters ?? []).includes(":userAddress")) {
        return false; // an EVM contract cannot be asked about a Cosmos account
      }
      const provider = this.provider(chain);
      const type = c.standardContractType.toLowerCase();
      if (type === "") {
        const v = c.method === "getBalance" ? await provider.getBalance(params[0]) : BigInt(await provider.getBlockNumber());
        return compare(v, c, account);
      }
      let fragment: string;
      if (type === "custom")
        fragment = `function ${c.method}(${(c.inputArrayType ?? []).join(",")}) view returns (${c.outputType})`;
      else if (c.method.toLowerCase() === "ownerof") fragment = "function ownerOf(uint256) view returns (address)";
      else if (type === "erc1155") fragment = "function balanceOf(address,uint256) view returns (uint256)";
      else fragment = "function balanceOf(address) view returns (uint256)";
      const contract = new Contract(c.contractAddress ?? "", [fragment], provider);
      const fn = contract.getFunction(c.method);
      const out: unknown = await fn.staticCall(...params);
      const outType = type === "custom" ? (c.outputType ?? "") : c.method.toLowerCase() === "ownerof" ? "address" : "uint256";
      if (NUMERIC.test(outType)) return compare(BigInt(out as bigint), c, account);
      if (outType === "bool") return compare(out === true, c, account);
      return compare(String(out), c, account);
    } catch (e) {
      if (e instanceof KeyServiceError) throw e;
      // A revert (e.g. ownerOf of a burnt key) is a "no"; an unreachable node is not.
      const text = messageOf(e);
      if (/revert|CALL_EXCEPTION|execution reverted/i.test(text)) return false;
      refuse("chain_unavailable", `could not read chain '${c.chain}' for condition [${c.id}]: ${text.split("\n")[0]}`);
    }
  }

  /** Evaluate a condition set; a chain that cannot be read counts as "no" unless the rest grant. */
  async evaluate(set: ConditionSet, account: Account): Promise<{ granted: boolean; unavailable: string[] }> {
    const results = new Map<number, boolean>();
    const unavailable: string[] = [];
    await Promise.all(
      set.conditions.map(async (c) => {
        try {
          results.set(c.id, await this.check(c, account));
        } catch (e) {
          if (e instanceof KeyServiceError && e.code === "chain_unavailable") {
            unavailable.push(e.message);
            results.set(c.id, false);
          } else throw e;
        }
      }),
    );
    const granted =
      set.conditions.length === 1
        ? results.get(set.conditions[0].id) === true
        : evalExpr(parseAggregator(set.aggregator ?? ""), results);
    return { granted, unavailable };
  }

  close(): void {
    for (const p of this.evm.values()) p.destroy();
    for (const c of this.wasm.values()) c.then((x) => x.disconnect()).catch(() => undefined);
  }
}

export { anyOf, cosmwasmKeyCondition, evmKeyCondition } from "./access";

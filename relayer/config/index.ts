// The relayer's one config file (JSON or YAML), validated with zod at start. Every error names
// the field (`chains[1].rpc`), the value's problem and the file, so an operator can fix it
// without reading code. Keys are read from env vars or key files and are never kept in the
// validated config object that gets logged: `loadRelayerKeys` returns them separately.
//
// Two kinds of key: `operator.key` attests (signs batch roots for the gateways and, as the
// operator's identity, key-service challenges) and never signs a transaction; submitter keys
// (`operator.submitterKey`, or `chains[].submitterKey` per chain) sign and pay for every
// transaction. Outside a devnet (`devnet: true`) they must differ, and a relayer that delivers
// needs peers: one operator's attestation alone (1-of-1) must not move a lane.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { z } from "zod";
import { SigningKey } from "ethers";
import { akashSectionSchema, resolveAkashPaths } from "../akash/config";
import { HexsError } from "../../sdk/errors";

// js-yaml has no bundled types here; it is a pinned dependency (also used for SDLs).
const yamlLoad: (text: string) => unknown = require("js-yaml").load;

const hexsChainId = z.number().int().min(1).max(0xffffffff);
const evmAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte EVM address");
const url = z.string().regex(/^(https?|wss?):\/\/[^\s]+$/, "expected an http(s):// or ws(s):// URL");
const positiveMs = z.number().int().min(10);

export const keySourceSchema = z.union([
  z.object({ env: z.string().min(1) }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);
export type KeySource = z.infer<typeof keySourceSchema>;

const common = {
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, '_', '.', '-' only"),
  hexsChainId,
  rpc: url,
  pollIntervalMs: positiveMs.default(1000),
  /** Hexs chains this relayer delivers this chain's outbound messages to (attestation lanes). */
  deliverTo: z.array(hexsChainId).default([]),
  /** attempts per RPC call (first try included) before a poll step gives up and backs off */
  rpcAttempts: z.number().int().min(1).max(100).default(5),
  /** cap on any one retry delay: per RPC call and for the source loop's backoff */
  retryMaxMs: positiveMs.max(600_000).default(5_000),
};

export const evmChainSchema = z
  .object({
    type: z.literal("evm"),
    ...common,
    hub: evmAddress,
    /** optional websocket endpoint (ws:// or wss://): new heads wake the source at once; it polls `rpc` on its interval whenever the websocket is down */
    ws: z
      .string()
      .regex(/^wss?:\/\/[^\s]+$/, "expected a ws:// or wss:// URL")
      .optional(),
    /** the attestation gateway: needed when this chain is a destination */
    gateway: evmAddress.optional(),
    /**
     * messages per gateway batch toward this chain (default: delivery.maxBatch). Unlike a wasmd
     * contract, the gateway has no batch cap of its own: larger batches mean fewer transactions,
     * which the node accepts one after another. `batchGas` still cuts a batch earlier. Peers sign
     * batches above 64 only from this version on (attest MAX_ATTESTED_BATCH): upgrade every operator first.
     */
    maxBatch: z.number().int().min(1).max(1024).optional(),
    /**
     * a batch toward this chain is cut before its shaped gas (sinks/evm.ts shapedGas) passes this,
     * so several fit one block and a pipelined batch's limit is never the flat fallback
     */
    batchGas: z.number().int().min(200_000).max(15_000_000).default(10_000_000),
    /**
     * eth_call every batch sent at a lane's head before broadcasting it. Off by default: a head
     * batch is simulated only after one of our transactions reverted on this chain (or when its
     * gas has no shaped figure), so a refusal costs one reverted transaction, then is classified.
     */
    simulateHeads: z.boolean().default(false),
    confirmations: z.number().int().min(0).max(10_000).default(2),
    /** first block to scan when no cursor is stored */
    startBlock: z.number().int().min(0).default(0),
    maxBlockRange: z.number().int().min(1).max(100_000).default(2000),
    /** recent block hashes kept for reorg detection */
    reorgWindow: z.number().int().min(1).max(10_000).default(128),
    /** the key that signs and pays for submissions on this chain (default: operator.submitterKey) */
    submitterKey: keySourceSchema.optional(),
    /** fee bumping of gateway submissions (EIP-1559 fields) */
    fees: z
      .object({
        /** replace a submission not mined after this long */
        bumpAfterMs: positiveMs.default(20_000),
        /** raise both fee fields by this much per replacement (nodes require at least 12.5) */
        bumpPercent: z.number().min(12.5, "nodes refuse replacements below +12.5%").max(1000).default(20),
        /** never pay more than this per gas */
        maxFeePerGasGwei: z.number().positive().default(500),
      })
      .strict()
      .default({ bumpAfterMs: 20_000, bumpPercent: 20, maxFeePerGasGwei: 500 }),
  })
  .strict();

export const cosmwasmChainSchema = z
  .object({
    type: z.literal("cosmwasm"),
    ...common,
    contract: z.string().regex(/^[a-z]+1[02-9ac-hj-np-z]{38,90}$/, "expected a bech32 contract address"),
    prefix: z.string().min(1).default("wasm"),
    /** e.g. "0.025ucosm" */
    gasPrice: z.string().regex(/^\d+(\.\d+)?[a-zA-Z][a-zA-Z0-9/]*$/, "expected <amount><denom>, e.g. 0.025ucosm"),
    confirmations: z.number().int().min(0).max(10_000).default(0),
    startHeight: z.number().int().min(1).default(1),
    /** how heights are read: "search" (tx_search by height range, paged; the default) or "blockResults" (every height) */
    scan: z.enum(["search", "blockResults"]).default("search"),
    /** newest heights read with block_results even in "search" mode (the tx index may lag the head) */
    exactTail: z.number().int().min(0).max(1000).default(1),
    submitterKey: keySourceSchema.optional(),
  })
  .strict();

export const chainSchema = z.discriminatedUnion("type", [evmChainSchema, cosmwasmChainSchema]);
export type ChainConfig = z.infer<typeof chainSchema>;
export type EvmChainConfig = z.infer<typeof evmChainSchema>;
export type CosmwasmChainConfig = z.infer<typeof cosmwasmChainSchema>;

export const configSchema = z
  .object({
    /** this instance's name in claims and logs (several instances may share one identity) */
    instance: z.string().min(1).default(`${os.hostname()}-${process.pid}`),
    /** key: the attestation key (never signs a transaction); submitterKey: signs and pays for transactions on every chain without its own */
    operator: z.object({ key: keySourceSchema, submitterKey: keySourceSchema.optional() }).strict(),
    /** a development setup: one key may attest and submit, and a relayer may deliver alone (1-of-1) */
    devnet: z.boolean().default(false),
    chains: z.array(chainSchema).min(1),
    peers: z.array(z.object({ name: z.string().min(1), url }).strict()).default([]),
    store: z.union([
      z.object({ sqlite: z.string().min(1) }).strict(),
      z.object({ postgres: z.string().regex(/^postgres(ql)?:\/\//, "expected a postgres:// URL") }).strict(),
    ]),
    http: z.object({ host: z.string().default("127.0.0.1"), port: z.number().int().min(0).max(65535) }).strict(),
    delivery: z
      .object({
        maxBatch: z.number().int().min(1).max(64).default(64),
        maxAttempts: z.number().int().min(1).default(10),
        backoffBaseMs: positiveMs.default(500),
        backoffMaxMs: positiveMs.default(60_000),
        /** how long a claimed lane stays ours without renewal */
        claimMs: positiveMs.default(30_000),
        /** how long to wait for peers' signatures before backing off */
        attestTimeoutMs: positiveMs.default(5_000),
        idleMs: positiveMs.default(200),
        /** submitted-but-unconfirmed batches a lane may have at once (1: wait for each before the next) */
        pipeline: z.number().int().min(1).max(16).default(8),
        /**
         * Each lane has one designated submitter among the destination's relayer set; the others
         * submit only after the lane made no progress for this long (then, for a while, one batch at a time).
         */
        takeoverMs: positiveMs.default(3_000),
      })
      .strict()
      .default({
        maxBatch: 64,
        maxAttempts: 10,
        backoffBaseMs: 500,
        backoffMaxMs: 60_000,
        claimMs: 30_000,
        attestTimeoutMs: 5_000,
        idleMs: 200,
        pipeline: 8,
        takeoverMs: 3_000,
      }),
    /** optional: the Akash lease service (purchases → leases, LeaseReported); see relayer/akash/config.ts */
    akash: akashSectionSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.devnet) refuseSharedKeys(c, ctx);
    const ids = new Map<number, number>();
    c.chains.forEach((ch, i) => {
      if (ids.has(ch.hexsChainId))
        ctx.addIssue({
          code: "custom",
          path: ["chains", i, "hexsChainId"],
          message: `duplicate Hexs chain id ${ch.hexsChainId} (also chains[${ids.get(ch.hexsChainId)}])`,
        });
      ids.set(ch.hexsChainId, i);
    });
    c.chains.forEach((ch, i) =>
      ch.deliverTo.forEach((dst, j) => {
        const k = ids.get(dst);
        if (k === undefined)
          ctx.addIssue({
            code: "custom",
            path: ["chains", i, "deliverTo", j],
            message: `chain ${dst} is not configured in chains[]`,
          });
        else if (dst === ch.hexsChainId)
          ctx.addIssue({ code: "custom", path: ["chains", i, "deliverTo", j], message: "a chain cannot deliver to itself" });
        else {
          const d = c.chains[k];
          if (d.type === "evm" && !d.gateway)
            ctx.addIssue({
              code: "custom",
              path: ["chains", k, "gateway"],
              message: `required: chains[${i}] delivers to chain ${dst} through its attestation gateway`,
            });
        }
      }),
    );
  });

export type RelayerConfig = z.infer<typeof configSchema>;

/** Chains this relayer submits transactions to: every gateway destination and every CosmWasm chain. */
const submitsTo = (ch: ChainConfig): boolean => ch.type === "cosmwasm" || !!ch.gateway;

const sameSource = (a: KeySource, b: KeySource): boolean =>
  "env" in a ? "env" in b && a.env === b.env : "file" in b && path.resolve(a.file) === path.resolve(b.file);

/** Outside a devnet: a submitter key for every chain submitted to, none of them the attestation key, and peers. */
function refuseSharedKeys(
  c: { operator: { key: KeySource; submitterKey?: KeySource }; chains: ChainConfig[]; peers: unknown[] },
  ctx: z.RefinementCtx,
): void {
  const attest = c.operator.key;
  if (c.operator.submitterKey && sameSource(c.operator.submitterKey, attest))
    ctx.addIssue({
      code: "custom",
      path: ["operator", "submitterKey"],
      message:
        "is the attestation key (operator.key): the attestation key never signs transactions, give the submitter its own key",
    });
  c.chains.forEach((ch, i) => {
    if (!submitsTo(ch)) return;
    if (!ch.submitterKey && !c.operator.submitterKey)
      ctx.addIssue({
        code: "custom",
        path: ["operator", "submitterKey"],
        message: `required outside a devnet: chain ${ch.name} receives transactions and the attestation key (operator.key) never signs them; give operator.submitterKey (or chains[${i}].submitterKey)`,
      });
    else if (ch.submitterKey && sameSource(ch.submitterKey, attest))
      ctx.addIssue({
        code: "custom",
        path: ["chains", i, "submitterKey"],
        message:
          "is the attestation key (operator.key): the attestation key never signs transactions, give the submitter its own key",
      });
  });
  if (!c.peers.length && c.chains.some((ch) => ch.deliverTo.length))
    ctx.addIssue({
      code: "custom",
      path: ["peers"],
      message:
        "required outside a devnet: this relayer delivers, and one operator's attestation alone (1-of-1) must not move a lane; list the other relayers of the set (the destination's threshold must be more than half of it)",
    });
}

/** The relayer's configuration (or its key) is unusable: `field` names where, the message what to do. */
export class ConfigError extends HexsError {
  constructor(
    message: string,
    readonly field?: string,
    options: { cause?: unknown } = {},
  ) {
    super("config_invalid", message, { retryable: false, cause: options.cause });
  }
}

function fieldPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), "");
}

/** Validate an already parsed config object; `source` names it in errors. */
export function parseConfig(raw: unknown, source = "config"): RelayerConfig {
  const r = configSchema.safeParse(raw);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  const field = fieldPath(first.path) || "(root)";
  const lines = r.error.issues.map((i) => `  ${fieldPath(i.path) || "(root)"}: ${i.message}`);
  throw new ConfigError(`${source}: invalid relayer config (fix the field(s) below)\n${lines.join("\n")}`, field);
}

/** Read and validate a config file (.json, .yaml or .yml). Relative paths inside resolve against its folder. */
export function loadConfig(file: string): RelayerConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError(`cannot read relayer config ${file}: ${(e as Error).message}`, undefined, { cause: e });
  }
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(file) ? yamlLoad(text) : JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${file}: not valid ${/\.ya?ml$/i.test(file) ? "YAML" : "JSON"}: ${(e as Error).message}`, undefined, {
      cause: e,
    });
  }
  const cfg = parseConfig(raw, file);
  const dir = path.dirname(path.resolve(file));
  if ("sqlite" in cfg.store && cfg.store.sqlite !== ":memory:") cfg.store.sqlite = path.resolve(dir, cfg.store.sqlite);
  const resolveKey = (k: KeySource): KeySource => ("file" in k ? { file: path.resolve(dir, k.file) } : k);
  cfg.operator.key = resolveKey(cfg.operator.key);
  if (cfg.operator.submitterKey) cfg.operator.submitterKey = resolveKey(cfg.operator.submitterKey);
  for (const c of cfg.chains) if (c.submitterKey) c.submitterKey = resolveKey(c.submitterKey);
  if (cfg.akash) resolveAkashPaths(cfg.akash, dir);
  return cfg;
}

/**
 * The secp256k1 key named by a key source: a 0x-prefixed 32-byte hex private key in an env var,
 * or the first line of a key file (which must not be readable by group/others).
 */
export function loadKey(src: KeySource, field = "operator.key"): SigningKey {
  let hex: string | undefined;
  if ("env" in src) {
    hex = process.env[src.env]?.trim();
    if (!hex)
      throw new ConfigError(
        `${field}: environment variable ${src.env} is not set (it must hold the 0x-prefixed 32-byte secp256k1 private key)`,
        field,
      );
  } else {
    let st: fs.Stats;
    try {
      st = fs.statSync(src.file);
    } catch {
      throw new ConfigError(`${field}: key file ${src.file} does not exist`, field);
    }
    if ((st.mode & 0o077) !== 0)
      throw new ConfigError(
        `${field}: key file ${src.file} is readable by others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${src.file}`,
        field,
      );
    hex = fs.readFileSync(src.file, "utf8").split("\n")[0].trim();
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex))
    throw new ConfigError(`${field}: the key is not a 0x-prefixed 32-byte hex private key`, field);
  try {
    return new SigningKey(hex);
  } catch {
    throw new ConfigError(`${field}: the key is not a valid secp256k1 private key`, field);
  }
}

export interface RelayerKeys {
  /** signs batch roots (and, as the operator's identity, key-service challenges); never a transaction */
  attest: SigningKey;
  /** operator.submitterKey, or on a devnet without one the attestation key; undefined when only chains have keys */
  defaultSubmitter?: SigningKey;
  /** the key that signs and pays for transactions on `chain` */
  submitter(chain: ChainConfig): SigningKey;
}

/**
 * Load the attestation key and the submitter keys. Outside a devnet a submitter key that turns out
 * to be the attestation key (the same private key under another env var or file) is refused.
 */
export function loadRelayerKeys(cfg: RelayerConfig): RelayerKeys {
  const attest = loadKey(cfg.operator.key);
  const distinct = (k: SigningKey, field: string): SigningKey => {
    if (!cfg.devnet && k.privateKey === attest.privateKey)
      throw new ConfigError(
        `${field}: is the attestation key (operator.key): the attestation key never signs transactions, give the submitter its own key`,
        field,
      );
    return k;
  };
  const defaultSubmitter = cfg.operator.submitterKey
    ? distinct(loadKey(cfg.operator.submitterKey, "operator.submitterKey"), "operator.submitterKey")
    : cfg.devnet
      ? attest
      : undefined;
  const byChain = new Map<string, SigningKey>();
  cfg.chains.forEach((c, i) => {
    const field = `chains[${i}].submitterKey`;
    if (c.submitterKey) byChain.set(c.name, distinct(loadKey(c.submitterKey, field), field));
  });
  return {
    attest,
    defaultSubmitter,
    submitter(chain: ChainConfig): SigningKey {
      const k = byChain.get(chain.name) ?? defaultSubmitter;
      if (!k)
        throw new ConfigError(
          `chain ${chain.name} has no submitter key: give operator.submitterKey or its submitterKey (the attestation key never signs transactions)`,
          "operator.submitterKey",
        );
      return k;
    },
  };
}

/**
 * The same rule as the gateways (M > N/2), and 1-of-1 only on a devnet: a relayer does not attest
 * for, or submit to, a destination whose relayer set one minority (or one key) could drive.
 */
export function checkRelayerSet(set: { threshold: number; members: readonly string[] }, devnet: boolean, chain: string): void {
  const n = set.members.length;
  if (set.threshold * 2 <= n)
    throw new ConfigError(
      `chain ${chain}'s relayer set needs ${set.threshold} of ${n} signatures: not more than half of them, so two disjoint minorities could each deliver; refusing to relay there until governance sets a majority threshold`,
    );
  if (!devnet && set.threshold < 2)
    throw new ConfigError(
      `chain ${chain}'s relayer set is 1-of-${n}: one key moves the lane; outside a devnet (config devnet: true) the relayer refuses to relay there`,
    );
}

/** The config as it may be logged or printed: no key material is ever in it, only key sources. */
export function describeConfig(c: RelayerConfig): Record<string, unknown> {
  return {
    instance: c.instance,
    chains: c.chains.map((ch) => ({
      name: ch.name,
      type: ch.type,
      hexsChainId: ch.hexsChainId,
      rpc: ch.rpc,
      deliverTo: ch.deliverTo,
    })),
    peers: c.peers.map((p) => p.name),
    store: "sqlite" in c.store ? { sqlite: c.store.sqlite } : { postgres: c.store.postgres.replace(/\/\/[^@/]*@/, "//***@") },
    http: c.http,
  };
}

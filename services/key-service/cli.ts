// Run the key service as separate processes: the front and each of the five shard stores, so
// that no process (and, deployed apart, no machine or operator) holds more than one shard.
//
//   keys store   --index <1-5> --dir <dir> --port <p> --front <url> [chains]
//   keys service --dir <dir> --port <p> --stores <url1,…,url5> [chains] [--challenge-ttl <s>] [--api-key <k>]
//   keys all     --dir <dir> --port <p> [--store-ports <from>-<to>] [chains]     (front + 5 stores in one process)
//
// chains (what the stores check access against; repeatable):
//   --evm <name>,<rpc url>,<chain id>        e.g. --evm hexs-evm-31337,http://127.0.0.1:8545,31337
//   --cosmwasm <name>,<rpc url>              e.g. --cosmwasm hexs-wasm-100,http://127.0.0.1:26657
//   --chains <json | @file>                  a JSON list of { name, kind: "evm"|"cosmwasm", rpcUrl, chainId? }
//   --registry <evm chain name>,<address>    the HexsRegistry there: creators claim their CIDs through it
//   --lighthouse-api on|off                  Lighthouse's key-node endpoints for the unmodified SDK (default on;
//                                            weaker trust, see the README's "Two modes")
//
// Each process prints one line `READY <what> <url> …` on stdout once it listens, and exits 0 on
// SIGTERM/SIGINT. A store fetches the front's challenge-ticket key from --front when first asked
// (the front keeps its key in <dir>/issuer.pem, so tickets survive restarts).
// Run with: npx ts-node --transpile-only services/key-service/cli.ts <command> …
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChainConfig } from "../../sdk/keys/conditions";
import { startKeyService } from "./service";
import { startShardStore } from "./shard-store";
import { SHARES } from "../../sdk/keys/threshold";

class UsageError extends Error {}

const USAGE = `usage:
  keys store   --index <1-${SHARES}> --dir <dir> --port <port> --front <url> [--evm name,rpc,chainId]… [--cosmwasm name,rpc]… [--chains json|@file]
  keys service --dir <dir> --port <port> --stores <url1,…,url${SHARES}> [--evm …] [--cosmwasm …] [--chains …] [--challenge-ttl <s>] [--api-key <key>]
  keys all     --dir <dir> --port <port> [--store-ports <from>-<to>] [--evm …] [--cosmwasm …] [--chains …]
  (store, all: [--registry <chain>,<address>]… [--lighthouse-api on|off])`;

function flags(argv: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new UsageError(`unexpected argument '${a}'`);
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
    out.set(a.slice(2), [...(out.get(a.slice(2)) ?? []), v]);
    i++;
  }
  return out;
}

function one(f: Map<string, string[]>, name: string, required = true): string | undefined {
  const v = f.get(name);
  if (!v) {
    if (required) throw new UsageError(`--${name} is required`);
    return undefined;
  }
  if (v.length > 1) throw new UsageError(`--${name} given ${v.length} times`);
  return v[0];
}

function port(f: Map<string, string[]>, name = "port"): number {
  const p = Number(one(f, name));
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new UsageError(`--${name} must be a TCP port (1-65535)`);
  return p;
}

export function parseChains(f: Map<string, string[]>): ChainConfig[] {
  const chains: ChainConfig[] = [];
  for (const e of f.get("evm") ?? []) {
    const [name, rpcUrl, id] = e.split(",");
    if (!name || !/^https?:\/\//.test(rpcUrl ?? "") || !/^\d+$/.test(id ?? ""))
      throw new UsageError(`--evm '${e}': expected <name>,<http rpc url>,<chain id>`);
    chains.push({ name, kind: "evm", rpcUrl, chainId: Number(id) });
  }
  for (const e of f.get("cosmwasm") ?? []) {
    const [name, rpcUrl] = e.split(",");
    if (!name || !/^https?:\/\//.test(rpcUrl ?? "")) throw new UsageError(`--cosmwasm '${e}': expected <name>,<http rpc url>`);
    chains.push({ name, kind: "cosmwasm", rpcUrl });
  }
  const json = one(f, "chains", false);
  if (json) {
    let list: unknown;
    try {
      list = JSON.parse(json.startsWith("@") ? readFileSync(json.slice(1), "utf8") : json);
    } catch (e) {
      throw new UsageError(`--chains: not JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(list)) throw new UsageError("--chains: expected a JSON list");
    for (const [i, c] of list.entries()) {
      const x = c as Partial<ChainConfig> & { chainId?: number };
      if (
        typeof x.name !== "string" ||
        (x.kind !== "evm" && x.kind !== "cosmwasm") ||
        typeof x.rpcUrl !== "string" ||
        (x.kind === "evm" && typeof x.chainId !== "number")
      ) {
        throw new UsageError(`--chains[${i}]: expected { name, kind: "evm" | "cosmwasm", rpcUrl, chainId (evm) }`);
      }
      chains.push(x as ChainConfig);
    }
  }
  if (!chains.length) throw new UsageError("name at least one chain to check access on (--evm, --cosmwasm or --chains)");
  return chains;
}

/** The front's Ed25519 ticket key, kept in <dir>/issuer.pem (created once, mode 0600). */
function issuerKey(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "issuer.pem");
  if (!existsSync(file)) {
    const pem = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    writeFileSync(file, pem, { mode: 0o600 });
  }
  return readFileSync(file, "utf8");
}

export function parseRegistries(f: Map<string, string[]>): Record<string, string> | undefined {
  const list = f.get("registry");
  if (!list) return undefined;
  const out: Record<string, string> = {};
  for (const e of list) {
    const [name, address] = e.split(",");
    if (!name || !/^0x[0-9a-fA-F]{40}$/.test(address ?? ""))
      throw new UsageError(`--registry '${e}': expected <chain name>,<0x address>`);
    out[name] = address;
  }
  return out;
}

function lighthouseApi(f: Map<string, string[]>): boolean | undefined {
  const v = one(f, "lighthouse-api", false);
  if (v === undefined) return undefined;
  if (v !== "on" && v !== "off") throw new UsageError("--lighthouse-api: on or off");
  return v === "on";
}

const print = (line: string) => process.stdout.write(line + "\n");

export async function main(argv: string[]): Promise<{ close(): Promise<void> }> {
  const [cmd, ...rest] = argv;
  const f = flags(rest);
  const log = process.env.HEXS_KEYS_LOG === "1" ? (l: string) => process.stderr.write(l + "\n") : undefined;
  switch (cmd) {
    case "store": {
      const index = Number(one(f, "index"));
      if (!Number.isInteger(index) || index < 1 || index > SHARES) throw new UsageError(`--index must be 1..${SHARES}`);
      const front = one(f, "front")!.replace(/\/+$/, "");
      if (!/^https?:\/\//.test(front)) throw new UsageError("--front must be the key service's base URL (http://…)");
      const store = await startShardStore({
        index,
        dir: one(f, "dir")!,
        chains: parseChains(f),
        port: port(f),
        log,
        registries: parseRegistries(f),
        lighthouseApi: lighthouseApi(f),
        issuerPublicKeyPem: async () => {
          const r = await fetch(`${front}/internal/issuer`, { signal: AbortSignal.timeout(5000) });
          if (!r.ok) throw new Error(`GET ${front}/internal/issuer: HTTP ${r.status}`);
          return ((await r.json()) as { publicKeyPem: string }).publicKeyPem;
        },
        pendingChallenges: async (address) => {
          const r = await fetch(`${front}/internal/challenges/${encodeURIComponent(address)}`, {
            signal: AbortSignal.timeout(5000),
          });
          return r.ok ? ((await r.json()) as string[]) : [];
        },
      });
      print(`READY shard-store ${index} ${store.url} front=${front}`);
      return store;
    }
    case "service":
    case "all": {
      const dir = one(f, "dir")!;
      let storeUrls: string[] | undefined;
      let storePorts: { from: number; to: number } | undefined;
      if (cmd === "service") {
        storeUrls = one(f, "stores")!
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
        if (storeUrls.length !== SHARES || storeUrls.some((u) => !/^https?:\/\//.test(u)))
          throw new UsageError(`--stores: ${SHARES} comma-separated http:// URLs, store 1 first`);
      } else {
        const r = one(f, "store-ports", false);
        const m = r ? /^(\d+)-(\d+)$/.exec(r) : null;
        if (r && !m) throw new UsageError("--store-ports: <from>-<to>, e.g. 18501-18510");
        if (m) storePorts = { from: Number(m[1]), to: Number(m[2]) };
      }
      const ttl = one(f, "challenge-ttl", false);
      const svc = await startKeyService({
        dir,
        chains: cmd === "service" ? (f.has("evm") || f.has("cosmwasm") || f.has("chains") ? parseChains(f) : []) : parseChains(f),
        port: port(f),
        storeUrls,
        storePorts: storePorts ?? 0,
        challengeTtlSeconds: ttl ? Number(ttl) : undefined,
        apiKeys: f.get("api-key"),
        issuerPrivateKeyPem: issuerKey(dir),
        registries: parseRegistries(f),
        lighthouseApi: lighthouseApi(f),
        log,
      });
      print(`READY key-service ${svc.url} stores=${svc.storeUrls.join(",")}`);
      return svc;
    }
    default:
      throw new UsageError(cmd ? `unknown command '${cmd}'` : "no command");
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (running) => {
      let closing = false;
      const stop = () => {
        if (closing) return;
        closing = true;
        running.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on("SIGTERM", stop);
      process.on("SIGINT", stop);
    },
    (e: Error) => {
      process.stderr.write(`keys: ${e.message}\n${e instanceof UsageError ? USAGE + "\n" : ""}`);
      process.exit(e instanceof UsageError ? 2 : 1);
    },
  );
}

// The web app on a devnet: the indexer (indexer/, Ponder over every EVM chain of chains.json)
// and the production build of app/ served on 127.0.0.1 with its runtime config (the chain
// registry and the indexer's URL). Used by `npm run devnet` and by the app's tests; the indexer
// is a Supervisor child, stopped by PID.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { COSMOS_CHAIN, portFree, ROOT, sdkChain } from "./chains";
import type { Devnet } from "./network";
import type { Supervisor } from "./procs";
import { keyChainName, WASM_KEY_CHAIN } from "./services";
import type { SponsorEndpoints } from "./aa/stand";

export const INDEXER_DIR = path.join(ROOT, "indexer");
export const APP_DIST = path.join(ROOT, "app/dist");
const PONDER = path.join(INDEXER_DIR, "node_modules/.bin/ponder");

export interface Indexer {
  url: string;
  port: number;
  /** POST a GraphQL query; throws on GraphQL errors. */
  query: <T>(q: string) => Promise<T>;
  /** Wait until the indexer has read every chain up to its current head. */
  caughtUp: (timeoutMs?: number) => Promise<void>;
  /** Ponder's output (the Supervisor's log of the child) */
  logFile: string;
}

export async function firstFreePort(from: number): Promise<number> {
  for (let p = from; p < from + 200; p++) if (await portFree(p)) return p;
  throw new Error(`no free port in ${from}-${from + 199}`);
}

/**
 * Start Ponder on `chainsFile`; resolves once its HTTP server answers. Its store is a fresh PGlite
 * folder under `dir` unless `databaseUrl` names a PostgreSQL database (as production runs it).
 * `logJson` makes Ponder log JSON lines (exact durations and counts, for the benchmark).
 */
export async function startIndexer(
  sup: Supervisor,
  chainsFile: string,
  dir: string,
  o: { port?: number; schema?: string; databaseUrl?: string; logJson?: boolean } = {},
): Promise<Indexer> {
  const port = o.port ?? (await firstFreePort(42069 + (process.pid % 50) * 3));
  const args = ["start", "--port", String(port), "--schema", o.schema ?? `hexs_test_${process.pid}`];
  if (o.logJson) args.push("--log-format", "json");
  const c = sup.spawn("indexer", PONDER, args, {
    cwd: INDEXER_DIR,
    env: {
      HEXS_CHAINS_FILE: chainsFile,
      HEXS_INDEXER_DB: path.join(dir, "pglite"),
      HEXS_INDEXER_POLL_MS: "250",
      PONDER_TELEMETRY_DISABLED: "true",
      PONDER_LOG_LEVEL: process.env.PONDER_LOG_LEVEL ?? "warn",
      // empty: PGlite even when the caller's environment has a DATABASE_URL
      DATABASE_URL: o.databaseUrl ?? "",
    },
  });
  const url = `http://127.0.0.1:${port}`;
  const query = async <T>(q: string): Promise<T> => {
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: q }),
    });
    const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
    if (body.errors?.length) throw new Error(`GraphQL: ${body.errors.map((e) => e.message).join("; ")}`);
    return body.data as T;
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (c.proc.exitCode !== null) throw new Error(`the indexer exited (${c.proc.exitCode}):\n${sup.tail(c)}`);
    try {
      await query("{ _meta { status } }");
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`the indexer did not answer on ${url} in 120 s:\n${sup.tail(c)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  // the chains the indexer reads: the registry's EVM chains (a Cosmos entry has no eth_blockNumber)
  const chains = (
    JSON.parse(fs.readFileSync(chainsFile, "utf8")) as { chains: { name: string; rpcUrl: string; family?: string }[] }
  ).chains.filter((ch) => (ch.family ?? "evm") === "evm");
  const caughtUp = async (timeoutMs = 60_000) => {
    // /ready turns 200 before the last blocks are indexed: compare _meta's block with each head.
    const heads = await Promise.all(
      chains.map(async (ch) => {
        const r = await fetch(ch.rpcUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
        });
        return { name: ch.name, head: Number(((await r.json()) as { result: string }).result) };
      }),
    );
    const until = Date.now() + timeoutMs;
    for (;;) {
      const { _meta } = await query<{ _meta: { status: Record<string, { block?: { number: number } | null }> } }>(
        "{ _meta { status } }",
      );
      if (heads.every((h) => (_meta.status[h.name]?.block?.number ?? -1) >= h.head)) return;
      if (Date.now() > until)
        throw new Error(
          `the indexer is behind: ${JSON.stringify(_meta.status)} vs heads ${JSON.stringify(heads)}\n${sup.tail(c)}`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  return { url, port, query, caughtUp, logFile: c.logFile };
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".json": "application/json",
  ".svg": "image/svg+xml",
};

/** Serve `dir` on 127.0.0.1 (first free port from `from`); unknown paths get index.html. */
export async function serveStatic(dir: string, from = 5273): Promise<{ url: string; close: () => Promise<void> }> {
  let port = from;
  while (!(await portFree(port))) port++;
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).replace(/^\/+/, "");
    let file = path.join(dir, rel);
    if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(dir, "index.html");
    res.setHeader("content-type", TYPES[path.extname(file)] ?? "application/octet-stream");
    res.end(fs.readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(port, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((ok) => server.close(() => ok())) };
}

/**
 * The devnet's app: the indexer on `chainsFile` and app/dist served with a config.json for it.
 * Returns undefined (and says why) when app/ or indexer/ are not installed and built
 * (scripts/app-build.sh does both).
 */
export async function startApp(
  sup: Supervisor,
  dir: string,
  chainsFile: string,
  say: (line: string) => void,
  /** the key service's front, for decrypting in the page */
  keyServiceUrl?: string,
  /** gas sponsors by Hexs chain id (config.json `sponsors`: the page's burner wallet) */
  sponsors?: Record<number, SponsorEndpoints>,
  /** the Akash node's REST API (the stand-in answers CORS) and the lease service's accounts: config.json `akash` */
  akash?: { restUrl: string; leaseOwners: string[] },
  /** the relayer operators whose lease pipeline decrypts an SDL (config.json `leaseOperators`: a creator grants them in the page) */
  leaseOperators?: string[],
): Promise<{ url: string; indexer: Indexer; close: () => Promise<void> } | undefined> {
  if (!fs.existsSync(PONDER) || !fs.existsSync(path.join(APP_DIST, "index.html"))) {
    say("web app not started: run scripts/app-build.sh first (installs app/ and indexer/, builds app/dist)");
    return undefined;
  }
  fs.rmSync(path.join(dir, "pglite"), { recursive: true, force: true }); // fresh chains: forget the last run's index
  const indexer = await startIndexer(sup, chainsFile, dir, { port: await firstFreePort(42069), schema: "hexs_devnet" });
  const site = path.join(dir, "app");
  fs.rmSync(site, { recursive: true, force: true });
  fs.cpSync(APP_DIST, site, { recursive: true });
  const registry = JSON.parse(fs.readFileSync(chainsFile, "utf8")) as { chains: unknown[] };
  fs.writeFileSync(
    path.join(site, "config.json"),
    JSON.stringify(
      {
        indexerUrl: indexer.url,
        chains: registry.chains,
        ...(keyServiceUrl ? { keyServiceUrl } : {}),
        ...(sponsors && Object.keys(sponsors).length ? { sponsors } : {}),
        ...(akash ? { akash } : {}),
        ...(leaseOperators?.length ? { leaseOperators } : {}),
      },
      null,
      2,
    ),
  );
  const served = await serveStatic(site, 5173);
  sup.atStop("app server", served.close);
  say(`web app on ${served.url} (indexer GraphQL on ${indexer.url}/graphql)`);
  return { url: served.url, indexer, close: served.close };
}

/**
 * The chain registry of a started devnet (`<dir>/chains.json`, what sdk/chains.ts chainRegistry
 * reads: A, B and the Cosmos chain, each with its key-service chain name), then its indexer and
 * web app with every service the page uses (key service, gas sponsors, Akash stand-in). Used by
 * `npm run devnet` and by the app's journey test on the devnet (test/app/journey.test.ts).
 */
export async function startDevnetApp(
  net: Devnet,
  say: (line: string) => void,
): Promise<{ url: string; indexer: Indexer; close: () => Promise<void> } | undefined> {
  const registry = {
    chains: [
      ...net.evm.map((c) => ({ ...sdkChain(c), keyServiceChain: keyChainName(c) })),
      {
        family: "cosmos",
        name: "wasmd",
        // what people see in the app (the registry's `name` stays the relayers' and CLIs' name)
        label: "Hexs Cosmos devnet",
        hexsChainId: COSMOS_CHAIN,
        cosmosChainId: net.cosmos.env.chainId,
        rpcUrl: net.cosmos.env.rpc,
        bech32Prefix: "wasm",
        contract: net.cosmos.contract,
        keyServiceChain: WASM_KEY_CHAIN,
      },
    ],
  };
  const chainsFile = path.join(net.dir, "chains.json");
  fs.writeFileSync(chainsFile, JSON.stringify(registry, null, 2) + "\n");
  // config.json's `sponsors` carries every chain's, so the burner buys on A or B.
  return startApp(
    net.sup,
    net.dir,
    chainsFile,
    say,
    net.services?.keyService,
    Object.fromEntries(net.sponsors.map((sp) => [sp.hexsChainId, sp.endpoints])),
    net.services && { restUrl: net.services.akash.rest, leaseOwners: [net.services.leader.akashAddress] },
    net.services ? net.keys.map((k) => k.address) : undefined,
  );
}

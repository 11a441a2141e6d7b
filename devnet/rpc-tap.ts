// A recording proxy in front of a devnet `hardhat node` (diagnostics, issue 15): with
// HEXS_RPC_TAP=<dir>, startEvmNode runs the node on a private port and this proxy on the chain's
// port, so every devnet process talks through it unchanged. Each JSON-RPC call is appended to
// <dir>/<network>.jsonl as {t, ms, m, tag, pid}: when it arrived (ms since the epoch), how long the
// node took to answer it, the method, its block tag where the method takes one ("(none)" when the
// caller left it out, which the node reads as "pending" for eth_estimateGas) and the caller's PID
// (from `ss`, once per connection), so a drain can be broken down by method and by process.
import { execFile } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";

// position of the block tag in each method's params
const TAG_AT: Record<string, number> = {
  eth_call: 1,
  eth_estimateGas: 1,
  eth_getTransactionCount: 1,
  eth_getBalance: 1,
  eth_getCode: 1,
  eth_getStorageAt: 2,
  eth_getBlockByNumber: 0,
  eth_feeHistory: 1,
  eth_createAccessList: 1,
};

export interface TapRecord {
  t: number;
  ms: number;
  m: string;
  tag?: string;
  pid?: number;
}

/** Who holds the other end of a loopback connection whose client port is `port` (Linux `ss`). */
function pidOf(port: number): Promise<number | undefined> {
  return new Promise((resolve) =>
    execFile("ss", ["-tnpH", "state", "established", `( sport = :${port} )`], (err, out) => {
      const m = err ? null : /pid=(\d+)/.exec(out);
      resolve(m ? Number(m[1]) : undefined);
    }),
  );
}

/** Proxy 127.0.0.1:`port` → 127.0.0.1:`target`, recording each call to `file`. Resolves once listening. */
export function startRpcTap(port: number, target: number, file: string): Promise<http.Server> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const out = fs.createWriteStream(file, { flags: "a" });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const pids = new Map<number, Promise<number | undefined>>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const t = Date.now();
      const t0 = performance.now();
      const remote = req.socket.remotePort ?? 0;
      if (!pids.has(remote)) pids.set(remote, pidOf(remote));
      const up = http.request(
        { host: "127.0.0.1", port: target, method: req.method, path: req.url, headers: req.headers, agent },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
          r.on("end", () => {
            const ms = Math.round((performance.now() - t0) * 10) / 10;
            void pids.get(remote)!.then((pid) => {
              let calls: { method?: string; params?: unknown[] }[] = [];
              try {
                const j = JSON.parse(body.toString()) as unknown;
                calls = (Array.isArray(j) ? j : [j]) as typeof calls;
              } catch {
                /* not JSON: recorded as "?" */
              }
              if (!calls.length) calls = [{ method: "?" }];
              for (const c of calls) {
                const m = c.method ?? "?";
                const at = TAG_AT[m];
                const p = c.params ?? [];
                const tag = at === undefined ? undefined : p.length > at ? JSON.stringify(p[at]) : "(none)";
                out.write(JSON.stringify({ t, ms, m, ...(tag !== undefined ? { tag } : {}), pid } satisfies TapRecord) + "\n");
              }
            });
          });
        },
      );
      up.on("error", (e) => {
        res.writeHead(502).end(String(e));
      });
      up.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

/** Read a tap file back, optionally only the calls that arrived in [from, to] (ms since the epoch). */
export function readTap(file: string, from = 0, to = Infinity): TapRecord[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TapRecord)
    .filter((r) => r.t >= from && r.t <= to);
}

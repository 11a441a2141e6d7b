// A loopback JSON-RPC proxy that misbehaves on purpose, for relayer reliability tests. For a
// share of requests it (chosen by a seeded generator, so a failing run can be repeated):
//   drop      closes the socket without an answer, either before forwarding or AFTER the
//             upstream executed the request (the answer of e.g. eth_sendRawTransaction is lost)
//   delay     holds the request for up to `maxDelayMs`, then forwards it
//   error     answers HTTP 502/503/504 without forwarding
//   truncate  forwards, then returns only the first half of the upstream's body
// Everything else is forwarded unchanged. Counters say what was done.
import * as http from "http";
import type { AddressInfo } from "net";

export interface FaultRates {
  drop: number;
  delay: number;
  error: number;
  truncate: number;
}

export interface FaultyRpc {
  url: string;
  counts: Record<keyof FaultRates | "passed", number>;
  /** stop injecting faults (forward everything) */
  heal(): void;
  close(): Promise<void>;
}

/** Small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function forward(
  upstream: string,
  req: http.IncomingMessage,
  body: Buffer,
): Promise<{ status: number; body: Buffer; type: string }> {
  const res = await fetch(upstream, {
    method: req.method,
    headers: { "content-type": req.headers["content-type"] ?? "application/json" },
    body: req.method === "GET" ? undefined : body.toString("utf8"),
  });
  return {
    status: res.status,
    body: Buffer.from(await res.arrayBuffer()),
    type: res.headers.get("content-type") ?? "application/json",
  };
}

export async function startFaultyRpc(o: {
  upstream: string;
  port: number;
  rates: FaultRates;
  maxDelayMs?: number;
  seed?: number;
}): Promise<FaultyRpc> {
  const next = rng(o.seed ?? 1);
  const counts: FaultyRpc["counts"] = { drop: 0, delay: 0, error: 0, truncate: 0, passed: 0 };
  let healed = false;
  const pick = (): keyof FaultRates | "passed" => {
    if (healed) return "passed";
    let x = next();
    for (const k of ["drop", "delay", "error", "truncate"] as const) {
      if (x < o.rates[k]) return k;
      x -= o.rates[k];
    }
    return "passed";
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const fault = pick();
      counts[fault]++;
      const run = async (): Promise<void> => {
        if (fault === "error") {
          const status = [502, 503, 504][Math.floor(next() * 3)];
          res.writeHead(status, { "content-type": "text/plain" }).end("injected upstream failure");
          return;
        }
        if (fault === "drop" && next() < 0.5) {
          req.socket.destroy();
          return;
        }
        if (fault === "delay") await new Promise((r) => setTimeout(r, Math.floor(next() * (o.maxDelayMs ?? 1500))));
        const up = await forward(o.upstream, req, body);
        if (fault === "drop") {
          req.socket.destroy(); // executed upstream, answer lost
          return;
        }
        if (fault === "truncate") {
          const half = up.body.subarray(0, Math.floor(up.body.length / 2));
          res.writeHead(up.status, { "content-type": up.type, "content-length": String(half.length) }).end(half);
          return;
        }
        res.writeHead(up.status, { "content-type": up.type }).end(up.body);
      };
      run().catch(() => {
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, "127.0.0.1", resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    heal: () => {
      healed = true;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

// Minimal HTTP plumbing shared by the front and the shard stores (node:http, 127.0.0.1 only).
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { KeyServiceError, messageOf } from "../../sdk/keys/errors";

export interface Request {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: Buffer;
  /** The bearer token without "Bearer ", or "". */
  bearer: string;
  json(): Record<string, unknown>;
}

export type Reply = { status: number; json: unknown } | { status: number; bytes: Buffer; contentType: string };

export type Handler = (req: Request) => Promise<Reply>;

export const MAX_BODY = 16 * 1024 * 1024;

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new KeyServiceError("bad_request", `request body over ${limit} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * CORS: the app decrypts in the page, so browsers on any origin may call the front and the stores.
 * Safe because nothing here rides on ambient credentials (no cookies; `credentials` is never
 * allowed): every request that reveals or changes anything carries a wallet signature over a
 * challenge bound to the store, CID, operation and body.
 */
const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, PUT, OPTIONS",
  "access-control-allow-headers": "authorization, content-type, x-hexs-challenge, encryption, mime-type",
  "access-control-max-age": "600",
};

function send(res: ServerResponse, reply: Reply): void {
  for (const [k, v] of Object.entries(CORS)) res.setHeader(k, v);
  if ("json" in reply) {
    res.writeHead(reply.status, { "content-type": "application/json" }).end(JSON.stringify(reply.json));
  } else {
    res.writeHead(reply.status, { "content-type": reply.contentType, "content-length": reply.bytes.length }).end(reply.bytes);
  }
}

/** Errors become `{ message, code }` with the error's status (Lighthouse's nodes answer `{ message }`). */
export function serve(handler: Handler, log: (line: string) => void): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method === "OPTIONS") {
      res.writeHead(204, CORS).end();
      return;
    }
    readBody(req, MAX_BODY)
      .then((body) => {
        const auth = String(req.headers.authorization ?? "");
        const r: Request = {
          method: req.method ?? "GET",
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body,
          bearer: auth.startsWith("Bearer ") ? auth.slice(7).trim() : "",
          json() {
            if (body.length === 0) return {};
            try {
              const v: unknown = JSON.parse(body.toString("utf8"));
              if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
            } catch {
              // fall through
            }
            throw new KeyServiceError("bad_request", "the request body is not a JSON object");
          },
        };
        return handler(r);
      })
      .then(
        (reply) => {
          log(`${req.method} ${url.pathname} ${reply.status}`);
          send(res, reply);
        },
        (e: unknown) => {
          const status = e instanceof KeyServiceError ? e.status : 500;
          const code = e instanceof KeyServiceError ? e.code : "internal";
          log(`${req.method} ${url.pathname} ${status} ${messageOf(e)}`);
          send(res, { status, json: { message: messageOf(e), code } });
        },
      );
  });
}

/** Listen on 127.0.0.1: on `port`, or the first free port in [from, to]. */
export async function listen(server: Server, port: number | { from: number; to: number }): Promise<number> {
  const tryPort = (p: number) =>
    new Promise<boolean>((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException) => {
        server.off("listening", onListening);
        if (e.code === "EADDRINUSE") resolve(false);
        else reject(e);
      };
      const onListening = () => {
        server.off("error", onError);
        resolve(true);
      };
      server.once("error", onError);
      server.once("listening", onListening);
      server.listen(p, "127.0.0.1");
    });
  if (typeof port === "number") {
    if (!(await tryPort(port))) throw new Error(`127.0.0.1:${port} is in use: stop what runs there or choose another port`);
    return port;
  }
  for (let p = port.from; p <= port.to; p++) if (await tryPort(p)) return p;
  throw new Error(`no free port on 127.0.0.1 in ${port.from}-${port.to}`);
}

export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

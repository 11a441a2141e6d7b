// The devnet's control endpoint (127.0.0.1 only): what runs, and restarting a process that
// exited, for a person watching a kept devnet (`npm run devnet -- status | restart <name>`).
//   GET  /status           every process: name, pid, running, fatal, restarts, how it exited
//   POST /restart/<name>   start an exited process again with its original command
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Supervisor } from "./procs";

export const CONTROL_PORT = 7090;

export async function startControl(
  sup: Supervisor,
  stateFile: string,
  port = CONTROL_PORT,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body) + "\n");
    };
    const restart = /^\/restart\/([\w.-]+)$/.exec(req.url ?? "");
    if (req.method === "GET" && req.url === "/status") return reply(200, sup.status());
    if (req.method === "POST" && restart) {
      try {
        const c = sup.restart(restart[1]);
        return reply(200, { name: c.name, pid: c.pid, restarts: c.restarts, log: c.logFile });
      } catch (e) {
        const message = (e as Error).message;
        return reply(message.startsWith("no process") ? 404 : 409, { error: message });
      }
    }
    reply(404, { error: "use GET /status or POST /restart/<name>" });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fs.mkdirSync(path.dirname(stateFile), { recursive: true });
  fs.writeFileSync(stateFile, JSON.stringify({ url, pid: process.pid }) + "\n");
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        fs.rmSync(stateFile, { force: true });
        server.close(() => resolve());
      }),
  };
}

/** `npm run devnet -- status` / `restart <name>`: ask the running devnet; throws with its reason. */
export async function controlCommand(stateFile: string, args: string[]): Promise<string> {
  if (!fs.existsSync(stateFile)) throw new Error("no devnet is running with --keep here (start one: npm run devnet -- --keep)");
  const { url } = JSON.parse(fs.readFileSync(stateFile, "utf8")) as { url: string };
  const [verb, name] = args;
  const res =
    verb === "status"
      ? await fetch(`${url}/status`).catch(() => undefined)
      : await fetch(`${url}/restart/${encodeURIComponent(name ?? "")}`, { method: "POST" }).catch(() => undefined);
  if (!res) throw new Error(`the devnet's control endpoint ${url} does not answer: is the devnet still running?`);
  const body = (await res.json()) as Record<string, unknown> | Record<string, unknown>[];
  if (!res.ok) throw new Error(String((body as { error: string }).error));
  if (verb === "status")
    return (body as { name: string; pid: number; running: boolean; restarts: number; exit?: string }[])
      .map(
        (c) =>
          `${c.name.padEnd(18)} ${c.running ? `running (pid ${c.pid})` : `exited (${c.exit})`}${c.restarts ? `, restarted ${c.restarts}×` : ""}`,
      )
      .join("\n");
  const r = body as { name: string; pid: number; log: string };
  return `restarted ${r.name} (pid ${r.pid}); its log: ${path.relative(process.cwd(), r.log)}`;
}

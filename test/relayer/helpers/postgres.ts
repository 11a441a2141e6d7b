// A throwaway PostgreSQL cluster for tests: initdb in a temp dir, postgres on 127.0.0.1 at a
// port in 18800-18899, stopped (by its own pid file, via pg_ctl) and deleted afterwards.
// Uses Debian's binaries under /usr/lib/postgresql/<v>/bin; as root it runs them as the
// `postgres` user (initdb refuses root). HEXS_TEST_PG_URL points at an existing server instead.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface PgCluster {
  url: string;
  stop(): void;
}

function pgBin(): string | undefined {
  const base = "/usr/lib/postgresql";
  if (!fs.existsSync(base)) return undefined;
  const versions = fs
    .readdirSync(base)
    .filter((v) => fs.existsSync(path.join(base, v, "bin", "pg_ctl")))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(base, versions[0], "bin") : undefined;
}

/** undefined when PostgreSQL is not installed (the caller skips, saying how to install it). */
export function startPostgres(port: number): PgCluster | undefined {
  if (process.env.HEXS_TEST_PG_URL) return { url: process.env.HEXS_TEST_PG_URL, stop: () => undefined };
  const bin = pgBin();
  if (!bin) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-pg-"));
  const data = path.join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) =>
    asRoot
      ? execFileSync("runuser", ["-u", "postgres", "--", path.join(bin, cmd), ...args], { stdio: "pipe" })
      : execFileSync(path.join(bin, cmd), args, { stdio: "pipe" });
  if (asRoot) execFileSync("chown", ["postgres:postgres", dir]);
  fs.chmodSync(dir, 0o700);
  run("initdb", ["-D", data, "-U", "hexs", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  run("pg_ctl", ["-D", data, "-l", path.join(dir, "log"), "-w", "-o", `-h 127.0.0.1 -p ${port} -k ${dir} -F`, "start"]);
  let stopped = false;
  return {
    url: `postgres://hexs@127.0.0.1:${port}/postgres`,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A fresh database in the cluster so each suite starts empty. */
export async function freshDatabase(url: string, name: string): Promise<string> {
  const { Client } = await import("pg");
  const c = new Client({ connectionString: url });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name}`);
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  return url.replace(/\/[^/]*$/, `/${name}`);
}

// The stand-in as the devnet starts it: its own process (devnet/akash-standin/cli.ts) on fixed
// ports with genesis funds for a mnemonic file; the lease pipeline opens a lease on it. Bad flags
// are refused with the reason and the usage.
import { expect } from "chai";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { AkashClient } from "../../sdk/akash/client";
import { LeasePipeline } from "../../relayer/akash/pipeline";
import { NoopLeaseReporter } from "../../relayer/akash/reporter";
import { PlaintextFileSdlSource } from "../../relayer/akash/sdl-source";
import { providerAddress } from "../../devnet/akash-standin/cli";
import { LeaseStore } from "../../relayer/store";
import { HOLDER_MNEMONIC, SDL_FILE } from "./helpers/env";

const ROOT = path.resolve(__dirname, "../..");
const CLI = [
  path.join(ROOT, "node_modules/.bin/ts-node"),
  "--transpile-only",
  path.join(ROOT, "devnet/akash-standin/cli.ts"),
] as const;
const PORT = 18670;

describe("Akash stand-in CLI (a separate process, as the devnet runs it)", function () {
  this.timeout(120_000);
  let proc: ChildProcess;
  let ready = "";
  let dir: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-standin-cli-"));
    fs.writeFileSync(path.join(dir, "holder.mnemonic"), HOLDER_MNEMONIC, { mode: 0o600 });
    proc = spawn(
      CLI[0],
      [
        ...CLI.slice(1),
        "--port",
        String(PORT),
        "--block-ms",
        "50",
        "--provider",
        "cli-a:900:region=us-west",
        "--provider",
        "cli-b:600",
        "--fund-mnemonic-file",
        `${path.join(dir, "holder.mnemonic")}=50000000,500000000`,
        "--info-file",
        path.join(dir, "akash.json"),
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    proc.stderr!.on("data", (d) => (err += String(d)));
    ready = await new Promise<string>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`no READY line after 60 s: ${err}`)), 60_000);
      proc.stdout!.on("data", (d) => {
        out += String(d);
        const line = out.split("\n").find((l) => l.startsWith("READY "));
        if (line) {
          clearTimeout(t);
          res(line);
        }
      });
      proc.once("exit", (c) => rej(new Error(`stand-in exited with ${c}: ${err}`)));
    });
  });

  after(async () => {
    if (proc && proc.exitCode === null) {
      const exited = new Promise<number | null>((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      expect(await exited).to.equal(0);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("prints its endpoints and providers, writes the info file, and a funded account gets a lease", async () => {
    const a = providerAddress("cli-a");
    const b = providerAddress("cli-b");
    expect(ready).to.equal(
      `READY akash-standin rpc=http://127.0.0.1:${PORT} rest=http://127.0.0.1:${PORT + 1} chain-id=akash-standin-1 providers=${a}@http://127.0.0.1:${PORT + 2},${b}@http://127.0.0.1:${PORT + 3}`,
    );
    const info = JSON.parse(fs.readFileSync(path.join(dir, "akash.json"), "utf8"));
    expect(info.rpc).to.equal(`http://127.0.0.1:${PORT}`);
    const akash = await AkashClient.fromMnemonic(HOLDER_MNEMONIC, {
      chainId: "akash-standin-1",
      rpcUrl: info.rpc,
      restUrl: info.rest,
      txPollMs: 50,
    });
    const store = await LeaseStore.open(path.join(dir, "leases.sqlite"));
    const pl = new LeasePipeline({
      store,
      akash,
      sdl: new PlaintextFileSdlSource(SDL_FILE),
      reporter: new NoopLeaseReporter(),
      policy: { bidWindowMs: 300, pollMs: 50, txTimeoutMs: 5000 },
    });
    const row = await pl.submit({ purchaseChain: "cli", keyId: 1n, modelId: 1n, buyer: "x", deploymentParams: { v: 1 } });
    const done = await pl.runToCompletion(row.id, 60_000);
    expect(done.state, done.lastError ?? "").to.equal("reported");
    expect(done.provider).to.equal(b); // 60 % beats 90 %
    await store.close();
    await akash.close();
  });

  it("bad flags are refused with the reason and the usage (exit 2)", () => {
    const r = spawnSync(CLI[0], [...CLI.slice(1), "--port", "80"], { cwd: ROOT, encoding: "utf8" });
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/--port must be in 1024-65533/);
    expect(r.stderr).to.match(/usage: standin/);
    const f = spawnSync(CLI[0], [...CLI.slice(1), "--port", String(PORT + 10), "--fund", "akash1xyz=1,2"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(f.status).to.equal(2);
    expect(f.stderr).to.match(/--fund 'akash1xyz=1,2': expected akash1…=<uakt>,<uact>/);
  });
});

// The devnet's process supervisor and control endpoint with real child processes: an exit is
// reported with its signal, a non-fatal process is started again with its command and its log
// continued, and the control endpoint does the same for a person (`npm run devnet -- restart`).
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { controlCommand, startControl } from "../../devnet/control";
import { Supervisor, waitFor, type Child } from "../../devnet/procs";

const WORKER = ["-e", "console.log('worker up', process.pid); setInterval(() => {}, 1000)"];

describe("devnet supervisor: reporting exits and restarting processes (devnet/procs.ts, devnet/control.ts)", function () {
  let dir: string;
  let sup: Supervisor;
  let exits: { name: string; signal: string | null; fatal: boolean }[];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-sup-"));
    sup = new Supervisor(path.join(dir, "logs"));
    exits = [];
    sup.onUnexpectedExit = (c: Child, _code, signal) => exits.push({ name: c.name, signal, fatal: c.fatal });
  });
  afterEach(async () => {
    await sup.stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reports a kill -9 with the signal and whether the process was fatal, then restarts it with its log continued", async () => {
    const first = sup.spawn("operator2", process.execPath, WORKER);
    sup.spawn("node-devnetA", process.execPath, WORKER, { fatal: true });
    await waitFor("worker up", 10_000, async () => fs.readFileSync(first.logFile, "utf8").includes("worker up"));
    process.kill(first.pid, "SIGKILL");
    await waitFor("the exit report", 10_000, async () => exits.length === 1);
    expect(exits).to.deep.equal([{ name: "operator2", signal: "SIGKILL", fatal: false }]);
    expect(sup.status().find((c) => c.name === "operator2")).to.include({ running: false, exit: "SIGKILL" });

    const again = sup.restart("operator2");
    expect(again.pid).to.not.equal(first.pid);
    expect(again.restarts).to.equal(1);
    await waitFor("second run", 10_000, async () => fs.readFileSync(again.logFile, "utf8").split("worker up").length === 3);
    expect(fs.readFileSync(again.logFile, "utf8")).to.match(/worker up \d+\n\n--- restarted \(1\) at .*---\nworker up \d+/);
    const pids = JSON.parse(fs.readFileSync(path.join(sup.dir, "pids.json"), "utf8"));
    expect(pids.operator2).to.equal(again.pid);
    expect(sup.status().map((c) => [c.name, c.running, c.fatal])).to.deep.equal([
      ["operator2", true, false],
      ["node-devnetA", true, true],
    ]);
  });

  it("refuses to restart a running process or one it never started, with the reason", () => {
    const c = sup.spawn("lz-executor", process.execPath, WORKER);
    expect(() => sup.restart("lz-executor")).to.throw(`lz-executor is running (pid ${c.pid}); stop it first`);
    expect(() => sup.restart("operator9")).to.throw("no process named 'operator9' (known: lz-executor)");
  });

  it("the control endpoint lists processes and restarts an exited one; errors come back to the command line", async () => {
    const stateFile = path.join(dir, "control.json");
    const control = await startControl(sup, stateFile, 0);
    try {
      const c = sup.spawn("key-store-2", process.execPath, WORKER);
      process.kill(c.pid, "SIGKILL");
      await waitFor("the exit", 10_000, async () => exits.length === 1);
      expect(await controlCommand(stateFile, ["status"])).to.match(/^key-store-2\s+exited \(SIGKILL\)$/);
      expect(await controlCommand(stateFile, ["restart", "key-store-2"])).to.match(/^restarted key-store-2 \(pid \d+\)/);
      expect(await controlCommand(stateFile, ["status"])).to.match(/^key-store-2\s+running \(pid \d+\), restarted 1×$/);
      let refused = "";
      await controlCommand(stateFile, ["restart", "key-store-2"]).catch((e: Error) => (refused = e.message));
      expect(refused).to.match(/key-store-2 is running \(pid \d+\); stop it first/);
      await controlCommand(stateFile, ["restart", "nope"]).catch((e: Error) => (refused = e.message));
      expect(refused).to.equal("no process named 'nope' (known: key-store-2)");
    } finally {
      await control.close();
    }
    let gone = "";
    await controlCommand(stateFile, ["status"]).catch((e: Error) => (gone = e.message));
    expect(gone).to.match(/^no devnet is running with --keep here/);
  });
});

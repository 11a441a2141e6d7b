// Child processes of the devnet: each is started with its output in `<dir>/<name>.log`, its PID
// recorded in `<dir>/pids.json`, and stopped by that PID only (TERM, then KILL after a grace
// period). A child that dies while the devnet runs is reported with the tail of its log, and can
// be started again with the same command (`restart`), its log continued.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The devnet cannot go on without it (a chain): its exit stops everything, also with --keep. */
  fatal?: boolean;
}

export interface Child {
  name: string;
  pid: number;
  proc: ChildProcess;
  logFile: string;
  fatal: boolean;
  /** how many times it was started again after an exit */
  restarts: number;
  readonly start: { command: string; args: string[]; opts: SpawnOptions };
}

export interface ChildStatus {
  name: string;
  pid: number;
  running: boolean;
  fatal: boolean;
  restarts: number;
  exit?: string;
}

const running = (c: Child) => c.proc.exitCode === null && c.proc.signalCode === null;

export class Supervisor {
  private readonly children: Child[] = [];
  private readonly cleanups: { name: string; run: () => Promise<void> | void }[] = [];
  private stopping = false;
  /** Called when a child exits on its own while the devnet is running. */
  onUnexpectedExit: (c: Child, code: number | null, signal: NodeJS.Signals | null) => void = () => undefined;

  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  spawn(name: string, command: string, args: string[], opts: SpawnOptions = {}): Child {
    const child = this.launch({ command, args, opts }, name, "w", 0);
    this.children.push(child);
    this.writePids();
    return child;
  }

  /**
   * Start an exited child again with its original command, appending to its log. Refused while
   * it runs (stop it first) and for names this devnet never started.
   */
  restart(name: string): Child {
    const i = this.children.findIndex((c) => c.name === name);
    if (i < 0) throw new Error(`no process named '${name}' (known: ${this.children.map((c) => c.name).join(", ")})`);
    const old = this.children[i];
    if (running(old)) throw new Error(`${name} is running (pid ${old.pid}); stop it first to restart it`);
    const child = this.launch(old.start, name, "a", old.restarts + 1);
    this.children[i] = child;
    this.writePids();
    return child;
  }

  status(): ChildStatus[] {
    return this.children.map((c) => ({
      name: c.name,
      pid: c.pid,
      running: running(c),
      fatal: c.fatal,
      restarts: c.restarts,
      ...(running(c) ? {} : { exit: c.proc.signalCode ?? `code ${c.proc.exitCode}` }),
    }));
  }

  private launch(start: Child["start"], name: string, logMode: "w" | "a", restarts: number): Child {
    // a start-up step still running when stopAll began (e.g. Ctrl-C) must not leave an orphan
    if (this.stopping) throw new Error(`not starting ${name}: the devnet is stopping`);
    fs.mkdirSync(this.dir, { recursive: true });
    const logFile = path.join(this.dir, `${name}.log`);
    const fd = fs.openSync(logFile, logMode);
    if (logMode === "a") fs.writeSync(fd, `\n--- restarted (${restarts}) at ${new Date().toISOString()} ---\n`);
    const { command, args, opts } = start;
    const proc = spawn(command, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", fd, fd] });
    fs.closeSync(fd);
    if (proc.pid === undefined) throw new Error(`could not start ${name} (${command})`);
    const child: Child = { name, pid: proc.pid, proc, logFile, fatal: opts.fatal ?? false, restarts, start };
    proc.once("exit", (code, signal) => {
      if (!this.stopping) this.onUnexpectedExit(child, code, signal);
    });
    return child;
  }

  /** Something to undo on stop that is not a direct child (e.g. a daemon started by a script). */
  atStop(name: string, run: () => Promise<void> | void): void {
    this.cleanups.push({ name, run });
  }

  tail(c: Child, bytes = 3000): string {
    try {
      const text = fs.readFileSync(c.logFile, "utf8");
      return text.slice(-bytes);
    } catch {
      return "";
    }
  }

  /** Stop everything in reverse start order; safe to call twice. */
  async stopAll(log: (line: string) => void = () => undefined): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const c of [...this.children].reverse()) {
      if (!running(c)) continue;
      const exited = new Promise<void>((resolve) => c.proc.once("exit", () => resolve()));
      try {
        process.kill(c.pid, "SIGTERM");
      } catch {
        continue;
      }
      const timer = setTimeout(() => {
        if (running(c)) {
          log(`${c.name} (pid ${c.pid}) ignored SIGTERM for 10 s: SIGKILL`);
          try {
            process.kill(c.pid, "SIGKILL");
          } catch {
            /* already gone */
          }
        }
      }, 10_000);
      await exited;
      clearTimeout(timer);
      log(`stopped ${c.name} (pid ${c.pid})`);
    }
    for (const c of [...this.cleanups].reverse()) {
      try {
        await c.run();
        log(`stopped ${c.name}`);
      } catch (e) {
        log(`could not stop ${c.name}: ${(e as Error).message}`);
      }
    }
    this.children.length = 0;
    this.writePids();
  }

  private writePids(): void {
    const pids = Object.fromEntries(this.children.map((c) => [c.name, c.pid]));
    fs.mkdirSync(this.dir, { recursive: true }); // the devnet clears its logs folder at start
    fs.writeFileSync(path.join(this.dir, "pids.json"), JSON.stringify(pids, null, 2) + "\n");
  }
}

/** Poll `probe` until it returns true (errors count as "not yet"), or fail after `timeoutMs`. */
export async function waitFor(
  what: string,
  timeoutMs: number,
  probe: () => Promise<boolean>,
  child?: { sup: Supervisor; c: Child },
): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    if (child && !running(child.c)) {
      throw new Error(
        `${child.c.name} exited while waiting for ${what}; its log (${child.c.logFile}) ends:\n${child.sup.tail(child.c)}`,
      );
    }
    try {
      if (await probe()) return;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > until) {
      const log = child ? `; ${child.c.name}'s log (${child.c.logFile}) ends:\n${child.sup.tail(child.c)}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ""}${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Wait until a line of the child's log matches `re` (e.g. its `READY …` line) and return it. */
export async function waitForLine(
  sup: Supervisor,
  c: Child,
  re: RegExp,
  timeoutMs: number,
  what = `${c.name} to print ${re}`,
): Promise<string> {
  let line: string | undefined;
  await waitFor(
    what,
    timeoutMs,
    async () => {
      line = fs
        .readFileSync(c.logFile, "utf8")
        .split("\n")
        .find((l) => re.test(l));
      return line !== undefined;
    },
    { sup, c },
  );
  return line!;
}

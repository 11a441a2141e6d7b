// The relayer's only entry point.
//   relayer start  --config <file>                 run until SIGTERM/SIGINT
//   relayer status --config <file> [--state parked] queue depth, cursors, parked operations
//   relayer retry  --config <file> <op-id>          requeue a parked/failing operation (and its lane after it)
//   relayer replay --config <file> --chain <name> --from <height>   rescan a source
//   relayer keys   --config <file>                  attestation address and public key, submitter address per chain (never a key)
//   relayer leases --config <file> [--state failed]  the Akash lease jobs (config section `akash`), their
//                                                    handovers and those handovers' escrow payouts
// Run with: npx ts-node relayer/cli.ts <command> ... (TS_NODE_TRANSPILE_ONLY=1 starts faster)
import { loadConfig, loadRelayerKeys, ConfigError, type RelayerConfig } from "./config";
import { Signer } from "./attest";
import { logger } from "./log";
import { Relayer } from "./relayer";
import { OP_STATES, OpStore, type OpState } from "./store";

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function positional(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith("--")) i++;
    else out.push(args[i]);
  }
  return out;
}

function config(args: string[]): RelayerConfig {
  const file = arg(args, "config") ?? process.env.HEXS_RELAYER_CONFIG;
  if (!file) throw new ConfigError("no config: pass --config <file> or set HEXS_RELAYER_CONFIG");
  return loadConfig(file);
}

const print = (v: unknown): void => {
  process.stdout.write(JSON.stringify(v, null, 2) + "\n");
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...args] = argv;
  switch (cmd) {
    case "start": {
      const relayer = new Relayer(config(args), { processMetrics: true });
      const log = logger("cli");
      let stopping: Promise<void> | undefined;
      const stop = (sig: string) => {
        log.info({ signal: sig }, "shutting down");
        stopping ??= relayer.stop().then(() => process.exit(0));
      };
      process.on("SIGTERM", () => stop("SIGTERM"));
      process.on("SIGINT", () => stop("SIGINT"));
      await relayer.start();
      log.info({ port: relayer.port, operator: relayer.signer.address }, "relayer running");
      return new Promise<number>(() => undefined); // runs until a signal
    }
    case "status": {
      const store = await OpStore.open(config(args).store);
      try {
        const state = arg(args, "state") as OpState | undefined;
        if (state && !OP_STATES.includes(state)) throw new Error(`--state must be one of ${OP_STATES.join(", ")}`);
        print({
          counts: await store.counts(),
          cursors: await store.cursors(),
          [state ?? "parked"]: (await store.list({ state: state ?? "parked", limit: 50 })).map((o) => ({
            id: o.id,
            state: o.state,
            attempts: o.attempts,
            lastError: o.lastError,
            txHash: o.txHash,
            sourceHeight: o.sourceHeight,
          })),
        });
      } finally {
        await store.close();
      }
      return 0;
    }
    case "retry": {
      const [id] = positional(args);
      if (!id)
        throw new Error("usage: relayer retry --config <file> <op-id>   (ids look like <src>-<dst>-<nonce>, see `status`)");
      const store = await OpStore.open(config(args).store);
      try {
        const n = await store.retry(id);
        if (!n) throw new Error(`no pending or parked operation ${id} (see \`relayer status\`)`);
        print({ requeued: n });
      } finally {
        await store.close();
      }
      return 0;
    }
    case "replay": {
      const cfg = config(args);
      const chain = arg(args, "chain");
      const from = Number(arg(args, "from"));
      if (!chain || !cfg.chains.some((c) => c.name === chain))
        throw new Error(`--chain must name a configured chain: ${cfg.chains.map((c) => c.name).join(", ")}`);
      if (!Number.isInteger(from) || from < 0) throw new Error("--from must be a block height (integer ≥ 0)");
      const store = await OpStore.open(cfg.store);
      try {
        await store.replayFrom(chain, from);
        print({ chain, from });
      } finally {
        await store.close();
      }
      return 0;
    }
    case "keys": {
      const cfg = config(args);
      const keys = loadRelayerKeys(cfg);
      const s = new Signer(keys.attest);
      const submitterOf = (c: RelayerConfig["chains"][number]): string | null => {
        try {
          return new Signer(keys.submitter(c)).address;
        } catch {
          return null; // a chain this relayer only reads
        }
      };
      const submitters = Object.fromEntries(cfg.chains.map((c) => [c.name, submitterOf(c)]));
      print({ address: s.address, publicKey: s.publicKey, submitters });
      return 0;
    }
    case "leases": {
      // ---- Akash lease service (config `akash`): the persisted lease jobs, newest last
      const cfg = config(args);
      if (!cfg.akash) throw new ConfigError("this config has no akash section: the relayer runs no lease pipeline", "akash");
      const { LeaseStore } = await import("./store");
      const leases = await LeaseStore.open(cfg.akash.db);
      try {
        const state = arg(args, "state");
        const rows = (await leases.all()).filter((l) => !state || l.state === state);
        const shown = rows.slice(-50);
        // each job's handovers: the escrow each one accounted (priced-in, to the new holder) and why one failed
        const handovers = await Promise.all(shown.map((l) => leases.handoversOf(l.id)));
        print(
          shown.map((l, i) => ({
            id: l.id,
            purchaseChain: l.purchaseChain,
            keyId: l.keyId,
            state: l.state,
            dseq: l.dseq,
            provider: l.provider,
            attempts: l.attempts,
            lastError: l.lastError,
            failureReason: l.failureReason,
            report: l.reportTx,
            handovers: handovers[i].map((h) => ({
              id: h.id,
              state: h.state,
              toHolder: h.toHolder,
              toChain: h.toChain,
              escrowUact: h.escrowUact,
              escrowTo: h.escrowTo,
              failureReason: h.failureReason,
              lastError: h.lastError,
              report: h.report,
              // a failed handover's escrow payout (relayer/akash/payouts.ts); null until decided
              payout:
                h.payoutState === null
                  ? null
                  : {
                      state: h.payoutState,
                      holder: h.payoutTo,
                      chain: h.payoutChain,
                      currency: h.payoutCurrency,
                      amount: h.payoutAmount,
                      tx: h.payoutTx,
                      nonce: h.payoutNonce,
                      attempts: h.payoutAttempts,
                      note: h.payoutNote,
                    },
            })),
          })),
        );
      } finally {
        await leases.close();
      }
      return 0;
    }
    default:
      process.stderr.write("usage: relayer <start|status|retry|replay|keys|leases> --config <file> [...]\n");
      return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
      process.stderr.write(`relayer: ${e.message}\n`);
      process.exit(e instanceof ConfigError ? 78 : 1);
    },
  );
}

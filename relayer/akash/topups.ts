// Escrow top-ups: a model's DAO votes an infrastructure spend and ModelGovernor emits
// InfrastructureFunded(modelId, currency, to, amount, purpose) with purpose
// "akash-escrow:<owner>/<dseq>". The relayer (which received the funds at `to`) deposits the
// equivalent in uact into that deployment's escrow with MsgAccountDeposit — once per event.
import type { Interface } from "ethers";
import type { LeaseStore, EscrowTopupRow } from "../store";
import type { AkashClient } from "../../sdk/akash/client";
import { errorMessage, isPermanent } from "../../sdk/akash/errors";
import { logger } from "../log";
import { nextAttemptDelayMs } from "../retry";

export interface InfrastructureFundedEvent {
  sourceChain: string;
  txHash: string;
  logIndex: number;
  modelId: bigint;
  currency: string;
  to: string;
  amount: bigint;
  purpose: string;
}

/** How much uact one smallest unit of a currency buys (e.g. uact per wei, as a ratio). */
export interface ConversionRate {
  uactNumerator: bigint;
  unitDenominator: bigint;
}

export const ESCROW_PURPOSE = /^akash-escrow:(akash1[0-9a-z]{38,58})\/(\d{1,20})$/;

export class EscrowTopups {
  private readonly log = logger("escrow-topups");
  constructor(
    private readonly store: LeaseStore,
    private readonly akash: AkashClient,
    /** our receiving address on the source chain: spends paid elsewhere are not ours to execute */
    private readonly receiver: string,
    private readonly rates: Record<string, ConversionRate>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Record an event (idempotent); returns the job or undefined when the event is not for us. */
  async accept(e: InfrastructureFundedEvent): Promise<EscrowTopupRow | undefined> {
    const m = ESCROW_PURPOSE.exec(e.purpose);
    if (!m) return undefined;
    if (e.to.toLowerCase() !== this.receiver.toLowerCase()) {
      this.log.info({ to: e.to, purpose: e.purpose }, "infrastructure spend paid to another operator; ignored");
      return undefined;
    }
    const rate = this.rates[e.currency.toLowerCase()];
    if (!rate) {
      this.log.error(
        { currency: e.currency, tx: e.txHash },
        "no uact conversion rate configured for this currency; top-up skipped (configure it and requeue)",
      );
      return undefined;
    }
    const uact = (e.amount * rate.uactNumerator) / rate.unitDenominator;
    return this.store.insertTopup({
      sourceChain: e.sourceChain,
      sourceTx: e.txHash,
      logIndex: e.logIndex,
      owner: m[1],
      dseq: m[2],
      amountUact: uact.toString(),
    });
  }

  /** Execute due top-ups. A closed or unknown deployment is skipped (funds stay with the operator). */
  async runDue(): Promise<EscrowTopupRow[]> {
    const done: EscrowTopupRow[] = [];
    for (const t of await this.store.dueTopups()) {
      try {
        const d = await this.akash.deployment(t.owner, t.dseq);
        if (!d || d.state !== "active") {
          await this.store.updateTopup(t.id, {
            state: "skipped",
            lastError: `deployment ${t.owner}/${t.dseq} is ${d ? d.state : "unknown"}`,
          });
        } else if (t.depositTx && (await this.akash.findTx(t.depositTx))?.code === 0) {
          await this.store.updateTopup(t.id, { state: "deposited" }); // deposited before a crash
        } else {
          await this.akash.accountDeposit(t.owner, t.dseq, BigInt(t.amountUact), {
            onSigned: (h) => this.store.updateTopup(t.id, { depositTx: h }),
          });
          await this.store.updateTopup(t.id, { state: "deposited" });
        }
      } catch (e) {
        const attempts = t.attempts + 1;
        await this.store.updateTopup(t.id, {
          attempts,
          lastError: errorMessage(e).slice(0, 1000),
          state: isPermanent(e) ? "skipped" : "pending",
          nextAttemptAt: this.now() + nextAttemptDelayMs(attempts),
        });
      }
      done.push((await this.store.topupBySource(t.sourceChain, t.sourceTx, t.logIndex))!);
    }
    return done;
  }
}

/** The InfrastructureFunded events of a receipt, decoded with ModelGovernor's ABI. */
export function infrastructureFundedEvents(
  sourceChain: string,
  receipt: { hash: string; logs: ReadonlyArray<{ topics: ReadonlyArray<string>; data: string; index: number }> },
  governor: Interface,
): InfrastructureFundedEvent[] {
  const out: InfrastructureFundedEvent[] = [];
  for (const l of receipt.logs) {
    let parsed;
    try {
      parsed = governor.parseLog({ topics: [...l.topics], data: l.data });
    } catch {
      continue;
    }
    if (parsed?.name !== "InfrastructureFunded") continue;
    const a = parsed.args;
    out.push({
      sourceChain,
      txHash: receipt.hash,
      logIndex: l.index,
      modelId: BigInt(a.modelId as bigint),
      currency: String(a.currency),
      to: String(a.to),
      amount: BigInt(a.amount as bigint),
      purpose: String(a.purpose),
    });
  }
  return out;
}

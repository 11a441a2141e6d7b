// Escrow top-ups: a model's DAO votes an infrastructure spend and ModelGovernor emits
// InfrastructureFunded(modelId, currency, to, amount, purpose) with purpose
// "akash-escrow:<owner>/<dseq>". The relayer (which received the funds at `to`) deposits the
// equivalent in uact into that deployment's escrow with MsgAccountDeposit — once per event.
//
// The operator spends its own AKT on the strength of a log, so a spend counts only when
//   * the log's emitter is the governor the configured DAO factory created for that model
//     (DaoFactory.governorOf): any other contract can emit the same event for free;
//   * the same receipt moves the money to us: for an ERC-20, a Transfer(governor → receiver,
//     amount) log of that token after the event. A native spend carries no log; the governor's
//     code (a clone the factory made) pays `amount` to `to` in the call that emits the event and
//     reverts otherwise, so a successful receipt of a genuine governor is the transfer;
//   * the deployment is one of our lease jobs serving that model (a model's DAO tops up its own
//     model's deployments);
//   * the model stays under its hourly cap (deposits and uact per model and rolling hour).
// A refused spend is recorded with its reason (state `refused`, metered), never retried, and
// the funds stay with the operator, who may return them.
//
// On a CosmWasm purchase chain the DAO spends through the Hexs contract itself
// (FundInfrastructure): the contract checks that the sender is the model's DAO and sends the
// coin to `to` in the same transaction, so its `hexs_infrastructure_funded` event counts when
// the configured Hexs contract emitted it, to our Cosmos receiver, in a denom we have a rate for.
import type { Interface } from "ethers";
import { AbiCoder, getAddress, id as topicOf, zeroPadValue } from "ethers";
import type { LeaseStore, EscrowTopupRow } from "../store";
import type { AkashClient } from "../../sdk/akash/client";
import { errorMessage, isPermanent } from "../../sdk/akash/errors";
import { logger } from "../log";
import { nextAttemptDelayMs } from "../retry";

export interface InfrastructureFundedEvent {
  /** evm: a governor's InfrastructureFunded log; cosmwasm: the Hexs contract's event (default evm) */
  family?: "evm" | "cosmwasm";
  sourceChain: string;
  txHash: string;
  logIndex: number;
  /** the contract that emitted the log */
  emitter: string;
  modelId: bigint;
  currency: string;
  to: string;
  amount: bigint;
  purpose: string;
}

/** A log of the spend's receipt. */
export interface ReceiptLog {
  address: string;
  topics: ReadonlyArray<string>;
  data: string;
  index: number;
}

/** What the spend's chain says about it, read by the purchase chain (see feeds.ts). */
export interface SpendEvidence {
  /**
   * EVM: DaoFactory.governorOf(modelId) of the configured factory (undefined when none is
   * configured); CosmWasm: the configured Hexs contract, which checked the DAO and paid
   */
  governor: string | undefined;
  /** every log of the spend's transaction receipt */
  logs: ReadonlyArray<ReceiptLog>;
}

/** How much uact one smallest unit of a currency buys (e.g. uact per wei, as a ratio). */
export interface ConversionRate {
  uactNumerator: bigint;
  unitDenominator: bigint;
}

/** Per model and rolling hour: at most this many deposits and this much uact. */
export interface TopupCap {
  deposits: number;
  uact: bigint;
}

export const DEFAULT_TOPUP_CAP: TopupCap = { deposits: 6, uact: 100_000_000n };

export const ESCROW_PURPOSE = /^akash-escrow:(akash1[0-9a-z]{38,58})\/(\d{1,20})$/;
const TRANSFER = topicOf("Transfer(address,address,uint256)");
const NATIVE = "0x0000000000000000000000000000000000000000";
const HOUR_MS = 3_600_000;

/** Why a spend does not count (undefined: it does), from its receipt alone. */
export function spendRefusal(e: InfrastructureFundedEvent, receiver: string, evidence: SpendEvidence): string | undefined {
  if (e.family === "cosmwasm")
    return e.emitter === evidence.governor
      ? undefined
      : `emitted by ${e.emitter}, not by the Hexs contract ${evidence.governor} of chain ${e.sourceChain}`;
  if (!evidence.governor)
    return `no DAO factory configured for chain ${e.sourceChain} (akash.purchases[].daoFactory): spends cannot be verified`;
  if (evidence.governor === NATIVE) return `model ${e.modelId} has no DAO created by the configured factory`;
  if (getAddress(e.emitter) !== getAddress(evidence.governor))
    return `emitted by ${e.emitter}, not by model ${e.modelId}'s governor ${evidence.governor}`;
  if (getAddress(e.currency) === NATIVE) return undefined; // the governor's own call paid it (see above)
  const from = zeroPadValue(e.emitter, 32).toLowerCase();
  const to = zeroPadValue(receiver, 32).toLowerCase();
  const amount = AbiCoder.defaultAbiCoder().encode(["uint256"], [e.amount]);
  const paid = evidence.logs.some(
    (l) =>
      l.index > e.logIndex &&
      getAddress(l.address) === getAddress(e.currency) &&
      l.topics.length === 3 &&
      l.topics[0] === TRANSFER &&
      l.topics[1].toLowerCase() === from &&
      l.topics[2].toLowerCase() === to &&
      l.data.toLowerCase() === amount,
  );
  return paid
    ? undefined
    : `the receipt has no Transfer of ${e.amount} ${e.currency} from the governor ${e.emitter} to ${receiver}`;
}

export type TopupRefused = (e: InfrastructureFundedEvent, reason: string) => void;

/** Our receiving addresses: an EVM address, and a bech32 address on the Cosmos purchase chains. */
export interface TopupReceivers {
  evm?: string;
  cosmwasm?: string;
}

export class EscrowTopups {
  private readonly log = logger("escrow-topups");
  private readonly receivers: TopupReceivers;
  constructor(
    private readonly store: LeaseStore,
    private readonly akash: AkashClient,
    /** our receiving address(es) on the source chains: spends paid elsewhere are not ours to execute */
    receiver: string | TopupReceivers,
    private readonly rates: Record<string, ConversionRate>,
    private readonly cap: TopupCap = DEFAULT_TOPUP_CAP,
    private readonly onRefused: TopupRefused = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.receivers = typeof receiver === "string" ? { evm: receiver } : receiver;
  }

  /**
   * Check and record a spend (idempotent per log). Returns the job — `refused` with its reason
   * when a check fails — or undefined when the spend is not for us.
   */
  async accept(e: InfrastructureFundedEvent, evidence: SpendEvidence): Promise<EscrowTopupRow | undefined> {
    const m = ESCROW_PURPOSE.exec(e.purpose);
    if (!m) return undefined;
    const receiver = this.receivers[e.family ?? "evm"];
    if (!receiver || e.to.toLowerCase() !== receiver.toLowerCase()) {
      this.log.info({ to: e.to, purpose: e.purpose }, "infrastructure spend paid to another operator; ignored");
      return undefined;
    }
    const known = await this.store.topupBySource(e.sourceChain, e.txHash, e.logIndex);
    if (known) return known;
    const [owner, dseq] = [m[1], m[2]];
    const rate = this.rates[e.currency.toLowerCase()];
    const uact = rate ? (e.amount * rate.uactNumerator) / rate.unitDenominator : 0n;
    const row = {
      sourceChain: e.sourceChain,
      sourceTx: e.txHash,
      logIndex: e.logIndex,
      owner,
      dseq,
      amountUact: uact.toString(),
    };
    const refusal =
      spendRefusal(e, receiver, evidence) ??
      (rate ? undefined : `no uact conversion rate configured for currency ${e.currency}`) ??
      (await this.deploymentRefusal(e.modelId, owner, dseq)) ??
      (await this.capRefusal(e, uact));
    if (refusal) {
      this.log.warn({ chain: e.sourceChain, tx: e.txHash, model: String(e.modelId), reason: refusal }, "escrow top-up refused");
      this.onRefused(e, refusal);
    }
    return this.store.insertTopup({ ...row, modelId: e.modelId.toString(), refused: refusal?.slice(0, 1000) });
  }

  private async deploymentRefusal(modelId: bigint, owner: string, dseq: string): Promise<string | undefined> {
    const job = await this.store.byDeployment(this.akash.endpoints.chainId, owner, dseq);
    if (!job) return `deployment ${owner}/${dseq} is not one of this operator's leases`;
    if (job.modelId !== modelId.toString())
      return `deployment ${owner}/${dseq} serves model ${job.modelId}, not model ${modelId} whose DAO paid`;
    return undefined;
  }

  private async capRefusal(e: InfrastructureFundedEvent, uact: bigint): Promise<string | undefined> {
    const recent = await this.store.topupsSince(e.sourceChain, e.modelId.toString(), this.now() - HOUR_MS);
    if (recent.length + 1 > this.cap.deposits)
      return `hourly cap: model ${e.modelId} already had ${recent.length} top-up(s) in the last hour (cap ${this.cap.deposits})`;
    const total = recent.reduce((sum, t) => sum + BigInt(t.amountUact), 0n) + uact;
    if (total > this.cap.uact)
      return `hourly cap: ${total} uact for model ${e.modelId} in the last hour would exceed ${this.cap.uact} uact`;
    return undefined;
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
  receipt: { hash: string; logs: ReadonlyArray<ReceiptLog> },
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
      emitter: l.address,
      modelId: BigInt(a.modelId as bigint),
      currency: String(a.currency),
      to: String(a.to),
      amount: BigInt(a.amount as bigint),
      purpose: String(a.purpose),
    });
  }
  return out;
}

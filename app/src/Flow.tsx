// A flow's steps as a list people can follow (done ✓, waiting …, failed ✗, to do ○): used for
// transfers and moves on the keys page, the studio and DAO transactions, and flows picked up again
// after a reload; the common steps of a transaction flow.
import type { FlowStep } from "./pending";

export interface StepDef {
  key: FlowStep["step"];
  /** Shown before the step is reached. */
  todo: string;
  /** Shown once reached (`done`: passed, or an outcome). */
  text?: (s: FlowStep, done: boolean) => string;
  /** An outcome, not a wait: done as soon as reached. */
  outcome?: boolean;
}

/** Signing in the wallet, then the transaction submitted: the middle of every transaction flow. */
export const SIGN_AND_SUBMIT: StepDef[] = [
  {
    key: "signing",
    todo: "Waiting for your signature",
    text: (_s, done) => (done ? "Signed in your wallet" : "Waiting for your signature"),
  },
  {
    key: "submitted",
    todo: "Transaction submitted",
    text: (s) => `Transaction submitted: ${(s as { txHash: string }).txHash.slice(0, 10)}…`,
  },
];

/** One transaction, start to end: wallet network, checks, signature, submission, confirmation. */
export const TX_STEPS: StepDef[] = [
  {
    key: "switching",
    todo: "Wallet on the right network",
    text: (_s, done) => (done ? "Wallet on the right network" : "Switching your wallet"),
  },
  { key: "checking", todo: "Checks passed", text: (_s, done) => (done ? "Checks passed" : "Checking") },
  ...SIGN_AND_SUBMIT,
  { key: "confirmed", todo: "Confirmed on chain", outcome: true, text: () => "Confirmed on chain" },
];

export function FlowStatus({
  steps,
  defs,
  failed,
  label,
}: {
  steps: FlowStep[];
  defs: StepDef[];
  failed: boolean;
  label: string;
}) {
  const last = steps.at(-1);
  return (
    // the live region wraps the list (a role on the <ol> would take its list semantics away)
    <div role="status" aria-live="polite" aria-label={label} data-step={last?.step}>
      <ol className="steps">
        {defs.map((d) => {
          const s = steps.findLast((x) => x.step === d.key);
          const open = s === last && !d.outcome;
          const state = !s ? "todo" : open ? (failed ? "failed" : "active") : "done";
          return (
            <li key={d.key} className={`step ${state}`} data-testid={`step-${d.key}`}>
              <span className="tick" aria-hidden="true">
                {{ done: "✓", active: "…", failed: "✗", todo: "○" }[state]}
              </span>
              {s && d.text ? d.text(s, state === "done") : d.todo}
            </li>
          );
        })}
      </ol>
    </div>
  );
}

// A flow's steps as a list people can follow (done ✓, waiting …, failed ✗, to do ○): used for
// transfers and moves on the keys page and for flows picked up again after a reload.
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

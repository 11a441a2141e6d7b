// Flows that were under way when the page was closed or reloaded: read from localStorage once,
// on load, and followed again to their end (confirmed, then mirrored or arrived).
import { useEffect, useState } from "react";
import { chainLabel, evmChains, type AppConfig } from "./config";
import { FlowStatus, type StepDef } from "./Flow";
import { formatId } from "./indexer";
import { loadPending, resume, type FlowStep, type Pending } from "./pending";

function Resumed({ config, p, onHide }: { config: AppConfig; p: Pending; onHide: () => void }) {
  const [steps, setSteps] = useState<FlowStep[]>([]);
  const [error, setError] = useState<string>();
  useEffect(() => {
    const ctl = new AbortController();
    void resume(evmChains(config.registry), p, (s) => !ctl.signal.aborted && setSteps((x) => [...x, s]), ctl.signal).catch(
      (e: Error) => setError(e.message),
    );
    return () => ctl.abort();
  }, [config, p]);
  const label = (id: number) => chainLabel(config.registry, id);
  const byName = (n: string) => label(evmChains(config.registry).find((c) => c.name === n)?.hexsChainId ?? 0);
  const what =
    p.kind === "buy"
      ? `Purchase of a key of model ${formatId(p.modelId)} on ${label(p.chain)}`
      : p.kind === "order"
        ? `Purchase of key ${formatId(p.keyId ?? "0")} listed on ${label(p.toChain ?? 0)}, paid on ${label(p.chain)}`
        : p.kind === "move"
          ? `Move of key ${formatId(p.keyId ?? "0")} from ${label(p.chain)} to ${label(p.toChain ?? 0)}`
          : `Transfer of key ${formatId(p.keyId ?? "0")} on ${label(p.chain)}`;
  const defs: StepDef[] = [
    {
      key: "submitted",
      todo: "Transaction submitted",
      text: (s) => `Transaction submitted: ${(s as { txHash: string }).txHash.slice(0, 10)}…`,
    },
    ...(p.kind === "order"
      ? ([
          {
            key: "escrowed",
            todo: `Payment escrowed on ${label(p.chain)}`,
            text: (s: FlowStep, done: boolean) =>
              `Paid: held in escrow on ${label(p.chain)}${done ? "" : ` until ${label(p.toChain ?? 0)} answers`} (order ${formatId((s as { orderId: bigint }).orderId)})`,
          },
          steps.some((s) => s.step === "refunded")
            ? {
                key: "refunded",
                todo: "",
                outcome: true,
                text: () =>
                  `Refunded: the listing on ${label(p.toChain ?? 0)} was gone or changed; your payment is credited back on ${label(p.chain)} (claim it on My keys)`,
              }
            : {
                key: "filled",
                todo: `Key arrives on ${label(p.chain)}, the seller is paid`,
                outcome: true,
                text: (s: FlowStep) =>
                  `Filled: key ${formatId(p.keyId ?? "0")} arrived on ${label(p.chain)} ${(s as { seconds: number }).seconds.toFixed(1)} s after the reload`,
              },
        ] as StepDef[])
      : p.kind === "move"
        ? ([
            { key: "left", todo: `Left ${label(p.chain)}`, outcome: true, text: () => `Left ${label(p.chain)}: on its way` },
            {
              key: "arrived",
              todo: `Arrived on ${label(p.toChain ?? 0)}`,
              outcome: true,
              text: (s: FlowStep) => {
                const x = s as { chain: string; seconds: number };
                return `Arrived on ${byName(x.chain)} ${x.seconds.toFixed(1)} s after the reload`;
              },
            },
          ] as StepDef[])
        : ([
            {
              key: "confirmed",
              todo: "Confirmed on chain",
              outcome: true,
              text: (s: FlowStep) =>
                p.kind === "buy" ? `Confirmed: key ${formatId((s as { keyId: bigint }).keyId)} is yours` : "Confirmed",
            },
          ] as StepDef[])),
    ...(p.kind === "buy"
      ? ([
          {
            key: "mirrored",
            todo: "Mirrored to the other chains",
            outcome: true,
            text: (s: FlowStep) => {
              const x = s as { chains: string[]; seconds: number };
              return `Mirrored to ${x.chains.map(byName).join(", ")} ${x.seconds.toFixed(1)} s after the reload`;
            },
          },
        ] as StepDef[])
      : []),
  ];
  return (
    <li className="resumed" data-kind={p.kind} data-tx={p.txHash}>
      <strong>{what}</strong> <span className="muted small">(started {new Date(p.startedAt).toLocaleTimeString("en-GB")})</span>
      <FlowStatus steps={steps} defs={defs} failed={error !== undefined} label={`${p.kind} progress`} />
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {(error ||
        ["mirrored", "arrived", "filled", "refunded"].includes(steps.at(-1)?.step ?? "") ||
        (p.kind === "transfer" && steps.at(-1)?.step === "confirmed")) && (
        <button className="button secondary" onClick={onHide}>
          Hide
        </button>
      )}
    </li>
  );
}

export function PendingPanel({ config }: { config: AppConfig }) {
  // Only what was stored before this page load: flows started in this page show on their own page.
  const [pending, setPending] = useState(loadPending);
  if (!pending.length) return null;
  return (
    <section className="buy-panel pending" aria-labelledby="pending-h" data-testid="pending">
      <h2 id="pending-h">Picked up after reload</h2>
      <p className="muted small">
        These transactions were under way when the page was left; they are followed here until they are done.
      </p>
      <ul className="plain">
        {pending.map((p) => (
          <Resumed key={p.txHash} config={config} p={p} onHide={() => setPending((all) => all.filter((x) => x !== p))} />
        ))}
      </ul>
    </section>
  );
}

// A model page: who made it, where it comes from, its price and keys sold on each chain, its
// lineage picture, and buying a key on the chain of one's choice with the injected wallet.
import { useEffect, useRef, useState } from "react";
import type { AppConfig } from "./config";
import { chainLabel, evmChains } from "./config";
import { ancestorsOf, formatId, metaOf, type Catalog } from "./indexer";
import { Lineage } from "./Lineage";
import { RoyaltyFlow } from "./RoyaltyFlow";
import { Vaults } from "./Vaults";
import { KeysForSale, Offers, useModelMarket } from "./Market";
import { checksum, pct } from "./format";
import { formatAmount, useCurrencies } from "./currency";
import { clearPending, savePending } from "./pending";
import { NATIVE } from "../../sdk/tx";
import type { CosmosChain } from "../../sdk/chains";
import { buyKey, explain, injectedWallet, NoWalletError, watchMirrors, type BuyStep, type Explained } from "./wallet";

const STEPS = ["switching", "checking", "approving", "approved", "signing", "submitted", "confirmed", "mirrored"] as const;
const STEP_TEXT: Record<(typeof STEPS)[number], string> = {
  switching: "Wallet on the right network",
  checking: "Funds and price checked",
  approving: "Approve the market to take the price (ERC-20)",
  approved: "Approval confirmed",
  signing: "Waiting for your signature",
  submitted: "Transaction submitted",
  confirmed: "Confirmed on chain",
  mirrored: "Mirrored to the other chains",
};

function BuyStatus({
  steps,
  label,
  labelOf,
  failed,
  token,
}: {
  steps: BuyStep[];
  label: string;
  labelOf: (chainName: string) => string;
  /** The flow stopped with an error at its last step. */
  failed: boolean;
  /** Paying in an ERC-20 (the approval steps are shown); its symbol. */
  token?: string;
}) {
  const last = steps.at(-1);
  const reached = new Set(steps.map((s) => s.step));
  const describe = (s: BuyStep, passed: boolean): string => {
    switch (s.step) {
      case "switching":
        return passed ? `Wallet on ${label}` : `Switching your wallet to ${label}`;
      case "checking":
        return passed ? STEP_TEXT.checking : "Checking funds and price";
      case "approving":
        return passed || s.txHash
          ? passed
            ? `Approved the market to take ${token ?? "the price"}`
            : `Approval submitted: ${s.txHash!.slice(0, 10)}…, waiting for it to be confirmed`
          : `Approving the market to take ${token ?? "the price"}: confirm in your wallet`;
      case "approved":
        return `Approval confirmed: ${s.txHash?.slice(0, 10) ?? ""}…`;
      case "submitted":
        return `Transaction submitted: ${s.txHash.slice(0, 10)}…`;
      case "confirmed":
        return `Confirmed: key ${formatId(s.keyId)} is yours`;
      case "mirrored":
        return `Mirrored to ${s.chains.map(labelOf).join(", ")} in ${s.seconds.toFixed(1)} s`;
      case "signing":
        return reached.has("submitted") ? "Signed in your wallet" : STEP_TEXT.signing;
    }
  };
  return (
    <div role="status" aria-live="polite" aria-label="purchase progress" data-step={last?.step}>
      <ol className="steps">
        {STEPS.filter((k) => token || (k !== "approving" && k !== "approved")).map((k) => {
          const s = steps.findLast((x) => x.step === k);
          // confirmed and mirrored are outcomes, not waits: done as soon as they are reached
          const open = s === last && k !== "confirmed" && k !== "mirrored" && k !== "approved";
          const state = !s ? "todo" : open ? (failed ? "failed" : "active") : "done";
          return (
            <li key={k} className={`step ${state}`} data-testid={`step-${k}`}>
              <span className="tick" aria-hidden="true">
                {{ done: "✓", active: "…", failed: "✗", todo: "○" }[state]}
              </span>
              {s ? describe(s, state === "done") : STEP_TEXT[k]}
              {k === "mirrored" && reached.has("confirmed") && !reached.has("mirrored") && (
                <span className="muted small"> (waiting for the relay)</span>
              )}
            </li>
          );
        })}
      </ol>
    </div>
  );
}

/**
 * A model's price on a Cosmos chain, read from that chain's contract (the indexer reads EVM chains
 * only). Loads the Cosmos module (cosmjs) as its own chunk, only on a page that shows such a chain.
 */
function CosmosPrice({ chain, id }: { chain: CosmosChain; id: string }) {
  const [state, setState] = useState<{ text: string; error?: boolean }>({ text: "reading the chain…" });
  useEffect(() => {
    let live = true;
    import("./cosmos")
      .then((mod) => mod.readCosmosModel(chain, BigInt(id)))
      .then((r) => {
        if (!live) return;
        setState({
          text: !r ? "not on this chain's contract yet" : r.retired ? `${r.price} (retired: no longer sold)` : r.price,
        });
      })
      .catch((e: unknown) => {
        console.error(e);
        if (live) setState({ text: "the chain is unreachable: its price cannot be read now", error: true });
      });
    return () => {
      live = false;
    };
  }, [chain, id]);
  return (
    <span data-testid={`cosmos-price-${chain.hexsChainId}`} className={state.error ? "error" : undefined}>
      {state.text}
    </span>
  );
}

export function ModelPage({
  config,
  catalog,
  id,
  onBought,
}: {
  config: AppConfig;
  catalog: Catalog;
  id: string;
  onBought: () => void;
}) {
  const m = catalog.models.find((x) => x.id === id);
  // its listings, offers and offerable keys: one indexer request per tick for both market sections
  const market = useModelMarket(config, id);
  const [steps, setSteps] = useState<BuyStep[]>([]);
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<Explained>();
  const [paying, setPaying] = useState<string>();
  // "with an Akash deployment": the price's deployment escrow is added and the lease service opens the lease
  const [deploy, setDeploy] = useState(false);
  const watch = useRef<AbortController>(undefined);
  useEffect(() => () => watch.current?.abort(), []);
  const chains = evmChains(config.registry);
  const cur = useCurrencies(
    chains,
    catalog.prices.filter((p) => p.modelId === id),
  );
  const formatPrice = (amount: string, currency: string, hexsChain: number) =>
    formatAmount(amount, currency, cur(hexsChain, currency));
  if (!m)
    return (
      <p role="alert" className="error">
        Model {id} is not in the catalog (yet): the indexer may still be catching up.
      </p>
    );
  const meta = metaOf(m);
  const byId = new Map(catalog.models.map((x) => [x.id, x]));
  const parent = byId.get(m.parentId);
  const forks = catalog.models.filter((x) => x.parentId === m.id);
  const rows = chains.map((c) => ({
    chain: c,
    copy: catalog.copies.find((x) => x.modelId === m.id && x.hexsChain === c.hexsChainId),
    prices: catalog.prices.filter((p) => p.modelId === m.id && p.hexsChain === c.hexsChainId && p.listed),
  }));

  const labelOf = (name: string) => chainLabel(config.registry, chains.find((c) => c.name === name)?.hexsChainId ?? 0);

  async function buy(chainId: number, currency: string, withDeployment: boolean) {
    const chain = chains.find((c) => c.hexsChainId === chainId)!;
    const label = chainLabel(config.registry, chainId);
    setError(undefined);
    setSteps([]);
    setBusy(`${chainId}:${currency}`);
    setPaying(currency.toLowerCase() === NATIVE ? undefined : (cur(chainId, currency)?.symbol ?? "the token"));
    watch.current?.abort();
    const ctl = (watch.current = new AbortController());
    const report = (s: BuyStep) => {
      if (!ctl.signal.aborted) setSteps((prev) => [...prev, s]);
      // the purchase is out: a reload from here on picks it up again (PendingPanel)
      if (s.step === "submitted")
        savePending({ kind: "buy", chain: chainId, txHash: s.txHash, modelId: m!.id, startedAt: Date.now() });
    };
    try {
      const eth = injectedWallet();
      if (!eth) throw new NoWalletError();
      const bought = await buyKey(
        eth,
        {
          chain,
          modelId: BigInt(m!.id),
          currency,
          metadataUri: m!.metadataUri,
          // Hexs v1 deployment parameters: the lease service's defaults (relayer/akash/params.ts)
          ...(withDeployment ? { deploymentParams: { v: 1 } } : {}),
        },
        report,
      );
      onBought();
      // The key is yours once confirmed; mirroring to the other chains is followed in the background.
      void watchMirrors(
        chains.filter((c) => c !== chain),
        bought,
        report,
        ctl.signal,
      )
        .then(() => !ctl.signal.aborted && clearPending(bought.txHash))
        .catch(() => undefined);
    } catch (e) {
      console.error(e);
      setError(explain(e, label));
    } finally {
      setBusy(undefined);
    }
  }

  return (
    <article>
      <p className="crumbs">
        <a href="#/">Catalog</a> / {meta.name}
      </p>
      <h1>{meta.name}</h1>
      <p className="lead">{meta.description || "No description."}</p>
      <dl className="facts wide">
        <dt>Creator</dt>
        <dd className="mono">{m.creatorAccount ?? checksum(m.creator)}</dd>
        <dt>Model id</dt>
        <dd>{formatId(m.id)}</dd>
        <dt>Published on</dt>
        <dd>{chainLabel(config.registry, m.homeChain)}</dd>
        <dt>Lineage</dt>
        <dd>
          {parent ? (
            <>
              fork of <a href={`#/model/${parent.id}`}>{metaOf(parent).name}</a>, paying it {pct(m.upstreamBps)} of every sale
            </>
          ) : (
            "original model"
          )}
          {ancestorsOf(byId, m.id).length > 1 && ` (${ancestorsOf(byId, m.id).length} ancestors)`}
        </dd>
        <dt>Forks</dt>
        <dd>
          {forks.length} {m.forkRoyaltyBps != null && <>· each fork pays this model {pct(m.forkRoyaltyBps)} of its sales</>}
        </dd>
        <dt>DAO</dt>
        <dd>
          <a href={`#/model/${m.id}/dao`}>Members, treasury and proposals on each chain</a>
          {m.daoBps != null && m.daoBps > 0 && <> · receives {pct(m.daoBps)} of every sale</>}
        </dd>
        <dt>Content commitment</dt>
        <dd className="mono small">{m.contentCommitment ?? "(not yet indexed from its home chain)"}</dd>
      </dl>

      <section aria-labelledby="chains-h">
        <h2 id="chains-h">Prices and keys on each chain</h2>
        {rows.some((r) => r.prices.some((p) => BigInt(p.deploymentPrice || "0") > 0n)) && (
          <label className="deploy-option">
            <input type="checkbox" checked={deploy} onChange={(e) => setDeploy(e.target.checked)} /> With an Akash deployment: the
            lease service opens a lease for the key (
            {rows
              .flatMap((r) =>
                r.prices
                  .filter((p) => BigInt(p.deploymentPrice || "0") > 0n)
                  .map(
                    (p) =>
                      `${formatPrice(p.deploymentPrice, p.currency, p.hexsChain)} escrow on ${chainLabel(config.registry, r.chain.hexsChainId)}`,
                  ),
              )
              .join(", ")}
            , paid to the lease operator once the lease runs, or back to you if it fails; shown on My keys)
          </label>
        )}
        <table className="prices" aria-label="prices and keys sold per chain">
          <thead>
            <tr>
              <th scope="col">Chain</th>
              <th scope="col">Copy</th>
              <th scope="col">Keys sold</th>
              <th scope="col">Key price</th>
              <th scope="col">
                <span className="sr-only">Buy</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ chain, copy, prices }) => {
              const label = chainLabel(config.registry, chain.hexsChainId);
              return (
                <tr key={chain.hexsChainId} data-chain={chain.hexsChainId}>
                  <th scope="row">{label}</th>
                  <td>{copy ? (copy.mirrored ? "mirror" : "home") : "not mirrored yet"}</td>
                  <td>{copy?.keysSold ?? 0}</td>
                  <td>
                    {prices.length
                      ? prices.map((p) => formatPrice(p.keyPrice, p.currency, p.hexsChain)).join(", ")
                      : "not for sale here"}
                  </td>
                  <td>
                    {prices.map((p) => (
                      <button
                        key={p.currency}
                        className="button"
                        disabled={busy !== undefined}
                        onClick={() => void buy(chain.hexsChainId, p.currency, deploy && BigInt(p.deploymentPrice || "0") > 0n)}
                        // while buying, the visible "Buying…" is the name (a name must contain the visible text)
                        aria-label={
                          busy === `${chain.hexsChainId}:${p.currency}`
                            ? undefined
                            : `Buy on ${label} for ${formatPrice(p.keyPrice, p.currency, p.hexsChain)}`
                        }
                      >
                        {busy === `${chain.hexsChainId}:${p.currency}`
                          ? "Buying…"
                          : // several currencies on one chain: the buttons say which one each pays in
                            prices.length > 1
                            ? `Buy on ${label} for ${formatPrice(p.keyPrice, p.currency, p.hexsChain)}`
                            : `Buy on ${label}`}
                      </button>
                    ))}
                  </td>
                </tr>
              );
            })}
            {config.registry.chains
              .filter((c) => c.family !== "evm")
              .map((c) => {
                // a chain the indexer does not read: its sales arrive as facts its relayers deliver to the EVM hubs
                const copy = catalog.copies.find((x) => x.modelId === m.id && x.hexsChain === c.hexsChainId);
                return (
                  <tr key={c.hexsChainId} data-chain={c.hexsChainId}>
                    <th scope="row">{chainLabel(config.registry, c.hexsChainId)}</th>
                    <td>{m.homeChain === c.hexsChainId ? "home" : "mirror"}</td>
                    <td>{copy?.keysSold ?? 0}</td>
                    <td>{c.family === "cosmos" ? <CosmosPrice chain={c} id={m.id} /> : "—"}</td>
                    <td>
                      <a href="#/cosmos">Buy on the Cosmos page</a>
                    </td>
                  </tr>
                );
              })}
          </tbody>
        </table>
        {(steps.length > 0 || error) && (
          <div className="buy-panel">
            <h3>Your purchase</h3>
            {steps.length > 0 && (
              <BuyStatus
                steps={steps}
                label={labelOf((steps[0] as { chain?: string }).chain ?? "")}
                labelOf={labelOf}
                failed={error !== undefined}
                token={paying}
              />
            )}
            {error && (
              <div role="alert" className="error" data-testid="buy-error">
                <strong>{error.title}.</strong> {error.detail} <em>{error.next}</em>
              </div>
            )}
          </div>
        )}
      </section>

      <KeysForSale config={config} market={market} />
      <Offers
        config={config}
        modelId={m.id}
        market={market}
        prices={catalog.prices.filter((p) => p.modelId === m.id && p.listed)}
      />

      <section aria-labelledby="lineage-h">
        <h2 id="lineage-h">Lineage</h2>
        <p className="muted small">
          The original model at the top, forks below; each arrow shows the share of a fork's sales paid to its parent.
        </p>
        <Lineage models={catalog.models} id={m.id} />
      </section>

      <section aria-labelledby="flow-h">
        <h2 id="flow-h">Where a sale's money goes</h2>
        <p className="muted small">
          Level by level up the lineage, from the royalty shares on chain: each level's creator keeps the rest once the protocol
          fee, the DAO's share and the parent's royalty are taken; the parent's royalty is split again one level up.
        </p>
        <RoyaltyFlow config={config} models={catalog.models} id={m.id} />
        <Vaults config={config} catalog={catalog} id={m.id} />
      </section>
    </article>
  );
}

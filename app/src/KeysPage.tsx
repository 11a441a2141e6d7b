// My keys: the connected wallet's keys on every EVM chain (from the indexer), each live,
// expiring, expired and/or soul-bound; transfer one to an address, or move it to another chain
// (the SDK's key move: burned here, minted there once the hub's message is delivered); decrypt
// its SDL; see its deployment (escrow, lease, refund) and reclaim an unreported escrow.
import { useCallback, useEffect, useRef, useState } from "react";
import * as hexs from "../../sdk";
import type { EvmChain } from "../../sdk/chains";
import { NATIVE } from "../../sdk/tx";
import { chainLabel, evmChains, type AppConfig } from "./config";
import {
  formatId,
  keyState,
  loadHoldings,
  loadListings,
  loadOffers,
  metaOf,
  type Catalog,
  type Holdings,
  type HoldingRow,
  type ListingRow,
  type OfferRow,
} from "./indexer";
import { KeyOffers, ListForSale, ResaleCredit } from "./Market";
import { FlowStatus, SIGN_AND_SUBMIT, type StepDef } from "./Flow";
import { Deployment, purchaseChainOf } from "./Deployment";
import { savePending, clearPending, readProvider, watchArrival, type FlowStep } from "./pending";
import { LazyBurnerKeys } from "./BurnerLazy";
import { explain, injectedWallet, NoWalletError, useAccount, walletOn, type Explained } from "./wallet";

type DecryptState =
  | { step: "idle" }
  | { step: "asking" }
  | { step: "signing" }
  | { step: "done"; url: string; bytes: number; sha256: string }
  | { step: "failed"; error: Explained };

/**
 * Decrypt the model's SDL in the page and offer it as a download (a blob: URL made here; the
 * plaintext is never sent anywhere). The key-service client is loaded on first use.
 */
function DecryptSdl({
  h,
  locator,
  name,
  keyServiceUrl,
}: {
  h: HoldingRow;
  locator: string | null;
  name: string;
  keyServiceUrl?: string;
}) {
  const [st, setSt] = useState<DecryptState>({ step: "idle" });
  useEffect(() => () => (st.step === "done" ? URL.revokeObjectURL(st.url) : undefined), [st]);
  const id = `key-${h.hexsChain}-${h.keyId}-sdl`;
  const go = async () => {
    setSt({ step: "asking" }); // clears the last attempt's error at once
    const mod = await import("./decrypt");
    if (!keyServiceUrl) {
      setSt({
        step: "failed",
        error: {
          title: "Key service not configured",
          detail: "This deployment names no key service (keyServiceUrl in config.json).",
          next: "Ask the site's operator to configure one.",
        },
      });
      return;
    }
    if (!mod.decryptable(locator)) {
      setSt({
        step: "failed",
        error: {
          title: "No encrypted SDL",
          detail: `This model's SDL locator (${locator ?? "none"}) is not a file held by the key service.`,
          next: "Ask the model's creator where the SDL is published.",
        },
      });
      return;
    }
    setSt({ step: "asking" });
    try {
      const r = await mod.decryptInPage(injectedWallet(), keyServiceUrl, locator!, () => setSt({ step: "signing" }));
      const url = URL.createObjectURL(new Blob([new Uint8Array(r.bytes)], { type: "application/yaml" }));
      setSt({ step: "done", url, bytes: r.bytes.length, sha256: r.sha256 });
    } catch (e) {
      console.error(e);
      setSt({ step: "failed", error: mod.explainDecrypt(e, keyServiceUrl) });
    }
  };
  const busy = st.step === "asking" || st.step === "signing";
  const file = `${name.replace(/[^A-Za-z0-9._-]+/g, "-").toLowerCase()}-${h.modelId}.sdl.yaml`;
  return (
    <div className="decrypt" aria-labelledby={`${id}-h`} role="group" data-testid="decrypt">
      <span id={`${id}-h`} className="small">
        SDL
      </span>
      <button
        className="button secondary"
        disabled={busy}
        onClick={() => void go()}
        aria-label={`Decrypt the SDL with key ${h.keyId}`}
      >
        {busy ? "Decrypting…" : "Decrypt"}
      </button>
      <span role="status" className="small" data-testid="decrypt-status">
        {st.step === "asking" && "Asking the key service…"}
        {st.step === "signing" && "Sign the key service's requests in your wallet (they move no funds)…"}
        {st.step === "done" && (
          <>
            Decrypted in this page ({st.bytes} bytes, sha256 <span className="mono">{st.sha256.slice(0, 12)}…</span>).{" "}
            <a href={st.url} download={file} data-testid="sdl-download">
              Download {file}
            </a>
          </>
        )}
      </span>
      {st.step === "failed" && (
        <div role="alert" className="error" data-testid="decrypt-error">
          <strong>{st.error.title}.</strong> {st.error.detail} <em>{st.error.next}</em>
        </div>
      )}
    </div>
  );
}

const until = (exp: number, now: number) => {
  const s = exp - now;
  if (s <= 0) return `expired ${new Date(exp * 1000).toLocaleString("en-GB", { timeZone: "UTC" })} UTC`;
  if (s < 3600) return `expires in ${Math.ceil(s / 60)} min`;
  if (s < 48 * 3600) return `expires in ${Math.round(s / 3600)} h`;
  return `expires in ${Math.round(s / 86400)} days`;
};

interface Action {
  kind: "transfer" | "move";
  keyId: string;
  chain: number;
  steps: FlowStep[];
  error?: Explained;
}

function KeyRow({
  h,
  account,
  config,
  catalog,
  now,
  busy,
  listing,
  offers,
  onTransfer,
  onMove,
  onChanged,
}: {
  h: HoldingRow;
  /** Its open listing, if the account has listed it. */
  listing?: ListingRow;
  /** The open offers on it (read with the page's other keys'); undefined until first read. */
  offers?: OfferRow[];
  onChanged: () => void;
  account: string;
  config: AppConfig;
  catalog: Catalog;
  now: number;
  busy: boolean;
  onTransfer: (h: HoldingRow, to: string) => void;
  onMove: (h: HoldingRow, toChain: number) => void;
}) {
  const [to, setTo] = useState("");
  const others = evmChains(config.registry).filter((c) => c.hexsChainId !== h.hexsChain);
  const [dest, setDest] = useState(others[0]?.hexsChainId ?? 0);
  const m = catalog.models.find((x) => x.id === h.modelId);
  const name = m ? metaOf(m).name : `Model ${formatId(h.modelId)}`;
  const state = keyState(h, now);
  const exp = Number(h.expiresAt);
  const id = `key-${h.hexsChain}-${h.keyId}`;
  const boughtOn = evmChains(config.registry).find((c) => c.hexsChainId === purchaseChainOf(h.keyId));
  return (
    <li className="card key" data-key={h.keyId} data-state={state} aria-labelledby={`${id}-name`}>
      <div className="row">
        <div>
          <a id={`${id}-name`} className="card-title" href={`#/model/${h.modelId}`}>
            {name}
          </a>
          <span className={`badge state-${state}`}>{state}</span>
          {h.locked && <span className="badge soulbound">soul-bound</span>}
          {h.arrived && <span className="badge">moved here</span>}
        </div>
        <span className="muted small">key {formatId(h.keyId)}</span>
      </div>
      <p className="small muted">
        {exp === 0 ? "Never expires." : `${until(exp, now)}.`}{" "}
        {h.locked ? "Soul-bound: it stays with this account (it can move to another chain, to the same account)." : ""}
      </p>
      <div className="key-actions">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            onTransfer(h, to.trim());
          }}
        >
          <label htmlFor={`${id}-to`} className="small">
            Transfer to address
          </label>
          <input id={`${id}-to`} className="input mono" placeholder="0x…" value={to} onChange={(e) => setTo(e.target.value)} />
          <button className="button secondary" disabled={busy} aria-label={`Transfer key ${h.keyId}`}>
            Transfer
          </button>
        </form>
        {others.length > 0 && (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              onMove(h, dest);
            }}
          >
            <label htmlFor={`${id}-dest`} className="small">
              Move to chain
            </label>
            <select id={`${id}-dest`} className="input" value={dest} onChange={(e) => setDest(Number(e.target.value))}>
              {others.map((c) => (
                <option key={c.hexsChainId} value={c.hexsChainId}>
                  {chainLabel(config.registry, c.hexsChainId)}
                </option>
              ))}
            </select>
            <button className="button secondary" disabled={busy} aria-label={`Move key ${h.keyId}`}>
              Move
            </button>
          </form>
        )}
      </div>
      <ListForSale config={config} h={h} listing={listing} onChanged={onChanged} />
      <KeyOffers config={config} h={h} offers={offers} onChanged={onChanged} />
      <DecryptSdl h={h} locator={m?.sdlLocator ?? null} name={name} keyServiceUrl={config.keyServiceUrl} />
      {boughtOn && (
        <Deployment
          keyId={h.keyId}
          chain={boughtOn}
          account={account}
          akash={config.akash}
          chainName={chainLabel(config.registry, boughtOn.hexsChainId)}
        />
      )}
    </li>
  );
}

/**
 * The ERC-20s the market may owe an account in, per chain: those models are priced in there (an
 * offer is made in one of the model's currencies on its chain, a listing or an order in a token
 * the market accepts; the catalog's priced tokens cover them as far as the indexer knows).
 */
function creditTokens(catalog: Catalog): { hexsChain: number; currency: string }[] {
  const seen = new Map<string, { hexsChain: number; currency: string }>();
  for (const p of catalog.prices)
    if (p.currency.toLowerCase() !== NATIVE)
      seen.set(`${p.hexsChain}:${p.currency.toLowerCase()}`, { hexsChain: p.hexsChain, currency: p.currency.toLowerCase() });
  return [...seen.values()];
}

/** My keys: the connected wallet's keys, then the burner's (if this browser has one). */
export function KeysPage({ config, catalog }: { config: AppConfig; catalog: Catalog }) {
  return (
    <>
      <WalletKeys config={config} catalog={catalog} />
      <LazyBurnerKeys config={config} catalog={catalog} />
    </>
  );
}

function WalletKeys({ config, catalog }: { config: AppConfig; catalog: Catalog }) {
  const account = useAccount();
  const [holdings, setHoldings] = useState<Holdings>();
  const [listings, setListings] = useState<ListingRow[]>([]);
  const [offers, setOffers] = useState<OfferRow[]>();
  const [error, setError] = useState<string>();
  const [action, setAction] = useState<Action>();
  // Expiry is judged by each chain's own clock (its latest block), as the key collection does.
  const [nowOf, setNowOf] = useState<Map<number, number>>(new Map());
  const watch = useRef<AbortController>(undefined);
  useEffect(() => () => watch.current?.abort(), []);
  const chains = evmChains(config.registry);
  const label = (id: number) => chainLabel(config.registry, id);
  const labelOfName = (name: string) => label(chains.find((c) => c.name === name)?.hexsChainId ?? 0);

  const reload = useCallback(async () => {
    if (!account) return;
    try {
      const [h, mine, clocks] = await Promise.all([
        loadHoldings(config.indexerUrl, account),
        loadListings(config.indexerUrl, { seller: account }),
        Promise.all(
          evmChains(config.registry).map(async (c) => {
            const b = await readProvider(c)
              .getBlock("latest")
              .catch(() => null);
            return [c.hexsChainId, b ? b.timestamp : Math.floor(Date.now() / 1000)] as const;
          }),
        ),
      ]);
      // every key card's offers in one request (not one per card): the keys that can take one
      const offerable = h.held.filter((k) => !k.locked);
      const open = offerable.length ? await loadOffers(config.indexerUrl, { keys: offerable }) : [];
      setHoldings(h);
      setListings(mine);
      setOffers(open);
      setNowOf(new Map(clocks));
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [account, config.indexerUrl]);
  useEffect(() => {
    void reload();
    const t = setInterval(() => void reload(), 2000);
    return () => clearInterval(t);
  }, [reload]);

  async function run(kind: Action["kind"], h: HoldingRow, go: (chain: EvmChain, report: (s: FlowStep) => void) => Promise<void>) {
    const chain = chains.find((c) => c.hexsChainId === h.hexsChain)!;
    watch.current?.abort();
    const ctl = (watch.current = new AbortController());
    const report = (s: FlowStep) => {
      if (!ctl.signal.aborted) setAction((a) => (a ? { ...a, steps: [...a.steps, s] } : a));
    };
    setAction({ kind, keyId: h.keyId, chain: h.hexsChain, steps: [] });
    try {
      await go(chain, report);
    } catch (e) {
      console.error(e);
      setAction((a) => (a ? { ...a, error: explain(e, label(h.hexsChain), kind) } : a));
    }
    void reload();
  }

  const transfer = (h: HoldingRow, to: string) =>
    run("transfer", h, async (chain, report) => {
      const eth = injectedWallet();
      if (!eth) throw new NoWalletError();
      const { c, signer } = await walletOn(eth, chain, (s) => {
        report(s);
        if (s.step === "submitted")
          savePending({
            kind: "transfer",
            chain: chain.hexsChainId,
            txHash: s.txHash,
            modelId: h.modelId,
            keyId: h.keyId,
            to,
            startedAt: Date.now(),
          });
      });
      const r = await hexs.transferKey(c, signer, { modelId: BigInt(h.modelId), keyId: BigInt(h.keyId), to });
      clearPending(r.txHash);
      report({ step: "confirmed", txHash: r.txHash, keyId: r.keyId, buyer: r.to });
    });

  const move = (h: HoldingRow, toChain: number) =>
    run("move", h, async (chain, report) => {
      const eth = injectedWallet();
      if (!eth) throw new NoWalletError();
      const { c, signer } = await walletOn(eth, chain, (s) => {
        report(s);
        if (s.step === "submitted")
          savePending({
            kind: "move",
            chain: chain.hexsChainId,
            txHash: s.txHash,
            modelId: h.modelId,
            keyId: h.keyId,
            toChain,
            startedAt: Date.now(),
          });
      });
      const r = await hexs.moveKey(c, signer, { modelId: BigInt(h.modelId), keyId: BigInt(h.keyId), toChain });
      report({ step: "left", txHash: r.txHash });
      void reload();
      const dest = chains.find((x) => x.hexsChainId === toChain)!;
      await watchArrival(dest, BigInt(h.modelId), BigInt(h.keyId), report, watch.current?.signal);
      clearPending(r.txHash);
    });

  const defs = (a: Action): StepDef[] => {
    const from = label(a.chain);
    const common: StepDef[] = [
      {
        key: "switching",
        todo: `Wallet on ${from}`,
        text: (_s, done) => (done ? `Wallet on ${from}` : `Switching your wallet to ${from}`),
      },
      {
        key: "checking",
        todo: "Checks passed",
        text: (_s, done) => (done ? "Checks passed" : "Checking the key and your funds"),
      },
      ...SIGN_AND_SUBMIT,
    ];
    if (a.kind === "transfer")
      return [
        ...common,
        {
          key: "confirmed",
          todo: "Confirmed on chain",
          outcome: true,
          text: (s) => `Confirmed: key ${formatId(a.keyId)} now belongs to ${(s as { buyer: string }).buyer}`,
        },
      ];
    return [
      ...common,
      { key: "left", todo: `Left ${from}`, outcome: true, text: () => `Left ${from}: on its way` },
      {
        key: "arrived",
        todo: "Arrived on the destination",
        outcome: true,
        text: (s) => {
          const x = s as { chain: string; seconds: number };
          return `Arrived on ${labelOfName(x.chain)} in ${x.seconds.toFixed(1)} s`;
        },
      },
    ];
  };

  if (!injectedWallet())
    return (
      <p role="alert" className="error">
        No wallet found: install or unlock an EIP-1193 wallet (such as MetaMask) to see your keys.
      </p>
    );
  if (!account)
    return (
      <section>
        <h1>My keys</h1>
        <p>Connect your wallet (top right) to see the keys it holds on every chain.</p>
      </section>
    );
  const byChain = chains.map((c) => ({ chain: c, keys: holdings?.held.filter((h) => h.hexsChain === c.hexsChainId) ?? [] }));
  return (
    <section aria-labelledby="keys-h">
      <h1 id="keys-h">My keys</h1>
      <p className="lead">
        Keys held by <span className="mono">{account}</span> on every chain. A key opens its model's SDL; move it to the chain
        where you want to use it.
      </p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {action && (
        <div className="buy-panel" data-testid="key-action">
          <h2>
            {action.kind === "transfer" ? "Transfer" : "Move"} of key {formatId(action.keyId)}
          </h2>
          <FlowStatus
            steps={action.steps}
            defs={defs(action)}
            failed={action.error !== undefined}
            label={`${action.kind} progress`}
          />
          {action.error && (
            <div role="alert" className="error" data-testid="key-error">
              <strong>{action.error.title}.</strong> {action.error.detail} <em>{action.error.next}</em>
            </div>
          )}
        </div>
      )}
      {!holdings ? (
        <p className="muted">Loading your keys…</p>
      ) : (
        <>
          {byChain.map(({ chain, keys }) => (
            <section key={chain.hexsChainId} aria-labelledby={`chain-${chain.hexsChainId}-h`} data-chain={chain.hexsChainId}>
              <h2 id={`chain-${chain.hexsChainId}-h`}>
                {label(chain.hexsChainId)}{" "}
                <span className="muted small">
                  ({keys.length} key{keys.length === 1 ? "" : "s"})
                </span>
              </h2>
              {keys.length ? (
                <ul className="cards keys" aria-label={`keys on ${label(chain.hexsChainId)}`}>
                  {keys.map((h) => (
                    <KeyRow
                      key={h.keyId}
                      h={h}
                      account={account}
                      config={config}
                      catalog={catalog}
                      now={nowOf.get(h.hexsChain) ?? Math.floor(Date.now() / 1000)}
                      busy={
                        action !== undefined &&
                        !action.error &&
                        !action.steps.some((s) => s.step === "confirmed" || s.step === "arrived")
                      }
                      listing={listings.find((l) => l.keyId === h.keyId && l.hexsChain === h.hexsChain)}
                      offers={offers?.filter((o) => o.keyId === h.keyId && o.hexsChain === h.hexsChain)}
                      onChanged={() => void reload()}
                      onTransfer={(x, to) => void transfer(x, to)}
                      onMove={(x, c) => void move(x, c)}
                    />
                  ))}
                </ul>
              ) : (
                <p className="muted">No keys on {label(chain.hexsChainId)}.</p>
              )}
            </section>
          ))}
          <ResaleCredit config={config} account={account} tokens={creditTokens(catalog)} />
          {holdings.moving.length > 0 && (
            <section aria-labelledby="moving-h">
              <h2 id="moving-h">On their way</h2>
              <ul aria-label="keys moving">
                {holdings.moving.map((h) => (
                  <li key={h.keyId}>
                    Key {formatId(h.keyId)} left {label(h.hexsChain)}; it appears on its destination once the relay delivers the
                    move.
                  </li>
                ))}
              </ul>
            </section>
          )}
        </>
      )}
    </section>
  );
}

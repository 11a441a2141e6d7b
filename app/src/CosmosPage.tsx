// The Cosmos chains of the deployment: pick one, connect a Keplr-compatible wallet, see the
// contract's models with their prices (read from the chain itself, not the EVM indexer), buy a
// key, fork a model. cosmjs and the SDK's CosmWasm client load only once a chain is picked.
import { useState } from "react";
import type { AppConfig } from "./config";
import { chainLabel } from "./config";
import { formatId, metaOf, type Catalog } from "./indexer";
import { setCosmosAccount } from "./cosmosAccount";
import { CosmosResale } from "./CosmosResale";
import { explain, type Explained } from "./wallet";
import { CosmosCreator, type Run } from "./CosmosCreator";
import { keyServiceChainOf, type CosmosChain } from "../../sdk/chains";
import type { Model } from "../../sdk/cosmwasm/Hexs.types";

type CosmosModule = typeof import("./cosmos");
type Session = { mod: CosmosModule; h: import("./cosmos").CosmosHexs; models: Model[]; balance: bigint };
type Step = { step: "connected" | "checking" | "signing" | "submitted" | "confirmed"; text?: string };

const STEPS: { key: Step["step"]; todo: string }[] = [
  { key: "connected", todo: "Wallet connected" },
  { key: "checking", todo: "Funds and price checked" },
  { key: "signing", todo: "Waiting for your signature" },
  { key: "submitted", todo: "Transaction submitted" },
  { key: "confirmed", todo: "Confirmed on chain" },
];

function Status({ steps, failed, label }: { steps: Step[]; failed: boolean; label: string }) {
  const last = steps.at(-1);
  return (
    <div role="status" aria-live="polite" aria-label={label} data-step={last?.step}>
      <ol className="steps">
        {STEPS.map((d) => {
          const s = steps.findLast((x) => x.step === d.key);
          const open = s === last && d.key !== "confirmed" && d.key !== "connected";
          const state = !s ? "todo" : open ? (failed ? "failed" : "active") : "done";
          return (
            <li key={d.key} className={`step ${state}`} data-testid={`step-${d.key}`}>
              <span className="tick" aria-hidden="true">
                {{ done: "✓", active: "…", failed: "✗", todo: "○" }[state]}
              </span>
              {s?.text ?? (d.key === "signing" && state === "done" ? "Signed in your wallet" : d.todo)}
            </li>
          );
        })}
      </ol>
    </div>
  );
}

/**
 * A fork registered on chain whose grant to its key holders has not been made (the key service
 * refused or was unreachable): only its owner can decrypt its SDL until it is. Kept in the page's
 * storage, so a reload or a failed grant offers "Grant again" instead of losing it.
 */
type Ungranted = { chainId: number; modelId: string; locator: string; sender: string };
const UNGRANTED = "hexs.cosmos.ungranted";

function loadUngranted(): Ungranted | undefined {
  try {
    return (JSON.parse(localStorage.getItem(UNGRANTED) ?? "null") as Ungranted | null) ?? undefined;
  } catch {
    return undefined;
  }
}

/** The fork is on chain; granting its key holders failed (the cause is the key service's answer). */
class ForkNotGrantedError extends Error {
  constructor(
    readonly fork: Ungranted,
    readonly reason: unknown,
  ) {
    super(`fork ${fork.modelId} not granted: ${reason instanceof Error ? reason.message : String(reason)}`);
  }
}

/**
 * A model's name: from its metadata in the EVM indexer's catalog (every model is mirrored to the
 * EVM chains, with its metadata when its home chain carries one); otherwise its serial and home chain.
 */
export function cosmosModelName(config: AppConfig, catalog: Catalog | undefined, id: number | string): string {
  const m = catalog?.models.find((x) => x.id === String(id));
  const meta = m && metaOf(m);
  if (meta && m.metadataUri) return meta.name;
  const n = BigInt(id);
  return `Model ${n & 0xffffffffn} from ${chainLabel(config.registry, Number(n >> 32n))}`;
}

export function CosmosPage({ config, catalog }: { config: AppConfig; catalog?: Catalog }) {
  const chains = config.registry.chains.filter((c): c is CosmosChain => c.family === "cosmos");
  const [chainId, setChainId] = useState(chains[0]?.hexsChainId ?? 0);
  const [session, setSession] = useState<Session>();
  const [steps, setSteps] = useState<Step[]>([]);
  const [what, setWhat] = useState<string>();
  const [error, setError] = useState<Explained>();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string>();
  const [parent, setParent] = useState("");
  const [sdl, setSdl] = useState("");
  const [imageDigest, setImageDigest] = useState("");
  const [price, setPrice] = useState("");
  const [royalty, setRoyalty] = useState("10");
  const [ungranted, setUngrantedState] = useState<Ungranted | undefined>(loadUngranted);
  const chain = chains.find((c) => c.hexsChainId === chainId);
  const label = chain ? chainLabel(config.registry, chain.hexsChainId) : "";
  const nameOf = (id: number | string) => cosmosModelName(config, catalog, id);

  if (chains.length === 0) return <p className="muted">This deployment names no Cosmos chain.</p>;

  const setUngranted = (u: Ungranted | undefined) => {
    if (u) localStorage.setItem(UNGRANTED, JSON.stringify(u));
    else localStorage.removeItem(UNGRANTED);
    setUngrantedState(u);
  };

  const fail = (e: unknown, mod?: CosmosModule, action = "purchase", where = label) => {
    console.error(e);
    if (e instanceof ForkNotGrantedError)
      setError({
        title: "Fork registered, but its key holders cannot decrypt it yet",
        detail: `${nameOf(e.fork.modelId)} (model ${formatId(e.fork.modelId)}) is on ${label} with its sealed SDL, but the key service did not take the access rule: ${e.reason instanceof Error ? e.reason.message : String(e.reason)}. Until it does, only you can decrypt the SDL.`,
        next: "Use “Grant key holders access again” below when the key service answers; your wallet signs its challenge again. Nothing is paid again.",
      });
    else if (mod && e instanceof mod.NoKeplrError)
      setError({
        title: "No Keplr wallet found",
        detail: "This page needs a Keplr-compatible browser wallet (window.keplr) to sign on Cosmos chains.",
        next: "Install or unlock Keplr, then reload the page.",
      });
    else if (mod && e instanceof mod.ChainNotAddedError)
      setError({
        title: "Chain not added to your wallet",
        detail: `Your wallet did not add ${label} (${e.chainId}): ${e.reason}. It cannot connect to a chain it does not know; nothing was signed or sent.`,
        next: `Connect again and approve adding ${label}, or add it in your wallet's settings.`,
      });
    // sealing's explanations load with the seal chunk (the route itself stays one chunk)
    else if (what?.startsWith("Fork")) void import("./explainSeal").then((m) => setError(m.explainPublish(e, label, "fork")));
    else setError(explain(e, where, action));
  };

  /** Load cosmjs (first time), connect the wallet, read the contract's models and the balance. */
  async function connect(): Promise<Session | undefined> {
    let mod: CosmosModule | undefined;
    try {
      mod = await import("./cosmos");
      const h = await mod.connectKeplr(chain!, label);
      const s = { mod, h, models: await mod.cosmosModels(h), balance: await mod.cosmosBalance(h) };
      setSession(s);
      setCosmosAccount({ address: h.sender, chain: label });
      setParent((p) => p || String(s.models[0]?.id ?? ""));
      return s;
    } catch (e) {
      fail(e, mod);
      return undefined;
    }
  }

  async function run(title: string, action: (s: Session, on: (st: import("./cosmos").CosmosStep) => void) => Promise<string>) {
    setError(undefined);
    setDone(undefined);
    setWhat(title);
    setBusy(true);
    setSteps([]);
    const s = session ?? (await connect());
    if (!s) {
      setBusy(false);
      return;
    }
    setSteps([{ step: "connected", text: `Connected: ${s.h.sender}` }]);
    try {
      const text = await action(s, (st) =>
        setSteps((prev) => [
          ...prev,
          st.step === "submitted"
            ? { step: st.step, text: `Transaction submitted: ${st.txHash.slice(0, 10)}…` }
            : st.step === "confirmed"
              ? { step: st.step, text: `Confirmed in block ${st.height}` }
              : { step: st.step },
        ]),
      );
      setDone(text);
      // fresh prices, keys sold and balance
      setSession({ ...s, models: await s.mod.cosmosModels(s.h), balance: await s.mod.cosmosBalance(s.h) });
    } catch (e) {
      fail(e, s.mod);
    } finally {
      setBusy(false);
    }
  }

  /** The creator's controls (CosmosCreator): their own steps, errors on the chain they act on. */
  const runCreator: Run = async (title, go, o) => {
    setError(undefined);
    setDone(undefined);
    setWhat(title);
    setBusy(true);
    const s = session!;
    setSteps([{ step: "connected", text: `Connected: ${s.h.sender}` }]);
    try {
      const text = await go((step, text) => setSteps((prev) => [...prev, { step, ...(text ? { text } : {}) }]));
      setDone(text);
      o.after?.();
    } catch (e) {
      fail(e, s.mod, o.action, o.where ?? label);
    } finally {
      setBusy(false);
    }
  };

  /** The EVM chains where the catalog has a listed price for the model (a mirrored model is often sold only there). */
  const pricedOn = (id: number | string) => [
    ...new Set(
      (catalog?.prices ?? [])
        .filter((p) => p.modelId === String(id) && p.listed && BigInt(p.keyPrice) > 0n)
        .map((p) => p.hexsChain),
    ),
  ];

  const buy = (m: Model) =>
    run(`Buy a key of ${nameOf(m.id)}`, async (s, on) => {
      const r = await s.mod.cosmosBuyKey(s.h, BigInt(m.id), on);
      setSteps((prev) => [...prev, { step: "confirmed", text: `Confirmed: key ${formatId(r.keyId)} is yours` }]);
      return `Bought key ${r.keyId} of ${nameOf(String(r.modelId))} (model ${formatId(r.modelId)}) for ${s.mod.formatCoin(r.price, s.h.denom)} (fee ${s.mod.formatCoin(r.fee, s.h.denom)}).`;
    });

  /**
   * Fork with an SDL sealed here, as the EVM studio publishes: validated in the page (a bad SDL is
   * refused before the wallet is asked for anything), encrypted here with the key split over the
   * key service's shard stores (the wallet signs their challenges, ADR-36), the fork registered
   * with the sealed locator and its content commitment, then holders of the fork's keys on this
   * chain (the contract's has_access) may decrypt it. Only ciphertext and sealed shards leave.
   */
  async function fork() {
    const title = `Fork ${parent ? nameOf(parent) : "a model"}`;
    let seal: typeof import("./seal");
    let valid: import("../../sdk/keys/seal").ValidSdl;
    try {
      seal = await import("./seal");
      valid = seal.checkForkInPage({ keyServiceUrl: config.keyServiceUrl, chain, sdl, imageDigest: imageDigest.trim() });
    } catch (e) {
      setDone(undefined);
      setSteps([]);
      setWhat(title);
      const { explainPublish } = await import("./explainSeal");
      setError(explainPublish(e, label, "fork"));
      return;
    }
    const keyServiceUrl = config.keyServiceUrl!;
    await run(title, async (s, on) => {
      const price_ = s.mod.parseCoin(price, s.h.denom);
      const owner = s.mod.cosmosKeyHolder(s.h);
      const sealed = await seal.sealInPage(keyServiceUrl, owner, sdl, imageDigest.trim() || undefined);
      setSteps((prev) => [
        ...prev,
        {
          step: "checking",
          text: `SDL checked (${valid.services.join(", ")}) and encrypted in the page: ${sealed.upload.encryptedBytes} bytes stored as ${sealed.upload.cid.slice(0, 16)}…`,
        },
      ]);
      const r = await s.mod.cosmosFork(
        s.h,
        {
          parent: BigInt(parent || 0),
          sdlUri: sealed.upload.locator,
          content: sealed.contentCommitment,
          price: price_,
          forkRoyaltyBps: Math.round(Number(royalty || "0") * 100),
        },
        on,
      );
      const fork = { chainId, modelId: String(r.modelId), locator: sealed.upload.locator, sender: s.h.sender };
      setUngranted(fork); // until the grant is made: a reload or a refusal offers it again
      setSdl("");
      await grantHolders(s, fork);
      return `Forked ${nameOf(parent)} (model ${formatId(parent)}) as model ${formatId(r.modelId)} on ${label}. Its SDL was encrypted in this page; holders of its keys on ${label} may decrypt it.`;
    });
  }

  /** Let holders of the fork's keys on this chain decrypt its SDL (the contract's has_access). */
  async function grantHolders(s: Session, fork: Ungranted) {
    try {
      const seal = await import("./seal");
      await seal.grantWhereInPage(config.keyServiceUrl!, s.mod.cosmosKeyHolder(s.h), fork.locator, {
        cosmwasm: [{ chain: keyServiceChainOf(chain!), contract: chain!.contract!, modelId: fork.modelId }],
      });
    } catch (e) {
      throw new ForkNotGrantedError(fork, e);
    }
    setUngranted(undefined);
  }

  const grantAgain = (fork: Ungranted) =>
    run(`Grant access to ${nameOf(fork.modelId)}`, async (s) => {
      if (s.h.sender !== fork.sender)
        throw new Error(`the fork was made by ${fork.sender}; connect that account in your wallet to grant its access`);
      await grantHolders(s, fork);
      return `Holders of ${nameOf(fork.modelId)}'s keys (model ${formatId(fork.modelId)}) on ${label} may now decrypt its SDL.`;
    });

  return (
    <article>
      <h1>Cosmos chains</h1>
      <p className="lead">
        Keys and forks on the Hexs CosmWasm contract, signed with a Keplr-compatible wallet. Prices and keys sold are read from
        the chain.
      </p>
      <div className="row">
        <label>
          Cosmos chain{" "}
          <select
            className="input"
            value={chainId}
            onChange={(e) => {
              setChainId(Number(e.target.value));
              setSession(undefined);
              setCosmosAccount(undefined);
            }}
          >
            {chains.map((c) => (
              <option key={c.hexsChainId} value={c.hexsChainId}>
                {chainLabel(config.registry, c.hexsChainId)}
              </option>
            ))}
          </select>
        </label>{" "}
        <button className="button" disabled={busy} onClick={() => void (setError(undefined), setSteps([]), connect())}>
          {session ? "Reconnect Keplr" : `Connect Keplr on ${label}`}
        </button>
      </div>
      {session && (
        <>
          <p aria-label="connected Cosmos account">
            <span className="dot" aria-hidden="true" /> <span className="mono">{session.h.sender}</span> · balance{" "}
            {session.mod.formatCoin(session.balance, session.h.denom)}
          </p>
          <section aria-labelledby="cosmos-models-h">
            <h2 id="cosmos-models-h">Models on {label}</h2>
            <table className="prices">
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col">Lineage</th>
                  <th scope="col">Keys sold</th>
                  <th scope="col">Key price</th>
                  <th scope="col">
                    <span className="sr-only">Buy</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {session.models.map((m) => {
                  const shown = session.mod.formatCoin(m.price, session.h.denom);
                  // a mirrored model has no price here until its creator sets one: never "Buy … for 0"
                  const forSale = BigInt(m.price) > 0n;
                  const elsewhere = forSale ? [] : pricedOn(m.id);
                  return (
                    <tr key={m.id} data-model={m.id}>
                      <th scope="row">
                        {nameOf(m.id)} <span className="muted small">{formatId(String(m.id))}</span>
                      </th>
                      <td>{m.parent ? `fork of ${nameOf(m.parent)}` : "original model"}</td>
                      <td>{m.minted}</td>
                      <td>{m.retired ? "retired" : forSale ? shown : `not for sale on ${label}`}</td>
                      <td>
                        {!m.retired && forSale && (
                          <button className="button" disabled={busy} onClick={() => void buy(m)}>
                            Buy on {label} for {shown}
                          </button>
                        )}
                        {!m.retired && !forSale && (
                          <span className="small" data-testid="priced-elsewhere">
                            {elsewhere.length ? (
                              <>
                                Priced on {elsewhere.map((c) => chainLabel(config.registry, c)).join(", ")}:{" "}
                                <a href={`#/model/${m.id}`}>buy on its model page</a>
                              </>
                            ) : (
                              "Not priced on any chain yet"
                            )}
                          </span>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </section>
          <CosmosCreator config={config} session={session} label={label} busy={busy} run={runCreator} nameOf={nameOf} />
          <CosmosResale
            h={session.h}
            label={label}
            models={session.models}
            nameOf={nameOf}
            formatCoin={session.mod.formatCoin}
            parseCoin={session.mod.parseCoin}
            onChanged={() =>
              void session.mod.cosmosBalance(session.h).then((balance) => setSession((s) => s && { ...s, balance }))
            }
          />
          <section className="card" aria-labelledby="cosmos-fork-h">
            <h2 id="cosmos-fork-h">Fork a model on {label}</h2>
            {ungranted?.chainId === chainId && (
              <p className="warning" data-testid="cosmos-ungranted">
                {nameOf(ungranted.modelId)} (model {formatId(ungranted.modelId)}) is registered, but holders of its keys cannot
                decrypt its SDL yet.{" "}
                <button className="button" disabled={busy} onClick={() => void grantAgain(ungranted)}>
                  Grant key holders access again
                </button>
              </p>
            )}
            <form
              className="publish-form"
              aria-label={`Fork a model on ${label}`}
              onSubmit={(e) => {
                e.preventDefault();
                void fork();
              }}
            >
              <label>
                Parent model
                <select className="input" value={parent} onChange={(e) => setParent(e.target.value)}>
                  {session.models
                    .filter((m) => m.policy.forkable && !m.retired)
                    .map((m) => (
                      <option key={m.id} value={String(m.id)}>
                        {nameOf(m.id)} · {formatId(String(m.id))}
                      </option>
                    ))}
                </select>
              </label>
              <label>
                The fork&apos;s SDL (validated and encrypted in this page; only ciphertext leaves it)
                <textarea
                  className="input mono"
                  rows={8}
                  value={sdl}
                  onChange={(e) => setSdl(e.target.value)}
                  spellCheck={false}
                />
              </label>
              <label>
                Or upload the SDL file
                <input
                  className="input"
                  type="file"
                  accept=".yaml,.yml,text/yaml,application/yaml"
                  onChange={(e) => {
                    const f = e.target.files?.[0];
                    if (f) void f.text().then(setSdl);
                  }}
                />
              </label>
              <label>
                Image digest (only if the SDL&apos;s images are not pinned by @sha256)
                <input
                  className="input mono"
                  value={imageDigest}
                  placeholder="sha256:…"
                  onChange={(e) => setImageDigest(e.target.value)}
                />
              </label>
              <label>
                Key price ({session.mod.formatCoin(0n, session.h.denom).split(" ")[1]})
                <input className="input" inputMode="decimal" value={price} onChange={(e) => setPrice(e.target.value)} />
              </label>
              <label>
                Royalty share forks of this fork pay it (%)
                <input className="input" inputMode="decimal" value={royalty} onChange={(e) => setRoyalty(e.target.value)} />
              </label>
              <button className="button" disabled={busy}>
                Fork on {label}
              </button>
            </form>
          </section>
        </>
      )}
      {(steps.length > 0 || error || done) && (
        <div className="buy-panel">
          <h3>{what ?? "Your wallet"}</h3>
          {steps.length > 0 && <Status steps={steps} failed={error !== undefined} label="Cosmos transaction progress" />}
          {done && (
            <p role="status" data-testid="cosmos-done">
              {done}
            </p>
          )}
          {error && (
            <div role="alert" className="error" data-testid="buy-error">
              <strong>{error.title}.</strong> {error.detail} <em>{error.next}</em>
            </div>
          )}
        </div>
      )}
    </article>
  );
}

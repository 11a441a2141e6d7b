// Creator studio (EVM chains): for each model the connected wallet created, its prices per chain
// and currency (set one: native coin or an ERC-20 token), and the earnings per chain and
// currency — what sits in the models' vaults until it is settled, and what is credited to the
// creator and can be claimed — with settle and claim, all through the SDK.
import { useCallback, useEffect, useState } from "react";
import { isAddress, parseUnits } from "ethers";
import * as hexs from "../../sdk";
import type { EvmChain } from "../../sdk/chains";
import { NATIVE } from "../../sdk/tx";
import { chainLabel, evmChains, type AppConfig } from "./config";
import { currencyOf, formatAmount, useCurrencies } from "./currency";
import { FlowStatus, TX_STEPS } from "./Flow";
import { PublishForm } from "./PublishForm";
import { RemotePrices, type RemotePriceOrder } from "./RemotePrices";
import { formatId, metaOf, type Catalog, type ModelRow } from "./indexer";
import { readProvider, type FlowStep } from "./pending";
import { explain, injectedWallet, NoWalletError, useAccount, walletOn, type Explained } from "./wallet";

interface Earning {
  chain: EvmChain;
  currency: string;
  /** Sum over the creator's models of what their vaults hold (unsettled). */
  unsettled: bigint;
  /** What the market credits to the creator (claimable). */
  credited: bigint;
}

interface Job {
  label: string;
  chain: number;
  steps: FlowStep[];
  done?: string;
  error?: Explained;
}

/** Earnings of `me` on each chain, in native and in every currency one of its models is priced in there. */
async function loadEarnings(chains: EvmChain[], catalog: Catalog, mine: ModelRow[], me: string): Promise<Earning[]> {
  const out: Earning[] = [];
  for (const chain of chains) {
    const c = hexs.connectContracts(chain, readProvider(chain));
    const ids = mine.filter((m) => catalog.copies.some((x) => x.modelId === m.id && x.hexsChain === chain.hexsChainId));
    const currencies = new Set([NATIVE]);
    for (const p of catalog.prices)
      if (p.hexsChain === chain.hexsChainId && ids.some((m) => m.id === p.modelId)) currencies.add(p.currency.toLowerCase());
    for (const currency of currencies) {
      const vaults = await Promise.all(ids.map((m) => c.market.vaultOf(BigInt(m.id), currency)));
      out.push({
        chain,
        currency,
        unsettled: vaults.reduce((a, b) => a + b, 0n),
        credited: await c.market.creditOf(me, currency),
      });
    }
  }
  return out;
}

function PriceForm({
  chains,
  config,
  busy,
  onSet,
  model,
}: {
  chains: EvmChain[];
  config: AppConfig;
  busy: boolean;
  model: ModelRow;
  onSet: (chain: EvmChain, currency: string, price: string) => void;
}) {
  const [chain, setChain] = useState(chains[0]?.hexsChainId ?? 0);
  const [currency, setCurrency] = useState("native");
  const [price, setPrice] = useState("");
  const id = `price-${model.id}`;
  return (
    <form
      className="price-form"
      aria-label={`Set a price for ${metaOf(model).name}`}
      onSubmit={(e) => {
        e.preventDefault();
        onSet(
          chains.find((c) => c.hexsChainId === chain)!,
          currency.trim(),
          price.trim(),
        );
      }}
    >
      <label htmlFor={`${id}-chain`}>
        Chain
        <select id={`${id}-chain`} className="input" value={chain} onChange={(e) => setChain(Number(e.target.value))}>
          {chains.map((c) => (
            <option key={c.hexsChainId} value={c.hexsChainId}>
              {chainLabel(config.registry, c.hexsChainId)}
            </option>
          ))}
        </select>
      </label>
      <label htmlFor={`${id}-currency`}>
        Currency (native, or an ERC-20 token address)
        <input id={`${id}-currency`} className="input mono" value={currency} onChange={(e) => setCurrency(e.target.value)} />
      </label>
      <label htmlFor={`${id}-amount`}>
        Key price
        <input
          id={`${id}-amount`}
          className="input"
          inputMode="decimal"
          placeholder="0.01"
          value={price}
          onChange={(e) => setPrice(e.target.value)}
        />
      </label>
      <button className="button" disabled={busy}>
        Set price
      </button>
    </form>
  );
}

const PLUGIN_NAMES: Record<hexs.KnownPlugin, string> = {
  soulbound: "Soul-bound keys",
  allowlist: "Allowlist",
  "supply-cap": "Supply cap",
  expiry: "Keys expire",
};

/** A model's key plugins on its home chain (the other chains follow its key policy): attach and detach. */
function PluginPanel({
  model,
  chain,
  homeLabel,
  busy,
  version,
  onAttach,
  onDetach,
}: {
  model: ModelRow;
  chain: EvmChain;
  homeLabel: string;
  busy: boolean;
  version: number;
  onAttach: (kind: hexs.KnownPlugin, value: string) => void;
  onDetach: (kind: hexs.KnownPlugin) => void;
}) {
  const [attached, setAttached] = useState<hexs.KnownPlugin[]>();
  const [kind, setKind] = useState<hexs.KnownPlugin>("supply-cap");
  const [value, setValue] = useState("");
  useEffect(() => {
    const c = hexs.connectContracts(chain, readProvider(chain));
    void (async () => {
      const list = await (await hexs.keysOf(c, BigInt(model.id))).plugins();
      const named: hexs.KnownPlugin[] = [];
      for (const k of hexs.KNOWN_PLUGINS) if (list.includes(await hexs.pluginAddress(c, { kind: k }))) named.push(k);
      setAttached(named);
    })().catch(() => setAttached(undefined));
  }, [model.id, chain, version]);
  const id = `plugins-${model.id}`;
  const hint: Record<hexs.KnownPlugin, string> = {
    soulbound: "nothing to enter",
    allowlist: "addresses, one per line",
    "supply-cap": "number of keys",
    expiry: "days",
  };
  return (
    <div className="plugins">
      <h4>Key plugins (set on {homeLabel}, where the model was published; its copies follow)</h4>
      {attached === undefined ? (
        <p className="muted small">Reading the plugins…</p>
      ) : attached.length === 0 ? (
        <p className="muted small">None attached.</p>
      ) : (
        <ul aria-label={`plugins of ${metaOf(model).name}`}>
          {attached.map((k) => (
            <li key={k} data-plugin={k}>
              {PLUGIN_NAMES[k]}{" "}
              <button
                className="button secondary"
                disabled={busy}
                onClick={() => onDetach(k)}
                aria-label={`Detach ${PLUGIN_NAMES[k]} from ${metaOf(model).name}`}
              >
                Detach
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        className="price-form"
        aria-label={`Attach a plugin to ${metaOf(model).name}`}
        onSubmit={(e) => {
          e.preventDefault();
          onAttach(kind, value.trim());
        }}
      >
        <label htmlFor={`${id}-kind`}>
          Plugin
          <select id={`${id}-kind`} className="input" value={kind} onChange={(e) => setKind(e.target.value as hexs.KnownPlugin)}>
            {hexs.KNOWN_PLUGINS.map((k) => (
              <option key={k} value={k}>
                {PLUGIN_NAMES[k]}
              </option>
            ))}
          </select>
        </label>
        {kind !== "soulbound" && (
          <label htmlFor={`${id}-value`}>
            Setting ({hint[kind]})
            {kind === "allowlist" ? (
              <textarea
                id={`${id}-value`}
                className="input mono"
                rows={2}
                value={value}
                onChange={(e) => setValue(e.target.value)}
              />
            ) : (
              <input id={`${id}-value`} className="input" value={value} onChange={(e) => setValue(e.target.value)} />
            )}
          </label>
        )}
        <button className="button" disabled={busy}>
          Attach
        </button>
      </form>
    </div>
  );
}

export function StudioPage({ config, catalog, onChanged }: { config: AppConfig; catalog: Catalog; onChanged: () => void }) {
  const account = useAccount();
  const chains = evmChains(config.registry);
  const label = (id: number) => chainLabel(config.registry, id);
  const mine = account ? catalog.models.filter((m) => m.creator.toLowerCase() === account.toLowerCase()) : [];
  const [earnings, setEarnings] = useState<Earning[]>();
  const [job, setJob] = useState<Job>();
  const [loadError, setLoadError] = useState<string>();
  const cur = useCurrencies(chains, [
    ...catalog.prices.filter((p) => mine.some((m) => m.id === p.modelId)),
    ...(earnings ?? []).map((e) => ({ hexsChain: e.chain.hexsChainId, currency: e.currency })),
  ]);
  const mineKey = mine.map((m) => m.id).join(",");

  const reload = useCallback(async () => {
    if (!account) return;
    try {
      setEarnings(await loadEarnings(chains, catalog, mine, account));
      setLoadError(undefined);
    } catch (e) {
      setLoadError(`earnings could not be read from the chains: ${hexs.messageOf(e)}`);
    }
    // the catalog object changes on every refresh: what matters of it is in mineKey and the prices' count
  }, [account, mineKey, catalog.prices.length]);
  useEffect(() => {
    void reload();
    const t = setInterval(() => void reload(), 4000);
    return () => clearInterval(t);
  }, [reload]);

  async function run(
    what: string,
    chain: EvmChain,
    go: (c: hexs.HexsContracts, signer: import("ethers").Signer) => Promise<string>,
  ) {
    setJob({ label: what, chain: chain.hexsChainId, steps: [] });
    const report = (s: FlowStep) => setJob((j) => (j ? { ...j, steps: [...j.steps, s] } : j));
    try {
      const eth = injectedWallet();
      if (!eth) throw new NoWalletError();
      const { c, signer } = await walletOn(eth, chain, report);
      const done = await go(c, signer);
      report({ step: "confirmed", txHash: "", keyId: 0n, buyer: "" });
      setJob((j) => (j ? { ...j, done } : j));
    } catch (e) {
      console.error(e);
      setJob((j) => (j ? { ...j, error: explain(e, label(chain.hexsChainId), what.split(" ")[0].toLowerCase()) } : j));
    }
    onChanged();
    void reload();
  }

  const [pluginVersion, setPluginVersion] = useState(0);
  const attachPlugin = (m: ModelRow, chain: EvmChain) => (kind: hexs.KnownPlugin, value: string) =>
    run(`Attaching ${PLUGIN_NAMES[kind]} to ${metaOf(m).name}`, chain, async (c, signer) => {
      let spec: hexs.PluginSpec;
      if (kind === "soulbound") spec = { kind };
      else if (kind === "allowlist") spec = { kind, merkleRoot: hexs.allowlistRoot(value.split(/[\s,]+/).filter(Boolean)) };
      else if (kind === "supply-cap") {
        if (!/^\d+$/.test(value) || BigInt(value) === 0n)
          throw new hexs.InvalidParamsError(`bad supply cap '${value}': a whole number of keys, at least 1`);
        spec = { kind, cap: BigInt(value) };
      } else {
        if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0)
          throw new hexs.InvalidParamsError(`bad expiry '${value}': a number of days, such as 30`);
        spec = { kind, seconds: BigInt(Math.round(Number(value) * 86400)) };
      }
      // the list itself goes into the model's metadata too (checked before anything is signed), or
      // its buyers' pages could not prove membership: only the root is on chain
      const listed = kind === "allowlist" ? value.split(/[\s,]+/).filter(Boolean) : [];
      if (kind === "allowlist") hexs.metadataWithAllowlist(m.metadataUri, listed);
      await hexs.attachPlugin(c, signer, BigInt(m.id), spec);
      setPluginVersion((v) => v + 1);
      if (kind === "allowlist") {
        await hexs.publishAllowlist(c, signer, { modelId: BigInt(m.id), accounts: listed });
        return `${PLUGIN_NAMES[kind]} attached to ${metaOf(m).name} on ${label(chain.hexsChainId)}, and its ${listed.length} address${listed.length === 1 ? "" : "es"} published in the model's metadata for buyers.`;
      }
      return `${PLUGIN_NAMES[kind]} attached to ${metaOf(m).name} on ${label(chain.hexsChainId)}.`;
    });
  const detachPlugin = (m: ModelRow, chain: EvmChain) => (kind: hexs.KnownPlugin) =>
    run(`Detaching ${PLUGIN_NAMES[kind]} from ${metaOf(m).name}`, chain, async (c, signer) => {
      await hexs.detachPlugin(c, signer, BigInt(m.id), { kind });
      setPluginVersion((v) => v + 1);
      return `${PLUGIN_NAMES[kind]} detached from ${metaOf(m).name} on ${label(chain.hexsChainId)}.`;
    });

  const setPrice = (m: ModelRow) => (chain: EvmChain, currencyText: string, priceText: string) =>
    run(`Setting the price of ${metaOf(m).name}`, chain, async (c, signer) => {
      const currency = /^native$/i.test(currencyText) || currencyText === "" ? NATIVE : currencyText;
      if (currency !== NATIVE && !isAddress(currency))
        throw new hexs.InvalidParamsError(`bad currency '${currencyText}': write native, or an ERC-20 token address (0x…)`);
      const info = await currencyOf(chain, currency);
      let keyPrice: bigint;
      try {
        keyPrice = parseUnits(priceText, info.decimals);
      } catch {
        throw new hexs.InvalidParamsError(`bad price '${priceText}': write an amount of ${info.symbol}, such as 0.01`);
      }
      const r = await hexs.setPrice(c, signer, { modelId: BigInt(m.id), currency, keyPrice });
      return `Price set: ${formatAmount(r.keyPrice, currency, info)} on ${label(chain.hexsChainId)}${r.currencyNotAccepted ? " (the market does not accept this token yet: buyers cannot pay in it until governance accepts it)" : ""}.`;
    });

  const [remoteVersion, setRemoteVersion] = useState(0);
  const setRemotePrice = (o: RemotePriceOrder) =>
    run(
      o.price === 0n
        ? `Withdrawing the price of key ${formatId(o.listing.keyId)} for buyers on ${label(o.paying.hexsChainId)}`
        : `Pricing key ${formatId(o.listing.keyId)} for buyers on ${label(o.paying.hexsChainId)}`,
      o.listingChain,
      async (c, signer) => {
        await hexs.setRemotePrice(c, signer, {
          keyId: BigInt(o.listing.keyId),
          chain: o.paying.hexsChainId,
          currency: o.currency,
          price: o.price,
        });
        setRemoteVersion((v) => v + 1);
        return o.price === 0n
          ? `Buyers on ${label(o.paying.hexsChainId)} can no longer order key ${formatId(o.listing.keyId)}.`
          : `Buyers on ${label(o.paying.hexsChainId)} now pay ${o.shown} for key ${formatId(o.listing.keyId)} (listed on ${label(o.listingChain.hexsChainId)}).`;
      },
    );

  const settle = (e: Earning) =>
    run(
      `Settling ${formatAmount(e.unsettled, e.currency, cur(e.chain.hexsChainId, e.currency))} on ${label(e.chain.hexsChainId)}`,
      e.chain,
      async (c, signer) => {
        let credited = 0n;
        for (const m of mine) {
          if ((await c.market.vaultOf(BigInt(m.id), e.currency)) === 0n) continue;
          // one level: the model's own split (its parent's share stays in the parent's vault)
          const levels = await hexs.settle(c, signer, { modelId: BigInt(m.id), currency: e.currency, levels: 1n });
          credited += levels.reduce((a, l) => a + l.creatorShare, 0n);
        }
        return `Settled: ${formatAmount(credited, e.currency, cur(e.chain.hexsChainId, e.currency))} credited to you on ${label(e.chain.hexsChainId)}.`;
      },
    );

  const claim = (e: Earning) =>
    run(
      `Claiming ${formatAmount(e.credited, e.currency, cur(e.chain.hexsChainId, e.currency))} on ${label(e.chain.hexsChainId)}`,
      e.chain,
      async (c, signer) => {
        const r = await hexs.claim(c, signer, { currency: e.currency });
        return `Claimed: ${formatAmount(r.amount, e.currency, cur(e.chain.hexsChainId, e.currency))} sent to ${r.to} on ${label(e.chain.hexsChainId)}.`;
      },
    );

  const defs = TX_STEPS;

  if (!injectedWallet())
    return (
      <p role="alert" className="error">
        No wallet found: install or unlock an EIP-1193 wallet (such as MetaMask) to open the creator studio.
      </p>
    );
  if (!account)
    return (
      <section>
        <h1>Creator studio</h1>
        <p>Connect your wallet (top right) to manage the models it created.</p>
      </section>
    );
  const busy = job !== undefined && !job.done && !job.error;
  return (
    <section aria-labelledby="studio-h">
      <h1 id="studio-h">Creator studio</h1>
      <p className="lead">
        Models created by <span className="mono">{account}</span>: publish or fork one, set their prices on each chain, and see
        what they earned.
      </p>
      <PublishForm config={config} catalog={catalog} account={account} onDone={onChanged} />
      {loadError && (
        <p role="alert" className="error">
          {loadError}
        </p>
      )}
      {job && (
        <div className="buy-panel" data-testid="studio-job">
          <h2>{job.label}</h2>
          <FlowStatus steps={job.steps} defs={defs} failed={job.error !== undefined} label="progress" />
          {job.done && (
            <p className="ok" data-testid="studio-done">
              ✓ {job.done}
            </p>
          )}
          {job.error && (
            <div role="alert" className="error" data-testid="studio-error">
              <strong>{job.error.title}.</strong> {job.error.detail} <em>{job.error.next}</em>
            </div>
          )}
        </div>
      )}

      <section aria-labelledby="earnings-h">
        <h2 id="earnings-h">Earnings per chain and currency</h2>
        <p className="muted small">
          A sale's money waits in the model's vault until someone settles it; settling splits it (your share, the parent's
          royalty, the DAO, the protocol fee) and credits your share, which you then claim.
        </p>
        {!earnings ? (
          <p className="muted">Reading your earnings from the chains…</p>
        ) : (
          <table className="prices" aria-label="earnings">
            <thead>
              <tr>
                <th scope="col">Chain</th>
                <th scope="col">Currency</th>
                <th scope="col">In your models' vaults (not settled)</th>
                <th scope="col">Credited to you (claimable)</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {earnings.map((e) => {
                const info = cur(e.chain.hexsChainId, e.currency);
                const sym = info?.symbol ?? formatAmount(0n, e.currency).replace(/^0 of /, "");
                return (
                  <tr key={`${e.chain.hexsChainId}:${e.currency}`} data-chain={e.chain.hexsChainId} data-currency={e.currency}>
                    <th scope="row">{label(e.chain.hexsChainId)}</th>
                    <td>{sym}</td>
                    <td data-testid="unsettled">{formatAmount(e.unsettled, e.currency, info)}</td>
                    <td data-testid="credited">{formatAmount(e.credited, e.currency, info)}</td>
                    <td>
                      <button
                        className="button secondary"
                        disabled={busy || e.unsettled === 0n}
                        onClick={() => void settle(e)}
                        aria-label={`Settle ${sym} on ${label(e.chain.hexsChainId)}`}
                      >
                        Settle
                      </button>{" "}
                      <button
                        className="button"
                        disabled={busy || e.credited === 0n}
                        onClick={() => void claim(e)}
                        aria-label={`Claim ${sym} on ${label(e.chain.hexsChainId)}`}
                      >
                        Claim
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>

      <RemotePrices
        config={config}
        catalog={catalog}
        account={account}
        busy={busy}
        version={remoteVersion}
        onSet={(o) => void setRemotePrice(o)}
      />

      <section aria-labelledby="models-h">
        <h2 id="models-h">Your models</h2>
        {mine.length === 0 && <p>This wallet has not created a model yet.</p>}
        {mine.map((m) => {
          const copies = chains.filter((c) => catalog.copies.some((x) => x.modelId === m.id && x.hexsChain === c.hexsChainId));
          return (
            <article key={m.id} className="card studio-model" data-model={m.id} aria-labelledby={`m-${m.id}-h`}>
              <h3 id={`m-${m.id}-h`}>
                <a href={`#/model/${m.id}`}>{metaOf(m).name}</a> <span className="muted small">{formatId(m.id)}</span>
              </h3>
              <table className="prices" aria-label={`prices of ${metaOf(m).name}`}>
                <thead>
                  <tr>
                    <th scope="col">Chain</th>
                    <th scope="col">Key prices</th>
                    <th scope="col">Keys sold</th>
                  </tr>
                </thead>
                <tbody>
                  {copies.map((c) => {
                    const prices = catalog.prices.filter((p) => p.modelId === m.id && p.hexsChain === c.hexsChainId && p.listed);
                    return (
                      <tr key={c.hexsChainId} data-chain={c.hexsChainId}>
                        <th scope="row">{label(c.hexsChainId)}</th>
                        <td>
                          {prices.length
                            ? prices.map((p) => formatAmount(p.keyPrice, p.currency, cur(p.hexsChain, p.currency))).join(", ")
                            : "not for sale here"}
                        </td>
                        <td>{catalog.copies.find((x) => x.modelId === m.id && x.hexsChain === c.hexsChainId)?.keysSold ?? 0}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              <PriceForm chains={copies} config={config} busy={busy} model={m} onSet={(c, cu, p) => void setPrice(m)(c, cu, p)} />
              {(() => {
                const home = chains.find((c) => c.hexsChainId === m.homeChain);
                return (
                  home && (
                    <PluginPanel
                      model={m}
                      chain={home}
                      homeLabel={label(home.hexsChainId)}
                      busy={busy}
                      version={pluginVersion}
                      onAttach={(k, v) => void attachPlugin(m, home)(k, v)}
                      onDetach={(k) => void detachPlugin(m, home)(k)}
                    />
                  )
                );
              })()}
            </article>
          );
        })}
      </section>
    </section>
  );
}

// The secondary market in the app: a model page's "Keys for sale" (price, seller, chain; Buy for a
// connected wallet, "Buy with payment on <chain>" where the seller priced the key for buyers there,
// Cancel for the seller), its "Offers" (make an escrowed offer on any key of the model, withdraw
// your own), and on a key in My keys "List for sale" and the offers made on it (Accept). Listings
// and offers come from the indexer (/market/listings, /market/offers, /market/keys); every action
// is the SDK's (listKey, buyListing, cancelListing, buyListingRemote, makeOffer, acceptOffer,
// cancelOffer, claimResale) signed by the injected wallet on the chain it happens on.
import { useCallback, useEffect, useRef, useState } from "react";
import { parseEther, parseUnits } from "ethers";
import * as hexs from "../../sdk";
import type { EvmChain } from "../../sdk/chains";
import { NATIVE } from "../../sdk/tx";
import { chainLabel, evmChains, type AppConfig } from "./config";
import { formatAmount, useCurrencies } from "./currency";
import { checksum, short } from "./format";
import { FlowStatus, SIGN_AND_SUBMIT, type StepDef } from "./Flow";
import {
  formatId,
  loadModelMarket,
  type HoldingRow,
  type ModelMarket,
  type ListingRow,
  type OfferableKey,
  type OfferRow,
  type PriceRow,
} from "./indexer";
import { clearPending, readProvider, savePending, watchOrder, type FlowStep } from "./pending";
import { explain, injectedWallet, NoWalletError, useAccount, walletOn, type Explained } from "./wallet";

type Kind = "buy" | "cancel" | "list" | "offer" | "accept" | "withdraw" | "order" | "claim";

interface MarketAction {
  kind: Kind;
  keyId: string;
  chain: number;
  steps: FlowStep[];
  /** Pays in an ERC-20: the wallet approves the market first (offer, order). */
  erc20?: boolean;
  /** order: the listing's chain (label). */
  listedOn?: string;
  error?: Explained;
}

const VERB: Record<Kind, string> = {
  buy: "Purchase",
  cancel: "Cancellation",
  list: "Listing",
  offer: "Offer",
  accept: "Sale by offer",
  withdraw: "Withdrawal of the offer",
  order: "Cross-chain purchase",
  claim: "Claim",
};

/** The step that ends each kind of flow. */
const finished = (a: MarketAction) =>
  a.steps.some((s) => (a.kind === "order" ? s.step === "filled" || s.step === "refunded" : s.step === "confirmed"));

function stepDefs(a: MarketAction, from: string): StepDef[] {
  const done: Record<Kind, string> = {
    buy: `Confirmed: key ${formatId(a.keyId)} is yours`,
    cancel: `Confirmed: key ${formatId(a.keyId)} is no longer for sale`,
    list: `Confirmed: key ${formatId(a.keyId)} is for sale`,
    offer: `Confirmed: your offer for key ${formatId(a.keyId)} is open, its amount held by the market`,
    accept: `Confirmed: key ${formatId(a.keyId)} went to the buyer; the price, less the royalty, is credited to you`,
    withdraw: "Confirmed: the offer is withdrawn; its amount is credited back to you (claim it below)",
    order: "",
    claim: "Confirmed: the credit was paid to your account",
  };
  if (a.kind === "order") {
    const refunded = a.steps.some((s) => s.step === "refunded");
    return [
      {
        key: "switching",
        todo: `Wallet on ${from}`,
        text: (_s, ok) => (ok ? `Wallet on ${from}` : `Switching your wallet to ${from}`),
      },
      { key: "checking", todo: "Checks passed", text: (_s, ok) => (ok ? "Checks passed" : "Checking the order and your funds") },
      ...(a.erc20 ? [APPROVE_PAYMENT] : []),
      ...SIGN_AND_SUBMIT,
      {
        key: "escrowed",
        todo: `Payment escrowed on ${from}`,
        text: (s, ok) =>
          ok
            ? `Paid: held in escrow on ${from} (order ${formatId((s as { orderId: bigint }).orderId)})`
            : `Paid: held in escrow on ${from} until ${a.listedOn} answers (order ${formatId((s as { orderId: bigint }).orderId)})`,
      },
      refunded
        ? {
            key: "refunded",
            todo: "",
            outcome: true,
            text: () =>
              `Refunded: the listing on ${a.listedOn} was gone or changed, so the key stayed there; your payment is credited back on ${from} (claim it below)`,
          }
        : {
            key: "filled",
            todo: `Key arrives here on ${from}, the seller is paid`,
            outcome: true,
            text: (s) =>
              `Filled: key ${formatId(a.keyId)} arrived on ${from} and is yours; the seller was paid (${(s as { seconds: number }).seconds.toFixed(1)} s)`,
          },
    ];
  }
  return [
    {
      key: "switching",
      todo: `Wallet on ${from}`,
      text: (_s, ok) => (ok ? `Wallet on ${from}` : `Switching your wallet to ${from}`),
    },
    { key: "checking", todo: "Checks passed", text: (_s, ok) => (ok ? "Checks passed" : "Checking the listing and your funds") },
    ...(a.erc20 && (a.kind === "offer" || a.kind === "buy") ? [APPROVE_PAYMENT] : []),
    ...(a.kind === "list" || a.kind === "accept"
      ? [
          {
            key: "approving" as const,
            todo: "Let the market transfer this key when it sells",
            text: (_s: FlowStep, ok: boolean) =>
              ok ? "Market approved for this key" : "Approve the market for this key in your wallet",
          },
        ]
      : []),
    ...SIGN_AND_SUBMIT,
    { key: "confirmed", todo: "Confirmed on chain", outcome: true, text: () => done[a.kind] },
  ];
}

const APPROVE_PAYMENT: StepDef = {
  key: "approving",
  todo: "Let the market take the token amount",
  text: (_s, ok) => (ok ? "Market approved for the token amount" : "Approve the token amount in your wallet"),
};

type Go = (
  c: hexs.HexsContracts,
  signer: Awaited<ReturnType<typeof walletOn>>["signer"],
  report: (s: FlowStep) => void,
) => Promise<string>;

/** Run one market transaction with the injected wallet on `chain`, its steps and error kept in state. */
function useMarketAction(config: AppConfig, onDone: () => void) {
  const [action, setAction] = useState<MarketAction>();
  const live = useRef(true);
  useEffect(
    () => () => {
      live.current = false;
    },
    [],
  );
  const run = async (
    kind: Kind,
    keyId: string,
    chain: EvmChain,
    go: Go,
    { onStep, ...extra }: Pick<MarketAction, "erc20" | "listedOn"> & { onStep?: (s: FlowStep) => void } = {},
  ) => {
    // the "approving" step is the wallet's prompt for the market's approval (a key's or a token amount's)
    const report = (s: FlowStep) => {
      onStep?.(s);
      if (live.current) setAction((a) => (a ? { ...a, steps: [...a.steps, s] } : a));
    };
    setAction({ kind, keyId, chain: chain.hexsChainId, steps: [], ...extra });
    try {
      const eth = injectedWallet();
      if (!eth) throw new NoWalletError();
      const { c, signer } = await walletOn(eth, chain, report);
      const txHash = await go(c, signer, report);
      // an order reports its own end (filled or refunded)
      if (kind !== "order") report({ step: "confirmed", txHash, keyId: BigInt(keyId), buyer: await signer.getAddress() });
      onDone();
    } catch (e) {
      console.error(e);
      if (live.current)
        setAction((a) =>
          a ? { ...a, error: explain(e, chainLabel(config.registry, chain.hexsChainId), kind === "buy" ? "purchase" : kind) } : a,
        );
    }
  };
  const busy = action !== undefined && !action.error && !finished(action);
  return { action, run, busy };
}

function ActionPanel({ config, action }: { config: AppConfig; action: MarketAction }) {
  const from = chainLabel(config.registry, action.chain);
  return (
    <div className="buy-panel" data-testid="market-action">
      <h3>
        {action.kind === "claim" ? "Claim of what the market owes you" : `${VERB[action.kind]} of key ${formatId(action.keyId)}`}
      </h3>
      <FlowStatus
        steps={action.steps}
        defs={stepDefs(action, from)}
        failed={action.error !== undefined}
        label={`${action.kind} progress`}
      />
      {action.error && (
        <div role="alert" className="error" data-testid="market-error">
          <strong>{action.error.title}.</strong> {action.error.detail} <em>{action.error.next}</em>
        </div>
      )}
    </div>
  );
}

/** What a listing asks of buyers paying on another chain (the seller's remote price there). */
export interface RemotePrice {
  /** The paying chain. */
  hexsChain: number;
  currency: string;
  price: bigint;
}

/**
 * Each listing's remote prices, read from its chain's HexsResale (remotePriceOf) for every other
 * chain of the deployment with a resale contract; re-read when the set of listings changes (or `version`).
 */
export function useRemotePrices(chains: EvmChain[], listings: ListingRow[], version = 0): Map<string, RemotePrice[]> {
  const [out, setOut] = useState<Map<string, RemotePrice[]>>(new Map());
  const want = listings.map((l) => `${l.hexsChain}:${l.keyId}:${l.listedAt}`).join(",");
  useEffect(() => {
    let live = true;
    void (async () => {
      const next = new Map<string, RemotePrice[]>();
      for (const l of listings) {
        const here = chains.find((c) => c.hexsChainId === l.hexsChain);
        if (!here?.contracts.HexsResale) continue;
        const c = hexs.connectContracts(here, readProvider(here));
        const found: RemotePrice[] = [];
        for (const other of chains.filter((x) => x !== here && x.contracts.HexsResale)) {
          const rp = await hexs.remotePriceOf(c, BigInt(l.keyId), other.hexsChainId).catch(() => undefined);
          if (rp) found.push({ hexsChain: other.hexsChainId, currency: rp.currency, price: rp.price });
        }
        next.set(`${l.hexsChain}:${l.keyId}`, found);
      }
      if (live) setOut(next);
    })();
    return () => {
      live = false;
    };
    // chains come from the runtime config; `want` names the listings
  }, [want, version]);
  return out;
}

/** A model page's section: its keys listed for resale on every chain. */
export function KeysForSale({ config, market }: { config: AppConfig; market: Polled<ModelMarket> }) {
  const account = useAccount();
  const listings = market.value?.listings;
  const error = market.error;
  const reload = market.reload;
  const chains = evmChains(config.registry);
  const remote = useRemotePrices(chains, listings ?? []);
  const cur = useCurrencies(chains, [
    ...(listings ?? []),
    ...[...remote.values()].flat().map((r) => ({ hexsChain: r.hexsChain, currency: r.currency })),
  ]);
  const { action, run, busy } = useMarketAction(config, () => void reload());
  const me = account?.toLowerCase();

  const buy = (l: ListingRow, chain: EvmChain) =>
    run("buy", l.keyId, chain, async (c, signer) => (await hexs.buyListing(c, signer, { keyId: BigInt(l.keyId) })).txHash);
  const cancel = (l: ListingRow, chain: EvmChain) =>
    run("cancel", l.keyId, chain, async (c, signer) => (await hexs.cancelListing(c, signer, { keyId: BigInt(l.keyId) })).txHash);
  // Pay on `paying`, the key listed on l's chain: the order is escrowed here, carried there and
  // answered; the key arrives here (filled) or the payment is credited back (refunded). The order
  // is stored once submitted, so a reload picks it up (PendingPanel).
  const order = (l: ListingRow, paying: EvmChain, rp: RemotePrice) => {
    const listedOn = chainLabel(config.registry, l.hexsChain);
    return run(
      "order",
      l.keyId,
      paying,
      async (c, signer, report) => {
        const r = await hexs.buyListingRemote(c, signer, {
          listingChain: l.hexsChain,
          modelId: BigInt(l.modelId),
          keyId: BigInt(l.keyId),
          seller: l.seller,
          currency: rp.currency,
          price: rp.price,
        });
        const receipt = await c.provider.getTransactionReceipt(r.txHash);
        report({ step: "escrowed", orderId: r.orderId, txHash: r.txHash });
        await watchOrder(paying, r.orderId, receipt?.blockNumber ?? 0, report);
        clearPending(r.txHash);
        return r.txHash;
      },
      {
        erc20: rp.currency.toLowerCase() !== NATIVE,
        listedOn,
        onStep: (s) => {
          // the order's transaction (not an ERC-20 approval) is out: store it for a reload
          if (s.step === "submitted")
            savePending({
              kind: "order",
              chain: paying.hexsChainId,
              txHash: s.txHash,
              modelId: l.modelId,
              keyId: l.keyId,
              toChain: l.hexsChain,
              startedAt: Date.now(),
            });
        },
      },
    );
  };

  return (
    <section aria-labelledby="market-h" data-testid="keys-for-sale">
      <h2 id="market-h">Keys for sale</h2>
      <p className="muted small">
        Keys their holders resell, on the chain where each is held. A resale pays the model's lineage its royalty (ERC-2981) like
        a new key does; the key moves to the buyer when the transaction is confirmed. Where the seller priced a key for buyers on
        another chain, you can pay there: your payment is held until the key arrives on that chain, and refunded if the listing is
        gone by then.
      </p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {!listings ? (
        <p className="muted">Loading listings…</p>
      ) : listings.length === 0 ? (
        <p className="muted" data-testid="no-listings">
          No keys of this model are for sale right now. Holders list theirs from My keys.
        </p>
      ) : (
        <table className="prices" aria-label="keys for sale">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Chain</th>
              <th scope="col">Price</th>
              <th scope="col">Seller</th>
              <th scope="col">
                <span className="sr-only">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {listings.map((l) => {
              const chain = chains.find((c) => c.hexsChainId === l.hexsChain);
              const label = chainLabel(config.registry, l.hexsChain);
              const price = formatAmount(l.price, l.currency, cur(l.hexsChain, l.currency));
              const mine = me !== undefined && l.seller.toLowerCase() === me;
              return (
                <tr key={`${l.hexsChain}:${l.keyId}`} data-listing={l.keyId} data-chain={l.hexsChain}>
                  <th scope="row">{formatId(l.keyId)}</th>
                  <td>{label}</td>
                  <td>{price}</td>
                  <td className="mono" title={checksum(l.seller)}>
                    {mine ? "you" : short(checksum(l.seller))}
                  </td>
                  <td>
                    {!chain ? (
                      <span className="muted small">chain not in this deployment</span>
                    ) : mine ? (
                      <button
                        className="button secondary"
                        disabled={busy}
                        onClick={() => void cancel(l, chain)}
                        aria-label={`Cancel the listing of key ${l.keyId}`}
                      >
                        Cancel
                      </button>
                    ) : account ? (
                      <div className="row-actions">
                        <button
                          className="button"
                          disabled={busy}
                          onClick={() => void buy(l, chain)}
                          aria-label={`Buy key ${l.keyId} on ${label} for ${price}`}
                        >
                          Buy
                        </button>
                        {(remote.get(`${l.hexsChain}:${l.keyId}`) ?? []).map((rp) => {
                          const paying = chains.find((c) => c.hexsChainId === rp.hexsChain)!;
                          const on = chainLabel(config.registry, rp.hexsChain);
                          const amount = formatAmount(rp.price, rp.currency, cur(rp.hexsChain, rp.currency));
                          return (
                            <button
                              key={rp.hexsChain}
                              className="button secondary"
                              disabled={busy}
                              onClick={() => void order(l, paying, rp)}
                              aria-label={`Buy with payment on ${on} (${amount}): key ${l.keyId}`}
                            >
                              Buy with payment on {on} ({amount})
                            </button>
                          );
                        })}
                      </div>
                    ) : (
                      <span className="muted small">Connect your wallet to buy</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {action && <ActionPanel config={config} action={action} />}
    </section>
  );
}

/**
 * A key card's "List for sale" (My keys): a native-coin price, then the SDK lists it (approving the
 * market for the key first). A soul-bound key says why it cannot be listed; a listed key shows
 * its price and can be withdrawn.
 */
export function ListForSale({
  config,
  h,
  listing,
  onChanged,
}: {
  config: AppConfig;
  h: HoldingRow;
  listing?: ListingRow;
  onChanged: () => void;
}) {
  const [price, setPrice] = useState("");
  const [bad, setBad] = useState<string>();
  const { action, run, busy } = useMarketAction(config, onChanged);
  const chain = evmChains(config.registry).find((c) => c.hexsChainId === h.hexsChain);
  const id = `key-${h.hexsChain}-${h.keyId}-sell`;
  if (h.locked)
    return (
      <p className="small muted" data-testid="not-listable">
        Not for sale: this key is soul-bound, so it can never change holder (the market refuses to list it).
      </p>
    );
  if (!chain?.contracts.HexsResale)
    return <p className="small muted">Resale is not deployed on {chainLabel(config.registry, h.hexsChain)}.</p>;
  const list = () => {
    let amount: bigint;
    try {
      amount = parseEther(price.trim());
    } catch {
      setBad(`“${price}” is not an amount of ETH: write it like 0.05`);
      return;
    }
    if (amount <= 0n) {
      setBad("A listing needs a price above 0");
      return;
    }
    setBad(undefined);
    void run("list", h.keyId, chain, async (c, signer) => {
      const r = await hexs.listKey(c, signer, {
        modelId: BigInt(h.modelId),
        keyId: BigInt(h.keyId),
        currency: NATIVE,
        price: amount,
      });
      return r.txHash;
    });
  };
  const cancel = () =>
    void run(
      "cancel",
      h.keyId,
      chain,
      async (c, signer) => (await hexs.cancelListing(c, signer, { keyId: BigInt(h.keyId) })).txHash,
    );
  return (
    <div className="sell" role="group" aria-labelledby={`${id}-h`} data-testid="list-for-sale">
      <span id={`${id}-h`} className="small">
        Resale
      </span>
      {listing ? (
        <>
          <span className="small" data-testid="listed-at">
            For sale at {formatAmount(listing.price, listing.currency)}
          </span>
          <button className="button secondary" disabled={busy} onClick={cancel} aria-label={`Cancel listing (key ${h.keyId})`}>
            Cancel listing
          </button>
        </>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            list();
          }}
        >
          <label htmlFor={`${id}-price`} className="small">
            List for sale at (ETH)
          </label>
          <input
            id={`${id}-price`}
            className="input"
            inputMode="decimal"
            placeholder="0.05"
            value={price}
            onChange={(e) => setPrice(e.target.value)}
          />
          <button className="button secondary" disabled={busy} aria-label={`List for sale (key ${h.keyId})`}>
            List for sale
          </button>
        </form>
      )}
      {bad && (
        <div role="alert" className="error" data-testid="list-error">
          {bad}. Nothing was sent.
        </div>
      )}
      {action && <ActionPanel config={config} action={action} />}
    </div>
  );
}

/** A value polled from the indexer: the last one read, the last error, and a way to read it now. */
export interface Polled<T> {
  value: T | undefined;
  error: string | undefined;
  reload: () => Promise<void>;
}

/**
 * A model page's market (listings, offers, offerable keys) in one request every 2 s, shared by its
 * "Keys for sale" and "Offers" sections (not one poll per section and query).
 */
export function useModelMarket(config: AppConfig, modelId: string): Polled<ModelMarket> {
  return usePolled(() => loadModelMarket(config.indexerUrl, modelId), [config.indexerUrl, modelId]);
}

/** Poll `load` every 2 s while mounted; `reload` runs it now (`deps`: what `load` reads). */
function usePolled<T>(load: () => Promise<T>, deps: unknown[]): Polled<T> {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<string>();
  const reload = useCallback(async () => {
    try {
      setValue(await load());
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
  }, deps);
  useEffect(() => {
    void reload();
    const t = setInterval(() => void reload(), 2000);
    return () => clearInterval(t);
  }, [reload]);
  return { value, error, reload };
}

const validUntilText = (o: OfferRow) =>
  o.expired ? "expired" : `until ${new Date(Number(o.validUntil) * 1000).toLocaleString("en-GB", { timeZone: "UTC" })} UTC`;

/**
 * A model page's "Offers": offer an amount (native coin, or an ERC-20 the model is priced in on
 * that chain, approved first) for any key of the model someone else holds, valid for some days;
 * the amount is escrowed by the market until the holder accepts or you withdraw it. Lists your
 * open offers on the model (Withdraw) and what the market owes you (Claim).
 */
export function Offers({
  config,
  modelId,
  prices,
  market,
}: {
  config: AppConfig;
  modelId: string;
  prices: PriceRow[];
  /** The model page's market poll (its open offers and offerable keys among it). */
  market: Polled<ModelMarket>;
}) {
  const account = useAccount();
  const me = account?.toLowerCase();
  const chains = evmChains(config.registry);
  // the page's one poll: the keys that can take an offer, and this wallet's open offers among the model's
  const keys = { value: market.value?.keys, error: market.error };
  const mine = {
    value: me && market.value ? market.value.offers.filter((o) => o.buyer.toLowerCase() === me) : undefined,
    error: market.error,
    reload: market.reload,
  };
  const others = (keys.value ?? []).filter((k) => k.owner.toLowerCase() !== me);
  const [pick, setPick] = useState("");
  const [currency, setCurrency] = useState<string>(NATIVE);
  const [amount, setAmount] = useState("");
  const [days, setDays] = useState("1");
  const [bad, setBad] = useState<string>();
  const [credits, setCredits] = useState(0);
  const { action, run, busy } = useMarketAction(config, () => {
    void mine.reload();
    setCredits((n) => n + 1);
  });
  const key: OfferableKey | undefined = others.find((k) => `${k.hexsChain}:${k.keyId}` === pick) ?? others[0];
  const tokens = key
    ? prices.filter((p) => p.hexsChain === key.hexsChain && p.currency.toLowerCase() !== NATIVE).map((p) => p.currency)
    : [];
  const cur = useCurrencies(chains, [...tokens.map((t) => ({ hexsChain: key!.hexsChain, currency: t })), ...(mine.value ?? [])]);
  const curName = (c: string) => (c.toLowerCase() === NATIVE ? "ETH" : (cur(key?.hexsChain ?? 0, c)?.symbol ?? c));

  const offer = () => {
    if (!key) return;
    const chain = chains.find((c) => c.hexsChainId === key.hexsChain);
    if (!chain?.contracts.HexsResale) {
      setBad(`Resale is not deployed on ${chainLabel(config.registry, key.hexsChain)}`);
      return;
    }
    const native = currency.toLowerCase() === NATIVE;
    const info = native ? hexs.NATIVE_INFO : cur(key.hexsChain, currency);
    if (!info) {
      setBad("The token's decimals are still loading: try again in a moment");
      return;
    }
    let value: bigint;
    try {
      value = parseUnits(amount.trim(), info.decimals);
    } catch {
      setBad(`“${amount}” is not an amount of ${info.symbol}: write it like 0.05`);
      return;
    }
    if (value <= 0n) {
      setBad("An offer needs an amount above 0");
      return;
    }
    const d = Number(days);
    if (!Number.isFinite(d) || d <= 0 || d > 365) {
      setBad(`“${days}” is not a number of days between 0 and 365`);
      return;
    }
    setBad(undefined);
    void run(
      "offer",
      key.keyId,
      chain,
      async (c, signer) =>
        (
          await hexs.makeOffer(c, signer, {
            modelId: BigInt(modelId),
            keyId: BigInt(key.keyId),
            currency,
            amount: value,
            validFor: Math.round(d * 86_400),
          })
        ).txHash,
      { erc20: !native },
    );
  };
  const withdraw = (o: OfferRow) => {
    const chain = chains.find((c) => c.hexsChainId === o.hexsChain);
    if (chain)
      void run(
        "withdraw",
        o.keyId,
        chain,
        async (c, signer) => (await hexs.cancelOffer(c, signer, { offerId: BigInt(o.offerId) })).txHash,
      );
  };
  const id = `offer-${modelId}`;
  return (
    <section aria-labelledby="offers-h" data-testid="offers">
      <h2 id="offers-h">Offers</h2>
      <p className="muted small">
        Offer an amount for a key someone holds, listed or not. The market holds your amount until the holder accepts (the key
        comes to you) or you withdraw the offer (the amount is credited back to you to claim).
      </p>
      {(keys.error || mine.error) && (
        <p role="alert" className="error">
          {keys.error ?? mine.error}
        </p>
      )}
      {!account ? (
        <p className="muted small">Connect your wallet to make an offer.</p>
      ) : !keys.value ? (
        <p className="muted">Loading keys…</p>
      ) : others.length === 0 ? (
        <p className="muted small" data-testid="no-offerable">
          No one else holds a key of this model that can change hands (soul-bound keys cannot).
        </p>
      ) : (
        <form
          className="offer-form"
          aria-label="make an offer"
          onSubmit={(e) => {
            e.preventDefault();
            offer();
          }}
        >
          <label htmlFor={`${id}-key`}>Key</label>
          <select
            id={`${id}-key`}
            className="input"
            value={key ? `${key.hexsChain}:${key.keyId}` : ""}
            onChange={(e) => {
              setPick(e.target.value);
              setCurrency(NATIVE);
            }}
          >
            {others.map((k) => (
              <option key={`${k.hexsChain}:${k.keyId}`} value={`${k.hexsChain}:${k.keyId}`}>
                {formatId(k.keyId)} on {chainLabel(config.registry, k.hexsChain)} (held by {short(checksum(k.owner))})
              </option>
            ))}
          </select>
          <label htmlFor={`${id}-currency`}>Pay in</label>
          <select id={`${id}-currency`} className="input" value={currency} onChange={(e) => setCurrency(e.target.value)}>
            {[NATIVE, ...tokens].map((t) => (
              <option key={t} value={t}>
                {curName(t)}
              </option>
            ))}
          </select>
          <label htmlFor={`${id}-amount`}>Amount</label>
          <input
            id={`${id}-amount`}
            className="input"
            inputMode="decimal"
            placeholder="0.05"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
          />
          <label htmlFor={`${id}-days`}>Valid for (days)</label>
          <input id={`${id}-days`} className="input" inputMode="decimal" value={days} onChange={(e) => setDays(e.target.value)} />
          <button className="button" disabled={busy}>
            Make offer
          </button>
        </form>
      )}
      {bad && (
        <div role="alert" className="error" data-testid="offer-error">
          {bad}. Nothing was sent.
        </div>
      )}
      {account && (mine.value ?? []).length > 0 && (
        <table className="prices" aria-label="your open offers">
          <caption className="small">Your open offers</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Chain</th>
              <th scope="col">Amount</th>
              <th scope="col">Valid</th>
              <th scope="col">
                <span className="sr-only">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(mine.value ?? []).map((o) => (
              <tr key={`${o.hexsChain}:${o.offerId}`} data-offer={o.offerId}>
                <th scope="row">{formatId(o.keyId)}</th>
                <td>{chainLabel(config.registry, o.hexsChain)}</td>
                <td>{formatAmount(o.amount, o.currency, cur(o.hexsChain, o.currency))}</td>
                <td>{validUntilText(o)}</td>
                <td>
                  <button
                    className="button secondary"
                    disabled={busy}
                    onClick={() => withdraw(o)}
                    aria-label={`Withdraw your offer for key ${o.keyId}`}
                  >
                    Withdraw
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {account && (
        <ResaleCredit
          config={config}
          account={account}
          refresh={credits}
          tokens={prices.filter((p) => p.currency.toLowerCase() !== NATIVE)}
        />
      )}
      {action && <ActionPanel config={config} action={action} />}
    </section>
  );
}

/**
 * What the market owes the account on each chain (proceeds, withdrawn offers, refunded orders), in
 * the native coin and in `tokens` (ERC-20s by chain): Claim.
 */
export function ResaleCredit({
  config,
  account,
  refresh,
  tokens = [],
}: {
  config: AppConfig;
  account: string;
  refresh?: number;
  tokens?: { hexsChain: number; currency: string }[];
}) {
  const chains = evmChains(config.registry).filter((c) => c.contracts.HexsResale);
  const [tick, setTick] = useState(0);
  const wanted = [
    ...chains.map((ch) => ({ hexsChain: ch.hexsChainId, currency: NATIVE as string })),
    ...tokens.filter((t) => chains.some((ch) => ch.hexsChainId === t.hexsChain)),
  ];
  const cur = useCurrencies(chains, wanted);
  const owed = usePolled(
    () =>
      Promise.all(
        wanted.map(async (w) => {
          const chain = chains.find((ch) => ch.hexsChainId === w.hexsChain)!;
          const c = hexs.connectContracts(chain, readProvider(chain));
          return { chain, currency: w.currency, amount: await hexs.resaleCreditOf(c, account, w.currency) };
        }),
      ),
    [account, refresh, tick, wanted.map((w) => `${w.hexsChain}:${w.currency}`).join(",")],
  );
  const { action, run, busy } = useMarketAction(config, () => setTick((n) => n + 1));
  const due = (owed.value ?? []).filter((x) => x.amount > 0n);
  if (!due.length && !action) return null;
  return (
    <div className="credit" data-testid="resale-credit">
      {due.map(({ chain, currency, amount }) => {
        const label = chainLabel(config.registry, chain.hexsChainId);
        const text = formatAmount(amount, currency, cur(chain.hexsChainId, currency));
        return (
          <p key={`${chain.hexsChainId}:${currency}`} className="small">
            The market owes you {text} on {label}.{" "}
            <button
              className="button secondary"
              disabled={busy}
              onClick={() =>
                void run("claim", "0", chain, async (c, signer) => (await hexs.claimResale(c, signer, { currency })).txHash)
              }
              aria-label={`Claim ${text} on ${label}`}
            >
              Claim
            </button>
          </p>
        );
      })}
      {action && <ActionPanel config={config} action={action} />}
    </div>
  );
}

/**
 * A key card's offers (My keys): the open offers on this key where it is held, each with its
 * amount, maker and validity; Accept sends the key to the offer's maker for that amount (the
 * market is approved for the key first), the price less the royalty credited to you.
 */
export function KeyOffers({
  config,
  h,
  offers,
  onChanged,
}: {
  config: AppConfig;
  h: HoldingRow;
  /** Its open offers: My keys reads every card's in one request per tick (not one per card). */
  offers: OfferRow[] | undefined;
  onChanged: () => void;
}) {
  const chains = evmChains(config.registry);
  const cur = useCurrencies(chains, offers ?? []);
  const { action, run, busy } = useMarketAction(config, onChanged);
  const chain = chains.find((c) => c.hexsChainId === h.hexsChain);
  if (h.locked || !chain?.contracts.HexsResale) return null;
  const list = offers ?? [];
  if (!list.length && !action) return null;
  const accept = (o: OfferRow) =>
    void run(
      "accept",
      h.keyId,
      chain,
      async (c, signer) => (await hexs.acceptOffer(c, signer, { offerId: BigInt(o.offerId) })).txHash,
    );
  return (
    <div className="offers" data-testid="key-offers">
      {list.length > 0 && (
        <table className="prices" aria-label={`offers for key ${h.keyId}`}>
          <caption className="small">Offers for this key</caption>
          <thead>
            <tr>
              <th scope="col">Amount</th>
              <th scope="col">From</th>
              <th scope="col">Valid</th>
              <th scope="col">
                <span className="sr-only">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((o) => {
              const amount = formatAmount(o.amount, o.currency, cur(o.hexsChain, o.currency));
              return (
                <tr key={o.offerId} data-offer={o.offerId}>
                  <td>{amount}</td>
                  <td className="mono" title={checksum(o.buyer)}>
                    {short(checksum(o.buyer))}
                  </td>
                  <td>{validUntilText(o)}</td>
                  <td>
                    <button
                      className="button"
                      disabled={busy || o.expired}
                      onClick={() => accept(o)}
                      aria-label={`Accept the offer of ${amount} for key ${h.keyId}`}
                    >
                      Accept
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {action && <ActionPanel config={config} action={action} />}
    </div>
  );
}

// Creator studio: prices for buyers on other chains. A key the wallet lists for resale on one chain
// can also be bought by someone paying on another (HexsResale.setRemotePrice, SDK setRemotePrice):
// only the listing's seller sets it, per paying chain, in a currency of that chain, and it applies
// while the listing stands (0 withdraws it). Everything the form can check is checked in the page
// before the wallet is asked for anything: the amount, the currency (native or a token on the
// paying chain, its decimals read there); the SDK then checks the listing, the seller and that the
// chains are resale peers, and simulates the call, before it asks for a signature.
import { useEffect, useState } from "react";
import { isAddress, parseUnits } from "ethers";
import type { EvmChain } from "../../sdk/chains";
import { NATIVE } from "../../sdk/tx";
import { chainLabel, evmChains, type AppConfig } from "./config";
import { currencyOf, formatAmount } from "./currency";
import { formatId, loadListings, metaOf, type Catalog, type ListingRow } from "./indexer";
import { useRemotePrices } from "./Market";

/** A validated remote price, ready for the SDK. */
export interface RemotePriceOrder {
  listing: ListingRow;
  /** The listing's chain (where the call is made). */
  listingChain: EvmChain;
  /** The buyers' chain. */
  paying: EvmChain;
  currency: string;
  price: bigint;
  /** e.g. "0.06 ETH" */
  shown: string;
}

/** The form's text → an order, or the reason it is refused (nothing is asked of the wallet then). */
export async function validateRemotePrice(
  listing: ListingRow,
  listingChain: EvmChain,
  paying: EvmChain | undefined,
  currencyText: string,
  priceText: string,
  label: (id: number) => string,
): Promise<RemotePriceOrder | string> {
  if (!paying || paying.hexsChainId === listingChain.hexsChainId)
    return "pick the chain whose buyers pay this price (another chain than the listing's)";
  if (!paying.contracts.HexsResale) return `${label(paying.hexsChainId)} has no resale market: its buyers cannot order the key`;
  const c = currencyText.trim();
  const currency = c === "" || /^native$/i.test(c) ? NATIVE : c;
  if (currency !== NATIVE && !isAddress(currency))
    return `bad currency '${currencyText}': write native, or the address (0x…) of an ERC-20 token on ${label(paying.hexsChainId)}`;
  let info: Awaited<ReturnType<typeof currencyOf>>;
  try {
    info = await currencyOf(paying, currency);
  } catch {
    return `${currency} is not an ERC-20 token on ${label(paying.hexsChainId)} (its symbol and decimals cannot be read there)`;
  }
  let price: bigint;
  try {
    price = parseUnits(priceText.trim(), info.decimals);
  } catch {
    return `bad price '${priceText}': write an amount of ${info.symbol}, such as 0.05 (0 withdraws the price)`;
  }
  if (price < 0n) return `bad price '${priceText}': not below 0`;
  if (price >= 2n ** 96n) return `bad price '${priceText}': too large for the market`;
  return { listing, listingChain, paying, currency, price, shown: formatAmount(price, currency, info) };
}

function RemotePriceForm({
  listing,
  chains,
  config,
  busy,
  onSet,
}: {
  listing: ListingRow;
  chains: EvmChain[];
  config: AppConfig;
  busy: boolean;
  onSet: (o: RemotePriceOrder) => void;
}) {
  const label = (id: number) => chainLabel(config.registry, id);
  const here = chains.find((c) => c.hexsChainId === listing.hexsChain)!;
  const others = chains.filter((c) => c !== here && c.contracts.HexsResale);
  const [paying, setPaying] = useState(others[0]?.hexsChainId ?? 0);
  const [currency, setCurrency] = useState("native");
  const [price, setPrice] = useState("");
  const [error, setError] = useState<string>();
  const id = `remote-${listing.hexsChain}-${listing.keyId}`;
  if (!others.length) return <p className="muted small">No other chain of this deployment has a resale market.</p>;
  return (
    <form
      className="price-form"
      aria-label={`Price key ${formatId(listing.keyId)} for buyers on another chain`}
      onSubmit={(e) => {
        e.preventDefault();
        setError(undefined);
        void validateRemotePrice(
          listing,
          here,
          others.find((c) => c.hexsChainId === paying),
          currency,
          price,
          label,
        ).then((r) => (typeof r === "string" ? setError(r) : onSet(r)));
      }}
    >
      <label htmlFor={`${id}-chain`}>
        Buyers paying on
        <select id={`${id}-chain`} className="input" value={paying} onChange={(e) => setPaying(Number(e.target.value))}>
          {others.map((c) => (
            <option key={c.hexsChainId} value={c.hexsChainId}>
              {label(c.hexsChainId)}
            </option>
          ))}
        </select>
      </label>
      <label htmlFor={`${id}-currency`}>
        Currency there (native, or an ERC-20 token address)
        <input id={`${id}-currency`} className="input mono" value={currency} onChange={(e) => setCurrency(e.target.value)} />
      </label>
      <label htmlFor={`${id}-amount`}>
        Price (0 withdraws it)
        <input
          id={`${id}-amount`}
          className="input"
          inputMode="decimal"
          placeholder="0.05"
          value={price}
          onChange={(e) => setPrice(e.target.value)}
        />
      </label>
      <button className="button" disabled={busy}>
        Set price for buyers there
      </button>
      {error && (
        <p role="alert" className="error" data-testid="remote-price-error">
          {error}
        </p>
      )}
    </form>
  );
}

/** The wallet's open listings on every chain, each with its prices for buyers on other chains and a form to set one. */
export function RemotePrices({
  config,
  catalog,
  account,
  busy,
  version,
  onSet,
}: {
  config: AppConfig;
  catalog: Catalog;
  account: string;
  busy: boolean;
  /** Bumped after a price is set: the prices are read again. */
  version: number;
  onSet: (o: RemotePriceOrder) => void;
}) {
  const chains = evmChains(config.registry);
  const label = (id: number) => chainLabel(config.registry, id);
  const [listings, setListings] = useState<ListingRow[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    const load = () =>
      loadListings(config.indexerUrl, { seller: account })
        .then((l) => live && (setListings(l), setError(undefined)))
        .catch((e: unknown) => live && setError(`your listings could not be read: ${(e as Error).message}`));
    void load();
    const t = setInterval(load, 4000);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [config.indexerUrl, account]);
  const remote = useRemotePrices(chains, listings ?? [], version);
  const [shown, setShown] = useState<Map<string, string>>(new Map());
  // the remote prices' currencies live on the paying chains: their symbols and decimals are read there
  useEffect(() => {
    let live = true;
    for (const [k, rps] of remote)
      for (const rp of rps) {
        const paying = chains.find((c) => c.hexsChainId === rp.hexsChain);
        if (paying)
          void currencyOf(paying, rp.currency)
            .then(
              (info) =>
                live && setShown((m) => new Map(m).set(`${k}:${rp.hexsChain}`, formatAmount(rp.price, rp.currency, info))),
            )
            .catch(() => undefined);
      }
    return () => {
      live = false;
    };
  }, [remote]);
  const name = (modelId: string) => {
    const m = catalog.models.find((x) => x.id === modelId);
    return m ? metaOf(m).name : `Model ${formatId(modelId)}`;
  };
  return (
    <section aria-labelledby="remote-h">
      <h2 id="remote-h">Your listings: prices for buyers on other chains</h2>
      <p className="muted small">
        A key you list for resale can also be bought by someone paying on another chain, at the price you set for that chain (in
        its currency). The key moves to them there and you are paid there. Only the listing's seller sets it; it lapses when the
        listing is cancelled or filled.
      </p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {!listings ? (
        <p className="muted">Reading your listings…</p>
      ) : listings.length === 0 ? (
        <p>This wallet lists no key for sale. List one from My keys first.</p>
      ) : (
        listings.map((l) => {
          const k = `${l.hexsChain}:${l.keyId}`;
          const rps = remote.get(k);
          return (
            <article key={k} className="card studio-model" data-listing={k} aria-labelledby={`listing-${k}-h`}>
              <h3 id={`listing-${k}-h`}>
                Key {formatId(l.keyId)} of {name(l.modelId)}{" "}
                <span className="muted small">
                  listed on {label(l.hexsChain)} for {formatAmount(l.price, l.currency)}
                </span>
              </h3>
              <p data-testid="remote-prices">
                {!rps
                  ? "Reading its prices for other chains…"
                  : rps.length === 0
                    ? "No price for buyers on other chains yet."
                    : `For buyers on other chains: ${rps
                        .map((rp) => `${shown.get(`${k}:${rp.hexsChain}`) ?? "…"} on ${label(rp.hexsChain)}`)
                        .join(", ")}`}
              </p>
              <RemotePriceForm listing={l} chains={chains} config={config} busy={busy} onSet={onSet} />
            </article>
          );
        })
      )}
    </section>
  );
}

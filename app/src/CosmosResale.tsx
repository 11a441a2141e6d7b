// Resale on a Cosmos chain, inside the Cosmos page once a Keplr-compatible wallet is connected: the
// keys the account holds there (list one at a price, cancel its listing) and the chain's listings
// of other sellers (buy one at its price). The calls are the SDK's (sdk/cosmwasm-resale.ts), loaded
// on first use like the rest of cosmjs, so the page's own chunk stays small.
import { useCallback, useEffect, useState } from "react";
import type { CosmosHexs } from "../../sdk/cosmwasm-client";
import type { CosmosListing } from "../../sdk/cosmwasm-resale";
import type { Model } from "../../sdk/cosmwasm/Hexs.types";

const sdk = () => import("../../sdk/cosmwasm-resale");

interface Props {
  h: CosmosHexs;
  label: string;
  models: Model[];
  nameOf: (id: number | string) => string;
  formatCoin: (amount: bigint | string, denom: string) => string;
  parseCoin: (text: string, denom: string) => bigint;
  /** After a transaction: the page reads balances and models again. */
  onChanged: () => void;
}

interface Held {
  keyId: bigint;
  listing?: CosmosListing;
}

export function CosmosResale({ h, label, models, nameOf, formatCoin, parseCoin, onChanged }: Props) {
  const [held, setHeld] = useState<Held[]>([]);
  const [market, setMarket] = useState<CosmosListing[]>([]);
  const [prices, setPrices] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();

  const load = useCallback(async () => {
    const r = await sdk();
    const keys = await r.cosmosHeldKeys(h);
    setHeld(await Promise.all(keys.map(async (keyId) => ({ keyId, listing: await r.cosmosListing(h, keyId) }))));
    const all = (await Promise.all(models.map((m) => r.cosmosListings(h, BigInt(m.id))))).flat();
    setMarket(all.filter((l) => l.fillable && l.seller !== h.sender));
  }, [h, models]);

  useEffect(() => {
    load().catch((e: unknown) => setError(`Could not read the listings on ${label}: ${(e as Error).message}`));
  }, [load, label]);

  async function act(what: () => Promise<string>) {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      setDone(await what());
      onChanged();
      await load();
    } catch (e) {
      console.error(e);
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  const list = (keyId: bigint) =>
    act(async () => {
      const price = parseCoin(prices[keyId.toString()] ?? "", h.denom);
      const r = await (await sdk()).cosmosListKey(h, { keyId, price });
      return `Listed key ${keyId} for ${formatCoin(r.price, h.denom)} on ${label}. You keep it until someone buys it.`;
    });
  const cancel = (keyId: bigint) =>
    act(async () => {
      await (await sdk()).cosmosCancelListing(h, { keyId });
      return `Withdrew the listing of key ${keyId}.`;
    });
  const buy = (l: CosmosListing) =>
    act(async () => {
      const f = await (await sdk()).cosmosBuyListing(h, { keyId: l.keyId });
      return `Bought key ${f.keyId} from ${f.seller} for ${formatCoin(f.price, f.denom)} (royalty ${formatCoin(f.royalty, f.denom)} to the model's vault; fee ${formatCoin(f.fee, h.denom)}).`;
    });

  return (
    <section className="card" aria-labelledby="cosmos-resale-h">
      <h2 id="cosmos-resale-h">Resale on {label}</h2>
      <h3>Your keys</h3>
      {held.length === 0 ? (
        <p className="muted">You hold no key on {label}.</p>
      ) : (
        <table className="prices" aria-label="your keys on this chain">
          <tbody>
            {held.map(({ keyId, listing }) => (
              <tr key={keyId.toString()} data-key={keyId.toString()}>
                <th scope="row">Key {keyId.toString()}</th>
                <td>{listing ? `listed for ${formatCoin(listing.price, listing.denom)}` : "not listed"}</td>
                <td>
                  {listing ? (
                    <button className="button" disabled={busy} onClick={() => void cancel(keyId)}>
                      Cancel listing of key {keyId.toString()}
                    </button>
                  ) : (
                    <>
                      <label>
                        Price of key {keyId.toString()} ({h.denom.replace(/^u/, "").toUpperCase()}){" "}
                        <input
                          className="input"
                          inputMode="decimal"
                          value={prices[keyId.toString()] ?? ""}
                          onChange={(e) => setPrices((p) => ({ ...p, [keyId.toString()]: e.target.value }))}
                        />
                      </label>{" "}
                      <button className="button" disabled={busy} onClick={() => void list(keyId)}>
                        List key {keyId.toString()}
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Listings</h3>
      {market.length === 0 ? (
        <p className="muted">No key is listed by another account on {label}.</p>
      ) : (
        <table className="prices" aria-label="listings on this chain">
          <tbody>
            {market.map((l) => (
              <tr key={l.keyId.toString()} data-listing={l.keyId.toString()}>
                <th scope="row">
                  Key {l.keyId.toString()} of {nameOf(l.modelId.toString())}
                </th>
                <td className="mono small">{l.seller}</td>
                <td>
                  <button className="button" disabled={busy} onClick={() => void buy(l)}>
                    Buy key {l.keyId.toString()} for {formatCoin(l.price, l.denom)}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {done && (
        <p className="done" data-testid="cosmos-resale-done">
          {done}
        </p>
      )}
      {error && (
        <div role="alert" className="error" data-testid="cosmos-resale-error">
          {error}
        </div>
      )}
    </section>
  );
}

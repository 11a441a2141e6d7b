// The secondary market in the app: a model page's "Keys for sale" (price, seller, chain; Buy for a
// connected wallet, Cancel for the seller) and "List for sale" on a key in My keys. Listings come
// from the indexer (/market/listings); every action is the SDK's (listKey, buyListing,
// cancelListing) signed by the injected wallet on the listing's chain.
import { useCallback, useEffect, useRef, useState } from "react";
import { parseEther } from "ethers";
import * as hexs from "../../sdk";
import type { EvmChain } from "../../sdk/chains";
import { NATIVE } from "../../sdk/tx";
import { chainLabel, evmChains, type AppConfig } from "./config";
import { formatAmount, useCurrencies } from "./currency";
import { checksum, short } from "./format";
import { FlowStatus, SIGN_AND_SUBMIT, type StepDef } from "./Flow";
import { formatId, loadListings, type HoldingRow, type ListingRow } from "./indexer";
import type { FlowStep } from "./pending";
import { explain, injectedWallet, NoWalletError, useAccount, walletOn, type Explained } from "./wallet";

type Kind = "buy" | "cancel" | "list";

interface MarketAction {
  kind: Kind;
  keyId: string;
  chain: number;
  steps: FlowStep[];
  error?: Explained;
}

const VERB: Record<Kind, string> = { buy: "Purchase", cancel: "Cancellation", list: "Listing" };

function stepDefs(a: MarketAction, from: string): StepDef[] {
  const done: Record<Kind, string> = {
    buy: `Confirmed: key ${formatId(a.keyId)} is yours`,
    cancel: `Confirmed: key ${formatId(a.keyId)} is no longer for sale`,
    list: `Confirmed: key ${formatId(a.keyId)} is for sale`,
  };
  return [
    {
      key: "switching",
      todo: `Wallet on ${from}`,
      text: (_s, ok) => (ok ? `Wallet on ${from}` : `Switching your wallet to ${from}`),
    },
    { key: "checking", todo: "Checks passed", text: (_s, ok) => (ok ? "Checks passed" : "Checking the listing and your funds") },
    ...(a.kind === "list"
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
    go: (c: hexs.HexsContracts, signer: Awaited<ReturnType<typeof walletOn>>["signer"]) => Promise<string>,
  ) => {
    const report = (s: FlowStep) => live.current && setAction((a) => (a ? { ...a, steps: [...a.steps, s] } : a));
    setAction({ kind, keyId, chain: chain.hexsChainId, steps: [] });
    try {
      const eth = injectedWallet();
      if (!eth) throw new NoWalletError();
      const { c, signer } = await walletOn(eth, chain, report);
      const txHash = await go(c, signer);
      report({ step: "confirmed", txHash, keyId: BigInt(keyId), buyer: await signer.getAddress() });
      onDone();
    } catch (e) {
      console.error(e);
      if (live.current)
        setAction((a) =>
          a ? { ...a, error: explain(e, chainLabel(config.registry, chain.hexsChainId), kind === "buy" ? "purchase" : kind) } : a,
        );
    }
  };
  const busy = action !== undefined && !action.error && !action.steps.some((s) => s.step === "confirmed");
  return { action, run, busy };
}

function ActionPanel({ config, action }: { config: AppConfig; action: MarketAction }) {
  const from = chainLabel(config.registry, action.chain);
  return (
    <div className="buy-panel" data-testid="market-action">
      <h3>
        {VERB[action.kind]} of key {formatId(action.keyId)}
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

/** A model page's section: its keys listed for resale on every chain. */
export function KeysForSale({ config, modelId }: { config: AppConfig; modelId: string }) {
  const account = useAccount();
  const [listings, setListings] = useState<ListingRow[]>();
  const [error, setError] = useState<string>();
  const chains = evmChains(config.registry);
  const cur = useCurrencies(chains, listings ?? []);
  const reload = useCallback(async () => {
    try {
      setListings(await loadListings(config.indexerUrl, { model: modelId }));
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [config.indexerUrl, modelId]);
  useEffect(() => {
    void reload();
    const t = setInterval(() => void reload(), 2000);
    return () => clearInterval(t);
  }, [reload]);
  const { action, run, busy } = useMarketAction(config, () => void reload());
  const me = account?.toLowerCase();

  const buy = (l: ListingRow, chain: EvmChain) =>
    run("buy", l.keyId, chain, async (c, signer) => (await hexs.buyListing(c, signer, { keyId: BigInt(l.keyId) })).txHash);
  const cancel = (l: ListingRow, chain: EvmChain) =>
    run("cancel", l.keyId, chain, async (c, signer) => (await hexs.cancelListing(c, signer, { keyId: BigInt(l.keyId) })).txHash);

  return (
    <section aria-labelledby="market-h" data-testid="keys-for-sale">
      <h2 id="market-h">Keys for sale</h2>
      <p className="muted small">
        Keys their holders resell, on the chain where each is held. A resale pays the model's lineage its royalty (ERC-2981) like
        a new key does; the key moves to the buyer when the transaction is confirmed.
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
                      <button
                        className="button"
                        disabled={busy}
                        onClick={() => void buy(l, chain)}
                        aria-label={`Buy key ${l.keyId} on ${label} for ${price}`}
                      >
                        Buy
                      </button>
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

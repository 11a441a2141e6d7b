// A key's deployment, as its purchase chain records it: the escrow held while the lease service
// opens the Akash lease, the lease reported (its dseq, the operator the escrow paid), a failed
// deployment refunded, or an unreported one the buyer reclaims after the timeout (then claims).
import { useCallback, useEffect, useState } from "react";
import * as hexs from "../../sdk";
import type { EvmChain } from "../../sdk/chains";
import { AkashUnreachableError, formatDecCoin, liveLease, type AkashConfig, type LiveLease } from "./akash";
import { currencyOf, formatAmount } from "./currency";
import { readProvider } from "./pending";
import { explain, injectedWallet, NoWalletError, walletOn, type Explained } from "./wallet";

/** The chain a key was bought on: a key id's upper 32 bits name it. */
export const purchaseChainOf = (keyId: string): number => Number(BigInt(keyId) >> 32n);

const when = (unix: number) => `${new Date(unix * 1000).toLocaleString("en-GB", { timeZone: "UTC" })} UTC`;

const LEASE_STATES: Record<LiveLease["state"], string> = {
  active: "active",
  insufficient_funds: "insufficient funds",
  closed: "closed",
  invalid: "invalid",
};

/**
 * The lease on Akash itself (what Akash Console shows): its state, provider, price per block and the
 * deployment's escrow balance, polled from the node's REST API. An unreachable node is said so here
 * and nothing else on the page depends on it.
 */
function AkashLease({ dseq, akash }: { dseq: string; akash?: AkashConfig }) {
  const [live, setLive] = useState<{ lease?: LiveLease; error?: string; unreachable?: boolean; loaded: boolean }>({
    loaded: false,
  });
  useEffect(() => {
    if (!akash) return;
    let stop = false;
    const read = () =>
      liveLease(akash, dseq).then(
        (lease) => !stop && setLive({ lease, loaded: true }),
        (e: unknown) =>
          !stop &&
          setLive((was) => ({
            ...was,
            loaded: true,
            unreachable: e instanceof AkashUnreachableError,
            error: e instanceof Error ? e.message : String(e),
          })),
      );
    void read();
    const t = setInterval(() => void read(), 3000);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, [akash, dseq]);
  const state = !akash
    ? "unconfigured"
    : !live.loaded
      ? "loading"
      : live.error
        ? live.unreachable
          ? "unreachable"
          : "error"
        : (live.lease?.state ?? "missing");
  return (
    <div
      className="akash-lease"
      role="group"
      aria-label={`Akash lease dseq ${dseq}`}
      data-testid="akash-lease"
      data-state={state}
    >
      <strong>On Akash:</strong>{" "}
      {state === "unconfigured" && (
        <>this app names no Akash node (akash.restUrl in config.json), so the lease&apos;s live state is not shown.</>
      )}
      {state === "loading" && <>reading the lease…</>}
      {(state === "unreachable" || state === "error") && (
        <span role="alert" className="error-inline">
          {state === "unreachable" ? "the Akash node's API did not answer" : live.error}: the lease&apos;s live state is unknown
          (the record above is the purchase chain&apos;s). It is read again every few seconds.
        </span>
      )}
      {state === "missing" && <>no lease for dseq {dseq} under the lease service&apos;s accounts (yet).</>}
      {live.lease && !live.error && (
        <dl className="lease-facts">
          <dt>Lease</dt>
          <dd data-testid="lease-state">
            <span className={`badge lease-${live.lease.state}`}>{LEASE_STATES[live.lease.state]}</span>
          </dd>
          <dt>Provider</dt>
          <dd className="mono" data-testid="lease-provider">
            {live.lease.provider}
          </dd>
          <dt>Price</dt>
          <dd data-testid="lease-price">{formatDecCoin(live.lease.price)} per block</dd>
          <dt>Escrow balance</dt>
          <dd data-testid="lease-escrow">{live.lease.escrow ? formatDecCoin(live.lease.escrow) : "no escrow account"}</dd>
          <dt>Owner</dt>
          <dd className="mono">{live.lease.owner}</dd>
        </dl>
      )}
    </div>
  );
}

export function Deployment({
  keyId,
  chain,
  account,
  akash,
  chainName,
}: {
  keyId: string;
  chain: EvmChain;
  account: string;
  akash?: AkashConfig;
  /** the chain's name for people (the registry's label) */
  chainName: string;
}) {
  const [view, setView] = useState<hexs.DeploymentView>();
  const [amount, setAmount] = useState<string>();
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<Explained>();
  const [done, setDone] = useState<string>();
  const load = useCallback(async () => {
    const c = hexs.connectContracts(chain, readProvider(chain));
    const v = await hexs.deploymentOf(c, BigInt(keyId));
    setView(v);
    if (v.currency) setAmount(formatAmount(v.amount, v.currency, await currencyOf(chain, v.currency).catch(() => undefined)));
  }, [chain, keyId]);
  useEffect(() => {
    void load().catch(() => undefined);
    const t = setInterval(() => void load().catch(() => undefined), 3000);
    return () => clearInterval(t);
  }, [load]);

  const act = async (what: "reclaim" | "claim") => {
    setBusy(what);
    setError(undefined);
    try {
      const eth = injectedWallet();
      if (!eth) throw new NoWalletError();
      const { c, signer } = await walletOn(eth, chain, () => undefined);
      if (what === "reclaim") {
        const r = await hexs.reclaimEscrow(c, signer, BigInt(keyId));
        setDone(`Escrow credited back to you (${r.txHash.slice(0, 10)}…): claim it to receive it.`);
        setView({ ...view!, state: "reclaimed", payee: r.buyer });
      } else {
        const currency = view?.currency ?? hexs.NATIVE;
        const r = await hexs.claim(c, signer, { currency });
        setDone(`Claimed ${formatAmount(r.amount, currency, await currencyOf(chain, currency).catch(() => undefined))}.`);
      }
      void load();
    } catch (e) {
      console.error(e);
      setError(explain(e, chainName, what === "reclaim" ? "reclaim" : "claim"));
    } finally {
      setBusy(undefined);
    }
  };

  if (!view || view.state === "none") return null;
  const mine = (a?: string) => a !== undefined && a.toLowerCase() === account.toLowerCase();
  return (
    <div
      className="deployment small"
      role="group"
      aria-label={`Deployment of key ${keyId}`}
      data-testid="deployment"
      data-state={view.state}
    >
      <strong>Deployment:</strong>{" "}
      {view.state === "pending" && (
        <>
          requested; {amount} held in escrow while the lease service opens the Akash lease (the buyer may take it back from{" "}
          {when(view.reclaimableAt!)} if no lease is reported).
        </>
      )}
      {view.state === "reclaimable" && (
        <>
          no lease was reported in time; the buyer may take the {amount} escrow back.{" "}
          {mine(view.buyer) && (
            <button className="button secondary" disabled={busy !== undefined} onClick={() => void act("reclaim")}>
              {busy === "reclaim" ? "Reclaiming…" : "Reclaim escrow"}
            </button>
          )}
        </>
      )}
      {view.state === "leased" && (
        <>
          leased: Akash deployment <span className="mono">dseq {String(view.dseq)}</span>; the {amount} escrow paid the lease
          operator <span className="mono">{view.payee}</span>.
          <AkashLease dseq={String(view.dseq)} akash={akash} />
        </>
      )}
      {view.state === "refunded" && <>the deployment failed; the {amount} escrow was credited to the buyer.</>}
      {view.state === "reclaimed" && <>no lease was reported; the buyer took the {amount} escrow back.</>}
      {(view.state === "refunded" || view.state === "reclaimed") && mine(view.payee) && !done?.startsWith("Claimed") && (
        <>
          {" "}
          <button className="button secondary" disabled={busy !== undefined} onClick={() => void act("claim")}>
            {busy === "claim" ? "Claiming…" : "Claim"}
          </button>
        </>
      )}
      {done && (
        <span role="status" data-testid="deployment-done">
          {" "}
          {done}
        </span>
      )}
      {error && (
        <div role="alert" className="error" data-testid="deployment-error">
          <strong>{error.title}.</strong> {error.detail} <em>{error.next}</em>
        </div>
      )}
    </div>
  );
}

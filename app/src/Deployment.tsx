// A key's deployment, as its purchase chain records it: the escrow held while the lease service
// opens the Akash lease, the lease reported (its dseq, the operator the escrow paid), a failed
// deployment refunded, or an unreported one the buyer reclaims after the timeout (then claims).
import { useCallback, useEffect, useState } from "react";
import * as hexs from "../../sdk";
import type { EvmChain } from "../../sdk/chains";
import { currencyOf, formatAmount } from "./currency";
import { readProvider } from "./pending";
import { explain, injectedWallet, NoWalletError, walletOn, type Explained } from "./wallet";

/** The chain a key was bought on: a key id's upper 32 bits name it. */
export const purchaseChainOf = (keyId: string): number => Number(BigInt(keyId) >> 32n);

const when = (unix: number) => `${new Date(unix * 1000).toLocaleString("en-GB", { timeZone: "UTC" })} UTC`;

export function Deployment({ keyId, chain, account }: { keyId: string; chain: EvmChain; account: string }) {
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
      setError(explain(e, chain.name, what === "reclaim" ? "reclaim" : "claim"));
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

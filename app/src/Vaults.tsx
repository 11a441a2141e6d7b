// The model page's vaults, level by level up its lineage, on each EVM chain: what each level's vault
// holds before it is settled, and a Settle button per level (anyone may settle; SDK `settle`, one
// level). Settling a level credits its creator and moves its parent's royalty into the parent's
// vault, which is then settled one level up: the lineage split, level by level.
import { useEffect, useState } from "react";
import * as hexs from "../../sdk";
import type { EvmChain } from "../../sdk/chains";
import { chainLabel, evmChains, type AppConfig } from "./config";
import { formatAmount, useCurrencies } from "./currency";
import { FlowStatus, TX_STEPS } from "./Flow";
import { ancestorsOf, metaOf, type Catalog, type ModelRow } from "./indexer";
import { readProvider, type FlowStep } from "./pending";
import { explain, injectedWallet, NoWalletError, walletOn, type Explained } from "./wallet";

interface Vault {
  chain: EvmChain;
  level: number;
  model: ModelRow;
  currency: string;
  amount: bigint;
}

interface Job {
  label: string;
  steps: FlowStep[];
  done?: string;
  error?: Explained;
}

export function Vaults({ config, catalog, id }: { config: AppConfig; catalog: Catalog; id: string }) {
  const byId = new Map(catalog.models.map((m) => [m.id, m]));
  const self = byId.get(id);
  const lineage = self ? [self, ...ancestorsOf(byId, id)] : [];
  const chains = evmChains(config.registry);
  const ids = lineage.map((m) => m.id);
  const prices = catalog.prices.filter((p) => ids.includes(p.modelId));
  const cur = useCurrencies(chains, prices);
  const [vaults, setVaults] = useState<Vault[]>();
  const [job, setJob] = useState<Job>();
  const [tick, setTick] = useState(0);
  const key = `${ids.join(",")}|${prices.map((p) => `${p.hexsChain}:${p.currency}`).join(",")}`;

  useEffect(() => {
    let live = true;
    const read = async () => {
      const out: Vault[] = [];
      for (const chain of chains) {
        const c = hexs.connectContracts(chain, readProvider(chain));
        const currencies = new Set([
          hexs.NATIVE,
          ...prices.filter((p) => p.hexsChain === chain.hexsChainId).map((p) => p.currency.toLowerCase()),
        ]);
        for (const currency of currencies)
          for (const [level, model] of lineage.entries()) {
            // a level not on this chain has no vault here
            if (!catalog.copies.some((x) => x.modelId === model.id && x.hexsChain === chain.hexsChainId)) continue;
            out.push({ chain, level, model, currency, amount: await c.market.vaultOf(BigInt(model.id), currency) });
          }
      }
      if (live) setVaults(out);
    };
    read().catch((e: unknown) => console.error(e));
    const t = setInterval(() => void read().catch(() => undefined), 5000);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [config, key, tick]);

  if (!self) return null;
  const label = (n: number) => chainLabel(config.registry, n);
  const fmt = (v: Vault, amount: bigint) => formatAmount(amount, v.currency, cur(v.chain.hexsChainId, v.currency));
  const busy = job !== undefined && !job.done && !job.error;

  async function settle(v: Vault) {
    const name = metaOf(v.model).name;
    setJob({ label: `Settling ${name}'s vault on ${label(v.chain.hexsChainId)}`, steps: [] });
    const report = (s: FlowStep) => setJob((j) => (j ? { ...j, steps: [...j.steps, s] } : j));
    try {
      const eth = injectedWallet();
      if (!eth) throw new NoWalletError();
      const { c, signer } = await walletOn(eth, v.chain, report);
      const [l] = await hexs.settle(c, signer, { modelId: BigInt(v.model.id), currency: v.currency, levels: 1n });
      if (!l || l.amount === 0n)
        throw new hexs.StateError(
          `nothing to settle: ${name}'s vault on ${label(v.chain.hexsChainId)} is empty (someone settled it, or no sale reached it yet)`,
        );
      report({ step: "confirmed", txHash: l.txHash ?? "", keyId: 0n, buyer: "" });
      const parent = l.parentId !== 0n ? byId.get(l.parentId.toString()) : undefined;
      const parts = [
        `its creator credited ${fmt(v, l.creatorShare)}`,
        ...(l.parentShare > 0n ? [`${fmt(v, l.parentShare)} into ${parent ? metaOf(parent).name : "its parent"}'s vault`] : []),
        ...(l.daoShare > 0n ? [`its DAO ${fmt(v, l.daoShare)}`] : []),
        `protocol fee ${fmt(v, l.protocolFee)}`,
      ];
      setJob((j) =>
        j ? { ...j, done: `Settled ${fmt(v, l.amount)} of ${name} on ${label(v.chain.hexsChainId)}: ${parts.join(", ")}.` } : j,
      );
    } catch (e) {
      console.error(e);
      setJob((j) => (j ? { ...j, error: explain(e, label(v.chain.hexsChainId), "settle") } : j));
    }
    setTick((t) => t + 1);
  }

  return (
    <div className="vaults" data-testid="vaults">
      <h3 id="vaults-h">Unsettled in each level&apos;s vault</h3>
      <p className="muted small">
        A sale&apos;s money waits in the model&apos;s vault; settling a level splits it as above and moves the parent&apos;s
        royalty into the parent&apos;s vault, to be settled one level up. Anyone may settle; your wallet pays the gas only.
      </p>
      {!vaults ? (
        <p className="muted">Reading the vaults…</p>
      ) : (
        <table className="prices" aria-labelledby="vaults-h">
          <thead>
            <tr>
              <th scope="col">Chain</th>
              <th scope="col">Level</th>
              <th scope="col">In the vault</th>
              <th scope="col">
                <span className="sr-only">Settle</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {vaults.map((v) => {
              const name = metaOf(v.model).name;
              const sym = cur(v.chain.hexsChainId, v.currency)?.symbol ?? "";
              return (
                <tr
                  key={`${v.chain.hexsChainId}:${v.currency}:${v.model.id}`}
                  data-chain={v.chain.hexsChainId}
                  data-model={v.model.id}
                  data-currency={v.currency}
                >
                  <th scope="row">{label(v.chain.hexsChainId)}</th>
                  <td>
                    {v.level === 0 ? "this model" : `level ${v.level} up`}: {name}
                  </td>
                  <td data-testid="vault">{fmt(v, v.amount)}</td>
                  <td>
                    <button
                      className="button secondary"
                      disabled={busy}
                      onClick={() => void settle(v)}
                      aria-label={`Settle ${name}'s ${sym} vault on ${label(v.chain.hexsChainId)}`}
                    >
                      Settle
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {job && (
        <div className="buy-panel" data-testid="vault-job">
          <h4>{job.label}</h4>
          <FlowStatus steps={job.steps} defs={TX_STEPS} failed={job.error !== undefined} label="settle progress" />
          {job.done && (
            <p className="ok" data-testid="vault-done">
              ✓ {job.done}
            </p>
          )}
          {job.error && (
            <div role="alert" className="error" data-testid="vault-error">
              <strong>{job.error.title}.</strong> {job.error.detail} <em>{job.error.next}</em>
            </div>
          )}
        </div>
      )}
    </div>
  );
}

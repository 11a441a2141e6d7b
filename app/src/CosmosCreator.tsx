// A Cosmos creator's controls on the Cosmos page, for the models the connected Keplr account
// created on this chain: its price on an EVM chain (an ADR-36 signed price order, submitted by
// the page's EVM wallet, which only pays the gas), the lease operators' grant to decrypt its SDL
// (so a purchase with an Akash deployment can open a lease), and what it earned on each EVM chain:
// bind a payout address there (ADR-36, carried by the relayers), then claim with that wallet.
// Everything goes through the SDK (priceAsCosmosCreator, cosmosBindPayout, remoteCreatorOn, claim).
import { useEffect, useState } from "react";
import { formatEther, isAddress, parseEther } from "ethers";
import * as hexs from "../../sdk";
import type { EvmChain } from "../../sdk/chains";
import type { Model } from "../../sdk/cosmwasm/Hexs.types";
import { chainLabel, evmChains, type AppConfig } from "./config";
import { formatId } from "./indexer";
import { readProvider } from "./pending";
import { injectedWallet, NoWalletError, useAccount, walletOn } from "./wallet";

type CosmosModule = typeof import("./cosmos");
type Session = { mod: CosmosModule; h: import("./cosmos").CosmosHexs; models: Model[] };
/** A step of the page's progress list; `text` replaces its default wording. */
export type Say = (step: "checking" | "signing" | "submitted" | "confirmed", text?: string) => void;
/** The page's runner: progress, errors a person understands (`action`, on the chain `where`), then a fresh read. */
export type Run = (
  title: string,
  go: (say: Say) => Promise<string>,
  o: { action: string; where?: string; after?: () => void },
) => Promise<void>;

interface Earned {
  chain: EvmChain;
  view: hexs.RemoteCreatorView;
}

/** An EVM signer from the page's injected wallet, on `chain` (switched there first). */
async function evmSigner(chain: EvmChain, label: string, say: Say) {
  const eth = injectedWallet();
  if (!eth) throw new NoWalletError();
  return walletOn(eth, chain, (s) => {
    if (s.step === "checking") say("checking", `Your EVM wallet is on ${label}`);
    if (s.step === "signing") say("signing", "Your EVM wallet signs the transaction");
    if (s.step === "submitted") say("submitted", `Transaction submitted on ${label}: ${s.txHash.slice(0, 10)}…`);
  });
}

export function CosmosCreator({
  config,
  session,
  label,
  busy,
  run,
  nameOf,
}: {
  config: AppConfig;
  session: Session;
  label: string;
  busy: boolean;
  run: Run;
  nameOf: (id: number | string) => string;
}) {
  const { mod, h } = session;
  const mine = session.models.filter((m) => mod.isCreatorOf(h, m));
  const evm = evmChains(config.registry);
  const evmAccount = useAccount();
  const [modelId, setModelId] = useState("");
  const [chainId, setChainId] = useState(evm[0]?.hexsChainId ?? 0);
  const [keyPrice, setKeyPrice] = useState("");
  const [deployPrice, setDeployPrice] = useState("");
  const [earned, setEarned] = useState<Earned[]>();
  const [payoutTo, setPayoutTo] = useState<Record<number, string>>({});
  const [tick, setTick] = useState(0);
  const me = mod.cosmosAccountOf(h);
  const model = mine.find((m) => String(m.id) === modelId) ?? mine[0];
  const evmLabel = (id: number) => chainLabel(config.registry, id);
  const operators = config.leaseOperators ?? [];

  // what the account earned on each EVM chain, and its payout address there (a binding arrives with the relayers: polled)
  useEffect(() => {
    let live = true;
    const read = () =>
      Promise.all(
        evm.map(async (chain) => ({
          chain,
          view: await hexs.remoteCreatorOn(hexs.connectContracts(chain, readProvider(chain)), me, hexs.NATIVE),
        })),
      )
        .then((r) => live && setEarned(r))
        .catch((e: unknown) => console.error(e));
    void read();
    const t = setInterval(() => void read(), 3000);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [h.sender, config, tick]);

  // nothing to do on other chains without a model here, or without EVM chains in the deployment
  if (mine.length === 0 || evm.length === 0) return null;
  const chain = evm.find((c) => c.hexsChainId === chainId);

  const price = () => {
    const m = model;
    const target = chain!;
    return run(
      `Price ${nameOf(m.id)} on ${evmLabel(target.hexsChainId)}`,
      async (say) => {
        let key: bigint;
        let deployment: bigint;
        try {
          key = parseEther(keyPrice.trim());
          deployment = deployPrice.trim() ? parseEther(deployPrice.trim()) : 0n;
        } catch {
          throw new hexs.InvalidParamsError(
            `bad price '${keyPrice}${deployPrice ? ` / ${deployPrice}` : ""}': write amounts of ETH, such as 0.02`,
          );
        }
        if (key === 0n) throw new hexs.InvalidParamsError("bad key price 0: give a price above zero");
        const { c, signer } = await evmSigner(target, evmLabel(target.hexsChainId), say);
        say("checking");
        const holder = mod.cosmosKeyHolder(h);
        say("signing", "Sign the price order in your Keplr wallet (ADR-36: a message, not a transaction)");
        const r = await hexs.priceAsCosmosCreator(
          c,
          signer,
          holder.signer,
          {
            creator: me,
            hrp: h.chain.bech32Prefix ?? "wasm",
            modelId: BigInt(m.id),
            currency: hexs.NATIVE,
            keyPrice: key,
            deploymentPrice: deployment,
          },
          { onSigned: () => say("signing", "Price order signed in Keplr; your EVM wallet submits it (gas only)") },
        );
        say("confirmed", `Confirmed on ${evmLabel(target.hexsChainId)}`);
        return `Priced ${nameOf(m.id)} (model ${formatId(String(m.id))}) on ${evmLabel(target.hexsChainId)}: ${formatEther(r.keyPrice)} ETH a key${r.deploymentPrice > 0n ? `, ${formatEther(r.deploymentPrice)} ETH for an Akash deployment` : ""}. Your signed order was submitted by ${await signer.getAddress()}.`;
      },
      { action: "price", where: evmLabel(target.hexsChainId) },
    );
  };

  const grantOperators = () => {
    const m = model;
    return run(
      `Let the lease operators decrypt ${nameOf(m.id)}'s SDL`,
      async (say) => {
        if (!config.keyServiceUrl)
          throw new hexs.NotFoundError(
            "this deployment names no key service (keyServiceUrl in config.json): nothing can be granted",
          );
        if (!/#kc=0x[0-9a-f]{64}$/.test(m.sdl_uri))
          throw new hexs.StateError(
            `${nameOf(m.id)}'s SDL was not sealed with the key service (${m.sdl_uri}): there is no key to share with the lease operators`,
          );
        const seal = await import("./seal");
        say("signing", "Sign the key service's challenges in your Keplr wallet (no transaction, nothing paid)");
        await seal.grantOperatorsInPage(config.keyServiceUrl, mod.cosmosKeyHolder(h), m.sdl_uri, operators);
        say("confirmed", "Granted by the key service");
        return `The ${operators.length} lease operator${operators.length === 1 ? "" : "s"} may now decrypt ${nameOf(m.id)}'s SDL: a purchase with an Akash deployment can open its lease.`;
      },
      { action: "grant" },
    );
  };

  const bind = (e: Earned) => {
    const to = (payoutTo[e.chain.hexsChainId] ?? evmAccount ?? "").trim();
    return run(
      `Bind a payout address on ${evmLabel(e.chain.hexsChainId)}`,
      async (say) => {
        if (!isAddress(to))
          throw new hexs.InvalidParamsError(`bad payout address '${to}': an EVM address (0x and 40 hex digits) that you control`);
        const on = (s: import("./cosmos").CosmosStep) =>
          s.step === "submitted"
            ? say("submitted", `Transaction submitted: ${s.txHash.slice(0, 10)}…`)
            : s.step === "confirmed"
              ? say("confirmed", `Confirmed in block ${s.height}`)
              : say(s.step);
        const r = await mod.cosmosBindPayout(
          h,
          mod.cosmosKeyHolder(h).signer,
          { chain: e.chain.hexsChainId, payout: { family: hexs.AccountFamily.Evm, address: to }, nonce: e.view.nextPayoutNonce },
          on,
        );
        setTick((t) => t + 1);
        return `Bound ${to} as your payout address on ${evmLabel(e.chain.hexsChainId)} (transaction ${r.txHash.slice(0, 10)}…). The relayers carry it there; it shows below once ${evmLabel(e.chain.hexsChainId)} has verified your signature, usually within a minute.`;
      },
      { action: "binding" },
    );
  };

  const claim = (e: Earned) =>
    run(
      `Claim your earnings on ${evmLabel(e.chain.hexsChainId)}`,
      async (say) => {
        if (e.view.earnings === 0n)
          throw new hexs.StateError(
            `nothing to claim: your account has no ETH earnings credited on ${evmLabel(e.chain.hexsChainId)} yet. A sale's money is credited once its vault is settled (the model page's royalty section).`,
          );
        const { c, signer } = await evmSigner(e.chain, evmLabel(e.chain.hexsChainId), say);
        const r = await hexs.claim(c, signer, { currency: hexs.NATIVE, payee: me });
        say("confirmed", `Confirmed on ${evmLabel(e.chain.hexsChainId)}`);
        setTick((t) => t + 1);
        return `Claimed ${formatEther(r.amount)} ETH of your earnings on ${evmLabel(e.chain.hexsChainId)}, paid to ${r.to}.`;
      },
      { action: "claim", where: evmLabel(e.chain.hexsChainId) },
    );

  return (
    <section className="card" aria-labelledby="cosmos-creator-h">
      <h2 id="cosmos-creator-h">Your models on other chains</h2>
      <p className="muted small">
        Models your account created on {label} are mirrored to the EVM chains, where you have no account: you sign in Keplr and an
        EVM wallet in this page submits what you signed (it pays the gas only and gets no rights over your models).
      </p>
      <label>
        Your model{" "}
        <select className="input" value={String(model.id)} onChange={(e) => setModelId(e.target.value)}>
          {mine.map((m) => (
            <option key={m.id} value={String(m.id)}>
              {nameOf(m.id)} · {formatId(String(m.id))}
            </option>
          ))}
        </select>
      </label>

      <form
        className="price-form"
        aria-label={`Price ${nameOf(model.id)} on an EVM chain`}
        onSubmit={(e) => {
          e.preventDefault();
          void price();
        }}
      >
        <h3>Price on an EVM chain</h3>
        <label>
          EVM chain
          <select className="input" value={chainId} onChange={(e) => setChainId(Number(e.target.value))}>
            {evm.map((c) => (
              <option key={c.hexsChainId} value={c.hexsChainId}>
                {evmLabel(c.hexsChainId)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Key price (ETH)
          <input
            className="input"
            inputMode="decimal"
            placeholder="0.02"
            value={keyPrice}
            onChange={(e) => setKeyPrice(e.target.value)}
          />
        </label>
        <label>
          Akash deployment escrow (ETH, optional)
          <input
            className="input"
            inputMode="decimal"
            placeholder="0.01"
            value={deployPrice}
            onChange={(e) => setDeployPrice(e.target.value)}
          />
        </label>
        <button className="button" disabled={busy || !chain}>
          Sign and submit the price
        </button>
      </form>

      <div className="operators">
        <h3>Lease operators</h3>
        {operators.length ? (
          <p>
            A purchase with an Akash deployment needs the lease operators to decrypt the SDL ({operators.length} operator
            {operators.length === 1 ? "" : "s"} in this deployment).{" "}
            <button className="button secondary" disabled={busy} onClick={() => void grantOperators()}>
              Let the lease operators decrypt {nameOf(model.id)}&apos;s SDL
            </button>
          </p>
        ) : (
          <p className="muted small">This deployment names no lease operators (leaseOperators in config.json).</p>
        )}
      </div>

      <h3 id="cosmos-earned-h">Your earnings on EVM chains</h3>
      {!earned ? (
        <p className="muted">Reading your earnings on the EVM chains…</p>
      ) : (
        <table className="prices" aria-labelledby="cosmos-earned-h">
          <thead>
            <tr>
              <th scope="col">Chain</th>
              <th scope="col">Credited (claimable)</th>
              <th scope="col">Payout address</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {earned.map((e) => {
              const l = evmLabel(e.chain.hexsChainId);
              const payer = e.view.payout && evmAccount?.toLowerCase() === e.view.payout.toLowerCase();
              return (
                <tr key={e.chain.hexsChainId} data-chain={e.chain.hexsChainId}>
                  <th scope="row">{l}</th>
                  <td data-testid="earned">{formatEther(e.view.earnings)} ETH</td>
                  <td className="mono small" data-testid="payout">
                    {e.view.payout ?? "none bound"}
                  </td>
                  <td>
                    {e.view.payout ? (
                      <>
                        <button
                          className="button"
                          disabled={busy || !payer}
                          onClick={() => void claim(e)}
                          aria-label={`Claim your earnings on ${l}`}
                        >
                          Claim
                        </button>
                        {!payer && <span className="muted small"> Connect the payout address&apos;s EVM wallet to claim.</span>}
                      </>
                    ) : (
                      <span className="row">
                        <label>
                          Payout address on {l}
                          <input
                            className="input mono"
                            placeholder="0x…"
                            value={payoutTo[e.chain.hexsChainId] ?? evmAccount ?? ""}
                            onChange={(x) => setPayoutTo((p) => ({ ...p, [e.chain.hexsChainId]: x.target.value }))}
                          />
                        </label>{" "}
                        <button
                          className="button secondary"
                          disabled={busy}
                          onClick={() => void bind(e)}
                          aria-label={`Bind the payout address on ${l}`}
                        >
                          Bind
                        </button>
                      </span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

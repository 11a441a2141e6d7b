// A model's DAO on each EVM chain (#/model/<id>/dao): its members and their votes, the treasury
// (what the governor holds), and the proposals with their state and tally; members propose an
// infrastructure spend, vote, and anyone executes a proposal that passed. Reads and actions go
// through the SDK (daoView, createDao, propose, vote, execute). ModelGovernor has no timelock:
// a proposal that passed is executed directly (no queue step; the SDK reports needsQueuing).
import { useCallback, useEffect, useState } from "react";
import { isAddress, parseUnits, type Signer } from "ethers";
import * as hexs from "../../sdk";
import type { EvmChain } from "../../sdk/chains";
import { NATIVE } from "../../sdk/tx";
import { chainLabel, evmChains, type AppConfig } from "./config";
import { formatAmount, useCurrencies } from "./currency";
import { FlowStatus, TX_STEPS } from "./Flow";
import { formatId, metaOf, type Catalog } from "./indexer";
import { readProvider, type FlowStep } from "./pending";
import { explain, injectedWallet, NoWalletError, useAccount, walletOn, type Explained } from "./wallet";

interface ChainDao {
  chain: EvmChain;
  view?: hexs.DaoView;
  /** Why there is no view: no DAO on this chain yet, or it could not be read. */
  missing?: string;
}

interface Job {
  label: string;
  chain: number;
  steps: FlowStep[];
  done?: string;
  error?: Explained;
}

const short = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`;

/** The SDK's messages carry CLI advice (flags); say what to do in the page instead. */
function forPage(x: Explained): Explained {
  const detail = x.detail
    .replace(/: wait, or pass --fast-forward on a local network/, ": wait for the chain to reach it, then press the button again")
    .replace(/ \(use --from with a member\)/, "")
    .replace(/ \(use --from\)/, "")
    .replace(/ \(vault:settle\)/, " (Creator studio → Settle)")
    .replace(/, or change --purpose/, ", or propose with another purpose")
    .replace(/--purpose/, "the purpose")
    .replace(/--amount/, "the amount");
  return { ...x, detail };
}

const STATE_TEXT: Record<hexs.ProposalState, string> = {
  Pending: "Pending: voting has not opened yet",
  Active: "Active: members are voting",
  Canceled: "Canceled",
  Defeated: "Defeated: not enough votes for it",
  Succeeded: "Passed: ready to execute",
  Queued: "Queued",
  Expired: "Expired",
  Executed: "Executed: paid from the treasury",
};

function CreateDaoForm({
  busy,
  onCreate,
  me,
}: {
  busy: boolean;
  me: string;
  onCreate: (members: string, period: string) => void;
}) {
  const [members, setMembers] = useState(me);
  const [period, setPeriod] = useState("50");
  return (
    <form
      className="price-form"
      aria-label="Create the DAO"
      onSubmit={(e) => {
        e.preventDefault();
        onCreate(members, period);
      }}
    >
      <label>
        Founding members (addresses, one per line or separated by commas)
        <textarea className="input mono" rows={3} value={members} onChange={(e) => setMembers(e.target.value)} />
      </label>
      <label>
        Voting period (blocks)
        <input className="input" inputMode="numeric" value={period} onChange={(e) => setPeriod(e.target.value)} />
      </label>
      <button className="button" disabled={busy}>
        Create DAO
      </button>
    </form>
  );
}

function AddMemberForm({ chain, busy, onAdd }: { chain: number; busy: boolean; onAdd: (address: string) => void }) {
  const [address, setAddress] = useState("");
  return (
    <form
      className="price-form"
      aria-label="Add a member"
      onSubmit={(e) => {
        e.preventDefault();
        onAdd(address.trim());
      }}
    >
      <label htmlFor={`add-member-${chain}`}>
        New member (address)
        <input
          id={`add-member-${chain}`}
          className="input mono"
          placeholder="0x…"
          value={address}
          onChange={(e) => setAddress(e.target.value)}
        />
      </label>
      <button className="button secondary" disabled={busy}>
        Add member
      </button>
    </form>
  );
}

function ProposeForm({
  chain,
  busy,
  currencies,
  symbol,
  onPropose,
}: {
  chain: number;
  busy: boolean;
  currencies: string[];
  symbol: (currency: string) => string;
  onPropose: (to: string, currency: string, amount: string, purpose: string) => void;
}) {
  const [to, setTo] = useState("");
  const [currency, setCurrency] = useState(currencies[0] ?? NATIVE);
  const [amount, setAmount] = useState("");
  const [purpose, setPurpose] = useState("");
  const id = `propose-${chain}`;
  return (
    <form
      className="price-form"
      aria-label="Propose an infrastructure spend"
      onSubmit={(e) => {
        e.preventDefault();
        onPropose(to.trim(), currency, amount.trim(), purpose.trim());
      }}
    >
      <label htmlFor={`${id}-to`}>
        Pay to (address)
        <input id={`${id}-to`} className="input mono" placeholder="0x…" value={to} onChange={(e) => setTo(e.target.value)} />
      </label>
      <label htmlFor={`${id}-amount`}>
        Amount
        <input
          id={`${id}-amount`}
          className="input"
          inputMode="decimal"
          placeholder="0.01"
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
        />
      </label>
      <label htmlFor={`${id}-currency`}>
        Currency
        <select id={`${id}-currency`} className="input" value={currency} onChange={(e) => setCurrency(e.target.value)}>
          {currencies.map((c) => (
            <option key={c} value={c}>
              {symbol(c)}
            </option>
          ))}
        </select>
      </label>
      <label htmlFor={`${id}-purpose`}>
        Purpose (what the money is for, e.g. akash-escrow:&lt;owner&gt;/&lt;dseq&gt;)
        <input id={`${id}-purpose`} className="input" value={purpose} onChange={(e) => setPurpose(e.target.value)} />
      </label>
      <button className="button" disabled={busy}>
        Propose
      </button>
    </form>
  );
}

export function DaoPage({ config, catalog, id }: { config: AppConfig; catalog: Catalog; id: string }) {
  const account = useAccount();
  const model = catalog.models.find((m) => m.id === id);
  const chains = evmChains(config.registry).filter((c) =>
    catalog.copies.some((x) => x.modelId === id && x.hexsChain === c.hexsChainId),
  );
  const label = (n: number) => chainLabel(config.registry, n);
  const [daos, setDaos] = useState<ChainDao[]>();
  const [job, setJob] = useState<Job>();
  const chainKey = chains.map((c) => c.hexsChainId).join(",");
  const currencyPairs = (daos ?? []).flatMap((d) =>
    (d.view?.treasury ?? []).map((t) => ({ hexsChain: d.chain.hexsChainId, currency: t.currency })),
  );
  const cur = useCurrencies(chains, currencyPairs);

  const reload = useCallback(async () => {
    const out: ChainDao[] = [];
    for (const chain of chains) {
      const c = hexs.connectContracts(chain, readProvider(chain));
      // the treasury in native and in every currency the model is priced in on this chain
      const currencies = [
        NATIVE,
        ...new Set(
          catalog.prices
            .filter((p) => p.modelId === id && p.hexsChain === chain.hexsChainId && p.currency.toLowerCase() !== NATIVE)
            .map((p) => p.currency.toLowerCase()),
        ),
      ];
      try {
        out.push({ chain, view: await hexs.daoView(c, BigInt(id), { currencies }) });
      } catch (e) {
        out.push({
          chain,
          missing:
            e instanceof hexs.HexsError && e.code === "not_found"
              ? `No DAO on ${label(chain.hexsChainId)} yet.`
              : `The DAO could not be read from ${label(chain.hexsChainId)}: ${hexs.messageOf(e)}`,
        });
      }
    }
    setDaos(out);
    // the catalog object changes on every refresh; the chains and prices' count are what matter
  }, [id, chainKey, catalog.prices.length]);
  useEffect(() => {
    void reload();
    const t = setInterval(() => void reload(), 3000);
    return () => clearInterval(t);
  }, [reload]);

  async function run(what: string, action: string, chain: EvmChain, go: (c: hexs.HexsContracts, s: Signer) => Promise<string>) {
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
      setJob((j) => (j ? { ...j, error: forPage(explain(e, label(chain.hexsChainId), action)) } : j));
    }
    void reload();
  }

  const modelId = BigInt(id);
  const name = model ? metaOf(model).name : formatId(id);
  const symbol = (chain: number) => (currency: string) =>
    cur(chain, currency)?.symbol ?? (currency === NATIVE ? "native" : short(currency));

  const createDao = (chain: EvmChain) => (membersText: string, periodText: string) =>
    run(`Creating the DAO of ${name}`, "create", chain, async (c, signer) => {
      const members = membersText
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = members.find((m) => !isAddress(m));
      if (bad) throw new hexs.InvalidParamsError(`'${bad}' is not an address (0x followed by 40 hex digits)`);
      if (!/^\d+$/.test(periodText)) throw new hexs.InvalidParamsError(`bad voting period '${periodText}': a number of blocks`);
      const r = await hexs.createDao(c, signer, { modelId, members, votingPeriod: BigInt(periodText) });
      return `DAO created on ${label(chain.hexsChainId)} with ${r.members.length} member${r.members.length > 1 ? "s" : ""} (governor ${r.governor}).`;
    });

  const propose = (chain: EvmChain) => (to: string, currency: string, amountText: string, purpose: string) =>
    run(`Proposing a spend from the treasury of ${name}`, "proposal", chain, async (c, signer) => {
      if (!isAddress(to))
        throw new hexs.InvalidParamsError(`'${to || "(empty)"}' is not an address to pay: 0x followed by 40 hex digits`);
      const info = await hexs.currencyInfo(c, currency);
      let amount: bigint;
      try {
        amount = parseUnits(amountText, info.decimals);
      } catch {
        throw new hexs.InvalidParamsError(`bad amount '${amountText}': write an amount of ${info.symbol}, such as 0.01`);
      }
      const r = await hexs.propose(c, signer, { modelId, to, currency, amount, purpose });
      return `Proposal made: voting opens after block ${r.voteStart} and closes at block ${r.voteEnd}.${r.treasuryShort ? " The treasury holds less than this now: it can only be executed once it grows." : ""}`;
    });

  const addMember = (chain: EvmChain, member: string) =>
    run(`Adding a member to the DAO of ${name}`, "addition", chain, async (c, signer) => {
      if (!isAddress(member))
        throw new hexs.InvalidParamsError(`'${member || "(empty)"}' is not an address: 0x followed by 40 hex digits`);
      const r = await hexs.addMember(c, signer, { modelId, member });
      return `${r.member} is now a member on ${label(chain.hexsChainId)} (${r.votes} vote).`;
    });

  const removeMember = (chain: EvmChain, member: string) =>
    run(`Removing a member from the DAO of ${name}`, "removal", chain, async (c, signer) => {
      const r = await hexs.removeMember(c, signer, { modelId, member });
      return `${r.member} is no longer a member on ${label(chain.hexsChainId)}; votes it already cast stay counted.`;
    });

  const castVote = (chain: EvmChain, p: hexs.DaoProposal, support: hexs.Support) =>
    run(
      `${support === "abstain" ? "Abstaining on" : `Voting ${support}`} proposal ${short(p.proposalId.toString())}`,
      "vote",
      chain,
      async (c, signer) => {
        const r = await hexs.vote(c, signer, { modelId, proposalId: p.proposalId, support });
        return `Vote counted (${r.weight} vote${r.weight === 1n ? "" : "s"}): for ${r.tally.for}, against ${r.tally.against}, abstain ${r.tally.abstain}.`;
      },
    );

  const execute = (chain: EvmChain, p: hexs.DaoProposal) =>
    run(`Executing proposal ${short(p.proposalId.toString())}`, "execution", chain, async (c, signer) => {
      const r = await hexs.execute(c, signer, { modelId, proposalId: p.proposalId, fromBlock: p.block });
      return `Executed: ${formatAmount(r.amount, r.currency, cur(chain.hexsChainId, r.currency))} paid to ${r.to} for ${r.purpose}.`;
    });

  const defs = TX_STEPS;
  const busy = job !== undefined && !job.done && !job.error;
  const me = account?.toLowerCase();

  return (
    <section aria-labelledby="dao-h">
      <p>
        <a href={`#/model/${id}`}>← {name}</a>
      </p>
      <h1 id="dao-h">DAO of {name}</h1>
      <p className="muted">
        Each chain has its own DAO for this model: its members vote on spending the treasury (the DAO&apos;s share of every sale)
        on infrastructure, such as topping up the model&apos;s Akash escrow. One member, one vote.
      </p>
      {job && (
        <div className="card" aria-labelledby="dao-job-h">
          <h2 id="dao-job-h">
            {job.label} on {label(job.chain)}
          </h2>
          <FlowStatus steps={job.steps} defs={defs} failed={!!job.error} label="DAO action progress" />
          {job.done && (
            <p role="status" data-testid="dao-done">
              {job.done}
            </p>
          )}
          {job.error && (
            <div role="alert" className="error" data-testid="dao-error">
              <strong>{job.error.title}.</strong> {job.error.detail} <em>{job.error.next}</em>
            </div>
          )}
        </div>
      )}
      {!daos && <p className="muted">Reading the DAO from each chain…</p>}
      {daos?.map(({ chain, view, missing }) => {
        const n = chain.hexsChainId;
        const isMember = !!view && view.members.some((m) => m.address.toLowerCase() === me);
        const isCreator = !!model && model.creator.toLowerCase() === me;
        return (
          <section key={n} className="card" data-chain={n} aria-labelledby={`dao-${n}-h`}>
            <h2 id={`dao-${n}-h`}>{label(n)}</h2>
            {missing && <p data-testid="dao-missing">{missing}</p>}
            {!view && missing?.startsWith("No DAO") && isCreator && account && (
              <CreateDaoForm busy={busy} me={account} onCreate={(m, p) => void createDao(chain)(m, p)} />
            )}
            {!view && missing?.startsWith("No DAO") && !isCreator && (
              <p className="muted">Only the model&apos;s creator can create its DAO.</p>
            )}
            {view && (
              <>
                <p className="muted small">
                  Governor <span className="mono">{view.governor}</span> · voting opens {view.votingDelay.toString()} block
                  {view.votingDelay === 1n ? "" : "s"} after a proposal and lasts {view.votingPeriod.toString()} blocks · quorum{" "}
                  {view.quorumPercent.toString()}% of all votes · latest block {view.latestBlock.toString()}
                </p>
                <h3>Treasury</h3>
                <ul aria-label={`treasury on ${label(n)}`} data-testid="treasury">
                  {view.treasury.map((t) => (
                    <li key={t.currency} data-currency={t.currency.toLowerCase()} data-amount={t.amount.toString()}>
                      {formatAmount(t.amount, t.currency, cur(n, t.currency))}
                    </li>
                  ))}
                </ul>
                <h3>Members ({view.members.length})</h3>
                <table className="prices" aria-label={`members on ${label(n)}`}>
                  <thead>
                    <tr>
                      <th scope="col">Member</th>
                      <th scope="col">Voting power</th>
                      {isCreator && <th scope="col">Creator&apos;s action</th>}
                    </tr>
                  </thead>
                  <tbody>
                    {view.members.map((m) => (
                      <tr key={m.address} data-member={m.address.toLowerCase()}>
                        <th scope="row" className="mono">
                          {m.address}
                          {m.address.toLowerCase() === me ? " (you)" : ""}
                        </th>
                        <td>
                          {m.votes.toString()} of {view.totalVotes.toString()}
                        </td>
                        {isCreator && (
                          <td>
                            <button
                              className="button secondary"
                              disabled={busy}
                              onClick={() => void removeMember(chain, m.address)}
                              aria-label={`Remove member ${m.address}`}
                            >
                              Remove
                            </button>
                          </td>
                        )}
                      </tr>
                    ))}
                  </tbody>
                </table>
                {isCreator && <AddMemberForm chain={n} busy={busy} onAdd={(a) => void addMember(chain, a)} />}
                <h3>Proposals</h3>
                {view.proposals.length === 0 && <p>No proposals yet.</p>}
                <ul className="proposals" aria-label={`proposals on ${label(n)}`}>
                  {view.proposals.map((p) => (
                    <li
                      key={p.proposalId.toString()}
                      className="card"
                      data-proposal={p.proposalId.toString()}
                      data-state={p.state}
                    >
                      <p>
                        <strong>
                          {p.spend
                            ? `Pay ${formatAmount(p.spend.amount, p.spend.currency, cur(n, p.spend.currency))} to ${p.spend.to}`
                            : p.description.split("\n")[0]}
                        </strong>
                      </p>
                      {p.spend && <p>Purpose: {p.spend.purpose}</p>}
                      <p data-testid="proposal-state">
                        {STATE_TEXT[p.state]} · for {p.tally.for.toString()}, against {p.tally.against.toString()}, abstain{" "}
                        {p.tally.abstain.toString()}
                        {p.quorum !== undefined ? ` · quorum ${p.quorum.toString()}` : ""}
                      </p>
                      <p className="muted small">
                        Proposed by {short(p.proposer)} · voting from block {(p.voteStart + 1n).toString()} to block{" "}
                        {p.voteEnd.toString()}
                        {p.state === "Pending" ? ` (now ${view.latestBlock.toString()})` : ""}
                        {p.state === "Succeeded" && !p.needsQueuing ? " · no queue step: this DAO executes directly" : ""}
                      </p>
                      {(p.state === "Active" || p.state === "Pending") && isMember && (
                        <p>
                          {(["for", "against", "abstain"] as const).map((s) => (
                            <button
                              key={s}
                              className={s === "for" ? "button" : "button secondary"}
                              disabled={busy}
                              onClick={() => void castVote(chain, p, s)}
                              aria-label={`Vote ${s} proposal ${p.proposalId.toString()}`}
                            >
                              Vote {s}
                            </button>
                          ))}
                        </p>
                      )}
                      {p.state === "Succeeded" && (
                        <button
                          className="button"
                          disabled={busy}
                          onClick={() => void execute(chain, p)}
                          aria-label={`Execute proposal ${p.proposalId.toString()}`}
                        >
                          Execute
                        </button>
                      )}
                    </li>
                  ))}
                </ul>
                <h3>New proposal</h3>
                {account ? (
                  <>
                    {!isMember && (
                      <p className="muted">Your wallet is not a member of this DAO: only members may propose and vote.</p>
                    )}
                    <ProposeForm
                      chain={n}
                      busy={busy}
                      currencies={view.treasury.map((t) => t.currency)}
                      symbol={symbol(n)}
                      onPropose={(to, c, a, p) => void propose(chain)(to, c, a, p)}
                    />
                  </>
                ) : (
                  <p>Connect your wallet (top right) to propose or vote.</p>
                )}
              </>
            )}
          </section>
        );
      })}
    </section>
  );
}

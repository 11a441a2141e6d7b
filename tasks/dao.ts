// dao:create, dao:propose, dao:vote, dao:execute — thin wrappers over the SDK (sdk/actions/dao.ts).
import { task } from "hardhat/config";
import type { DaoCreateResult, ExecuteResult, ProposeResult, Support } from "../sdk/actions/dao";
import { formatId } from "../sdk/ids";
import { fastForwardMiner, loadProtocol, resolveSigner, sdk } from "./lib/context";
import { cli, fail } from "./lib/errors";
import { say } from "./lib/log";
import { parseAddress, parseAddressList, parseAmount, parseCurrency, parseId, parseUint } from "./lib/parse";

export type { DaoCreateResult, ExecuteResult, ProposeResult };

const FROM_HELP = "Account to sign with: index (0, 1, …) or address among the network's accounts";

// ------------------------------------------------------------------ dao:create

task("dao:create", "Create a model's DAO (membership token + governor that holds its treasury); creator only, once per model")
  .addParam("model", "The model (id such as 4294967297 or chain:serial such as 1:1)")
  .addParam("members", "Founding members, comma-separated addresses (one vote each)")
  .addOptionalParam("votingDelay", "Blocks between a proposal and the start of voting", "1")
  .addOptionalParam("votingPeriod", "Blocks a vote stays open (min 2; ~50400 is a week of 12 s blocks)", "50400")
  .addOptionalParam("quorum", "Percent of all members' votes (for + abstain) a proposal needs, 1..100", "50")
  .addOptionalParam("from", FROM_HELP, "0")
  .setAction(
    cli(
      async (
        a: { model: string; members: string; votingDelay: string; votingPeriod: string; quorum: string; from?: string },
        hre,
      ): Promise<DaoCreateResult> => {
        const modelId = parseId("model", a.model);
        const members = parseAddressList("members", a.members);
        const votingDelay = parseUint("voting-delay", a.votingDelay, (1n << 48n) - 1n, 1n);
        const votingPeriod = parseUint("voting-period", a.votingPeriod, (1n << 32n) - 1n, 50400n);
        if (votingPeriod < 2n) fail(`bad --voting-period '${a.votingPeriod}': at least 2 blocks`);
        const quorumPercent = parseUint("quorum", a.quorum, 100n, 50n);
        if (quorumPercent < 1n) fail(`bad --quorum '${a.quorum}': between 1 and 100 percent`);
        const p = await loadProtocol(hre);
        const signer = await resolveSigner(hre, a.from);
        const { createDao } = await sdk();
        const r = await createDao(p, signer, { modelId, members, votingDelay, votingPeriod, quorumPercent }, { log: say });
        say(`DAO of model ${formatId(modelId)}: governor (treasury) ${r.governor}, membership token ${r.membership}`);
        say(
          `  ${members.length} member(s): ${members.join(", ")}; voting delay ${votingDelay} block(s), period ${votingPeriod} block(s), quorum ${quorumPercent}%`,
        );
        return r;
      },
    ),
  );

// ------------------------------------------------------------------ dao:propose

task("dao:propose", "Propose paying from the model's DAO treasury to an address for a purpose; members only")
  .addParam("model", "The model whose DAO pays (id such as 4294967297 or chain:serial such as 1:1)")
  .addParam("to", "Who receives the funds, e.g. the Akash escrow funder")
  .addParam("amount", "Amount in the currency's units (e.g. 0.01) or base units (e.g. 1000wei)")
  .addOptionalParam("currency", "Treasury currency: native, or an ERC-20 token address", "native")
  .addParam("purpose", "What the money is for, e.g. akash-escrow:<owner>/<dseq> (emitted for the relayer)")
  .addOptionalParam("from", FROM_HELP, "0")
  .setAction(
    cli(
      async (
        a: { model: string; to: string; amount: string; currency: string; purpose: string; from?: string },
        hre,
      ): Promise<ProposeResult> => {
        const modelId = parseId("model", a.model);
        const to = parseAddress("to", a.to);
        const currency = parseCurrency(a.currency);
        if (!a.purpose || a.purpose.trim() === "") fail("--purpose is required: say what the funds are for");
        const p = await loadProtocol(hre);
        const { currencyInfo, fmt, propose } = await sdk();
        const c = await currencyInfo(p, currency);
        const amount = parseAmount("amount", a.amount, c.decimals, c.symbol);
        if (amount === 0n) fail(`bad --amount '${a.amount}': propose a non-zero amount`);
        const signer = await resolveSigner(hre, a.from);
        const r = await propose(p, signer, { modelId, to, currency, amount, purpose: a.purpose }, { log: say });
        say(`proposal ${r.proposalId} on model ${formatId(modelId)}'s DAO: pay ${fmt(amount, c)} to ${to} for "${a.purpose}"`);
        say(`  voting opens after block ${r.voteStart} and closes at block ${r.voteEnd}`);
        return r;
      },
    ),
  );

// ------------------------------------------------------------------ dao:vote

const SUPPORTS = ["against", "for", "abstain"];

task("dao:vote", "Vote on a proposal of the model's DAO; members only")
  .addParam("model", "The model whose DAO votes (id such as 4294967297 or chain:serial such as 1:1)")
  .addParam("proposal", "The proposal id printed by dao:propose")
  .addParam("support", "for, against or abstain")
  .addFlag("fastForward", "On local devnets only (hardhat, localhost, devnetA, devnetB): mine blocks until voting has opened")
  .addOptionalParam("from", FROM_HELP, "0")
  .setAction(
    cli(async (a: { model: string; proposal: string; support: string; fastForward: boolean; from?: string }, hre) => {
      const modelId = parseId("model", a.model);
      const proposalId = parseUint("proposal", a.proposal, (1n << 256n) - 1n);
      const support = a.support.trim().toLowerCase();
      if (!SUPPORTS.includes(support)) fail(`bad --support '${a.support}': expected for, against or abstain`);
      const p = await loadProtocol(hre);
      const signer = await resolveSigner(hre, a.from);
      const { vote } = await sdk();
      const r = await vote(
        p,
        signer,
        { modelId, proposalId, support: support as Support },
        { log: say, mine: fastForwardMiner(hre, a.fastForward, say) },
      );
      say(
        `${await signer.getAddress()} voted ${support} on proposal ${proposalId} (weight ${r.weight}); tally: for ${r.tally.for}, against ${r.tally.against}, abstain ${r.tally.abstain}`,
      );
      return { proposalId, support: r.support, weight: r.weight, txHash: r.txHash };
    }),
  );

// ------------------------------------------------------------------ dao:execute

task("dao:execute", "Execute a successful proposal of the model's DAO: pays from the treasury (anyone may call)")
  .addParam("model", "The model whose DAO executes (id such as 4294967297 or chain:serial such as 1:1)")
  .addParam("proposal", "The proposal id printed by dao:propose")
  .addFlag("fastForward", "On local devnets only (hardhat, localhost, devnetA, devnetB): mine blocks until voting has closed")
  .addOptionalParam("fromBlock", "First block to search for the proposal's ProposalCreated event", "0")
  .addOptionalParam("from", FROM_HELP, "0")
  .setAction(
    cli(
      async (
        a: { model: string; proposal: string; fastForward: boolean; fromBlock: string; from?: string },
        hre,
      ): Promise<ExecuteResult> => {
        const modelId = parseId("model", a.model);
        const proposalId = parseUint("proposal", a.proposal, (1n << 256n) - 1n);
        const fromBlock = Number(parseUint("from-block", a.fromBlock, BigInt(Number.MAX_SAFE_INTEGER), 0n));
        const p = await loadProtocol(hre);
        const signer = await resolveSigner(hre, a.from);
        const { currencyInfo, execute, fmt } = await sdk();
        const r = await execute(
          p,
          signer,
          { modelId, proposalId, fromBlock },
          { log: say, mine: fastForwardMiner(hre, a.fastForward, say) },
        );
        const c = await currencyInfo(p, r.currency);
        say(
          `proposal ${proposalId} executed: paid ${fmt(r.amount, c)} from model ${formatId(modelId)}'s DAO treasury to ${r.to} for "${r.purpose}"`,
        );
        if (r.funded) say(`  InfrastructureFunded emitted for the relayer`);
        return r;
      },
    ),
  );

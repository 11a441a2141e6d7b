// dao:create, dao:propose, dao:vote, dao:execute
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { id as hashText } from "ethers";
import type { DaoMembership, ModelGovernor } from "../sdk/typechain";
import {
  currencyInfo,
  findEvent,
  fmt,
  isLocalNetwork,
  loadProtocol,
  NATIVE_INFO,
  requireCreator,
  requireFunds,
  requireModel,
  resolveSigner,
  send,
  type ProtocolContracts,
} from "./lib/context";
import { fail } from "./lib/errors";
import { say } from "./lib/log";
import { formatId, parseAddress, parseAddressList, parseAmount, parseCurrency, parseId, parseUint } from "./lib/parse";

const STATES = ["Pending", "Active", "Canceled", "Defeated", "Succeeded", "Queued", "Expired", "Executed"] as const;
const FROM_HELP = "Account to sign with: index (0, 1, …) or address among the network's accounts";

async function governorOf(hre: HardhatRuntimeEnvironment, p: ProtocolContracts, modelId: bigint): Promise<ModelGovernor> {
  await requireModel(hre, p, modelId);
  const dao = await p.registry.daoOf(modelId);
  if (dao === hre.ethers.ZeroAddress) {
    fail(`model ${formatId(modelId)} has no DAO yet: its creator can create one with dao:create --model ${modelId} --members …`);
  }
  return (await hre.ethers.getContractAt("ModelGovernor", dao)) as unknown as ModelGovernor;
}

async function mine(hre: HardhatRuntimeEnvironment, blocks: bigint): Promise<void> {
  if (blocks <= 0n) return;
  await hre.network.provider.send("hardhat_mine", [`0x${blocks.toString(16)}`]);
  say(`  fast-forward: mined ${blocks} block(s)`);
}

// ------------------------------------------------------------------ dao:create

export interface DaoCreateResult {
  modelId: bigint;
  governor: string;
  membership: string;
  members: string[];
  txHash: string;
}

task("dao:create", "Create a model's DAO (membership token + governor that holds its treasury); creator only, once per model")
  .addParam("model", "The model (id such as 4294967297 or chain:serial such as 1:1)")
  .addParam("members", "Founding members, comma-separated addresses (one vote each)")
  .addOptionalParam("votingDelay", "Blocks between a proposal and the start of voting", "1")
  .addOptionalParam("votingPeriod", "Blocks a vote stays open (min 2; ~50400 is a week of 12 s blocks)", "50400")
  .addOptionalParam("quorum", "Percent of all members' votes (for + abstain) a proposal needs, 1..100", "50")
  .addOptionalParam("from", FROM_HELP, "0")
  .setAction(
    async (
      a: { model: string; members: string; votingDelay: string; votingPeriod: string; quorum: string; from?: string },
      hre,
    ): Promise<DaoCreateResult> => {
      const modelId = parseId("model", a.model);
      const members = parseAddressList("members", a.members);
      const votingDelay = parseUint("voting-delay", a.votingDelay, (1n << 48n) - 1n, 1n);
      const votingPeriod = parseUint("voting-period", a.votingPeriod, (1n << 32n) - 1n, 50400n);
      if (votingPeriod < 2n) fail(`bad --voting-period '${a.votingPeriod}': at least 2 blocks`);
      const quorum = parseUint("quorum", a.quorum, 100n, 50n);
      if (quorum < 1n) fail(`bad --quorum '${a.quorum}': between 1 and 100 percent`);
      const p = await loadProtocol(hre);
      const signer = await resolveSigner(hre, a.from);
      await requireCreator(hre, p, modelId, signer);
      const existing = await p.registry.daoOf(modelId);
      if (existing !== hre.ethers.ZeroAddress)
        fail(`model ${formatId(modelId)} already has a DAO (governor ${existing}); a model has at most one`);
      await requireFunds(hre, NATIVE_INFO, await signer.getAddress(), 0n, 600_000n + 120_000n * BigInt(members.length));
      const f = p.daoFactory.connect(signer);
      const r = await send(
        p,
        "create DAO",
        () => f.createDao.staticCall(modelId, members, votingDelay, votingPeriod, quorum),
        () => f.createDao(modelId, members, votingDelay, votingPeriod, quorum),
      );
      const ev = findEvent(r.receipt, p.daoFactory.interface, "DaoCreated");
      if (!ev) fail(`create DAO: transaction ${r.hash} emitted no DaoCreated event`);
      const governor = ev.args.governor as string;
      const membership = ev.args.membership as string;
      say(`DAO of model ${formatId(modelId)}: governor (treasury) ${governor}, membership token ${membership}`);
      say(
        `  ${members.length} member(s): ${members.join(", ")}; voting delay ${votingDelay} block(s), period ${votingPeriod} block(s), quorum ${quorum}%`,
      );
      return { modelId, governor, membership, members, txHash: r.hash };
    },
  );

// ------------------------------------------------------------------ dao:propose

export interface ProposeResult {
  proposalId: bigint;
  description: string;
  voteStart: bigint;
  voteEnd: bigint;
  txHash: string;
}

function describeProposal(modelId: bigint, amount: string, to: string, purpose: string): string {
  return `Fund infrastructure for model ${modelId}: ${amount} to ${to}\n\n${purpose}`;
}

task("dao:propose", "Propose paying from the model's DAO treasury to an address for a purpose; members only")
  .addParam("model", "The model whose DAO pays (id such as 4294967297 or chain:serial such as 1:1)")
  .addParam("to", "Who receives the funds, e.g. the Akash escrow funder")
  .addParam("amount", "Amount in the currency's units (e.g. 0.01) or base units (e.g. 1000wei)")
  .addOptionalParam("currency", "Treasury currency: native, or an ERC-20 token address", "native")
  .addParam("purpose", "What the money is for, e.g. akash-escrow:<owner>/<dseq> (emitted for the relayer)")
  .addOptionalParam("from", FROM_HELP, "0")
  .setAction(
    async (
      a: { model: string; to: string; amount: string; currency: string; purpose: string; from?: string },
      hre,
    ): Promise<ProposeResult> => {
      const modelId = parseId("model", a.model);
      const to = parseAddress("to", a.to);
      const currency = parseCurrency(a.currency);
      if (!a.purpose || a.purpose.trim() === "") fail("--purpose is required: say what the funds are for");
      const p = await loadProtocol(hre);
      const c = await currencyInfo(hre, currency);
      const amount = parseAmount("amount", a.amount, c.decimals, c.symbol);
      if (amount === 0n) fail(`bad --amount '${a.amount}': propose a non-zero amount`);
      const gov = await governorOf(hre, p, modelId);
      const signer = await resolveSigner(hre, a.from);
      const me = await signer.getAddress();
      const membership = (await hre.ethers.getContractAt("DaoMembership", await gov.token())) as unknown as DaoMembership;
      if (!(await membership.isMember(me)))
        fail(`${me} is not a member of model ${formatId(modelId)}'s DAO: only members may propose (use --from with a member)`);
      const treasury = await gov.treasury(currency);
      if (treasury < amount) {
        say(
          `  warning: the treasury holds ${fmt(treasury, c)} now, less than ${fmt(amount, c)}; execution fails unless it grows (settle the model's vault)`,
        );
      }
      const calldata = gov.interface.encodeFunctionData("fundInfrastructure", [currency, to, amount, a.purpose]);
      const target = await gov.getAddress();
      const description = describeProposal(modelId, fmt(amount, c), to, a.purpose);
      const proposalId = await gov.hashProposal([target], [0n], [calldata], hashText(description));
      const exists = await gov.proposalSnapshot(proposalId);
      if (exists !== 0n) {
        fail(
          `an identical proposal already exists (id ${proposalId}, ${STATES[Number(await gov.state(proposalId))]}): vote on it, or change --purpose`,
        );
      }
      await requireFunds(hre, NATIVE_INFO, me, 0n, 300_000n);
      const g = gov.connect(signer);
      const r = await send(
        p,
        "propose",
        () => g.propose.staticCall([target], [0n], [calldata], description),
        () => g.propose([target], [0n], [calldata], description),
      );
      const voteStart = await gov.proposalSnapshot(proposalId);
      const voteEnd = await gov.proposalDeadline(proposalId);
      say(`proposal ${proposalId} on model ${formatId(modelId)}'s DAO: pay ${fmt(amount, c)} to ${to} for "${a.purpose}"`);
      say(`  voting opens after block ${voteStart} and closes at block ${voteEnd}`);
      return { proposalId, description, voteStart, voteEnd, txHash: r.hash };
    },
  );

// ------------------------------------------------------------------ dao:vote

const SUPPORT: Record<string, number> = { against: 0, for: 1, abstain: 2 };

task("dao:vote", "Vote on a proposal of the model's DAO; members only")
  .addParam("model", "The model whose DAO votes (id such as 4294967297 or chain:serial such as 1:1)")
  .addParam("proposal", "The proposal id printed by dao:propose")
  .addParam("support", "for, against or abstain")
  .addFlag("fastForward", "On local devnets only (hardhat, localhost, devnetA, devnetB): mine blocks until voting has opened")
  .addOptionalParam("from", FROM_HELP, "0")
  .setAction(async (a: { model: string; proposal: string; support: string; fastForward: boolean; from?: string }, hre) => {
    const modelId = parseId("model", a.model);
    const proposalId = parseUint("proposal", a.proposal, (1n << 256n) - 1n);
    const support = SUPPORT[a.support.trim().toLowerCase()];
    if (support === undefined) fail(`bad --support '${a.support}': expected for, against or abstain`);
    const p = await loadProtocol(hre);
    const gov = await governorOf(hre, p, modelId);
    const snapshot = await gov.proposalSnapshot(proposalId);
    if (snapshot === 0n)
      fail(`unknown proposal ${proposalId} in model ${formatId(modelId)}'s DAO: check --proposal (dao:propose prints it)`);
    let latest = BigInt(await hre.ethers.provider.getBlockNumber());
    if (latest + 1n <= snapshot) {
      if (!a.fastForward)
        fail(
          `voting on proposal ${proposalId} opens after block ${snapshot} (next block is ${latest + 1n}): wait, or pass --fast-forward on a local network`,
        );
      if (!isLocalNetwork(hre))
        fail(`--fast-forward works only on local devnets (hardhat, localhost, devnetA, devnetB), not '${hre.network.name}'`);
      // Mine past the snapshot so the voting weight at the snapshot can be read back too.
      await mine(hre, snapshot - latest + 1n);
      latest = snapshot + 1n;
    }
    const next = latest + 1n;
    const deadline = await gov.proposalDeadline(proposalId);
    if (next > deadline)
      fail(`voting on proposal ${proposalId} closed at block ${deadline}: it is ${STATES[Number(await gov.state(proposalId))]}`);
    const signer = await resolveSigner(hre, a.from);
    const me = await signer.getAddress();
    // The snapshot block must be in the past to read votes at it; the tx itself lands after it.
    const membership = (await hre.ethers.getContractAt("DaoMembership", await gov.token())) as unknown as DaoMembership;
    const weight = latest > snapshot ? await gov.getVotes(me, snapshot) : await membership.getVotes(me);
    if (weight === 0n)
      fail(
        `${me} had no vote in model ${formatId(modelId)}'s DAO when proposal ${proposalId} was made: only members at that time may vote (use --from)`,
      );
    if (await gov.hasVoted(proposalId, me)) fail(`${me} already voted on proposal ${proposalId}`);
    await requireFunds(hre, NATIVE_INFO, me, 0n, 150_000n);
    const g = gov.connect(signer);
    const r = await send(
      p,
      `vote ${a.support}`,
      () => g.castVote.staticCall(proposalId, support),
      () => g.castVote(proposalId, support),
    );
    const [against, forVotes, abstain] = await gov.proposalVotes(proposalId);
    say(
      `${me} voted ${a.support.toLowerCase()} on proposal ${proposalId} (weight ${weight}); tally: for ${forVotes}, against ${against}, abstain ${abstain}`,
    );
    return { proposalId, support, weight, txHash: r.hash };
  });

// ------------------------------------------------------------------ dao:execute

export interface ExecuteResult {
  proposalId: bigint;
  to: string;
  currency: string;
  amount: bigint;
  purpose: string;
  txHash: string;
}

task("dao:execute", "Execute a successful proposal of the model's DAO: pays from the treasury (anyone may call)")
  .addParam("model", "The model whose DAO executes (id such as 4294967297 or chain:serial such as 1:1)")
  .addParam("proposal", "The proposal id printed by dao:propose")
  .addFlag("fastForward", "On local devnets only (hardhat, localhost, devnetA, devnetB): mine blocks until voting has closed")
  .addOptionalParam("fromBlock", "First block to search for the proposal's ProposalCreated event", "0")
  .addOptionalParam("from", FROM_HELP, "0")
  .setAction(
    async (
      a: { model: string; proposal: string; fastForward: boolean; fromBlock: string; from?: string },
      hre,
    ): Promise<ExecuteResult> => {
      const modelId = parseId("model", a.model);
      const proposalId = parseUint("proposal", a.proposal, (1n << 256n) - 1n);
      const fromBlock = Number(parseUint("from-block", a.fromBlock, BigInt(Number.MAX_SAFE_INTEGER), 0n));
      const p = await loadProtocol(hre);
      const gov = await governorOf(hre, p, modelId);
      if ((await gov.proposalSnapshot(proposalId)) === 0n) {
        fail(`unknown proposal ${proposalId} in model ${formatId(modelId)}'s DAO: check --proposal (dao:propose prints it)`);
      }
      const deadline = await gov.proposalDeadline(proposalId);
      // The governor reads its state at the latest block, so voting must have closed before it.
      const latest = BigInt(await hre.ethers.provider.getBlockNumber());
      if (latest <= deadline) {
        if (!a.fastForward)
          fail(
            `voting on proposal ${proposalId} is open until block ${deadline} (latest block is ${latest}): wait, or pass --fast-forward on a local network`,
          );
        if (!isLocalNetwork(hre))
          fail(`--fast-forward works only on local devnets (hardhat, localhost, devnetA, devnetB), not '${hre.network.name}'`);
        await mine(hre, deadline - latest + 1n);
      }
      const state = STATES[Number(await gov.state(proposalId))];
      if (state !== "Succeeded") {
        const [against, forVotes, abstain] = await gov.proposalVotes(proposalId);
        const quorum = await gov.quorum(await gov.proposalSnapshot(proposalId));
        fail(
          `proposal ${proposalId} is ${state}, not Succeeded (for ${forVotes}, against ${against}, abstain ${abstain}; quorum ${quorum}): it cannot be executed`,
        );
      }
      // Re-derive the proposal's actions and description from its ProposalCreated event.
      const logs = await gov.queryFilter(gov.filters.ProposalCreated(), fromBlock);
      const created = logs.find((l) => l.args.proposalId === proposalId);
      if (!created)
        fail(
          `no ProposalCreated event for proposal ${proposalId} after block ${fromBlock}: pass --from-block at or before the proposal's block`,
        );
      const targets = [...created.args.targets];
      // Positional: `values` would be Result's own method. (proposalId, proposer, targets, values, …)
      const values = [...(created.args[3] as bigint[])];
      const calldatas = [...created.args.calldatas];
      const description = created.args.description;
      const call = gov.interface.parseTransaction({ data: calldatas[0] });
      const [currency, to, amount, purpose] = call
        ? [call.args[0] as string, call.args[1] as string, call.args[2] as bigint, call.args[3] as string]
        : [hre.ethers.ZeroAddress, hre.ethers.ZeroAddress, 0n, ""];
      const c = await currencyInfo(hre, currency);
      const treasury = await gov.treasury(currency);
      if (treasury < amount)
        fail(
          `insufficient funds: model ${formatId(modelId)}'s DAO treasury holds ${fmt(treasury, c)} but the proposal pays ${fmt(amount, c)}; settle the model's vault first (vault:settle)`,
        );
      const signer = await resolveSigner(hre, a.from);
      await requireFunds(hre, NATIVE_INFO, await signer.getAddress(), 0n, 250_000n);
      const g = gov.connect(signer);
      const descriptionHash = hashText(description);
      const r = await send(
        p,
        "execute",
        () => g.execute.staticCall(targets, values, calldatas, descriptionHash),
        () => g.execute(targets, values, calldatas, descriptionHash),
      );
      const ev = findEvent(r.receipt, gov.interface, "InfrastructureFunded");
      say(
        `proposal ${proposalId} executed: paid ${fmt(amount, c)} from model ${formatId(modelId)}'s DAO treasury to ${to} for "${purpose}"`,
      );
      if (ev) say(`  InfrastructureFunded emitted for the relayer`);
      return { proposalId, to, currency, amount, purpose, txHash: r.hash };
    },
  );

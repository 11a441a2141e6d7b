// A model's DAO: create it, propose paying from its treasury, vote, execute.
import type { Signer } from "ethers";
import { getAddress, id as hashText, isAddress, ZeroAddress } from "ethers";
import { governorAt, membershipAt, type HexsContracts } from "../contracts";
import { formatId } from "../ids";
import type { ModelGovernor } from "../typechain";
import { currencyInfo, findEvent, fmt, NATIVE_INFO, requireFunds, send, type ActionOptions } from "../tx";
import { requireCreator, requireModel } from "./common";
import { InsufficientFundsError, InvalidParamsError, NotAllowedError, NotFoundError, RevertError, StateError } from "./errors";

export const PROPOSAL_STATES = [
  "Pending",
  "Active",
  "Canceled",
  "Defeated",
  "Succeeded",
  "Queued",
  "Expired",
  "Executed",
] as const;
export type ProposalState = (typeof PROPOSAL_STATES)[number];

/** Options of the actions that wait for blocks: `mine` moves a local chain forward instead of failing. */
export interface BlockOptions extends ActionOptions {
  /** Mine `blocks` blocks (local devnets only); without it, an action that must wait fails saying so. */
  mine?: (blocks: bigint) => Promise<void>;
}

/** The governor of a model's DAO, or a NotFoundError when it has none. */
export async function governorOf(c: HexsContracts, modelId: bigint): Promise<ModelGovernor> {
  await requireModel(c, modelId);
  const dao = await c.registry.daoOf(modelId);
  if (dao === ZeroAddress) {
    throw new NotFoundError(
      `model ${formatId(modelId)} has no DAO yet: its creator can create one with dao:create --model ${modelId} --members …`,
    );
  }
  return governorAt(c, dao);
}

export interface DaoCreateParams {
  modelId: bigint;
  /** Founding members (one vote each). */
  members: string[];
  /** Blocks between a proposal and the start of voting (default 1). */
  votingDelay?: bigint;
  /** Blocks a vote stays open (default 50400, min 2). */
  votingPeriod?: bigint;
  /** Percent of all members' votes (for + abstain) a proposal needs, 1..100 (default 50). */
  quorumPercent?: bigint;
}

export interface DaoCreateResult {
  modelId: bigint;
  governor: string;
  membership: string;
  members: string[];
  txHash: string;
}

/** Create a model's DAO (membership token + governor that holds its treasury); creator only, once per model. */
export async function createDao(
  c: HexsContracts,
  signer: Signer,
  p: DaoCreateParams,
  o: ActionOptions = {},
): Promise<DaoCreateResult> {
  const votingDelay = p.votingDelay ?? 1n;
  const votingPeriod = p.votingPeriod ?? 50400n;
  const quorum = p.quorumPercent ?? 50n;
  if (votingPeriod < 2n) throw new InvalidParamsError(`bad --voting-period '${votingPeriod}': at least 2 blocks`);
  if (quorum < 1n || quorum > 100n) throw new InvalidParamsError(`bad --quorum '${quorum}': between 1 and 100 percent`);
  if (p.members.length === 0) throw new InvalidParamsError("--members lists no address");
  await requireCreator(c, p.modelId, signer);
  const existing = await c.registry.daoOf(p.modelId);
  if (existing !== ZeroAddress)
    throw new StateError(`model ${formatId(p.modelId)} already has a DAO (governor ${existing}); a model has at most one`);
  await requireFunds(c, NATIVE_INFO, await signer.getAddress(), 0n, 600_000n + 120_000n * BigInt(p.members.length));
  const f = c.daoFactory.connect(signer);
  const r = await send(
    c,
    "create DAO",
    () => f.createDao.staticCall(p.modelId, p.members, votingDelay, votingPeriod, quorum),
    () => f.createDao(p.modelId, p.members, votingDelay, votingPeriod, quorum),
    o.log,
  );
  const ev = findEvent(r.receipt, c.daoFactory.interface, "DaoCreated");
  if (!ev) throw new RevertError(`create DAO: transaction ${r.hash} emitted no DaoCreated event`);
  return {
    modelId: p.modelId,
    governor: ev.args.governor as string,
    membership: ev.args.membership as string,
    members: p.members,
    txHash: r.hash,
  };
}

export interface ProposeParams {
  modelId: bigint;
  /** Who receives the funds, e.g. the Akash escrow funder. */
  to: string;
  /** Token address, or NATIVE. */
  currency: string;
  /** Base units; not zero. */
  amount: bigint;
  /** What the money is for, e.g. akash-escrow:<owner>/<dseq> (emitted for the relayer). */
  purpose: string;
}

export interface ProposeResult {
  proposalId: bigint;
  description: string;
  voteStart: bigint;
  voteEnd: bigint;
  txHash: string;
  /** The treasury holds less than the amount now: execution fails unless it grows. */
  treasuryShort: boolean;
}

/** The description a funding proposal carries (its hash is part of the proposal id). */
export function describeProposal(modelId: bigint, amount: string, to: string, purpose: string): string {
  return `Fund infrastructure for model ${modelId}: ${amount} to ${to}\n\n${purpose}`;
}

/** Propose paying from the model's DAO treasury to an address for a purpose; members only. */
export async function propose(c: HexsContracts, signer: Signer, p: ProposeParams, o: ActionOptions = {}): Promise<ProposeResult> {
  if (!p.purpose || p.purpose.trim() === "") throw new InvalidParamsError("--purpose is required: say what the funds are for");
  const cur = await currencyInfo(c, p.currency);
  if (p.amount === 0n) throw new InvalidParamsError(`bad --amount '${fmt(p.amount, cur)}': propose a non-zero amount`);
  const gov = await governorOf(c, p.modelId);
  const me = await signer.getAddress();
  const membership = membershipAt(c, await gov.token());
  if (!(await membership.isMember(me)))
    throw new NotAllowedError(
      `${me} is not a member of model ${formatId(p.modelId)}'s DAO: only members may propose (use --from with a member)`,
    );
  const treasury = await gov.treasury(p.currency);
  const treasuryShort = treasury < p.amount;
  if (treasuryShort) {
    o.log?.(
      `  warning: the treasury holds ${fmt(treasury, cur)} now, less than ${fmt(p.amount, cur)}; execution fails unless it grows (settle the model's vault)`,
    );
  }
  const calldata = gov.interface.encodeFunctionData("fundInfrastructure", [p.currency, p.to, p.amount, p.purpose]);
  const target = await gov.getAddress();
  const description = describeProposal(p.modelId, fmt(p.amount, cur), p.to, p.purpose);
  const proposalId = await gov.hashProposal([target], [0n], [calldata], hashText(description));
  if ((await gov.proposalSnapshot(proposalId)) !== 0n) {
    throw new StateError(
      `an identical proposal already exists (id ${proposalId}, ${PROPOSAL_STATES[Number(await gov.state(proposalId))]}): vote on it, or change --purpose`,
    );
  }
  await requireFunds(c, NATIVE_INFO, me, 0n, 300_000n);
  const g = gov.connect(signer);
  const r = await send(
    c,
    "propose",
    () => g.propose.staticCall([target], [0n], [calldata], description),
    () => g.propose([target], [0n], [calldata], description),
    o.log,
  );
  const voteStart = await gov.proposalSnapshot(proposalId);
  const voteEnd = await gov.proposalDeadline(proposalId);
  return { proposalId, description, voteStart, voteEnd, txHash: r.hash, treasuryShort };
}

export const SUPPORT = { against: 0, for: 1, abstain: 2 } as const;
export type Support = keyof typeof SUPPORT;

export interface VoteParams {
  modelId: bigint;
  proposalId: bigint;
  support: Support;
}

export interface VoteResult {
  proposalId: bigint;
  support: number;
  weight: bigint;
  txHash: string;
  tally: { for: bigint; against: bigint; abstain: bigint };
}

/** Vote on a proposal of the model's DAO; members at the proposal's snapshot only. */
export async function vote(c: HexsContracts, signer: Signer, p: VoteParams, o: BlockOptions = {}): Promise<VoteResult> {
  const { proposalId } = p;
  const support = SUPPORT[p.support];
  if (support === undefined) throw new InvalidParamsError(`bad --support '${p.support}': expected for, against or abstain`);
  const gov = await governorOf(c, p.modelId);
  const snapshot = await gov.proposalSnapshot(proposalId);
  if (snapshot === 0n)
    throw new NotFoundError(
      `unknown proposal ${proposalId} in model ${formatId(p.modelId)}'s DAO: check --proposal (dao:propose prints it)`,
    );
  let latest = BigInt(await c.provider.getBlockNumber());
  if (latest + 1n <= snapshot) {
    if (!o.mine)
      throw new StateError(
        `voting on proposal ${proposalId} opens after block ${snapshot} (next block is ${latest + 1n}): wait, or pass --fast-forward on a local network`,
        true,
      );
    // Mine past the snapshot so the voting weight at the snapshot can be read back too.
    await o.mine(snapshot - latest + 1n);
    latest = snapshot + 1n;
  }
  const next = latest + 1n;
  const deadline = await gov.proposalDeadline(proposalId);
  if (next > deadline)
    throw new StateError(
      `voting on proposal ${proposalId} closed at block ${deadline}: it is ${PROPOSAL_STATES[Number(await gov.state(proposalId))]}`,
    );
  const me = await signer.getAddress();
  // The snapshot block must be in the past to read votes at it; the tx itself lands after it.
  const membership = membershipAt(c, await gov.token());
  const weight = latest > snapshot ? await gov.getVotes(me, snapshot) : await membership.getVotes(me);
  if (weight === 0n)
    throw new NotAllowedError(
      `${me} had no vote in model ${formatId(p.modelId)}'s DAO when proposal ${proposalId} was made: only members at that time may vote (use --from)`,
    );
  if (await gov.hasVoted(proposalId, me)) throw new StateError(`${me} already voted on proposal ${proposalId}`);
  await requireFunds(c, NATIVE_INFO, me, 0n, 150_000n);
  const g = gov.connect(signer);
  const r = await send(
    c,
    `vote ${p.support}`,
    () => g.castVote.staticCall(proposalId, support),
    () => g.castVote(proposalId, support),
    o.log,
  );
  const [against, forVotes, abstain] = await gov.proposalVotes(proposalId);
  return { proposalId, support, weight, txHash: r.hash, tally: { for: forVotes, against, abstain } };
}

export interface ExecuteParams {
  modelId: bigint;
  proposalId: bigint;
  /** First block to search for the proposal's ProposalCreated event (default 0). */
  fromBlock?: number;
}

export interface ExecuteResult {
  proposalId: bigint;
  to: string;
  currency: string;
  amount: bigint;
  purpose: string;
  txHash: string;
  /** The governor emitted InfrastructureFunded (what the relayer acts on). */
  funded: boolean;
}

/** Execute a successful proposal of the model's DAO: pays from the treasury (anyone may call). */
export async function execute(c: HexsContracts, signer: Signer, p: ExecuteParams, o: BlockOptions = {}): Promise<ExecuteResult> {
  const { proposalId } = p;
  const fromBlock = p.fromBlock ?? 0;
  const gov = await governorOf(c, p.modelId);
  if ((await gov.proposalSnapshot(proposalId)) === 0n) {
    throw new NotFoundError(
      `unknown proposal ${proposalId} in model ${formatId(p.modelId)}'s DAO: check --proposal (dao:propose prints it)`,
    );
  }
  const deadline = await gov.proposalDeadline(proposalId);
  // The governor reads its state at the latest block, so voting must have closed before it.
  const latest = BigInt(await c.provider.getBlockNumber());
  if (latest <= deadline) {
    if (!o.mine)
      throw new StateError(
        `voting on proposal ${proposalId} is open until block ${deadline} (latest block is ${latest}): wait, or pass --fast-forward on a local network`,
        true,
      );
    await o.mine(deadline - latest + 1n);
  }
  const state = PROPOSAL_STATES[Number(await gov.state(proposalId))];
  if (state !== "Succeeded") {
    const [against, forVotes, abstain] = await gov.proposalVotes(proposalId);
    const quorum = await gov.quorum(await gov.proposalSnapshot(proposalId));
    throw new StateError(
      `proposal ${proposalId} is ${state}, not Succeeded (for ${forVotes}, against ${against}, abstain ${abstain}; quorum ${quorum}): it cannot be executed`,
    );
  }
  // Re-derive the proposal's actions and description from its ProposalCreated event.
  const logs = await gov.queryFilter(gov.filters.ProposalCreated(), fromBlock);
  const created = logs.find((l) => l.args.proposalId === proposalId);
  if (!created)
    throw new NotFoundError(
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
    : [ZeroAddress, ZeroAddress, 0n, ""];
  const cur = await currencyInfo(c, currency);
  const treasury = await gov.treasury(currency);
  if (treasury < amount)
    throw new InsufficientFundsError(
      `insufficient funds: model ${formatId(p.modelId)}'s DAO treasury holds ${fmt(treasury, cur)} but the proposal pays ${fmt(amount, cur)}; settle the model's vault first (vault:settle)`,
    );
  await requireFunds(c, NATIVE_INFO, await signer.getAddress(), 0n, 250_000n);
  const g = gov.connect(signer);
  const descriptionHash = hashText(description);
  const r = await send(
    c,
    "execute",
    () => g.execute.staticCall(targets, values, calldatas, descriptionHash),
    () => g.execute(targets, values, calldatas, descriptionHash),
    o.log,
  );
  const funded = findEvent(r.receipt, gov.interface, "InfrastructureFunded") !== undefined;
  return { proposalId, to, currency, amount, purpose, txHash: r.hash, funded };
}

export interface DaoMember {
  address: string;
  /** Current voting power (one membership token, self-delegated, is one vote). */
  votes: bigint;
}

export interface DaoProposal {
  proposalId: bigint;
  proposer: string;
  description: string;
  state: ProposalState;
  /** The spend the proposal makes when it is a `fundInfrastructure` call (the only kind the DAO pays). */
  spend?: { currency: string; to: string; amount: bigint; purpose: string };
  voteStart: bigint;
  voteEnd: bigint;
  tally: { for: bigint; against: bigint; abstain: bigint };
  /** Votes (for + abstain) it needs, from the total supply at its snapshot; undefined before voting starts. */
  quorum?: bigint;
  /** Whether it must be queued before execution (false: ModelGovernor has no timelock, Succeeded → execute). */
  needsQueuing: boolean;
  /** Block of its ProposalCreated event. */
  block: number;
}

export interface DaoView {
  modelId: bigint;
  governor: string;
  membership: string;
  members: DaoMember[];
  totalVotes: bigint;
  /** What the governor holds in each asked currency (its treasury). */
  treasury: { currency: string; amount: bigint }[];
  votingDelay: bigint;
  votingPeriod: bigint;
  quorumPercent: bigint;
  /** Newest first. */
  proposals: DaoProposal[];
  latestBlock: bigint;
}

/**
 * A model's DAO as its governor and membership token hold it on this chain: members (from
 * MemberAdded/MemberRemoved, checked with isMember) and their votes, the treasury in each of
 * `currencies` (default native), and every proposal (from ProposalCreated) with its state,
 * tally and decoded spend. `fromBlock` bounds the event search (default 0).
 */
export async function daoView(
  c: HexsContracts,
  modelId: bigint,
  o: { currencies?: string[]; fromBlock?: number } = {},
): Promise<DaoView> {
  const gov = await governorOf(c, modelId);
  const fromBlock = o.fromBlock ?? 0;
  const membership = membershipAt(c, await gov.token());
  const seen = new Set<string>();
  for (const l of await membership.queryFilter(membership.filters.MemberAdded(), fromBlock))
    seen.add((l.args.member as string).toLowerCase());
  const members: DaoMember[] = [];
  for (const a of seen) {
    if (!(await membership.isMember(a))) continue;
    members.push({ address: getAddress(a), votes: await membership.getVotes(a) });
  }
  const latestBlock = BigInt(await c.provider.getBlockNumber());
  const proposals: DaoProposal[] = [];
  for (const l of await gov.queryFilter(gov.filters.ProposalCreated(), fromBlock)) {
    const proposalId = l.args.proposalId;
    const calldatas = [...l.args.calldatas];
    let spend: DaoProposal["spend"];
    const call = calldatas.length === 1 ? gov.interface.parseTransaction({ data: calldatas[0] }) : null;
    if (call?.name === "fundInfrastructure")
      spend = {
        currency: call.args[0] as string,
        to: call.args[1] as string,
        amount: call.args[2] as bigint,
        purpose: call.args[3] as string,
      };
    const [against, forVotes, abstain] = await gov.proposalVotes(proposalId);
    const voteStart = await gov.proposalSnapshot(proposalId);
    proposals.push({
      proposalId,
      proposer: l.args.proposer,
      description: l.args.description,
      state: PROPOSAL_STATES[Number(await gov.state(proposalId))],
      spend,
      voteStart,
      voteEnd: await gov.proposalDeadline(proposalId),
      tally: { for: forVotes, against, abstain },
      quorum: voteStart < latestBlock ? await gov.quorum(voteStart) : undefined,
      needsQueuing: await gov.proposalNeedsQueuing(proposalId),
      block: l.blockNumber,
    });
  }
  proposals.reverse();
  const currencies = o.currencies ?? [ZeroAddress];
  return {
    modelId,
    governor: await gov.getAddress(),
    membership: await membership.getAddress(),
    members,
    totalVotes: members.reduce((a, m) => a + m.votes, 0n),
    treasury: await Promise.all(currencies.map(async (currency) => ({ currency, amount: await gov.treasury(currency) }))),
    votingDelay: await gov.votingDelay(),
    votingPeriod: await gov.votingPeriod(),
    quorumPercent: await gov["quorumNumerator()"](),
    proposals,
    latestBlock,
  };
}

export interface MemberParams {
  modelId: bigint;
  member: string;
}

export interface MemberResult {
  modelId: bigint;
  member: string;
  /** The member's votes after the change (1 when added, 0 when removed). */
  votes: bigint;
  txHash: string;
}

async function membershipOf(c: HexsContracts, signer: Signer, modelId: bigint, member: string) {
  if (!isAddress(member)) throw new InvalidParamsError(`bad member '${member}': expected an address (0x + 40 hex digits)`);
  await requireCreator(c, modelId, signer);
  const gov = await governorOf(c, modelId);
  return membershipAt(c, await gov.token());
}

/** Add a member (one vote) to the model's DAO; its creator only. */
export async function addMember(c: HexsContracts, signer: Signer, p: MemberParams, o: ActionOptions = {}): Promise<MemberResult> {
  const membership = await membershipOf(c, signer, p.modelId, p.member);
  const member = getAddress(p.member);
  if (await membership.isMember(member))
    throw new StateError(`${member} is already a member of model ${formatId(p.modelId)}'s DAO`);
  await requireFunds(c, NATIVE_INFO, await signer.getAddress(), 0n, 200_000n);
  const m = membership.connect(signer);
  const r = await send(
    c,
    `add DAO member ${member}`,
    () => m.addMember.staticCall(member),
    () => m.addMember(member),
    o.log,
  );
  return { modelId: p.modelId, member, votes: await membership.getVotes(member), txHash: r.hash };
}

/** Remove a member from the model's DAO (votes already cast stay counted); its creator only. */
export async function removeMember(
  c: HexsContracts,
  signer: Signer,
  p: MemberParams,
  o: ActionOptions = {},
): Promise<MemberResult> {
  const membership = await membershipOf(c, signer, p.modelId, p.member);
  const member = getAddress(p.member);
  if (!(await membership.isMember(member)))
    throw new StateError(`${member} is not a member of model ${formatId(p.modelId)}'s DAO: nothing to remove`);
  await requireFunds(c, NATIVE_INFO, await signer.getAddress(), 0n, 150_000n);
  const m = membership.connect(signer);
  const r = await send(
    c,
    `remove DAO member ${member}`,
    () => m.removeMember.staticCall(member),
    () => m.removeMember(member),
    o.log,
  );
  return { modelId: p.modelId, member, votes: await membership.getVotes(member), txHash: r.hash };
}

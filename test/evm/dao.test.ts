import { expect } from "chai";
import { ethers } from "hardhat";
import { mine } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import {
  buyNative,
  deployProtocol,
  deployTestToken,
  eventsOf,
  NATIVE,
  publish,
  setNativePrice,
  type Protocol,
} from "../../devnet/hardhat/protocol";
import type { DaoMembership, ModelGovernor } from "../../sdk/typechain";

const ONE = ethers.parseEther("1");
enum State {
  Pending,
  Active,
  Canceled,
  Defeated,
  Succeeded,
  Queued,
  Expired,
  Executed,
}
const VOTE = { against: 0, for: 1, abstain: 2 };

describe("Model DAO", () => {
  let p: Protocol;
  let creator: Signer, m1: Signer, m2: Signer, m3: Signer, outsider: Signer, payee: Signer;
  let C: string, M1: string, M2: string, M3: string, OUT: string, PAYEE: string;
  let modelId: bigint;

  beforeEach(async () => {
    p = await deployProtocol();
    [, , creator, m1, m2, m3, outsider, payee] = p.signers;
    [C, M1, M2, M3, OUT, PAYEE] = await Promise.all([creator, m1, m2, m3, outsider, payee].map((s) => s.getAddress()));
    modelId = (await publish(p, creator, { daoBps: 4000 })).modelId;
    await setNativePrice(p, creator, modelId, ONE);
  });

  async function createDao(votingDelay = 1, votingPeriod = 5, quorumPercent = 50) {
    const tx = await p.daoFactory.connect(creator).createDao(modelId, [M1, M2, M3], votingDelay, votingPeriod, quorumPercent);
    const [ev] = eventsOf(await tx.wait(), p.daoFactory, "DaoCreated");
    const governor = (await ethers.getContractAt("ModelGovernor", ev.args.governor)) as unknown as ModelGovernor;
    const membership = (await ethers.getContractAt("DaoMembership", ev.args.membership)) as unknown as DaoMembership;
    return { governor, membership };
  }

  function fundCall(governor: ModelGovernor, currency: string, to: string, amount: bigint, purpose: string) {
    return governor.interface.encodeFunctionData("fundInfrastructure", [currency, to, amount, purpose]);
  }

  async function proposeFunding(governor: ModelGovernor, proposer: Signer, calldata: string, description: string) {
    const target = await governor.getAddress();
    await governor.connect(proposer).propose([target], [0], [calldata], description);
    const id = await governor.getProposalId([target], [0], [calldata], ethers.id(description));
    const args: [string[], number[], string[], string] = [[target], [0], [calldata], ethers.id(description)];
    return { id, args };
  }

  describe("creation and membership", () => {
    it("only the model's creator creates its DAO, once; the governor becomes the model's DAO treasury", async () => {
      await expect(p.daoFactory.connect(m1).createDao(modelId, [M1], 1, 5, 50))
        .to.be.revertedWithCustomError(p.daoFactory, "NotCreator")
        .withArgs(modelId, M1);
      for (const [period, quorum] of [
        [1, 50],
        [5, 0],
        [5, 101],
      ]) {
        await expect(p.daoFactory.connect(creator).createDao(modelId, [M1], 1, period, quorum)).to.be.revertedWithCustomError(
          p.daoFactory,
          "InvalidSettings",
        );
      }
      const tx = p.daoFactory.connect(creator).createDao(modelId, [M1, M2], 1, 5, 50);
      await expect(tx).to.emit(p.daoFactory, "DaoCreated");
      await expect(tx).to.emit(p.registry, "DaoSet");
      const receipt = await (await tx).wait();
      const [ev] = eventsOf(receipt, p.daoFactory, "DaoCreated");
      expect(ev.args.modelId).to.equal(modelId);
      expect(ev.args.members).to.equal(2n);
      expect(await p.registry.daoOf(modelId)).to.equal(ev.args.governor);
      const governor = await ethers.getContractAt("ModelGovernor", ev.args.governor);
      expect(await governor.modelId()).to.equal(modelId);
      expect(await governor.votingDelay()).to.equal(1n);
      expect(await governor.votingPeriod()).to.equal(5n);
      expect(await governor.token()).to.equal(ev.args.membership);
      await expect(p.daoFactory.connect(creator).createDao(modelId, [M1], 1, 5, 50))
        .to.be.revertedWithCustomError(p.registry, "DaoAlreadySet")
        .withArgs(modelId);
    });

    it("the creator (only) adds and removes members; voting power follows without delegation", async () => {
      const { membership } = await createDao();
      expect(await membership.isMember(M1)).to.equal(true);
      expect(await membership.isMember(OUT)).to.equal(false);
      expect(await membership.modelId()).to.equal(modelId);
      await expect(membership.connect(m1).addMember(OUT)).to.be.revertedWithCustomError(membership, "NotCreator").withArgs(M1);
      await expect(membership.connect(m1).removeMember(M2)).to.be.revertedWithCustomError(membership, "NotCreator").withArgs(M1);
      await expect(membership.connect(creator).addMember(OUT)).to.emit(membership, "MemberAdded").withArgs(OUT);
      await expect(membership.connect(creator).addMember(OUT))
        .to.be.revertedWithCustomError(membership, "AlreadyMember")
        .withArgs(OUT);
      await mine(1);
      expect(await membership.getVotes(OUT)).to.equal(1n);
      expect(await membership.delegates(OUT)).to.equal(OUT);
      await expect(membership.connect(creator).removeMember(OUT)).to.emit(membership, "MemberRemoved").withArgs(OUT);
      await expect(membership.connect(creator).removeMember(OUT))
        .to.be.revertedWithCustomError(membership, "NotMember")
        .withArgs(OUT);
      expect(await membership.getVotes(OUT)).to.equal(0n);
      expect(await membership.isMember(OUT)).to.equal(false);
      // Re-adding later works.
      await membership.connect(creator).addMember(OUT);
      expect(await membership.isMember(OUT)).to.equal(true);
    });

    it("the factory's founding rights end with creation", async () => {
      const { membership } = await createDao();
      const factory = await p.daoFactory.getAddress();
      await ethers.provider.send("hardhat_setBalance", [factory, "0xDE0B6B3A7640000"]);
      const asFactory = await ethers.getImpersonatedSigner(factory);
      await expect(membership.connect(asFactory).addMember(OUT))
        .to.be.revertedWithCustomError(membership, "NotCreator")
        .withArgs(factory);
      await expect(membership.connect(asFactory).endFounding())
        .to.be.revertedWithCustomError(membership, "NotCreator")
        .withArgs(factory);
    });

    it("membership is soul-bound", async () => {
      const { membership } = await createDao();
      const tokenId = 1n; // M1's token
      expect(await membership.ownerOf(tokenId)).to.equal(M1);
      await expect(membership.connect(m1).transferFrom(M1, OUT, tokenId)).to.be.revertedWithCustomError(
        membership,
        "MembershipIsSoulbound",
      );
      await expect(
        membership.connect(m1)["safeTransferFrom(address,address,uint256)"](M1, OUT, tokenId),
      ).to.be.revertedWithCustomError(membership, "MembershipIsSoulbound");
      expect(await membership.ownerOf(tokenId)).to.equal(M1);
    });
  });

  describe("treasury governance", () => {
    it("propose → vote → execute fundInfrastructure pays from the treasury, pulling the DAO's market credit", async () => {
      const { governor } = await createDao();
      const g = await governor.getAddress();
      await buyNative(p, outsider, modelId, ONE);
      await buyNative(p, payee, modelId, ONE);
      await p.market.settle(modelId, NATIVE);
      const daoCredit = (2n * ONE * 4000n) / 10_000n;
      expect(await p.market.creditOf(g, NATIVE)).to.equal(daoCredit);
      expect(await governor.treasury(NATIVE)).to.equal(daoCredit);

      const amount = ethers.parseEther("0.5");
      const purpose = "akash-escrow:akash1owner/4242";
      const { id, args } = await proposeFunding(governor, m1, fundCall(governor, NATIVE, PAYEE, amount, purpose), "fund #1");
      expect(await governor.state(id)).to.equal(State.Pending);
      await mine(2); // past the snapshot block (voting delay 1)
      expect(await governor.state(id)).to.equal(State.Active);
      await expect(governor.connect(m1).castVote(id, VOTE.for)).to.emit(governor, "VoteCast");
      await governor.connect(m2).castVote(id, VOTE.for);
      await governor.connect(m3).castVote(id, VOTE.against);
      await expect(governor.connect(outsider).castVote(id, VOTE.for)).to.emit(governor, "VoteCast"); // weight 0
      const [against, forVotes] = await governor.proposalVotes(id);
      expect([against, forVotes]).to.deep.equal([1n, 2n]);
      await mine(5);
      expect(await governor.state(id)).to.equal(State.Succeeded);

      const tx = governor.connect(outsider).execute(...args); // anyone executes a passed proposal
      await expect(tx).to.emit(governor, "InfrastructureFunded").withArgs(modelId, NATIVE, PAYEE, amount, purpose);
      await expect(tx).to.changeEtherBalances([payee, p.market], [amount, -daoCredit]);
      expect(await governor.state(id)).to.equal(State.Executed);
      expect(await p.market.creditOf(g, NATIVE)).to.equal(0n);
      expect(await ethers.provider.getBalance(g)).to.equal(daoCredit - amount);
      expect(await governor.treasury(NATIVE)).to.equal(daoCredit - amount);
    });

    it("an ERC-20 treasury is spent the same way; a proposal asking for more than the treasury fails at execution", async () => {
      const { governor } = await createDao();
      const g = await governor.getAddress();
      const token = await deployTestToken(p);
      const t = await token.getAddress();
      await p.registry.connect(creator).setPrice(modelId, t, 10_000n, 0, true);
      await token.mint(OUT, 10_000n);
      await token.connect(outsider).approve(await p.market.getAddress(), 10_000n);
      await p.market.connect(outsider).buy(modelId, t, OUT, "0x", "0x");
      await p.market.settle(modelId, t);
      expect(await governor.treasury(t)).to.equal(4_000n);

      const tooMuch = await proposeFunding(governor, m2, fundCall(governor, t, PAYEE, 4_001n, "too much"), "p-big");
      const ok = await proposeFunding(governor, m2, fundCall(governor, t, PAYEE, 3_000n, "gpu lease"), "p-ok");
      await mine(1);
      for (const prop of [tooMuch, ok]) {
        await governor.connect(m1).castVote(prop.id, VOTE.for);
        await governor.connect(m2).castVote(prop.id, VOTE.for);
      }
      await mine(5);
      await expect(governor.execute(...tooMuch.args))
        .to.be.revertedWithCustomError(governor, "InsufficientTreasury")
        .withArgs(t, 4_001n, 4_000n);
      await expect(governor.execute(...ok.args))
        .to.emit(governor, "InfrastructureFunded")
        .withArgs(modelId, t, PAYEE, 3_000n, "gpu lease");
      expect(await token.balanceOf(PAYEE)).to.equal(3_000n);
      expect(await token.balanceOf(g)).to.equal(1_000n);
      expect(await p.market.creditOf(g, t)).to.equal(0n);
    });

    it("without quorum a proposal is defeated and cannot be executed", async () => {
      const { governor } = await createDao(1, 5, 50); // 3 members: 1.5 votes, rounded up to 2
      const { id } = await proposeFunding(governor, m1, fundCall(governor, NATIVE, PAYEE, 1n, "x"), "lonely");
      await mine(1);
      await governor.connect(m1).castVote(id, VOTE.for);
      await mine(5);
      expect(await governor.quorum(await governor.proposalSnapshot(id))).to.equal(2n);
      // One member alone cannot pass a proposal at a 50% quorum.
      expect(await governor.state(id)).to.equal(State.Defeated);

      const strict = await (async () => {
        const other = await publish(p, creator, { daoBps: 1000, content: "strict" });
        const tx = await p.daoFactory.connect(creator).createDao(other.modelId, [M1, M2, M3], 1, 5, 100);
        const [ev] = eventsOf(await tx.wait(), p.daoFactory, "DaoCreated");
        return (await ethers.getContractAt("ModelGovernor", ev.args.governor)) as unknown as ModelGovernor;
      })();
      const prop = await proposeFunding(strict, m1, fundCall(strict, NATIVE, PAYEE, 1n, "x"), "needs all");
      await mine(1);
      await strict.connect(m1).castVote(prop.id, VOTE.for);
      await strict.connect(m2).castVote(prop.id, VOTE.for);
      await mine(5);
      expect(await strict.quorum(await strict.proposalSnapshot(prop.id))).to.equal(3n);
      expect(await strict.state(prop.id)).to.equal(State.Defeated);
      await expect(strict.execute(...prop.args)).to.be.revertedWithCustomError(strict, "GovernorUnexpectedProposalState");
    });

    it("a majority against defeats a proposal even with quorum", async () => {
      const { governor } = await createDao();
      const { id } = await proposeFunding(governor, m1, fundCall(governor, NATIVE, PAYEE, 1n, "x"), "contested");
      await mine(1);
      await governor.connect(m1).castVote(id, VOTE.for);
      await governor.connect(m2).castVote(id, VOTE.against);
      await governor.connect(m3).castVote(id, VOTE.against);
      await mine(5);
      expect(await governor.state(id)).to.equal(State.Defeated);
    });

    it("a non-member cannot propose; a removed member loses its vote", async () => {
      const { governor, membership } = await createDao();
      const calldata = fundCall(governor, NATIVE, PAYEE, 1n, "x");
      await expect(governor.connect(outsider).propose([await governor.getAddress()], [0], [calldata], "nope"))
        .to.be.revertedWithCustomError(governor, "GovernorInsufficientProposerVotes")
        .withArgs(OUT, 0n, 1n);
      await membership.connect(creator).removeMember(M3);
      await mine(1);
      await expect(governor.connect(m3).propose([await governor.getAddress()], [0], [calldata], "gone"))
        .to.be.revertedWithCustomError(governor, "GovernorInsufficientProposerVotes")
        .withArgs(M3, 0n, 1n);
      const { id } = await proposeFunding(governor, m1, calldata, "after removal");
      await mine(1);
      await governor.connect(m3).castVote(id, VOTE.against);
      const [against] = await governor.proposalVotes(id);
      expect(against).to.equal(0n);
    });

    it("the creator can veto (cancel) a pending proposal, but not once voting started; strangers never", async () => {
      const { governor } = await createDao(3, 5, 50);
      const calldata = fundCall(governor, NATIVE, PAYEE, 1n, "x");
      const a = await proposeFunding(governor, m1, calldata, "to be vetoed");
      await expect(governor.connect(outsider).cancel(...a.args))
        .to.be.revertedWithCustomError(governor, "GovernorUnableToCancel")
        .withArgs(a.id, OUT);
      await expect(governor.connect(m2).cancel(...a.args))
        .to.be.revertedWithCustomError(governor, "GovernorUnableToCancel")
        .withArgs(a.id, M2);
      await expect(governor.connect(creator).cancel(...a.args))
        .to.emit(governor, "ProposalCanceled")
        .withArgs(a.id);
      expect(await governor.state(a.id)).to.equal(State.Canceled);
      await expect(governor.connect(m1).castVote(a.id, VOTE.for)).to.be.revertedWithCustomError(
        governor,
        "GovernorUnexpectedProposalState",
      );

      const b = await proposeFunding(governor, m1, calldata, "too late to veto");
      await mine(4);
      expect(await governor.state(b.id)).to.equal(State.Active);
      await expect(governor.connect(creator).cancel(...b.args))
        .to.be.revertedWithCustomError(governor, "GovernorUnableToCancel")
        .withArgs(b.id, C);
    });

    it("fundInfrastructure is callable only through a successful proposal", async () => {
      const { governor } = await createDao();
      await buyNative(p, outsider, modelId, ONE);
      await p.market.settle(modelId, NATIVE);
      for (const who of [creator, m1]) {
        await expect(governor.connect(who).fundInfrastructure(NATIVE, PAYEE, 1n, "steal"))
          .to.be.revertedWithCustomError(governor, "GovernorOnlyExecutor")
          .withArgs(await who.getAddress());
      }
      // The market credit is the governor's: nobody else can claim it.
      await expect(p.market.connect(m1).claim(NATIVE, M1))
        .to.be.revertedWithCustomError(p.market, "NothingToClaim")
        .withArgs(M1, NATIVE);
    });
  });
});

// The Hardhat tasks, run through hre.run against the in-process network after the real deploy
// scripts: chain state after each task, and the errors users see.
import { expect } from "chai";
import hre, { deployments, ethers } from "hardhat";
import type { Signer } from "ethers";
import { deployProtocol, NATIVE, type Protocol } from "../../devnet/hardhat/protocol";
import { setQuiet } from "../../tasks/lib/log";
import type { PublishResult } from "../../tasks/model";
import type { BuyResult } from "../../tasks/key";
import type { SettleLevel, ClaimResult, ReclaimEscrowResult } from "../../tasks/vault";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { DaoCreateResult, ExecuteResult, ProposeResult } from "../../tasks/dao";
import type { UpgradeResult } from "../../tasks/protocol";
import type { KeyNFT, TasksKeyNFTV2Mock, TasksRegistryV2Mock, TasksToken } from "../../sdk/typechain";

type Args = Record<string, string | boolean | undefined>;

async function run<T>(name: string, args: Args): Promise<T> {
  return (await hre.run(name, args)) as T;
}

/** Run a task that must fail; returns its message for further checks. */
async function refuses(name: string, args: Args, pattern: RegExp): Promise<string> {
  try {
    await hre.run(name, args);
  } catch (e) {
    const msg = (e as Error).message;
    expect(msg, `${name} failed with an unexpected message: ${msg}`).to.match(pattern);
    return msg;
  }
  throw new Error(`${name} should have failed with ${pattern}`);
}

describe("tasks", function () {
  let p: Protocol;
  let creator: Signer, buyer: Signer, member: Signer, poor: Signer;
  // Account indexes as the tasks' --from takes them.
  const CREATOR = "2",
    FORKER = "3",
    BUYER = "4",
    MEMBER = "5",
    POOR = "9";

  before(() => setQuiet(true));
  after(() => setQuiet(false));

  beforeEach(async () => {
    p = await deployProtocol();
    [, , creator, , buyer, member] = p.signers;
    poor = p.signers[9];
  });

  async function publish(extra: Args = {}): Promise<PublishResult> {
    return run<PublishResult>("model:publish", {
      content: "encrypted-sdl",
      sdlLocator: "bafy-sdl",
      metadataUri: "ipfs://meta",
      from: CREATOR,
      ...extra,
    });
  }

  async function keysAt(modelId: bigint): Promise<KeyNFT> {
    return (await ethers.getContractAt("KeyNFT", await p.registry.keysOf(modelId))) as unknown as KeyNFT;
  }

  describe("model:publish / model:fork / model:price", () => {
    it("publishes with the content commitment, royalty terms and requested plugins", async () => {
      const r = await publish({
        forkRoyaltyBps: "1500",
        daoBps: "200",
        royaltyBps: "300",
        soulbound: true,
        supplyCap: "5",
        expiry: "30d",
      });
      const m = await p.registry.model(r.modelId);
      expect(r.modelId).to.equal((1n << 32n) | 1n);
      expect(m.creator).to.equal(await creator.getAddress());
      expect(m.contentCommitment).to.equal(ethers.id("encrypted-sdl"));
      expect(m.sdlLocator).to.equal("bafy-sdl");
      expect(m.forkRoyaltyBps).to.equal(1500n);
      expect(m.daoBps).to.equal(200n);
      const keys = await keysAt(r.modelId);
      expect([...(await keys.plugins())]).to.have.members([
        await p.plugins.soulbound.getAddress(),
        await p.plugins.supplyCap.getAddress(),
        await p.plugins.expiry.getAddress(),
      ]);
      expect(await p.plugins.expiry.durationOf(await keys.getAddress())).to.equal(30n * 86400n);
      expect(await p.plugins.supplyCap.capOf(await keys.getAddress())).to.equal(5n);
    });

    it("forks: the fork commits to its parent's content; refuses unknown and unforkable parents", async () => {
      const root = await publish();
      const fork = await run<PublishResult>("model:fork", { parent: "1:1", content: "fork-sdl", from: FORKER });
      expect(fork.parentCommitment).to.equal(ethers.id("encrypted-sdl"));
      const lineage = await p.registry.lineageOf(fork.modelId);
      expect(lineage.parentId).to.equal(root.modelId);
      expect(lineage.upstreamBps).to.equal(1000n);
      await refuses(
        "model:fork",
        { parent: "1:99", content: "x", from: FORKER },
        /unknown model 4294967395 \(1:99\).*models are 1:1 … 1:2/,
      );
      const closed = await publish({ forkable: "false" });
      await refuses("model:fork", { parent: closed.modelId.toString(), content: "x", from: FORKER }, /not forkable/);
      await refuses("model:publish", { content: "x", forkRoyaltyBps: "6000" }, /bad --fork-royalty-bps '6000': at most 5000/);
      await refuses("model:publish", { content: "x", forkable: "maybe" }, /bad --forkable 'maybe'/);
      await refuses("model:fork", { parent: "abc", content: "x" }, /bad --parent 'abc'/);
    });

    it("sets and removes a price; refuses a non-creator, an unknown model and a bad currency", async () => {
      const r = await publish();
      await run("model:price", { model: r.modelId.toString(), price: "0.5", deploymentPrice: "0.1", from: CREATOR });
      let price = await p.registryLens.priceOf(p.registry, r.modelId, NATIVE);
      expect(price.keyPrice).to.equal(ethers.parseEther("0.5"));
      expect(price.deploymentPrice).to.equal(ethers.parseEther("0.1"));
      expect(price.listed).to.equal(true);
      await run("model:price", { model: "1:1", unlist: true, from: CREATOR });
      price = await p.registryLens.priceOf(p.registry, r.modelId, NATIVE);
      expect(price.listed).to.equal(false);

      const msg = await refuses("model:price", { model: "1:1", price: "1", from: BUYER }, /not the creator/);
      expect(msg)
        .to.include(await creator.getAddress())
        .and.include(await buyer.getAddress());
      await refuses("model:price", { model: "1:7", price: "1", from: CREATOR }, /unknown model .*\(1:7\)/);
      await refuses(
        "model:price",
        { model: "1:1", price: "1", currency: "dogecoin", from: CREATOR },
        /bad --currency 'dogecoin': expected 'native' or an ERC-20 token address/,
      );
      await refuses(
        "model:price",
        { model: "1:1", price: "1", currency: "0x000000000000000000000000000000000000dEaD", from: CREATOR },
        /no contract at that address/,
      );
      await refuses("model:price", { model: "1:1", price: "one", from: CREATOR }, /bad --price 'one'/);
      await refuses("model:price", { model: "1:1", price: "1", from: "77" }, /bad --from '77'/);
    });
  });

  describe("key:buy", () => {
    it("buys in the native coin, with a deployment request held in escrow", async () => {
      const r = await publish();
      await run("model:price", { model: "1:1", price: "0.2", deploymentPrice: "0.05", from: CREATOR });
      const plain = await run<BuyResult>("key:buy", { model: "1:1", from: BUYER });
      expect(await (await keysAt(r.modelId)).ownerOf(plain.keyId)).to.equal(await buyer.getAddress());
      const deployed = await run<BuyResult>("key:buy", {
        model: "1:1",
        from: BUYER,
        recipient: await member.getAddress(),
        deployParams: '{"region":"eu","maxUact":"1000"}',
      });
      expect(deployed.keyId).to.equal(plain.keyId + 1n);
      expect(await (await keysAt(r.modelId)).ownerOf(deployed.keyId)).to.equal(await member.getAddress());
      expect(await p.market.vaultOf(r.modelId, NATIVE)).to.equal(ethers.parseEther("0.4"));
      const escrow = await p.market.escrowOf(deployed.keyId);
      expect(escrow.amount).to.equal(ethers.parseEther("0.05"));
      expect(escrow.buyer).to.equal(await buyer.getAddress());
      await refuses("key:buy", { model: "1:1", deployParams: "{not json" }, /bad --deploy-params/);
    });

    it("refuses: insufficient funds (checked before sending), unlisted model, unknown model, unaccepted token", async () => {
      await publish();
      await refuses("key:buy", { model: "1:1", from: BUYER }, /has no price in ETH: its creator must set one/);
      await run("model:price", { model: "1:1", price: "1", from: CREATOR });
      const poorAddr = await poor.getAddress();
      await ethers.provider.send("hardhat_setBalance", [poorAddr, "0x" + ethers.parseEther("0.5").toString(16)]);
      const nonce = await ethers.provider.getTransactionCount(poorAddr);
      const msg = await refuses(
        "key:buy",
        { model: "1:1", from: POOR },
        /insufficient funds: 0x[0-9a-fA-F]{40} has 0\.5 ETH but needs 1\.0/,
      );
      expect(msg).to.include(poorAddr);
      expect(await ethers.provider.getTransactionCount(poorAddr)).to.equal(nonce); // nothing was sent
      await refuses("key:buy", { model: "4294967299" }, /unknown model 4294967299 \(1:3\)/);
      const token = (await (await ethers.getContractFactory("TasksToken")).deploy()) as unknown as TasksToken;
      await refuses("key:buy", { model: "1:1", currency: await token.getAddress() }, /does not accept TUSDC/);
    });

    it("pays in an ERC-20 the timelock accepted, approving it first", async () => {
      const token = (await (await ethers.getContractFactory("TasksToken")).deploy()) as unknown as TasksToken;
      const t = await token.getAddress();
      await run("protocol:accept-token", { token: t, execute: true, fastForward: true });
      expect(await p.market.isAccepted(t)).to.equal(true);
      const r = await publish();
      await run("model:price", { model: "1:1", currency: t, price: "12.5", from: CREATOR });
      await refuses(
        "key:buy",
        { model: "1:1", currency: t, from: BUYER },
        /insufficient funds: .* holds 0\.0 TUSDC but needs 12\.5 TUSDC/,
      );
      await token.mint(await buyer.getAddress(), 20_000_000n);
      const bought = await run<BuyResult>("key:buy", { model: "1:1", currency: t, from: BUYER });
      expect(bought.keyPrice).to.equal(12_500_000n);
      expect(await p.market.vaultOf(r.modelId, t)).to.equal(12_500_000n);
      expect(await token.balanceOf(await buyer.getAddress())).to.equal(7_500_000n);
    });
  });

  describe("vault:settle / vault:claim", () => {
    it("settles N levels up the fork tree, then the creators claim", async () => {
      const root = await publish();
      const child = await run<PublishResult>("model:fork", { parent: root.modelId.toString(), content: "c", from: FORKER });
      const grand = await run<PublishResult>("model:fork", { parent: child.modelId.toString(), content: "g", from: FORKER });
      await run("model:price", { model: grand.modelId.toString(), price: "1", from: FORKER });
      await run("key:buy", { model: grand.modelId.toString(), from: BUYER });

      const two = await run<SettleLevel[]>("vault:settle", { model: grand.modelId.toString(), levels: "2" });
      expect(two.map((l) => l.modelId)).to.deep.equal([grand.modelId, child.modelId]);
      expect(two[0].parentShare).to.equal(ethers.parseEther("0.1"));
      expect(await p.market.vaultOf(child.modelId, NATIVE)).to.equal(0n);
      expect(await p.market.vaultOf(root.modelId, NATIVE)).to.equal(ethers.parseEther("0.01"));
      const rest = await run<SettleLevel[]>("vault:settle", { model: grand.modelId.toString() });
      expect(rest.map((l) => l.amount)).to.deep.equal([0n, 0n, ethers.parseEther("0.01")]);
      expect(await p.market.vaultOf(root.modelId, NATIVE)).to.equal(0n);

      const credit = await p.market.creditOf(await creator.getAddress(), NATIVE);
      expect(credit).to.equal(ethers.parseEther("0.01") - (ethers.parseEther("0.01") * 250n) / 10_000n);
      const to = ethers.Wallet.createRandom().address;
      const claimed = await run<ClaimResult>("vault:claim", { from: CREATOR, to });
      expect(claimed.amount).to.equal(credit);
      expect(await ethers.provider.getBalance(to)).to.equal(credit);
      await refuses("vault:claim", { from: CREATOR }, /nothing to claim: .* has no ETH credited/);
      const fees = await run<ClaimResult>("vault:claim", { protocolFees: true });
      expect(fees.payee).to.equal(await p.signers[1].getAddress());
      await refuses("vault:settle", { model: "1:1", levels: "0" }, /bad --levels '0'/);
    });
  });

  describe("vault:reclaim-escrow (issue 11 item 14)", () => {
    it("the buyer takes back an unreported deployment escrow after the timeout, then claims it; refused before and twice", async () => {
      await publish();
      await run("model:price", { model: "1:1", price: "0.2", deploymentPrice: "0.05", from: CREATOR });
      const bought = await run<BuyResult>("key:buy", { model: "1:1", from: BUYER, deployParams: '{"region":"eu"}' });
      const key = bought.keyId.toString();
      await refuses("vault:reclaim-escrow", { key, from: BUYER }, /reclaimable from .* unless a lease is reported first/);
      await time.increaseTo((await p.market.escrowOf(bought.keyId)).reclaimableAt);
      await refuses("vault:reclaim-escrow", { key, from: MEMBER }, /only the buyer 0x[0-9a-fA-F]{40} may reclaim/);
      const r = await run<ReclaimEscrowResult>("vault:reclaim-escrow", { key, from: BUYER });
      expect(r.amount).to.equal(ethers.parseEther("0.05"));
      expect(await p.market.creditOf(await buyer.getAddress(), NATIVE)).to.equal(ethers.parseEther("0.05"));
      await refuses("vault:reclaim-escrow", { key, from: BUYER }, /has no open deployment escrow/);
      const claimed = await run<ClaimResult>("vault:claim", { from: BUYER });
      expect(claimed.amount).to.equal(ethers.parseEther("0.05"));
    });
  });

  describe("dao:*", () => {
    it("creates a DAO, funds its treasury, proposes, votes and executes an infrastructure payment", async () => {
      const r = await publish({ daoBps: "2000" });
      const id = r.modelId.toString();
      const members = [await creator.getAddress(), await member.getAddress()];
      await refuses("dao:create", { model: id, members: members.join(","), from: BUYER }, /not the creator/);
      await refuses("dao:create", { model: id, members: "0x1234", from: CREATOR }, /bad --members '0x1234'/);
      const dao = await run<DaoCreateResult>("dao:create", {
        model: id,
        members: members.join(","),
        votingPeriod: "5",
        quorum: "50",
        from: CREATOR,
      });
      expect(await p.registry.daoOf(r.modelId)).to.equal(dao.governor);
      await refuses("dao:create", { model: id, members: members.join(","), from: CREATOR }, /already has a DAO/);

      await run("model:price", { model: id, price: "1", from: CREATOR });
      await run("key:buy", { model: id, from: BUYER });
      const [level] = await run<SettleLevel[]>("vault:settle", { model: id });
      expect(level.daoShare).to.equal(ethers.parseEther("0.2"));

      const payee = ethers.Wallet.createRandom().address;
      await refuses("dao:propose", { model: id, to: payee, amount: "0.15", purpose: "x", from: BUYER }, /is not a member/);
      const prop = await run<ProposeResult>("dao:propose", {
        model: id,
        to: payee,
        amount: "0.15",
        purpose: "akash-escrow:owner/42",
        from: MEMBER,
      });
      await refuses("dao:execute", { model: id, proposal: prop.proposalId.toString() }, /is open until block/);
      await run("dao:vote", { model: id, proposal: prop.proposalId.toString(), support: "for", from: MEMBER, fastForward: true });
      await run("dao:vote", { model: id, proposal: prop.proposalId.toString(), support: "against", from: CREATOR });
      await refuses(
        "dao:vote",
        { model: id, proposal: prop.proposalId.toString(), support: "for", from: MEMBER },
        /already voted/,
      );
      await refuses("dao:vote", { model: id, proposal: prop.proposalId.toString(), support: "maybe" }, /bad --support 'maybe'/);
      // 1 for, 1 against: quorum met (for + abstain = 1 of 2) but not a majority → defeated.
      await refuses(
        "dao:execute",
        { model: id, proposal: prop.proposalId.toString(), fastForward: true },
        /is Defeated, not Succeeded/,
      );

      const prop2 = await run<ProposeResult>("dao:propose", {
        model: id,
        to: payee,
        amount: "0.15",
        purpose: "akash-escrow:owner/43",
        from: MEMBER,
      });
      await run("dao:vote", {
        model: id,
        proposal: prop2.proposalId.toString(),
        support: "for",
        from: MEMBER,
        fastForward: true,
      });
      await run("dao:vote", { model: id, proposal: prop2.proposalId.toString(), support: "for", from: CREATOR });
      const ex = await run<ExecuteResult>("dao:execute", { model: id, proposal: prop2.proposalId.toString(), fastForward: true });
      expect(ex.purpose).to.equal("akash-escrow:owner/43");
      expect(ex.amount).to.equal(ethers.parseEther("0.15"));
      expect(await ethers.provider.getBalance(payee)).to.equal(ethers.parseEther("0.15"));
      await refuses("dao:execute", { model: id, proposal: prop2.proposalId.toString() }, /is Executed, not Succeeded/);
      await refuses("dao:execute", { model: id, proposal: "12345" }, /unknown proposal 12345/);
    });
  });

  describe("plugin:attach / plugin:detach", () => {
    it("attaches a supply cap that rejects the second sale, detaches it, and keeps the soul-bound policy fixed", async () => {
      const r = await publish();
      const id = r.modelId.toString();
      await run("model:price", { model: id, price: "0.01", from: CREATOR });
      await refuses("plugin:attach", { model: id, plugin: "supply-cap", pluginConfig: "1", from: BUYER }, /not the creator/);
      await run("plugin:attach", { model: id, plugin: "supply-cap", pluginConfig: "1", from: CREATOR });
      await run("key:buy", { model: id, from: BUYER });
      await refuses("key:buy", { model: id, from: BUYER }, /would revert: PluginRejected\(.*SupplyCapReached\(1\)/);
      await run("plugin:detach", { model: id, plugin: "supply-cap", from: CREATOR });
      expect([...(await (await keysAt(r.modelId)).plugins())]).to.deep.equal([]);
      await run("key:buy", { model: id, from: BUYER });
      await refuses("plugin:attach", { model: id, plugin: "soulbound", from: CREATOR }, /soul-bound policy is fixed/);
      await refuses("plugin:attach", { model: id, plugin: "rainbow", from: CREATOR }, /bad --plugin 'rainbow'/);
      await refuses("plugin:detach", { model: id, plugin: "expiry", from: CREATOR }, /is not attached/);
      // A third-party plugin by address with raw config bytes (here the expiry plugin, ABI-encoded by hand).
      const expiry = await p.plugins.expiry.getAddress();
      await run("plugin:attach", {
        model: id,
        plugin: expiry,
        pluginConfig: ethers.AbiCoder.defaultAbiCoder().encode(["uint64"], [3600]),
        from: CREATOR,
      });
      expect(await p.plugins.expiry.durationOf(await (await keysAt(r.modelId)).getAddress())).to.equal(3600n);
    });
  });

  describe("protocol:upgrade", () => {
    it("validates, deploys, schedules and later executes a compatible registry upgrade", async () => {
      const proxy = await p.registry.getAddress();
      const before = await hre.upgrades.erc1967.getImplementationAddress(proxy);
      const scheduled = await run<UpgradeResult>("protocol:upgrade", {
        contract: "HexsRegistry",
        implementation: "TasksRegistryV2Mock",
      });
      expect(scheduled.upgraded).to.equal(false);
      expect(await p.timelock.isOperationPending(scheduled.timelock!.operationId)).to.equal(true);
      expect(await hre.upgrades.erc1967.getImplementationAddress(proxy)).to.equal(before);
      // Not ready yet without --fast-forward: stays scheduled.
      const waiting = await run<UpgradeResult>("protocol:upgrade", {
        contract: "HexsRegistry",
        implementation: "TasksRegistryV2Mock",
        execute: true,
      });
      expect(waiting.upgraded).to.equal(false);
      const done = await run<UpgradeResult>("protocol:upgrade", {
        contract: "HexsRegistry",
        implementation: "TasksRegistryV2Mock",
        execute: true,
        fastForward: true,
      });
      expect(done.upgraded).to.equal(true);
      expect(done.timelock!.operationId).to.equal(scheduled.timelock!.operationId);
      expect(await hre.upgrades.erc1967.getImplementationAddress(proxy)).to.equal(done.newImplementation);
      const v2 = (await ethers.getContractAt("TasksRegistryV2Mock", proxy)) as unknown as TasksRegistryV2Mock;
      expect(await v2.tasksVersion()).to.equal("tasks-v2");
      expect(await v2.chainId()).to.equal(1n); // state kept
      expect((await deployments.get("HexsRegistry")).implementation).to.equal(done.newImplementation);
    });

    it("refuses an implementation that breaks the storage layout, before deploying or scheduling anything", async () => {
      const proxy = await p.registry.getAddress();
      const before = await hre.upgrades.erc1967.getImplementationAddress(proxy);
      const msg = await refuses(
        "protocol:upgrade",
        { contract: "HexsRegistry", implementation: "TasksRegistryBadMock", execute: true, fastForward: true },
        /refusing to upgrade HexsRegistry to TasksRegistryBadMock/,
      );
      expect(msg).to.match(/chainId|modelSerial|layout|incompatible/i);
      expect(await hre.upgrades.erc1967.getImplementationAddress(proxy)).to.equal(before);
      await refuses("protocol:upgrade", { contract: "Nope" }, /bad --contract 'Nope'/);
      await refuses(
        "protocol:upgrade",
        { contract: "HexsRegistry", implementation: "NoSuchContract" },
        /bad --implementation 'NoSuchContract'/,
      );
      await refuses(
        "protocol:upgrade",
        { contract: "HexsRegistry", reference: "TasksRegistryV2Mock" },
        /differs from the HexsRegistry implementation deployed/,
      );
      await refuses(
        "protocol:upgrade",
        { contract: "HexsRegistry", implementation: "TasksRegistryV2Mock", from: BUYER },
        /no PROPOSER_ROLE/,
      );
    });

    it("upgrades every key collection through the beacon", async () => {
      const r = await publish();
      const done = await run<UpgradeResult>("protocol:upgrade", {
        contract: "KeyNFT",
        implementation: "TasksKeyNFTV2Mock",
        execute: true,
        fastForward: true,
      });
      expect(done.upgraded).to.equal(true);
      expect(await hre.upgrades.beacon.getImplementationAddress(await p.beacon.getAddress())).to.equal(done.newImplementation);
      const keys = (await ethers.getContractAt(
        "TasksKeyNFTV2Mock",
        await p.registry.keysOf(r.modelId),
      )) as unknown as TasksKeyNFTV2Mock;
      expect(await keys.tasksVersion()).to.equal("tasks-keys-v2");
      expect(await keys.modelId()).to.equal(r.modelId);
    });
  });

  describe("wrong network / missing deployment", () => {
    it("says how to deploy when this network has no Hexs deployment", async () => {
      const saved = await deployments.get("HexsRegistry");
      await deployments.delete("HexsRegistry");
      try {
        await refuses(
          "model:price",
          { model: "1:1", price: "1" },
          /no Hexs deployment on network 'hardhat' \(missing HexsRegistry\).*--network devnetA/,
        );
      } finally {
        await deployments.save("HexsRegistry", saved);
      }
    });
  });
});

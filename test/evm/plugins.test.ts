import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import { buyNative, deployProtocol, NATIVE, publish, setNativePrice, type Protocol } from "../../devnet/hardhat/protocol";
import type { HolderOfPlugin, TimeWindowPlugin } from "../../sdk/typechain";

const abi = ethers.AbiCoder.defaultAbiCoder();
const PRICE = ethers.parseEther("0.05");

// ------------------------------------------------------------------ a Merkle tree as OZ expects
// Leaves: keccak256(bytes.concat(keccak256(abi.encode(account)))); inner nodes: keccak256 of the
// two children sorted ascending (OZ MerkleProof's commutative hashing).
function leafOf(account: string): string {
  return ethers.keccak256(ethers.keccak256(abi.encode(["address"], [account])));
}
function hashPair(a: string, b: string): string {
  return BigInt(a) < BigInt(b) ? ethers.keccak256(ethers.concat([a, b])) : ethers.keccak256(ethers.concat([b, a]));
}
class MerkleTree {
  readonly layers: string[][];
  constructor(accounts: string[]) {
    this.layers = [accounts.map(leafOf)];
    while (this.layers[this.layers.length - 1].length > 1) {
      const prev = this.layers[this.layers.length - 1];
      const next: string[] = [];
      for (let i = 0; i < prev.length; i += 2) next.push(i + 1 < prev.length ? hashPair(prev[i], prev[i + 1]) : prev[i]);
      this.layers.push(next);
    }
  }
  get root(): string {
    return this.layers[this.layers.length - 1][0];
  }
  proof(account: string): string[] {
    let index = this.layers[0].indexOf(leafOf(account));
    if (index < 0) throw new Error("not in tree");
    const proof: string[] = [];
    for (const layer of this.layers.slice(0, -1)) {
      const sibling = index ^ 1;
      if (sibling < layer.length) proof.push(layer[sibling]);
      index >>= 1;
    }
    return proof;
  }
  /** Off-chain verification, to make sure the tree itself is right before using it on chain. */
  static verify(proof: string[], root: string, account: string): boolean {
    return proof.reduce((h, s) => hashPair(h, s), leafOf(account)) === root;
  }
}
const proofData = (proof: string[]) => abi.encode(["bytes32[]"], [proof]);

describe("Key plugins", () => {
  let p: Protocol;
  let creator: Signer, stranger: Signer;
  let users: Signer[];
  let addrs: string[];

  beforeEach(async () => {
    p = await deployProtocol();
    [, , creator, stranger] = p.signers;
    users = p.signers.slice(4, 12);
    addrs = await Promise.all(users.map((u) => u.getAddress()));
  });

  async function priced(opts: Parameters<typeof publish>[2] = {}) {
    const m = await publish(p, creator, opts);
    await setNativePrice(p, creator, m.modelId, PRICE);
    return m;
  }
  const buy = (buyer: Signer, modelId: bigint, recipient: string, pluginData = "0x") =>
    p.market.connect(buyer).buy(modelId, NATIVE, recipient, "0x", pluginData, { value: PRICE });

  describe("AllowlistPlugin (Merkle root)", () => {
    let tree: MerkleTree;
    let allowed: string[];
    beforeEach(() => {
      allowed = addrs.slice(0, 5); // odd size: exercises the promoted last node
      tree = new MerkleTree(allowed);
      for (const a of allowed) expect(MerkleTree.verify(tree.proof(a), tree.root, a)).to.equal(true);
    });

    it("mints to every allowlisted recipient with its proof", async () => {
      const plugin = await p.plugins.allowlist.getAddress();
      const { keys, modelId } = await priced({ plugins: [{ plugin, config: abi.encode(["bytes32"], [tree.root]) }] });
      expect(await p.plugins.allowlist.rootOf(await keys.getAddress())).to.equal(tree.root);
      for (let i = 0; i < allowed.length; i++) {
        await buy(users[i], modelId, allowed[i], proofData(tree.proof(allowed[i])));
        expect(await keys.hasAccess(allowed[i])).to.equal(true);
      }
      // A non-listed buyer may buy FOR a listed recipient: the recipient is what is checked.
      await buy(stranger, modelId, allowed[2], proofData(tree.proof(allowed[2])));
      expect(await keys.balanceOf(allowed[2])).to.equal(2n);
    });

    it("rejects outsiders, borrowed proofs and missing proofs with PluginRejected(plugin, NotAllowlisted)", async () => {
      const plugin = await p.plugins.allowlist.getAddress();
      const { keys, modelId } = await priced({ plugins: [{ plugin, config: abi.encode(["bytes32"], [tree.root]) }] });
      const outsider = addrs[6];
      const inner = p.plugins.allowlist.interface.encodeErrorResult("NotAllowlisted", [outsider]);
      await expect(buy(users[6], modelId, outsider, proofData(tree.proof(allowed[0]))))
        .to.be.revertedWithCustomError(keys, "PluginRejected")
        .withArgs(plugin, inner);
      await expect(buy(users[6], modelId, outsider, "0x"))
        .to.be.revertedWithCustomError(keys, "PluginRejected")
        .withArgs(plugin, inner);
      // A listed account with a wrong proof (someone else's) is refused too.
      const innerListed = p.plugins.allowlist.interface.encodeErrorResult("NotAllowlisted", [allowed[1]]);
      await expect(buy(users[1], modelId, allowed[1], proofData(tree.proof(allowed[0]))))
        .to.be.revertedWithCustomError(keys, "PluginRejected")
        .withArgs(plugin, innerListed);
      expect(await keys.balanceOf(outsider)).to.equal(0n);
      expect(await p.market.vaultOf(modelId, NATIVE)).to.equal(0n); // the whole purchase reverted
    });

    it("the inner custom error of PluginRejected decodes to the plugin's own error", async () => {
      const plugin = await p.plugins.allowlist.getAddress();
      const { keys, modelId } = await priced({ plugins: [{ plugin, config: abi.encode(["bytes32"], [tree.root]) }] });
      const outsider = addrs[7];
      const data = p.market.interface.encodeFunctionData("buy", [modelId, NATIVE, outsider, "0x", "0x"]);
      let revertData = "";
      try {
        await ethers.provider.call({ to: await p.market.getAddress(), data, value: PRICE, from: addrs[7] });
      } catch (e) {
        revertData = (e as { data: string }).data;
      }
      const outer = keys.interface.parseError(revertData)!;
      expect(outer.name).to.equal("PluginRejected");
      expect(outer.args.plugin).to.equal(plugin);
      const inner = p.plugins.allowlist.interface.parseError(outer.args.reason)!;
      expect(inner.name).to.equal("NotAllowlisted");
      expect(inner.args.account).to.equal(outsider);
    });

    it("refuses an empty root and forgets the root on detach", async () => {
      const plugin = await p.plugins.allowlist.getAddress();
      const { keys, modelId } = await priced();
      await expect(
        keys.connect(creator).attachPlugin(plugin, abi.encode(["bytes32"], [ethers.ZeroHash])),
      ).to.be.revertedWithCustomError(p.plugins.allowlist, "EmptyRoot");
      await keys.connect(creator).attachPlugin(plugin, abi.encode(["bytes32"], [tree.root]));
      await expect(buy(users[7], modelId, addrs[7])).to.be.revertedWithCustomError(keys, "PluginRejected");
      await keys.connect(creator).detachPlugin(plugin);
      expect(await p.plugins.allowlist.rootOf(await keys.getAddress())).to.equal(ethers.ZeroHash);
      await buy(users[7], modelId, addrs[7]); // open sale again
      expect(await keys.balanceOf(addrs[7])).to.equal(1n);
    });
  });

  describe("SupplyCapPlugin", () => {
    it("stops sales once the cap is reached; detaching lifts it", async () => {
      const plugin = await p.plugins.supplyCap.getAddress();
      const { keys, modelId } = await priced({ plugins: [{ plugin, config: abi.encode(["uint64"], [2]) }] });
      await buyNative(p, users[0], modelId, PRICE);
      await buyNative(p, users[1], modelId, PRICE);
      expect(await p.plugins.supplyCap.mintedOf(await keys.getAddress())).to.equal(2n);
      const inner = p.plugins.supplyCap.interface.encodeErrorResult("SupplyCapReached", [2]);
      await expect(buy(users[2], modelId, addrs[2]))
        .to.be.revertedWithCustomError(keys, "PluginRejected")
        .withArgs(plugin, inner);
      await keys.connect(creator).detachPlugin(plugin);
      await buyNative(p, users[2], modelId, PRICE);
      expect(await keys.balanceOf(addrs[2])).to.equal(1n);
    });

    it("counts only keys sold while attached and refuses a zero cap", async () => {
      const plugin = await p.plugins.supplyCap.getAddress();
      const { keys, modelId } = await priced();
      await buyNative(p, users[0], modelId, PRICE);
      await expect(keys.connect(creator).attachPlugin(plugin, abi.encode(["uint64"], [0]))).to.be.revertedWithCustomError(
        p.plugins.supplyCap,
        "ZeroCap",
      );
      await keys.connect(creator).attachPlugin(plugin, abi.encode(["uint64"], [1]));
      await buyNative(p, users[1], modelId, PRICE);
      await expect(buy(users[2], modelId, addrs[2])).to.be.revertedWithCustomError(keys, "PluginRejected");
      expect(await keys.balanceOf(addrs[0])).to.equal(1n);
    });

    it("keeps a separate count per collection", async () => {
      const plugin = await p.plugins.supplyCap.getAddress();
      const cfg = { plugin, config: abi.encode(["uint64"], [1]) };
      const a = await priced({ plugins: [cfg], content: "a" });
      const b = await priced({ plugins: [cfg], content: "b" });
      await buyNative(p, users[0], a.modelId, PRICE);
      await buyNative(p, users[0], b.modelId, PRICE);
      await expect(buy(users[1], a.modelId, addrs[1])).to.be.revertedWithCustomError(a.keys, "PluginRejected");
      await expect(buy(users[1], b.modelId, addrs[1])).to.be.revertedWithCustomError(b.keys, "PluginRejected");
    });
  });

  describe("attach / detach", () => {
    it("is creator-only", async () => {
      const { keys } = await priced();
      const plugin = await p.plugins.soulbound.getAddress();
      const who = await stranger.getAddress();
      await expect(keys.connect(stranger).attachPlugin(plugin, "0x"))
        .to.be.revertedWithCustomError(keys, "NotCreator")
        .withArgs(who);
      await keys.connect(creator).attachPlugin(plugin, "0x");
      await expect(keys.connect(stranger).detachPlugin(plugin)).to.be.revertedWithCustomError(keys, "NotCreator").withArgs(who);
    });

    it("refuses double attach and detaching an unattached plugin", async () => {
      const { keys } = await priced();
      const plugin = await p.plugins.supplyCap.getAddress();
      await keys.connect(creator).attachPlugin(plugin, abi.encode(["uint64"], [5]));
      await expect(keys.connect(creator).attachPlugin(plugin, abi.encode(["uint64"], [5])))
        .to.be.revertedWithCustomError(keys, "PluginAlreadyAttached")
        .withArgs(plugin);
      const other = await p.plugins.expiry.getAddress();
      await expect(keys.connect(creator).detachPlugin(other))
        .to.be.revertedWithCustomError(keys, "PluginNotAttached")
        .withArgs(other);
    });

    it(`allows at most MAX_PLUGINS plugins, at publish and afterwards; detach keeps the list consistent`, async () => {
      const { keys } = await priced();
      const max = Number(await keys.MAX_PLUGINS());
      expect(max).to.equal(8);
      const factory = await ethers.getContractFactory("TimeWindowPlugin");
      const windows: string[] = [];
      for (let i = 0; i <= max; i++) windows.push(await (await factory.deploy()).getAddress());
      for (let i = 0; i < max; i++) await keys.connect(creator).attachPlugin(windows[i], "0x");
      await expect(keys.connect(creator).attachPlugin(windows[max], "0x")).to.be.revertedWithCustomError(keys, "TooManyPlugins");
      expect([...(await keys.plugins())]).to.have.members(windows.slice(0, max));
      await keys.connect(creator).detachPlugin(windows[2]);
      const left = [...(await keys.plugins())];
      expect(left).to.have.length(max - 1);
      expect(left).to.not.include(windows[2]);
      await keys.connect(creator).attachPlugin(windows[max], "0x");
      expect([...(await keys.plugins())]).to.include(windows[max]);

      const cfgs = windows.map((plugin) => ({ plugin, config: "0x" }));
      await expect(p.registry.connect(creator).publish({ ...publishWith(cfgs) })).to.be.revertedWithCustomError(
        keys,
        "TooManyPlugins",
      );
    });
  });

  describe("third-party plugins (defined only in test code)", () => {
    it("HolderOfPlugin: keys of a derived model go only to holders of the base model, on mint and on transfer", async () => {
      const holderOf = (await (
        await ethers.getContractFactory("HolderOfPlugin")
      ).deploy(await p.registryLens.getAddress(), await p.registry.getAddress())) as unknown as HolderOfPlugin;
      const plugin = await holderOf.getAddress();
      const base = await priced({ content: "base" });
      const gated = await priced({
        content: "gated",
        plugins: [{ plugin, config: abi.encode(["uint64"], [base.modelId]) }],
      });
      expect(await gated.keys.plugins()).to.deep.equal([plugin]);

      const [u0, u1, u2] = addrs;
      await expect(buy(users[0], gated.modelId, u0))
        .to.be.revertedWithCustomError(gated.keys, "PluginRejected")
        .withArgs(plugin, holderOf.interface.encodeErrorResult("NotAHolder", [u0, base.modelId]));
      await buyNative(p, users[0], base.modelId, PRICE);
      const gatedKey = await buyNative(p, users[0], gated.modelId, PRICE);
      expect(await gated.keys.hasAccess(u0)).to.equal(true);

      // Transfer hook: the receiver must be a base holder too.
      await expect(gated.keys.connect(users[0]).transferFrom(u0, u1, gatedKey))
        .to.be.revertedWithCustomError(gated.keys, "PluginRejected")
        .withArgs(plugin, holderOf.interface.encodeErrorResult("NotAHolder", [u1, base.modelId]));
      await buyNative(p, users[2], base.modelId, PRICE);
      await gated.keys.connect(users[0]).transferFrom(u0, u2, gatedKey);
      expect(await gated.keys.ownerOf(gatedKey)).to.equal(u2);

      // Detached: anyone may buy again, and the plugin forgot this collection.
      await gated.keys.connect(creator).detachPlugin(plugin);
      expect(await holderOf.requiredModelOf(await gated.keys.getAddress())).to.equal(0n);
      await buyNative(p, users[1], gated.modelId, PRICE);
      expect(await gated.keys.hasAccess(u1)).to.equal(true);
    });

    it("TimeWindowPlugin: sales open and close at the configured times", async () => {
      const tw = (await (await ethers.getContractFactory("TimeWindowPlugin")).deploy()) as unknown as TimeWindowPlugin;
      const plugin = await tw.getAddress();
      const now = BigInt(await time.latest());
      const opensAt = now + 1000n;
      const closesAt = now + 2000n;
      const { keys, modelId } = await priced();
      await keys.connect(creator).attachPlugin(plugin, abi.encode(["uint64", "uint64"], [opensAt, closesAt]));

      const tx = buy(users[0], modelId, addrs[0]);
      await expect(tx).to.be.revertedWithCustomError(keys, "PluginRejected");
      await time.increaseTo(opensAt);
      await buyNative(p, users[0], modelId, PRICE);
      await time.increaseTo(closesAt);
      const rejectedAt = closesAt + 1n; // the next block's timestamp
      await time.setNextBlockTimestamp(rejectedAt);
      await expect(buy(users[1], modelId, addrs[1]))
        .to.be.revertedWithCustomError(keys, "PluginRejected")
        .withArgs(plugin, tw.interface.encodeErrorResult("SaleClosed", [rejectedAt, opensAt, closesAt]));
      expect(await keys.balanceOf(addrs[0])).to.equal(1n);
    });
  });
});

function publishWith(plugins: { plugin: string; config: string }[]) {
  return {
    contentCommitment: ethers.id("too-many"),
    sdlLocator: "cid",
    metadataUri: "uri",
    forkRoyaltyBps: 0,
    daoBps: 0,
    forkable: true,
    secondaryRoyaltyBps: 0,
    plugins,
  };
}

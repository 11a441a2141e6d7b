import { expect } from "chai";
import { ethers } from "hardhat";
import { buyNative, deployProtocol, NATIVE, publish, setNativePrice } from "../../devnet/hardhat/protocol";

describe("smoke: publish, fork, buy, settle, claim", () => {
  it("moves money from a fork's sale up to its parent's creator", async () => {
    const p = await deployProtocol();
    const [, , creator, forker, buyer] = p.signers;
    const root = await publish(p, creator);
    const child = await publish(p, forker, { parentId: root.modelId });
    await setNativePrice(p, forker, child.modelId, ethers.parseEther("1"));
    const keyId = await buyNative(p, buyer, child.modelId, ethers.parseEther("1"));
    expect(await child.keys.ownerOf(keyId)).to.equal(await buyer.getAddress());
    expect(await child.keys.hasAccess(await buyer.getAddress())).to.equal(true);
    await p.market.settle(child.modelId, NATIVE);
    expect(await p.market.vaultOf(root.modelId, NATIVE)).to.equal(ethers.parseEther("0.1"));
  });
});

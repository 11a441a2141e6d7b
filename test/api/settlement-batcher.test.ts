// X402SettlementBatcher on the Hardhat network with the EIP-3009 test stablecoin: several
// authorizations settle in one transaction, straight from each payer to the payee it signed;
// an item the token refuses is reported and does not stop the others; bad batches are refused.
import { expect } from "chai";
import { ethers } from "hardhat";
import type { Signer } from "ethers";
import type { TestStablecoin, X402SettlementBatcher } from "../../sdk/typechain";
import { TRANSFER } from "./helpers";

interface Item {
  from: string;
  to: string;
  value: bigint;
  validAfter: bigint;
  validBefore: bigint;
  nonce: string;
  signature: string;
}

describe("X402SettlementBatcher (many EIP-3009 authorizations per transaction)", () => {
  let usd: TestStablecoin;
  let batcher: X402SettlementBatcher;
  let alice: Signer, bob: Signer, sender: Signer;
  let SINK: string, OTHER_SINK: string, USD: string, BATCHER: string;

  beforeEach(async () => {
    [, alice, bob, sender] = await ethers.getSigners();
    usd = (await (await ethers.getContractFactory("TestStablecoin")).deploy()) as unknown as TestStablecoin;
    batcher = (await (await ethers.getContractFactory("X402SettlementBatcher")).deploy()) as unknown as X402SettlementBatcher;
    [USD, BATCHER] = [await usd.getAddress(), await batcher.getAddress()];
    SINK = ethers.Wallet.createRandom().address;
    OTHER_SINK = ethers.Wallet.createRandom().address;
    await usd.mint(await alice.getAddress(), 1_000_000n);
    await usd.mint(await bob.getAddress(), 1_000_000n);
  });

  async function item(payer: Signer, o: Partial<Omit<Item, "signature">> = {}): Promise<Item> {
    const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
    const a = {
      from: await payer.getAddress(),
      to: SINK,
      value: 1_000n,
      validAfter: 0n,
      validBefore: now + 600n,
      nonce: ethers.hexlify(ethers.randomBytes(32)),
      ...o,
    };
    const { chainId } = await ethers.provider.getNetwork();
    const signature = await payer.signTypedData(
      { name: await usd.name(), version: await usd.version(), chainId, verifyingContract: USD },
      { TransferWithAuthorization: TRANSFER },
      a,
    );
    return { ...a, signature };
  }

  it("settles every authorization of a batch in one transaction, each straight from its payer to the payee it signed; the batcher and the sender hold nothing", async () => {
    const items = [await item(alice), await item(bob, { value: 2_500n }), await item(alice, { to: OTHER_SINK, value: 7n })];
    const senderBefore = await usd.balanceOf(await sender.getAddress());
    const settled = await batcher.connect(sender).settle.staticCall(USD, items);
    expect(settled).to.deep.equal([true, true, true]);
    const rc = await (await batcher.connect(sender).settle(USD, items)).wait();
    expect(await usd.balanceOf(SINK)).to.equal(3_500n);
    expect(await usd.balanceOf(OTHER_SINK)).to.equal(7n);
    expect(await usd.balanceOf(await alice.getAddress())).to.equal(1_000_000n - 1_007n);
    expect(await usd.balanceOf(await bob.getAddress())).to.equal(1_000_000n - 2_500n);
    expect(await usd.balanceOf(BATCHER)).to.equal(0n);
    expect(await usd.balanceOf(await sender.getAddress())).to.equal(senderBefore);
    // every Transfer of the batch goes payer → payee: none to or from the batcher
    const transfers = rc!.logs
      .filter((l) => l.address === USD)
      .map((l) => usd.interface.parseLog(l))
      .filter((e) => e?.name === "Transfer");
    expect(transfers.map((e) => [e!.args.from, e!.args.to, e!.args.value])).to.deep.equal(
      items.map((i) => [i.from, i.to, i.value]),
    );
    expect(rc!.logs.filter((l) => l.address === BATCHER)).to.have.length(0);
    for (const i of items) expect(await usd.authorizationState(i.from, i.nonce)).to.equal(true);
  });

  it("an authorization already used, one expired, one forged and one above the payer's balance fail alone: the others in the batch settle, each failure is reported with its index and the token's reason", async () => {
    const used = await item(alice);
    const byAuthorization =
      usd.connect(sender)["transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)"];
    await byAuthorization(used.from, used.to, used.value, used.validAfter, used.validBefore, used.nonce, used.signature);
    const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
    const expired = await item(alice, { validBefore: now - 1n });
    const forged = { ...(await item(bob)), value: 5_000n }; // bob signed 1,000
    const tooMuch = await item(bob, { value: 2_000_000n });
    const good1 = await item(alice, { value: 11n });
    const good2 = await item(bob, { value: 13n });
    const items = [good1, used, expired, forged, tooMuch, good2];
    const sinkBefore = await usd.balanceOf(SINK);
    expect(await batcher.settle.staticCall(USD, items)).to.deep.equal([true, false, false, false, false, true]);
    const tx = batcher.connect(sender).settle(USD, items);
    const rc = await (await tx).wait();
    expect(await usd.balanceOf(SINK)).to.equal(sinkBefore + 24n);
    const failed = rc!.logs.filter((l) => l.address === BATCHER).map((l) => batcher.interface.parseLog(l)!);
    expect(failed.map((e) => [e.args.token, e.args.from, e.args.nonce, Number(e.args.index)])).to.deep.equal([
      [USD, used.from, used.nonce, 1],
      [USD, expired.from, expired.nonce, 2],
      [USD, forged.from, forged.nonce, 3],
      [USD, tooMuch.from, tooMuch.nonce, 4],
    ]);
    const reasons = failed.map((e) => usd.interface.parseError(e.args.reason)?.name);
    expect(reasons).to.deep.equal([
      "AuthorizationUsedOrCanceled",
      "AuthorizationExpired",
      "InvalidSignature",
      "ERC20InsufficientBalance",
    ]);
    // a refused authorization leaves its nonce unused (the payer's to reuse or cancel)
    for (const i of [expired, forged, tooMuch]) expect(await usd.authorizationState(i.from, i.nonce)).to.equal(false);
    // the same batch again settles nothing twice: every nonce of it is used or still refused
    const again = await (await batcher.connect(sender).settle(USD, items)).wait();
    expect(await usd.balanceOf(SINK)).to.equal(sinkBefore + 24n);
    expect(again!.logs.filter((l) => l.address === BATCHER)).to.have.length(items.length);
  });

  it("refuses an empty batch, a token without code and a gas limit that would leave an item under its gas floor; nothing moves", async () => {
    await expect(batcher.settle(USD, [])).to.be.revertedWithCustomError(batcher, "EmptyBatch");
    const one = await item(alice);
    await expect(batcher.settle(SINK, [one]))
      .to.be.revertedWithCustomError(batcher, "NotAContract")
      .withArgs(SINK);
    const items = [await item(alice), await item(alice)];
    // enough for the first item, not for the second one's floor: the whole batch reverts
    await expect(batcher.connect(sender).settle(USD, items, { gasLimit: 180_000 })).to.be.revertedWithCustomError(
      batcher,
      "GasBelowItemFloor",
    );
    expect(await usd.balanceOf(SINK)).to.equal(0n);
    for (const i of [one, ...items]) expect(await usd.authorizationState(i.from, i.nonce)).to.equal(false);
  });
});

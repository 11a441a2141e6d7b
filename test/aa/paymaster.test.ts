// HexsPaymaster on EntryPoint v0.7, in process: operations are submitted with EntryPoint.handleOps
// as a bundler submits them, so every refusal below is the EntryPoint's own verdict.
import { expect } from "chai";
import { ethers } from "hardhat";
import { Wallet } from "ethers";
import { pack, paymasterHash, signPaymasterData, signUserOp } from "../../sdk/aa";
import { buyCalls, deployAa, draftOp, handle, KEY_PRICE, sponsorAndSign, type AaFixture } from "../../devnet/hardhat/aa";

describe("HexsPaymaster (ERC-4337 v0.7, sponsored Hexs actions)", () => {
  let f: AaFixture;
  let burner: Wallet;
  let account: string;

  beforeEach(async () => {
    f = await deployAa({ opsPerAccountPerHour: 2 });
    burner = new Wallet(Wallet.createRandom().privateKey);
    account = await f.factory.getFunction("getAddress")(burner.address, 0);
    await (await f.token.mint(account, KEY_PRICE * 3n)).wait();
  });

  /** What a refused operation must leave untouched. */
  async function snapshot() {
    return {
      native: await ethers.provider.getBalance(account),
      tokens: await f.token.balanceOf(account),
      deposit: await f.paymaster.getDeposit(),
      keysSold: await f.p.market.keysSold(),
      code: await ethers.provider.getCode(account),
    };
  }

  async function buyOnce() {
    const op = await sponsorAndSign(f, await draftOp(f, burner.address, await buyCalls(f, account)), burner);
    const receipt = await (await handle(f, [op])).wait();
    const ev = receipt!.logs
      .map((l) => {
        try {
          return f.p.market.interface.parseLog(l);
        } catch {
          return null;
        }
      })
      .find((e) => e?.name === "Purchased");
    return { receipt, keyId: ev!.args.keyId as bigint };
  }

  it("sponsors a key purchase from a new smart account with 0 native balance", async () => {
    expect(await ethers.provider.getBalance(account)).to.equal(0n);
    const depositBefore = await f.paymaster.getDeposit();
    const { receipt, keyId } = await buyOnce();
    expect(await f.keys.ownerOf(keyId)).to.equal(account);
    expect(await ethers.provider.getBalance(account)).to.equal(0n);
    expect(await f.token.balanceOf(account)).to.equal(KEY_PRICE * 2n);
    expect(await f.p.market.vaultOf(f.modelId, await f.token.getAddress())).to.equal(KEY_PRICE);
    const uoe = receipt!.logs
      .map((l) => {
        try {
          return f.entryPoint.interface.parseLog(l);
        } catch {
          return null;
        }
      })
      .find((e) => e?.name === "UserOperationEvent");
    expect(uoe!.args.success).to.equal(true);
    expect(uoe!.args.paymaster).to.equal(await f.paymaster.getAddress());
    expect(await f.paymaster.getDeposit()).to.equal(depositBefore - (uoe!.args.actualGasCost as bigint));
    const hour = BigInt(Math.floor(((await ethers.provider.getBlock("latest"))!.timestamp - 60) / 3600));
    expect(await f.paymaster.accountOpsIn(account, hour)).to.equal(1n);
  });

  it("lets the burner move its key to a real wallet, sponsored", async () => {
    const { keyId } = await buyOnce();
    const wallet = await f.p.signers[7].getAddress();
    const transfer = f.keys.interface.encodeFunctionData("transferFrom", [account, wallet, keyId]);
    const op = await sponsorAndSign(
      f,
      await draftOp(f, burner.address, [{ to: await f.keys.getAddress(), data: transfer }]),
      burner,
    );
    await (await handle(f, [op])).wait();
    expect(await f.keys.ownerOf(keyId)).to.equal(wallet);
    expect(await ethers.provider.getBalance(account)).to.equal(0n);
  });

  it("refuses an account over its hourly cap, charging nothing", async () => {
    await buyOnce();
    await buyOnce();
    const before = await snapshot();
    const op = await sponsorAndSign(f, await draftOp(f, burner.address, await buyCalls(f, account)), burner);
    const hour = BigInt(Math.floor((op.paymasterData ? Number(BigInt("0x" + op.paymasterData.slice(14, 26))) : 0) / 3600));
    await expect(handle(f, [op]))
      .to.be.revertedWithCustomError(f.entryPoint, "FailedOpWithRevert")
      .withArgs(0, "AA33 reverted", f.paymaster.interface.encodeErrorResult("AccountCapReached", [account, hour, 2]));
    expect(await snapshot()).to.deep.equal(before);
  });

  it("refuses a call into a foreign target, charging nothing", async () => {
    const other = await f.p.signers[8].getAddress();
    const calls = [{ to: await f.token.getAddress(), data: f.token.interface.encodeFunctionData("transfer", [other, 1n]) }];
    const op = await sponsorAndSign(f, await draftOp(f, burner.address, calls), burner);
    const before = await snapshot();
    const selector = f.token.interface.getFunction("transfer").selector;
    await expect(handle(f, [op]))
      .to.be.revertedWithCustomError(f.entryPoint, "FailedOpWithRevert")
      .withArgs(
        0,
        "AA33 reverted",
        f.paymaster.interface.encodeErrorResult("TargetNotAllowed", [await f.token.getAddress(), selector]),
      );
    expect(await snapshot()).to.deep.equal(before);
    expect(await f.token.balanceOf(other)).to.equal(0n);
  });

  it("refuses an approve to anyone but the market and a transfer of someone else's key", async () => {
    const other = await f.p.signers[8].getAddress();
    const token = await f.token.getAddress();
    const approve = [{ to: token, data: f.token.interface.encodeFunctionData("approve", [other, 1n]) }];
    const op = await sponsorAndSign(f, await draftOp(f, burner.address, approve), burner);
    const before = await snapshot();
    await expect(handle(f, [op]))
      .to.be.revertedWithCustomError(f.entryPoint, "FailedOpWithRevert")
      .withArgs(
        0,
        "AA33 reverted",
        f.paymaster.interface.encodeErrorResult("ArgumentNotAllowed", [token, f.token.interface.getFunction("approve").selector]),
      );
    const keys = await f.keys.getAddress();
    const steal = [{ to: keys, data: f.keys.interface.encodeFunctionData("transferFrom", [other, account, 1n]) }];
    const op2 = await sponsorAndSign(f, await draftOp(f, burner.address, steal), burner);
    await expect(handle(f, [op2]))
      .to.be.revertedWithCustomError(f.entryPoint, "FailedOpWithRevert")
      .withArgs(
        0,
        "AA33 reverted",
        f.paymaster.interface.encodeErrorResult("ArgumentNotAllowed", [
          keys,
          f.keys.interface.getFunction("transferFrom").selector,
        ]),
      );
    expect(await snapshot()).to.deep.equal(before);
    expect(await f.token.allowance(account, other)).to.equal(0n);
  });

  it("refuses forged paymaster data (not the policy signer), charging nothing", async () => {
    const op = await sponsorAndSign(f, await draftOp(f, burner.address, await buyCalls(f, account)), burner, {
      signer: new Wallet(Wallet.createRandom().privateKey),
    });
    const before = await snapshot();
    await expect(handle(f, [op]))
      .to.be.revertedWithCustomError(f.entryPoint, "FailedOp")
      .withArgs(0, "AA34 signature error");
    expect(await snapshot()).to.deep.equal(before);
  });

  it("refuses paymaster data the policy signer signed for another chain id (AA34), charging nothing", async () => {
    // The policy signer's own key, the same operation, only the chain id in the signed data
    // differs: what a signature made for chain A looks like when replayed on chain B.
    const op = await draftOp(f, burner.address, await buyCalls(f, account));
    const now = (await ethers.provider.getBlock("latest"))!.timestamp;
    const [validAfter, validUntil] = [now - 60, now + 600];
    const foreign = { ...op, paymasterData: await signPaymasterData(f.policy, op, f.chainId + 1n, validUntil, validAfter) };
    const replayed = { ...foreign, signature: await signUserOp(burner, foreign, await f.entryPoint.getAddress(), f.chainId) };
    // the paymaster hashes block.chainid (and its own address) into what the signer signs
    expect(await f.paymaster.getHash(pack(replayed), validUntil, validAfter)).to.equal(
      paymasterHash(replayed, f.chainId, validUntil, validAfter),
    );
    expect(paymasterHash(replayed, f.chainId + 1n, validUntil, validAfter)).to.not.equal(
      paymasterHash(replayed, f.chainId, validUntil, validAfter),
    );
    const before = await snapshot();
    await expect(handle(f, [replayed]))
      .to.be.revertedWithCustomError(f.entryPoint, "FailedOp")
      .withArgs(0, "AA34 signature error");
    expect(await snapshot()).to.deep.equal(before);
    // the same operation signed for this chain goes through
    await (await handle(f, [await sponsorAndSign(f, op, burner, { validAfter, validUntil })])).wait();
    expect(await f.token.balanceOf(account)).to.equal(KEY_PRICE * 2n);
  });

  it("refuses paymaster data altered after signing (other call data)", async () => {
    const signed = await sponsorAndSign(f, await draftOp(f, burner.address, await buyCalls(f, account)), burner);
    const other = await f.p.signers[8].getAddress();
    const market = await f.p.market.getAddress();
    const tampered = {
      ...signed,
      callData: (
        await draftOp(f, burner.address, [
          {
            to: market,
            data: f.p.market.interface.encodeFunctionData("buy", [f.modelId, await f.token.getAddress(), other, "0x", "0x"]),
          },
        ])
      ).callData,
    };
    const before = await snapshot();
    await expect(handle(f, [tampered])).to.be.revertedWithCustomError(f.entryPoint, "FailedOp");
    expect(await snapshot()).to.deep.equal(before);
  });

  it("refuses expired paymaster data and a window longer than an hour, charging nothing", async () => {
    const now = (await ethers.provider.getBlock("latest"))!.timestamp;
    const op = await sponsorAndSign(f, await draftOp(f, burner.address, await buyCalls(f, account)), burner, {
      validAfter: now - 600,
      validUntil: now - 10,
    });
    const before = await snapshot();
    await expect(handle(f, [op]))
      .to.be.revertedWithCustomError(f.entryPoint, "FailedOp")
      .withArgs(0, "AA32 paymaster expired or not due");
    const long = await sponsorAndSign(f, await draftOp(f, burner.address, await buyCalls(f, account)), burner, {
      validAfter: now - 60,
      validUntil: now + 7200,
    });
    await expect(handle(f, [long]))
      .to.be.revertedWithCustomError(f.entryPoint, "FailedOpWithRevert")
      .withArgs(0, "AA33 reverted", f.paymaster.interface.encodeErrorResult("BadValidityWindow", [now - 60, now + 7200]));
    expect(await snapshot()).to.deep.equal(before);
  });

  it("sponsors nothing while the guardian has paused it; only the owner unpauses", async () => {
    await expect(f.paymaster.connect(f.p.signers[8]).pause())
      .to.be.revertedWithCustomError(f.paymaster, "NotGuardian")
      .withArgs(await f.p.signers[8].getAddress());
    await expect(f.paymaster.connect(f.guardian).pause()).to.emit(f.paymaster, "Paused");
    const op = await sponsorAndSign(f, await draftOp(f, burner.address, await buyCalls(f, account)), burner);
    const before = await snapshot();
    await expect(handle(f, [op]))
      .to.be.revertedWithCustomError(f.entryPoint, "FailedOpWithRevert")
      .withArgs(0, "AA33 reverted", f.paymaster.interface.encodeErrorResult("PaymasterPaused", []));
    expect(await snapshot()).to.deep.equal(before);
    await expect(f.paymaster.connect(f.guardian).unpause()).to.be.revertedWithCustomError(
      f.paymaster,
      "OwnableUnauthorizedAccount",
    );
    await (await f.paymaster.unpause()).wait();
    expect(await f.paymaster.paused()).to.equal(false);
  });

  it("keeps its policy to the owner and admits only real Hexs collections", async () => {
    const stranger = f.p.signers[8];
    const rule = { allowed: true, firstArgIsSender: false, firstArg: ethers.ZeroAddress };
    await expect(
      f.paymaster.connect(stranger).setRule(await f.token.getAddress(), "0xa9059cbb", rule),
    ).to.be.revertedWithCustomError(f.paymaster, "OwnableUnauthorizedAccount");
    await expect(f.paymaster.connect(stranger).setPolicySigner(stranger)).to.be.revertedWithCustomError(
      f.paymaster,
      "OwnableUnauthorizedAccount",
    );
    await expect(f.paymaster.connect(stranger).withdrawTo(await stranger.getAddress(), 1n)).to.be.revertedWithCustomError(
      f.paymaster,
      "OwnableUnauthorizedAccount",
    );
    await expect(f.paymaster.connect(stranger).allowCollection(999n))
      .to.be.revertedWithCustomError(f.p.registry, "ModelNotFound")
      .withArgs(999n);
    expect(await f.paymaster.isCollection(await f.keys.getAddress())).to.equal(true);
  });
});

import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import type { TestStablecoin } from "../../sdk/typechain";
import { TRANSFER } from "../api/helpers";

interface Auth {
  from: string;
  to: string;
  value: bigint;
  validAfter: bigint;
  validBefore: bigint;
  nonce: string;
}

describe("TestStablecoin (EIP-3009 + EIP-2612)", () => {
  let usd: TestStablecoin;
  let alice: Signer, bob: Signer, carol: Signer, relayer: Signer;
  let A: string, B: string;

  beforeEach(async () => {
    [, alice, bob, carol, relayer] = await ethers.getSigners();
    [A, B] = [await alice.getAddress(), await bob.getAddress()];
    usd = await (await ethers.getContractFactory("TestStablecoin")).deploy();
    await usd.mint(A, 1_000_000n);
  });

  async function domain() {
    const { chainId } = await ethers.provider.getNetwork();
    return { name: await usd.name(), version: await usd.version(), chainId, verifyingContract: await usd.getAddress() };
  }
  async function auth(o: Partial<Auth> = {}): Promise<Auth> {
    const now = BigInt(await time.latest());
    return {
      from: A,
      to: B,
      value: 250_000n,
      validAfter: now - 10n,
      validBefore: now + 600n,
      nonce: ethers.hexlify(ethers.randomBytes(32)),
      ...o,
    };
  }
  async function sign(a: Auth, signer: Signer = alice, kind = "TransferWithAuthorization") {
    return signer.signTypedData(await domain(), { [kind]: TRANSFER }, a);
  }
  const args = (a: Auth) => [a.from, a.to, a.value, a.validAfter, a.validBefore, a.nonce] as const;
  const send = (a: Auth, sig: string) =>
    usd.connect(relayer)["transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)"](...args(a), sig);
  async function expectUnchanged(a: Auth) {
    expect(await usd.balanceOf(A)).to.equal(1_000_000n);
    expect(await usd.balanceOf(B)).to.equal(0n);
    expect(await usd.authorizationState(A, a.nonce)).to.equal(false);
  }

  it("exposes the EIP-712 domain an x402 client builds (name, version 1, 6 decimals)", async () => {
    const d = await usd.eip712Domain();
    expect(d.name).to.equal("Hexs Test USD");
    expect(d.version).to.equal("1");
    expect(await usd.decimals()).to.equal(6n);
  });

  it("transferWithAuthorization (bytes signature) moves the value and marks the nonce used", async () => {
    const a = await auth();
    await expect(send(a, await sign(a)))
      .to.emit(usd, "AuthorizationUsed")
      .withArgs(A, a.nonce)
      .and.to.emit(usd, "Transfer")
      .withArgs(A, B, a.value);
    expect(await usd.balanceOf(A)).to.equal(750_000n);
    expect(await usd.balanceOf(B)).to.equal(250_000n);
    expect(await usd.authorizationState(A, a.nonce)).to.equal(true);
  });

  it("transferWithAuthorization (v, r, s) moves the value", async () => {
    const a = await auth();
    const sig = ethers.Signature.from(await sign(a));
    const vrs = usd
      .connect(relayer)
      .getFunction("transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,bytes32)");
    await vrs(...args(a), sig.v, sig.r, sig.s);
    expect(await usd.balanceOf(B)).to.equal(250_000n);
  });

  it("refuses an expired authorization and moves nothing", async () => {
    const now = BigInt(await time.latest());
    const a = await auth({ validAfter: now - 100n, validBefore: now - 1n });
    await expect(send(a, await sign(a))).to.be.revertedWithCustomError(usd, "AuthorizationExpired");
    await expectUnchanged(a);
  });

  it("refuses a not-yet-valid authorization and moves nothing", async () => {
    const now = BigInt(await time.latest());
    const a = await auth({ validAfter: now + 100n, validBefore: now + 1000n });
    await expect(send(a, await sign(a))).to.be.revertedWithCustomError(usd, "AuthorizationNotYetValid");
    await expectUnchanged(a);
  });

  it("refuses a replayed nonce: the second transfer reverts, the first stands", async () => {
    const a = await auth();
    const sig = await sign(a);
    await send(a, sig);
    await expect(send(a, sig)).to.be.revertedWithCustomError(usd, "AuthorizationUsedOrCanceled").withArgs(A, a.nonce);
    expect(await usd.balanceOf(A)).to.equal(750_000n);
    expect(await usd.balanceOf(B)).to.equal(250_000n);
  });

  it("refuses a wrong signer, and a tampered value, and moves nothing", async () => {
    const a = await auth();
    await expect(send(a, await sign(a, carol)))
      .to.be.revertedWithCustomError(usd, "InvalidSignature")
      .withArgs(A);
    await expect(send({ ...a, value: a.value + 1n }, await sign(a))).to.be.revertedWithCustomError(usd, "InvalidSignature");
    await expectUnchanged(a);
  });

  it("cancelAuthorization burns the nonce: the authorization can no longer be used", async () => {
    const a = await auth();
    const sig = await sign(a);
    const cancel = await alice.signTypedData(
      await domain(),
      {
        CancelAuthorization: [
          { name: "authorizer", type: "address" },
          { name: "nonce", type: "bytes32" },
        ],
      },
      { authorizer: A, nonce: a.nonce },
    );
    // someone else's signature cannot cancel it
    const forged = await carol.signTypedData(
      await domain(),
      {
        CancelAuthorization: [
          { name: "authorizer", type: "address" },
          { name: "nonce", type: "bytes32" },
        ],
      },
      { authorizer: A, nonce: a.nonce },
    );
    await expect(usd.connect(relayer).cancelAuthorization(A, a.nonce, forged)).to.be.revertedWithCustomError(
      usd,
      "InvalidSignature",
    );
    await expect(usd.connect(relayer).cancelAuthorization(A, a.nonce, cancel))
      .to.emit(usd, "AuthorizationCanceled")
      .withArgs(A, a.nonce);
    expect(await usd.authorizationState(A, a.nonce)).to.equal(true);
    await expect(send(a, sig)).to.be.revertedWithCustomError(usd, "AuthorizationUsedOrCanceled");
    expect(await usd.balanceOf(A)).to.equal(1_000_000n);
    expect(await usd.balanceOf(B)).to.equal(0n);
  });

  it("receiveWithAuthorization may only be submitted by the payee", async () => {
    const a = await auth();
    const sig = await sign(a, alice, "ReceiveWithAuthorization");
    await expect(usd.connect(relayer).receiveWithAuthorization(...args(a), sig))
      .to.be.revertedWithCustomError(usd, "CallerNotPayee")
      .withArgs(await relayer.getAddress(), B);
    await expectUnchanged(a);
    // a TransferWithAuthorization signature is not a ReceiveWithAuthorization one
    await expect(usd.connect(bob).receiveWithAuthorization(...args(a), await sign(a))).to.be.revertedWithCustomError(
      usd,
      "InvalidSignature",
    );
    await usd.connect(bob).receiveWithAuthorization(...args(a), sig);
    expect(await usd.balanceOf(B)).to.equal(250_000n);
  });

  it("permit (EIP-2612) sets an allowance from a signature", async () => {
    const now = BigInt(await time.latest());
    const value = 5_000n;
    const deadline = now + 600n;
    const sig = ethers.Signature.from(
      await alice.signTypedData(
        await domain(),
        {
          Permit: [
            { name: "owner", type: "address" },
            { name: "spender", type: "address" },
            { name: "value", type: "uint256" },
            { name: "nonce", type: "uint256" },
            { name: "deadline", type: "uint256" },
          ],
        },
        { owner: A, spender: B, value, nonce: 0n, deadline },
      ),
    );
    await usd.connect(relayer).permit(A, B, value, deadline, sig.v, sig.r, sig.s);
    expect(await usd.allowance(A, B)).to.equal(value);
    expect(await usd.nonces(A)).to.equal(1n);
  });
});

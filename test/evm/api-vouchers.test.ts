// Prepaid API calls: deposits into a channel (payer, model, currency, gateway), EIP-712 cumulative
// vouchers signed per call, redeemed in batches by the gateway into the model's sink; the sweep
// then credits the vault and the operator exactly as for x402 payments.
import { expect } from "chai";
import { deployments, ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import { deployProtocol, publish, throughTimelock, type Protocol } from "../../devnet/hardhat/protocol";
import type { HexsApiPayments, TestStablecoin } from "../../sdk/typechain";
import { VOUCHER_TYPES, voucherDomain, type Voucher } from "../../sdk/api/vouchers";

const DAY = 86_400;

describe("HexsApiPayments prepaid vouchers", () => {
  let p: Protocol;
  let api: HexsApiPayments;
  let usd: TestStablecoin;
  let deployer: Signer, creator: Signer, stranger: Signer, payer: Signer, operator: Signer, gateway: Signer;
  let OP: string, PAYER: string, GW: string, U: string, API: string;
  let modelId: bigint;
  let chainId: bigint;

  beforeEach(async () => {
    p = await deployProtocol();
    [deployer, , creator, stranger, payer, operator, gateway] = p.signers;
    [OP, PAYER, GW] = await Promise.all([operator.getAddress(), payer.getAddress(), gateway.getAddress()]);
    api = (await ethers.getContractAt(
      "HexsApiPayments",
      (await deployments.get("HexsApiPayments")).address,
    )) as unknown as HexsApiPayments;
    API = await api.getAddress();
    usd = (await (await ethers.getContractFactory("TestStablecoin")).deploy()) as unknown as TestStablecoin;
    U = await usd.getAddress();
    await usd.mint(PAYER, 10_000_000n);
    ({ modelId } = await publish(p, creator, { content: "voucher-model" }));
    await api.connect(creator).setApiPrice(modelId, U, 1_000n, 0n, 1_000, true); // operator 10 %
    await api.connect(creator).setApiOperator(modelId, OP);
    chainId = (await ethers.provider.getNetwork()).chainId;
  });

  async function deposit(amount: bigint, who: Signer = payer, gw = GW, model = modelId) {
    await usd.connect(who).approve(API, amount);
    return api.connect(who).depositForVouchers(model, U, gw, amount);
  }

  async function voucher(cumulative: bigint, over: Partial<Voucher> = {}, signer: Signer = payer) {
    const v: Voucher = {
      payer: PAYER,
      modelId,
      currency: U,
      gateway: GW,
      cumulative,
      expiry: BigInt(await time.latest()) + 3_600n,
      ...over,
    };
    const sig = await signer.signTypedData(voucherDomain(chainId, API), VOUCHER_TYPES, v);
    return { v, sig };
  }

  const channel = (payerAddr = PAYER, gw = GW) => api.channelOf(payerAddr, modelId, U, gw);

  it("deposit by approve and by EIP-2612 permit; a batch redeems the latest voucher into the sink; the sweep credits vault and operator exactly", async () => {
    await expect(deposit(600_000n))
      .to.emit(api, "VoucherDeposit")
      .withArgs(await api.channelId(PAYER, modelId, U, GW), PAYER, modelId, U, GW, 600_000n);
    // a permit instead of an approval
    const deadline = BigInt(await time.latest()) + 600n;
    const permit = ethers.Signature.from(
      await payer.signTypedData(
        { name: await usd.name(), version: "1", chainId, verifyingContract: U },
        {
          Permit: [
            { name: "owner", type: "address" },
            { name: "spender", type: "address" },
            { name: "value", type: "uint256" },
            { name: "nonce", type: "uint256" },
            { name: "deadline", type: "uint256" },
          ],
        },
        { owner: PAYER, spender: API, value: 400_000n, nonce: await usd.nonces(PAYER), deadline },
      ),
    );
    await api.connect(payer).depositForVouchersWithPermit(modelId, U, GW, 400_000n, deadline, permit.v, permit.r, permit.s);
    expect((await channel()).deposited).to.equal(1_000_000n);
    expect(await usd.balanceOf(API)).to.equal(1_000_000n);

    // 30 calls at 1,000 each: only the last voucher is redeemed
    const last = await voucher(30_000n);
    const sink = await api.sinkOf(modelId);
    await expect(api.connect(gateway).redeemVouchers([last.v], [last.sig]))
      .to.emit(api, "VoucherRedeemed")
      .withArgs(await api.channelId(PAYER, modelId, U, GW), 30_000n, 30_000n);
    expect(await usd.balanceOf(sink)).to.equal(30_000n);
    expect((await channel()).redeemed).to.equal(30_000n);
    // 12 more calls: the next voucher redeems only the difference
    const next = await voucher(42_000n);
    await api.connect(gateway).redeemVouchers([next.v], [next.sig]);
    expect(await usd.balanceOf(sink)).to.equal(42_000n);
    expect(await usd.balanceOf(API)).to.equal(1_000_000n - 42_000n);

    await expect(api.connect(stranger).sweep(modelId, U))
      .to.emit(api, "ApiRevenueSwept")
      .withArgs(modelId, U, 37_800n, OP, 4_200n);
    expect(await p.market.vaultOf(modelId, U)).to.equal(37_800n);
    expect(await p.market.creditOf(OP, U)).to.equal(4_200n);
    // the escrow of unspent deposits is untouched by the sweep
    expect(await usd.balanceOf(API)).to.equal(958_000n);
  });

  it("refuses a voucher above the deposit, stale, expired, forged, or redeemed by another gateway; nothing moves", async () => {
    await deposit(50_000n);
    const ok = await voucher(10_000n);
    await api.connect(gateway).redeemVouchers([ok.v], [ok.sig]);
    const sink = await api.sinkOf(modelId);
    const snapshot = async () => [await usd.balanceOf(sink), await usd.balanceOf(API), (await channel()).redeemed];
    const before = await snapshot();

    const above = await voucher(50_001n);
    await expect(api.connect(gateway).redeemVouchers([above.v], [above.sig]))
      .to.be.revertedWithCustomError(api, "VoucherAboveDeposit")
      .withArgs(0, 50_001n, 50_000n);
    for (const c of [10_000n, 9_000n]) {
      const stale = await voucher(c);
      await expect(api.connect(gateway).redeemVouchers([stale.v], [stale.sig]))
        .to.be.revertedWithCustomError(api, "VoucherStale")
        .withArgs(0, c, 10_000n);
    }
    const now = BigInt(await time.latest());
    const expired = await voucher(20_000n, { expiry: now });
    await expect(api.connect(gateway).redeemVouchers([expired.v], [expired.sig]))
      .to.be.revertedWithCustomError(api, "VoucherExpired")
      .withArgs(0, now);
    const forged = await voucher(20_000n, {}, stranger); // signed by someone else for the payer
    await expect(api.connect(gateway).redeemVouchers([forged.v], [forged.sig]))
      .to.be.revertedWithCustomError(api, "VoucherBadSignature")
      .withArgs(0, PAYER);
    const tampered = await voucher(20_000n);
    await expect(api.connect(gateway).redeemVouchers([{ ...tampered.v, cumulative: 30_000n }], [tampered.sig]))
      .to.be.revertedWithCustomError(api, "VoucherBadSignature")
      .withArgs(0, PAYER);
    // another gateway cannot redeem this channel's voucher, nor one naming itself against this deposit
    const good = await voucher(20_000n);
    await expect(api.connect(stranger).redeemVouchers([good.v], [good.sig]))
      .to.be.revertedWithCustomError(api, "NotVoucherGateway")
      .withArgs(GW, await stranger.getAddress());
    const own = await voucher(20_000n, { gateway: await stranger.getAddress() });
    await expect(api.connect(stranger).redeemVouchers([own.v], [own.sig]))
      .to.be.revertedWithCustomError(api, "VoucherAboveDeposit")
      .withArgs(0, 20_000n, 0n);
    // one bad voucher in a batch reverts the good ones too
    await expect(api.connect(gateway).redeemVouchers([good.v, above.v], [good.sig, above.sig])).to.be.revertedWithCustomError(
      api,
      "VoucherAboveDeposit",
    );
    await expect(api.connect(gateway).redeemVouchers([good.v], [])).to.be.revertedWithCustomError(api, "LengthMismatch");
    expect(await snapshot()).to.deep.equal(before);
    // bad deposits
    await expect(api.connect(payer).depositForVouchers(modelId, U, GW, 0n)).to.be.revertedWithCustomError(api, "ZeroAmount");
    await expect(api.connect(payer).depositForVouchers(modelId, U, ethers.ZeroAddress, 1n)).to.be.revertedWithCustomError(
      api,
      "ZeroAddress",
    );
    await expect(api.connect(payer).depositForVouchers(modelId, ethers.ZeroAddress, GW, 1n))
      .to.be.revertedWithCustomError(api, "UnsupportedCurrency")
      .withArgs(ethers.ZeroAddress);
    // the good voucher still redeems
    await api.connect(gateway).redeemVouchers([good.v], [good.sig]);
    expect(await usd.balanceOf(sink)).to.equal(20_000n);
  });

  it("the payer withdraws the unspent deposit only a day after asking; the gateway redeems in between; old vouchers stay spent", async () => {
    await deposit(50_000n);
    await expect(api.connect(payer).withdrawVoucherDeposit(modelId, U, GW)).to.be.revertedWithCustomError(
      api,
      "WithdrawalNotRequested",
    );
    await expect(api.connect(payer).requestVoucherWithdrawal(modelId, U, GW)).to.emit(api, "VoucherWithdrawalRequested");
    const at = (await channel()).withdrawableAt;
    expect(at).to.equal(BigInt(await time.latest()) + BigInt(DAY));
    await expect(api.connect(payer).withdrawVoucherDeposit(modelId, U, GW))
      .to.be.revertedWithCustomError(api, "WithdrawalTooEarly")
      .withArgs(await api.channelId(PAYER, modelId, U, GW), at);
    // the gateway settles what it served during the delay
    await time.increase(DAY - 100);
    const served = await voucher(12_000n);
    await api.connect(gateway).redeemVouchers([served.v], [served.sig]);
    await time.increase(100);
    const balance = await usd.balanceOf(PAYER);
    await expect(api.connect(payer).withdrawVoucherDeposit(modelId, U, GW))
      .to.emit(api, "VoucherWithdrawn")
      .withArgs(await api.channelId(PAYER, modelId, U, GW), PAYER, 38_000n);
    expect(await usd.balanceOf(PAYER)).to.equal(balance + 38_000n);
    expect(await usd.balanceOf(API)).to.equal(0n);
    // nothing left: a voucher signed before is above the (now spent) deposit
    const late = await voucher(20_000n);
    await expect(api.connect(gateway).redeemVouchers([late.v], [late.sig])).to.be.revertedWithCustomError(
      api,
      "VoucherAboveDeposit",
    );
    await expect(api.connect(payer).requestVoucherWithdrawal(modelId, U, GW)).to.be.revertedWithCustomError(
      api,
      "NothingToWithdraw",
    );
    // a new deposit continues the cumulative count: the spent 12,000 cannot be redeemed twice
    await deposit(5_000n);
    const replay = await voucher(12_000n);
    await expect(api.connect(gateway).redeemVouchers([replay.v], [replay.sig])).to.be.revertedWithCustomError(
      api,
      "VoucherStale",
    );
    const more = await voucher(17_000n);
    await api.connect(gateway).redeemVouchers([more.v], [more.sig]);
    expect(await usd.balanceOf(await api.sinkOf(modelId))).to.equal(17_000n);
  });

  it("the guardian's pause stops deposits, redemptions and withdrawals; the timelock unpauses; nothing is lost", async () => {
    await deposit(50_000n);
    await api.connect(payer).requestVoucherWithdrawal(modelId, U, GW);
    const v = await voucher(5_000n, { expiry: BigInt(await time.latest()) + BigInt(3 * DAY) });
    await api.connect(deployer).pause();
    await usd.connect(payer).approve(API, 1_000n);
    await expect(api.connect(payer).depositForVouchers(modelId, U, GW, 1_000n)).to.be.revertedWithCustomError(
      api,
      "ApiPaymentsPaused",
    );
    await expect(api.connect(gateway).redeemVouchers([v.v], [v.sig])).to.be.revertedWithCustomError(api, "ApiPaymentsPaused");
    await time.increase(DAY + 1);
    await expect(api.connect(payer).withdrawVoucherDeposit(modelId, U, GW)).to.be.revertedWithCustomError(
      api,
      "ApiPaymentsPaused",
    );
    await expect(api.connect(payer).requestVoucherWithdrawal(modelId, U, GW)).to.be.revertedWithCustomError(
      api,
      "ApiPaymentsPaused",
    );
    expect(await usd.balanceOf(API)).to.equal(50_000n);
    await (await throughTimelock(p, API, api.interface.encodeFunctionData("unpause"))).wait();
    await api.connect(gateway).redeemVouchers([v.v], [v.sig]);
    await api.connect(payer).withdrawVoucherDeposit(modelId, U, GW);
    expect(await usd.balanceOf(await api.sinkOf(modelId))).to.equal(5_000n);
    expect(await usd.balanceOf(API)).to.equal(0n);
  });

  it("gas: a batch of 100 vouchers (100 payers) costs under 25,000 gas per voucher; per call amortized over 1,000 calls under 1,000 gas", async () => {
    const N = 100;
    const payers = Array.from({ length: N }, () => ethers.Wallet.createRandom().connect(ethers.provider));
    const vs: Voucher[] = [];
    const sigs: string[] = [];
    const expiry = BigInt(await time.latest()) + 86_400n;
    let depositGas = 0n;
    for (const w of payers) {
      await deployer.sendTransaction({ to: w.address, value: ethers.parseEther("1") });
      await usd.mint(w.address, 1_000_000n);
      await (await usd.connect(w).approve(API, 1_000_000n)).wait();
      const r = await (await api.connect(w).depositForVouchers(modelId, U, GW, 1_000_000n)).wait();
      depositGas += r!.gasUsed;
      // 1,000 calls at 1,000 each: one voucher for the lot
      const v: Voucher = { payer: w.address, modelId, currency: U, gateway: GW, cumulative: 1_000_000n, expiry };
      vs.push(v);
      sigs.push(await w.signTypedData(voucherDomain(chainId, API), VOUCHER_TYPES, v));
    }
    const r = await (await api.connect(gateway).redeemVouchers(vs, sigs)).wait();
    const perVoucher = r!.gasUsed / BigInt(N);
    const perCall = (depositGas / BigInt(N) + perVoucher) / 1_000n;
    console.log(
      `      redeemVouchers(100): ${r!.gasUsed} gas, ${perVoucher} per voucher; deposit ${depositGas / BigInt(N)}; ` +
        `per call over 1,000 calls (deposit + voucher): ${perCall}`,
    );
    expect(perVoucher).to.be.lessThan(25_000n);
    expect(perCall).to.be.lessThan(1_000n);
    expect(await usd.balanceOf(await api.sinkOf(modelId))).to.equal(100_000_000n);
  });
});

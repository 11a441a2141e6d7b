import { expect } from "chai";
import { deployments, ethers, upgrades } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import { deployProtocol, publish, throughTimelock, type Protocol } from "../../devnet/hardhat/protocol";
import type { HexsApiPayments, HexsApiPaymentsV2, TestStablecoin } from "../../sdk/typechain";
import { TRANSFER } from "../api/helpers";
import {
  apiPriceOf,
  apiSinkOf,
  chainRegistry,
  connectContracts,
  ContractNames,
  evmChain,
  findChain,
  NotAllowedError,
  setApiPrice,
  StateError,
  sweepApiRevenue,
} from "../../sdk";

const FEE_BPS = 250n; // protocol fee on the hardhat network
const PAUSER = ethers.id("PAUSER_ROLE");
const ADMIN = ethers.ZeroHash;

describe("HexsApiPayments", () => {
  let p: Protocol;
  let api: HexsApiPayments;
  let usd: TestStablecoin;
  let deployer: Signer, creator: Signer, stranger: Signer, payer: Signer, operator: Signer, facilitator: Signer;
  let C: string, OP: string, PAYER: string;
  let modelId: bigint, otherModel: bigint;

  beforeEach(async () => {
    p = await deployProtocol();
    [deployer, , creator, stranger, payer, operator, facilitator] = p.signers;
    [C, OP, PAYER] = await Promise.all([creator.getAddress(), operator.getAddress(), payer.getAddress()]);
    api = (await ethers.getContractAt(
      "HexsApiPayments",
      (await deployments.get("HexsApiPayments")).address,
    )) as unknown as HexsApiPayments;
    usd = (await (await ethers.getContractFactory("TestStablecoin")).deploy()) as unknown as TestStablecoin;
    await usd.mint(PAYER, 10_000_000n);
    ({ modelId } = await publish(p, creator, { content: "api-model" }));
    ({ modelId: otherModel } = await publish(p, stranger, { content: "other-model" }));
  });

  /** An x402 "exact" payment as a facilitator settles it: an EIP-3009 transfer signed by the payer. */
  async function payCall(to: string, value: bigint) {
    const now = BigInt(await time.latest());
    const auth = {
      from: PAYER,
      to,
      value,
      validAfter: now - 5n,
      validBefore: now + 300n,
      nonce: ethers.hexlify(ethers.randomBytes(32)),
    };
    const domain = {
      name: await usd.name(),
      version: await usd.version(),
      chainId: (await ethers.provider.getNetwork()).chainId,
      verifyingContract: await usd.getAddress(),
    };
    const sig = await payer.signTypedData(domain, { TransferWithAuthorization: TRANSFER }, auth);
    const send = usd
      .connect(facilitator)
      .getFunction("transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)");
    await (await send(auth.from, auth.to, auth.value, auth.validAfter, auth.validBefore, auth.nonce, sig)).wait();
  }
  const usdAddr = () => usd.getAddress();

  describe("API prices", () => {
    it("only the model's creator sets them; the price, operator and quote read back", async () => {
      const U = await usdAddr();
      await expect(api.connect(creator).setApiPrice(modelId, U, 1_000n, 200n, 1_500, true))
        .to.emit(api, "ApiPriceSet")
        .withArgs(modelId, U, 1_000n, 200n, 1_500, true);
      await expect(api.connect(creator).setApiOperator(modelId, OP)).to.emit(api, "ApiOperatorSet").withArgs(modelId, OP);
      const price = await api.apiPriceOf(modelId, U);
      expect([price.perCall, price.per1kOutputTokens, price.operatorBps, price.listed]).to.deep.equal([
        1_000n,
        200n,
        1_500n,
        true,
      ]);
      expect(await api.apiOperatorOf(modelId)).to.equal(OP);
      // 1,000 per call + 200 per 1k output tokens, rounded up
      expect(await api.quote(modelId, U, 0)).to.equal(1_000n);
      expect(await api.quote(modelId, U, 1_500)).to.equal(1_300n);
      expect(await api.quote(modelId, U, 1)).to.equal(1_001n);

      for (const who of [stranger, deployer, operator]) {
        const addr = await who.getAddress();
        await expect(api.connect(who).setApiPrice(modelId, U, 1n, 0n, 0, true))
          .to.be.revertedWithCustomError(api, "NotCreator")
          .withArgs(modelId, addr);
        await expect(api.connect(who).setApiOperator(modelId, addr))
          .to.be.revertedWithCustomError(api, "NotCreator")
          .withArgs(modelId, addr);
      }
      expect((await api.apiPriceOf(modelId, U)).perCall).to.equal(1_000n);
      expect(await api.apiOperatorOf(modelId)).to.equal(OP);
    });

    it("refuses the native coin, an operator share above 100 % and quotes of an unlisted price", async () => {
      const U = await usdAddr();
      await expect(api.connect(creator).setApiPrice(modelId, ethers.ZeroAddress, 1n, 0n, 0, true))
        .to.be.revertedWithCustomError(api, "UnsupportedCurrency")
        .withArgs(ethers.ZeroAddress);
      await expect(api.connect(creator).setApiPrice(modelId, U, 1n, 0n, 10_001, true))
        .to.be.revertedWithCustomError(api, "OperatorShareTooHigh")
        .withArgs(10_001);
      await expect(api.quote(modelId, U, 0))
        .to.be.revertedWithCustomError(api, "NotListed")
        .withArgs(modelId, U);
      await api.connect(creator).setApiPrice(modelId, U, 5n, 0n, 0, true);
      await api.connect(creator).setApiPrice(modelId, U, 5n, 0n, 0, false);
      await expect(api.quote(modelId, U, 0)).to.be.revertedWithCustomError(api, "NotListed");
    });
  });

  describe("payment sinks", () => {
    it("each model's sink address is deterministic (CREATE2 from this contract and the model id) and distinct", async () => {
      const codeHash = ethers.keccak256((await ethers.getContractFactory("ApiRevenueSink")).bytecode);
      const expected = ethers.getCreate2Address(await api.getAddress(), ethers.toBeHex(modelId, 32), codeHash);
      expect(await api.sinkOf(modelId)).to.equal(expected);
      expect(await api.sinkOf(otherModel)).to.not.equal(expected);
      expect(await ethers.provider.getCode(expected)).to.equal("0x");
      // the address takes payments before the sink exists; the first sweep deploys it there
      await payCall(expected, 1_000n);
      await expect(api.sweep(modelId, await usdAddr()))
        .to.emit(api, "SinkDeployed")
        .withArgs(modelId, expected);
      expect(await ethers.provider.getCode(expected)).to.not.equal("0x");
      expect(await api.sinkOf(modelId)).to.equal(expected);
    });

    it("a sink releases only to HexsApiPayments", async () => {
      const sinkAddr = await api.sinkOf(modelId);
      await payCall(sinkAddr, 1_000n);
      await api.sweep(modelId, await usdAddr());
      await payCall(sinkAddr, 700n);
      const sink = await ethers.getContractAt("ApiRevenueSink", sinkAddr);
      await expect(sink.connect(stranger).release(await usdAddr()))
        .to.be.revertedWithCustomError(sink, "NotPayments")
        .withArgs(await stranger.getAddress());
      expect(await usd.balanceOf(sinkAddr)).to.equal(700n);
    });
  });

  describe("sweep", () => {
    it("credits the model's vault and the operator's share; settle and claim pay them out", async () => {
      const U = await usdAddr();
      await api.connect(creator).setApiPrice(modelId, U, 1_000n, 0n, 1_000, true); // operator 10 %
      await api.connect(creator).setApiOperator(modelId, OP);
      const sink = await api.sinkOf(modelId);
      for (let i = 0; i < 3; i++) await payCall(sink, 1_000n);
      expect(await usd.balanceOf(sink)).to.equal(3_000n);

      const marketAddr = await p.market.getAddress();
      await expect(api.connect(stranger).sweep(modelId, U))
        .to.emit(api, "ApiRevenueSwept")
        .withArgs(modelId, U, 2_700n, OP, 300n)
        .and.to.emit(p.market, "ApiRevenueDeposited")
        .withArgs(modelId, U, 2_700n)
        .and.to.emit(p.market, "Credited")
        .withArgs(OP, U, 300n);
      expect(await usd.balanceOf(sink)).to.equal(0n);
      expect(await usd.balanceOf(await api.getAddress())).to.equal(0n);
      expect(await usd.balanceOf(marketAddr)).to.equal(3_000n);
      expect(await p.market.vaultOf(modelId, U)).to.equal(2_700n);
      expect(await p.market.creditOf(OP, U)).to.equal(300n);

      // the vault pays the lineage exactly as for key sales
      const fee = (2_700n * FEE_BPS) / 10_000n;
      await p.market.settle(modelId, U);
      expect(await p.market.creditOf(C, U)).to.equal(2_700n - fee);
      await p.market.connect(operator).claim(U, OP);
      expect(await usd.balanceOf(OP)).to.equal(300n);
      await p.market.connect(creator).claim(U, C);
      expect(await usd.balanceOf(C)).to.equal(2_700n - fee);

      // nothing left: a second sweep is refused
      await expect(api.sweep(modelId, U)).to.be.revertedWithCustomError(api, "NothingToSweep").withArgs(modelId, U);
    });

    it("without an operator the whole payment goes to the vault", async () => {
      const U = await usdAddr();
      await api.connect(creator).setApiPrice(modelId, U, 1_000n, 0n, 2_000, true);
      await payCall(await api.sinkOf(modelId), 1_000n);
      await api.sweep(modelId, U);
      expect(await p.market.vaultOf(modelId, U)).to.equal(1_000n);
    });

    it("a model cannot be credited with another model's payments", async () => {
      const U = await usdAddr();
      await payCall(await api.sinkOf(modelId), 1_000n);
      await expect(api.sweep(otherModel, U)).to.be.revertedWithCustomError(api, "NothingToSweep").withArgs(otherModel, U);
      expect(await p.market.vaultOf(otherModel, U)).to.equal(0n);
      expect(await usd.balanceOf(await api.sinkOf(modelId))).to.equal(1_000n);
      // and nobody but HexsApiPayments deposits API revenue into the market
      await usd.mint(await stranger.getAddress(), 500n);
      await usd.connect(stranger).approve(await p.market.getAddress(), 500n);
      await expect(p.market.connect(stranger).depositApiRevenue(otherModel, U, 500n, ethers.ZeroAddress, 0n))
        .to.be.revertedWithCustomError(p.market, "AccessControlUnauthorizedAccount")
        .withArgs(await stranger.getAddress(), await p.market.API_REVENUE_ROLE());
      expect(await p.market.vaultOf(otherModel, U)).to.equal(0n);
      await api.sweep(modelId, U);
      expect(await p.market.vaultOf(modelId, U)).to.equal(1_000n);
    });
  });

  describe("pause and upgrade", () => {
    it("the guardian pauses sweeps and price changes; only the timelock unpauses; nothing is lost", async () => {
      const U = await usdAddr();
      await payCall(await api.sinkOf(modelId), 1_000n);
      await expect(api.connect(stranger).pause())
        .to.be.revertedWithCustomError(api, "AccessControlUnauthorizedAccount")
        .withArgs(await stranger.getAddress(), PAUSER);
      await expect(api.connect(deployer).pause()).to.emit(api, "Paused");
      expect(await api.paused()).to.equal(true);
      await expect(api.sweep(modelId, U)).to.be.revertedWithCustomError(api, "ApiPaymentsPaused");
      await expect(api.connect(creator).setApiPrice(modelId, U, 1n, 0n, 0, true)).to.be.revertedWithCustomError(
        api,
        "ApiPaymentsPaused",
      );
      await expect(api.connect(deployer).unpause())
        .to.be.revertedWithCustomError(api, "AccessControlUnauthorizedAccount")
        .withArgs(await deployer.getAddress(), ADMIN);
      expect(await usd.balanceOf(await api.sinkOf(modelId))).to.equal(1_000n);
      await (await throughTimelock(p, await api.getAddress(), api.interface.encodeFunctionData("unpause"))).wait();
      expect(await api.paused()).to.equal(false);
      await api.sweep(modelId, U);
      expect(await p.market.vaultOf(modelId, U)).to.equal(1_000n);
    });

    it("an upgrade through the timelock keeps prices, operator and sink addresses", async () => {
      const U = await usdAddr();
      const addr = await api.getAddress();
      await api.connect(creator).setApiPrice(modelId, U, 1_234n, 56n, 700, true);
      await api.connect(creator).setApiOperator(modelId, OP);
      const sink = await api.sinkOf(modelId);
      await payCall(sink, 1_000n);

      const factory = await ethers.getContractFactory("HexsApiPaymentsV2");
      await expect(api.connect(deployer).upgradeToAndCall(addr, "0x")).to.be.revertedWithCustomError(
        api,
        "AccessControlUnauthorizedAccount",
      );
      const impl = (await upgrades.prepareUpgrade(addr, factory, { kind: "uups" })) as string;
      await (await throughTimelock(p, addr, api.interface.encodeFunctionData("upgradeToAndCall", [impl, "0x"]))).wait();
      const v2 = (await ethers.getContractAt("HexsApiPaymentsV2", addr)) as unknown as HexsApiPaymentsV2;
      expect(await v2.version()).to.equal(2n);
      const price = await v2.apiPriceOf(modelId, U);
      expect([price.perCall, price.per1kOutputTokens, price.operatorBps, price.listed]).to.deep.equal([1_234n, 56n, 700n, true]);
      expect(await v2.apiOperatorOf(modelId)).to.equal(OP);
      expect(await v2.sinkOf(modelId)).to.equal(sink);
      expect(await v2.market()).to.equal(await p.market.getAddress());
      await v2.sweep(modelId, U);
      expect(await p.market.vaultOf(modelId, U)).to.equal(930n);
      expect(await p.market.creditOf(OP, U)).to.equal(70n);
    });
  });
});

describe("SDK: API prices and sweeps", () => {
  it("setApiPrice, apiPriceOf, apiSinkOf and sweepApiRevenue act on HexsApiPayments; a stranger's price is refused", async () => {
    const p = await deployProtocol();
    const [, , creator, stranger, payer, operator] = p.signers;
    const contracts: Record<string, string> = {};
    for (const name of Object.values(ContractNames)) {
      const d = await deployments.getOrNull(name);
      if (d) contracts[name] = d.address;
    }
    const chain = evmChain(
      findChain(chainRegistry({ chains: [{ family: "evm", name: "hardhat", hexsChainId: 1, contracts }] }), 1),
    );
    const c = connectContracts(chain, ethers.provider);
    const usd = (await (await ethers.getContractFactory("TestStablecoin")).deploy()) as unknown as TestStablecoin;
    const U = await usd.getAddress();
    const OP = await operator.getAddress();
    const { modelId } = await publish(p, creator, { content: "sdk-api-model" });

    let refused: unknown;
    await setApiPrice(c, stranger, { modelId, currency: U, perCall: 10n }).catch((e: unknown) => (refused = e));
    expect(refused).to.be.instanceOf(NotAllowedError);
    const set = await setApiPrice(c, creator, { modelId, currency: U, perCall: 2_000n, operatorBps: 500, operator: OP });
    expect([set.perCall, set.operatorBps, set.listed, set.operator]).to.deep.equal([2_000n, 500, true, OP]);
    const sink = await apiSinkOf(c, modelId);
    expect((await apiPriceOf(c, modelId, U)).sink).to.equal(sink);

    await usd.mint(await payer.getAddress(), 2_000n);
    await usd.connect(payer).transfer(sink, 2_000n); // any transfer to the sink counts, as an x402 settlement does
    const swept = await sweepApiRevenue(c, stranger, modelId, U);
    expect([swept.vaultAmount, swept.operator, swept.operatorAmount]).to.deep.equal([1_900n, OP, 100n]);
    expect(await p.market.vaultOf(modelId, U)).to.equal(1_900n);
    let empty: unknown;
    await sweepApiRevenue(c, stranger, modelId, U).catch((e: unknown) => (empty = e));
    expect(empty).to.be.instanceOf(StateError);
  });
});

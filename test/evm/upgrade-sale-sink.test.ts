// Upgrading a deployment made before gas lever A (docs/gas.md) with protocol:upgrade: its record
// has no HexsRegistryLens and its registry and market run the code from before the market kept a
// copy of the sale terms (contracts/evm/test/*PreSaleSink.sol, behind the real proxies). The task
// records the lens, upgrades both, and wires the registry to the market through the timelock once
// both run code that has the copy; models priced before keep selling at the registry's price.
import { expect } from "chai";
import hre, { deployments, ethers } from "hardhat";
import { id as hashText, ZeroAddress, ZeroHash, type Signer } from "ethers";
import { loadProtocol, NATIVE, publish, timelockSigner, type Protocol } from "../../devnet/hardhat/protocol";
import { Names } from "../../tasks/lib/protocol";
import { setQuiet } from "../../tasks/lib/log";
import type { UpgradeResult } from "../../tasks/protocol";
import type { HexsRegistryLens } from "../../sdk/typechain";

type Args = Record<string, string | boolean | undefined>;

const ONE = ethers.parseEther("1");
const BUYER = "4";
// HexsRegistry's ERC-7201 namespace; `saleSink` is its ninth word (appended after `payouts`).
const REGISTRY_STORAGE = 0xd8efc1c520278555058ad2c0ec2a1b7cd40c77d37897f46eb6fca219307d0100n;
const SALE_SINK_SLOT = ethers.toBeHex(REGISTRY_STORAGE + 8n, 32);

async function run(name: string, args: Args): Promise<UpgradeResult> {
  return (await hre.run(name, args)) as UpgradeResult;
}

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

/**
 * The real deploy, then the registry and market proxies moved (by the timelock, their upgrader) to
 * the implementations from before lever A, recorded as deployed with those contracts; the sale
 * sink word those layouts do not have is cleared and the lens is dropped from the record.
 */
const preLeverA = deployments.createFixture(async () => {
  await deployments.fixture(["core"]);
  const p = await loadProtocol("");
  const timelock = await timelockSigner(p);
  const old: [string, string][] = [
    [Names.registry, "HexsRegistryPreSaleSink"],
    [Names.market, "HexsMarketPreSaleSink"],
  ];
  for (const [name, contract] of old) {
    const impl = await (await ethers.getContractFactory(contract)).deploy();
    await impl.waitForDeployment();
    const proxy = (await deployments.get(name)).address;
    const uups = await ethers.getContractAt("UUPSUpgradeable", proxy);
    await (await uups.connect(timelock).upgradeToAndCall(await impl.getAddress(), "0x")).wait();
    await deployments.save(name, {
      ...(await deployments.getExtendedArtifact(contract)),
      address: proxy,
      implementation: await impl.getAddress(),
    });
  }
  await ethers.provider.send("hardhat_setStorageAt", [await p.registry.getAddress(), SALE_SINK_SLOT, ZeroHash]);
  await deployments.delete(Names.registryLens);
  return p;
});

/** Buy one key in the native coin: the market's balance grows by exactly `price`, the price charged. */
async function buysAt(p: Protocol, buyer: Signer, modelId: bigint, price: bigint) {
  const market = await p.market.getAddress();
  const before = await ethers.provider.getBalance(market);
  await expect(
    p.market.connect(buyer).buy(modelId, NATIVE, await buyer.getAddress(), "0x", "0x", { value: price + 1n }),
  ).to.be.revertedWithCustomError(p.market, "WrongPayment");
  await (await p.market.connect(buyer).buy(modelId, NATIVE, await buyer.getAddress(), "0x", "0x", { value: price })).wait();
  expect(await ethers.provider.getBalance(market)).to.equal(before + price);
}

describe("protocol:upgrade of a deployment made before the market's copy of the sale terms", () => {
  before(() => setQuiet(true));
  after(() => setQuiet(false));

  it("records the lens, wires the sink through the timelock once registry and market both have it; models priced before sell at the registry's price until repriced; a re-run does nothing", async () => {
    const p = await preLeverA();
    const [, , creator, , buyer] = p.signers;
    const registry = await p.registry.getAddress();
    const market = await p.market.getAddress();
    const setSaleSink = p.registry.interface.encodeFunctionData("setSaleSink", [market]);
    const sinkOperation = await p.timelock.hashOperation(registry, 0n, setSaleSink, ZeroHash, hashText("hexs-op-0"));

    // Before: other tasks cannot load the record and say which task fixes it; sales work the old way.
    await refuses(
      "model:price",
      { model: "1:1", price: "1" },
      /has no HexsRegistryLens .*protocol:upgrade --contract HexsRegistry --network hardhat --execute/,
    );
    await expect(p.registryLens.saleSink(registry)).to.be.reverted; // no extsload on the old registry
    const early = await publish(p, creator);
    await (await p.registry.connect(creator).setPrice(early.modelId, NATIVE, ONE / 10n, 0, true)).wait();
    await buysAt(p, buyer, early.modelId, ONE / 10n);

    // 1. The registry: its layout validated against the old one, upgraded; the lens deployed and
    // recorded. The market still lacks setSale, so the sink stays unset and price writes still work.
    const reg = await run("protocol:upgrade", { contract: Names.registry, execute: true, fastForward: true });
    expect(reg.upgraded).to.equal(true);
    expect(reg.registryLens.deployed).to.equal(true);
    expect((await deployments.get(Names.registryLens)).address).to.equal(reg.registryLens.address);
    const lens = (await ethers.getContractAt(Names.registryLens, reg.registryLens.address)) as unknown as HexsRegistryLens;
    expect(await lens.modelCount(registry)).to.equal(1n);
    expect(reg.saleSink).to.deep.equal({ state: "market-predates", sink: ZeroAddress });
    expect(await lens.saleSink(registry)).to.equal(ZeroAddress);
    expect(await p.timelock.isOperation(sinkOperation)).to.equal(false);
    const between = await publish(p, creator);
    await (await p.registry.connect(creator).setPrice(between.modelId, NATIVE, ONE / 4n, 0, true)).wait();
    await buysAt(p, buyer, early.modelId, ONE / 10n);

    // 2. The market, scheduled only: nothing wired while the old market runs.
    const scheduled = await run("protocol:upgrade", { contract: Names.market });
    expect(scheduled.upgraded).to.equal(false);
    expect(await p.timelock.isOperationPending(scheduled.timelock!.operationId)).to.equal(true);
    expect(scheduled.saleSink!.state).to.equal("market-predates");

    // 3. Executed by an account that is not a proposer (anyone executes): the market is upgraded,
    // but scheduling setSaleSink is refused, naming the role; nothing is scheduled.
    await refuses(
      "protocol:upgrade",
      { contract: Names.market, execute: true, fastForward: true, from: BUYER },
      /cannot schedule on the timelock .*no PROPOSER_ROLE.*--from with the proposer/,
    );
    expect(await hre.upgrades.erc1967.getImplementationAddress(market)).to.equal(scheduled.newImplementation);
    expect((await deployments.get(Names.market)).implementation).to.equal(scheduled.newImplementation);
    expect(await p.timelock.isOperation(sinkOperation)).to.equal(false);
    expect(await lens.saleSink(registry)).to.equal(ZeroAddress);

    // 4. The proposer re-runs: without --execute the wiring is only scheduled, then executed.
    const planned = await run("protocol:upgrade", { contract: Names.market });
    expect(planned.upgraded).to.equal(false);
    expect(planned.saleSink!.state).to.equal("scheduled");
    expect(planned.saleSink!.timelock!.operationId).to.equal(sinkOperation);
    expect(await p.timelock.isOperationPending(sinkOperation)).to.equal(true);
    expect(await lens.saleSink(registry)).to.equal(ZeroAddress);
    const wired = await run("protocol:upgrade", { contract: Names.market, execute: true, fastForward: true });
    expect(wired.saleSink!.state).to.equal("wired");
    expect(wired.saleSink!.timelock!.executed).to.equal(true);
    expect(await p.timelock.isOperationDone(sinkOperation)).to.equal(true);
    expect(await lens.saleSink(registry)).to.equal(market);

    // 5. Models priced before the wiring have no copy and sell at the registry's price.
    for (const [m, price] of [
      [early.modelId, ONE / 10n],
      [between.modelId, ONE / 4n],
    ] as const) {
      const [sale, copied] = await p.market.saleOf(m, NATIVE);
      expect([copied, sale.listed, sale.keyPrice]).to.deep.equal([false, true, price]);
      await buysAt(p, buyer, m, price);
    }
    // A reprice after the wiring copies its currency, and purchases charge the new price.
    await (await p.registry.connect(creator).setPrice(early.modelId, NATIVE, ONE / 5n, 0, true)).wait();
    const [copy, copied] = await p.market.saleOf(early.modelId, NATIVE);
    const want = await p.registry.saleInfo(early.modelId, NATIVE);
    expect([copied, copy[0], copy.listed, copy.keyPrice]).to.deep.equal([true, want[0], true, ONE / 5n]);
    await buysAt(p, buyer, early.modelId, ONE / 5n);
    expect((await p.market.saleOf(between.modelId, NATIVE))[1]).to.equal(false);
    await buysAt(p, buyer, between.modelId, ONE / 4n);

    // 6. A second run of either upgrade does nothing: no deployment, nothing scheduled.
    const scheduledBefore = (await p.timelock.queryFilter(p.timelock.filters.CallScheduled())).length;
    for (const contract of [Names.registry, Names.market]) {
      const again = await run("protocol:upgrade", { contract, execute: true, fastForward: true });
      expect(again.upgraded).to.equal(false);
      expect(again.registryLens).to.deep.equal({ address: reg.registryLens.address, deployed: false });
      expect(again.saleSink).to.deep.equal({ state: "wired", sink: market });
    }
    expect((await p.timelock.queryFilter(p.timelock.filters.CallScheduled())).length).to.equal(scheduledBefore);
    expect((await deployments.get(Names.registryLens)).address).to.equal(reg.registryLens.address);
  });
});

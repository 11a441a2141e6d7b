// The cross-chain tasks through hre.run: chain A is this network's own Hexs instance (the names
// the tasks load, admin handed to the timelock), chain B a second instance on the same network,
// joined over EndpointV2Mock (the crosschain fixture pattern). Chain state after each task and the
// errors users see.
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre, { deployments, ethers } from "hardhat";
import { zeroPadValue } from "ethers";
import { deployHexs, type HexsAddresses } from "../../tasks/lib/deployHexs";
import { enforcedReceiveOption, MSG_BATCH } from "../../sdk/bridge";
import { Names } from "../../tasks/lib/protocol";
import { setQuiet } from "../../tasks/lib/log";
import type {
  AcceptResult,
  FlushResult,
  QuoteResult,
  WireResult,
  MoveResult,
  SetRelayersResult,
  BindResult,
  LeaseReportingResult,
} from "../../tasks/bridge";
import type { UpgradeResult } from "../../tasks/protocol";
import type {
  AttestationGateway,
  AttestationGatewayV2Mock,
  EndpointV2Mock,
  HexsHub,
  HexsHubLens,
  HexsHubV2Mock,
  HexsLzBridge,
  HexsLzBridgeV2Mock,
} from "../../sdk/typechain";
import { AccountFamily } from "../../codec";
import type { ClaimResult } from "../../tasks/vault";
import {
  buyNative,
  forgetDeployments,
  loadProtocol,
  publish,
  setNativePrice,
  type Protocol,
} from "../../devnet/hardhat/protocol";

const A = 1;
const B = 2;
const EID_A = 40101;
const EID_B = 40102;
const ONE = ethers.parseEther("1");
const CREATOR = "2";
const BUYER = "3";

type Args = Record<string, string | boolean | undefined>;
const run = async <T>(name: string, args: Args): Promise<T> => (await hre.run(name, args)) as T;
async function refuses(name: string, args: Args, pattern: RegExp): Promise<void> {
  try {
    await hre.run(name, args);
  } catch (e) {
    expect((e as Error).message).to.match(pattern);
    return;
  }
  throw new Error(`${name} should have failed with ${pattern}`);
}

interface Side {
  p: Protocol;
  hub: HexsHub;
  lens: HexsHubLens;
  bridge: HexsLzBridge;
  gateway: AttestationGateway;
  addresses: HexsAddresses;
}

const twoChains = deployments.createFixture(async () => {
  const endpoint = async (eid: number) =>
    (await (await ethers.getContractFactory("EndpointV2Mock")).deploy(eid)) as unknown as EndpointV2Mock;
  const epA = await endpoint(EID_A);
  const epB = await endpoint(EID_B);
  for (const n of Object.values(Names)) if (await deployments.getOrNull(n)) await deployments.delete(n);
  await forgetDeployments("B.");
  const common = { timelockDelay: 3600, protocolFeeBps: 250, devnet: true };
  const side = async (prefix: string, id: number, ep: EndpointV2Mock, skipHandover: boolean): Promise<Side> => {
    const addresses = await deployHexs(hre, {
      ...common,
      prefix,
      hexsChainId: id,
      lzEndpoint: await ep.getAddress(),
      skipHandover,
    });
    return {
      p: await loadProtocol(prefix),
      hub: (await ethers.getContractAt("HexsHub", addresses.hub)) as unknown as HexsHub,
      lens: (await ethers.getContractAt("HexsHubLens", addresses.hubLens)) as unknown as HexsHubLens,
      bridge: (await ethers.getContractAt("HexsLzBridge", addresses.lzBridge)) as unknown as HexsLzBridge,
      gateway: (await ethers.getContractAt("AttestationGateway", addresses.gateway)) as unknown as AttestationGateway,
      addresses,
    };
  };
  const a = await side("", A, epA, false); // governed by its timelock, as deployed for real
  const b = await side("B.", B, epB, true);
  await epA.setDestLzEndpoint(b.addresses.lzBridge, await epB.getAddress());
  await epB.setDestLzEndpoint(a.addresses.lzBridge, await epA.getAddress());
  await b.bridge.mapChain(A, EID_A);
  await b.bridge.setPeer(EID_A, zeroPadValue(a.addresses.lzBridge, 32));
  await b.hub.setPeer(A, b.addresses.lzBridge, 0, AccountFamily.Evm);
  return { a, b };
});

/** A resale order deadline an hour after the latest block. */
const inAnHour = async () => (await ethers.provider.getBlock("latest"))!.timestamp + 3600;

describe("cross-chain tasks", () => {
  let a: Side, b: Side;
  let wireFile: string;

  before(() => setQuiet(true));
  after(() => setQuiet(false));

  beforeEach(async () => {
    ({ a, b } = await twoChains());
    wireFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "hexs-wire-")), "wire.json");
    fs.writeFileSync(
      wireFile,
      JSON.stringify({
        chains: [
          { chainId: A, eid: EID_A, bridge: a.addresses.lzBridge },
          { chainId: B, eid: EID_B, bridge: b.addresses.lzBridge, ratePerHour: 500 },
        ],
      }),
    );
  });

  const wire = () => run<WireResult>("lz:wire", { file: wireFile, execute: true, fastForward: true });

  describe("lz:wire", () => {
    it("wires map, peer, enforced options, the hub lane and the resale peer through the timelock; a re-run does nothing", async () => {
      expect(await a.p.resale.isResalePeer(B)).to.equal(false);
      const r = await wire();
      expect(r.actions.map((x) => x.via)).to.deep.equal(["timelock", "timelock", "timelock", "timelock", "timelock"]);
      expect(r.actions[4].label).to.equal("resale orders to and from chain 2");
      expect(r.actions.every((x) => x.done)).to.equal(true);
      expect(await a.bridge.eidOf(B)).to.equal(BigInt(EID_B));
      expect(await a.bridge.peers(EID_B)).to.equal(zeroPadValue(b.addresses.lzBridge, 32).toLowerCase());
      expect(await a.bridge.enforcedOptions(EID_B, MSG_BATCH)).to.equal(enforcedReceiveOption());
      const lane = await a.hub.lane(B);
      expect(lane.transport).to.equal(a.addresses.lzBridge);
      expect(lane.ratePerHour).to.equal(500n);
      expect(await a.p.resale.isResalePeer(B)).to.equal(true);
      expect((await wire()).actions).to.deep.equal([]);
    });

    it("withdraws a resale peer marked resale: false, only once; refuses a non-boolean", async () => {
      await wire();
      const cfg = JSON.parse(fs.readFileSync(wireFile, "utf8"));
      cfg.chains[1].resale = false;
      fs.writeFileSync(wireFile, JSON.stringify(cfg));
      const r = await wire();
      expect(r.actions.map((x) => [x.label, x.via, x.done])).to.deep.equal([
        ["resale orders no longer to or from chain 2", "timelock", true],
      ]);
      expect(await a.p.resale.isResalePeer(B)).to.equal(false);
      expect((await wire()).actions).to.deep.equal([]);
      // Orders toward a withdrawn peer are refused at once, so none waits on a chain that never answers.
      await expect(a.p.resale.buyRemote(B, 1n, 1n, b.addresses.registry, ethers.ZeroAddress, 1n, await inAnHour(), { value: 1n }))
        .to.be.revertedWithCustomError(a.p.resale, "NotResalePeer")
        .withArgs(B);
      cfg.chains[1].resale = "yes";
      fs.writeFileSync(wireFile, JSON.stringify(cfg));
      await refuses("lz:wire", { file: wireFile }, /chains\[1\]\.resale must be true or false, got "yes"/);
    });

    it("schedules only, without --execute; refuses bad configs", async () => {
      const r = await run<WireResult>("lz:wire", { file: wireFile });
      expect(r.actions.every((x) => !x.done && x.via === "timelock")).to.equal(true);
      expect(await a.bridge.eidOf(B)).to.equal(0n);
      await refuses("lz:wire", { file: "/nonexistent.json" }, /bad --file '\/nonexistent.json': no such file/);
      fs.writeFileSync(
        wireFile,
        JSON.stringify({
          chains: [
            { chainId: B, eid: EID_B, bridge: b.addresses.lzBridge },
            { chainId: 3, eid: 1, bridge: b.addresses.lzBridge },
          ],
        }),
      );
      await refuses("lz:wire", { file: wireFile }, /does not list this chain \(1/);
      fs.writeFileSync(
        wireFile,
        JSON.stringify({
          chains: [
            { chainId: A, eid: 0, bridge: a.addresses.lzBridge },
            { chainId: B, eid: EID_B, bridge: "0x12" },
          ],
        }),
      );
      await refuses("lz:wire", { file: wireFile }, /chains\[0\]\.eid must not be 0/);
    });
  });

  describe("bridge:quote / bridge:flush / key:move", () => {
    it("quotes and flushes a published model and a moved key; refuses unknown and self lanes", async () => {
      await refuses("bridge:quote", { dst: "2" }, /bad --dst 2: not a peer of this hub/);
      await wire();
      await refuses("bridge:flush", { dst: "1" }, /bad --dst 1: that is this chain/);
      await refuses("bridge:quote", { dst: "x" }, /bad --dst 'x'/);
      expect((await run<QuoteResult>("bridge:quote", { dst: "2" })).entries).to.equal(0);

      const [, , creator, buyer] = await ethers.getSigners();
      const m = await publish(a.p, creator);
      await setNativePrice(a.p, creator, m.modelId, ONE);
      const keyId = await buyNative(a.p, buyer, m.modelId, ONE);
      const q = await run<QuoteResult>("bridge:quote", { dst: "2" });
      expect(q.entries).to.equal(3); // ModelRegistered, ModelUpdated (the price), KeyMinted
      expect(q.firstNonce).to.equal(1n);
      const f = await run<FlushResult>("bridge:flush", { dst: "2", from: BUYER });
      expect(f.txHash).to.match(/^0x/);
      expect(await b.p.registryLens.exists(b.p.registry, m.modelId)).to.equal(true);
      expect(await b.p.registryLens.hasAccess(b.p.registry, m.modelId, await buyer.getAddress())).to.equal(true);

      await refuses(
        "key:move",
        { model: String(m.modelId), key: String(keyId), toChain: "2", from: CREATOR },
        /is held by .*neither its owner nor approved/,
      );
      await refuses(
        "key:move",
        { model: String(m.modelId), key: String(keyId), toChain: "9", from: BUYER },
        /bad --to-chain 9: not a peer/,
      );
      const mv = await run<MoveResult>("key:move", { model: String(m.modelId), key: String(keyId), toChain: "2", from: BUYER });
      expect(mv.owner.address).to.equal((await buyer.getAddress()).toLowerCase());
      await run<FlushResult>("bridge:flush", { dst: "2" });
      const keysB = await ethers.getContractAt("KeyNFT", await b.p.registry.keysOf(m.modelId));
      expect(await keysB.ownerOf(keyId)).to.equal(await buyer.getAddress());
      await refuses(
        "key:move",
        { model: String(m.modelId), key: String(keyId), toChain: "2", from: BUYER },
        /is not held on 'hardhat'/,
      );
    });
  });

  describe("gateway:set-relayers", () => {
    it("changes the relayer set through the timelock; refuses bad thresholds", async () => {
      const rel = [0, 1, 2].map(() => ethers.Wallet.createRandom().address);
      await refuses(
        "gateway:set-relayers",
        { relayers: rel.join(","), threshold: "4" },
        /bad --threshold 4: .*more than half of them \(2..3\)/,
      );
      // a minority quorum (issue 11 item 11): two disjoint sets of signers could each deliver
      await refuses(
        "gateway:set-relayers",
        { relayers: rel.join(","), threshold: "1" },
        /bad --threshold 1: .*more than half of them \(2..3\)/,
      );
      await refuses("gateway:set-relayers", { relayers: `${rel[0]},${rel[0]}`, threshold: "1" }, /listed twice/);
      const scheduled = await run<SetRelayersResult>("gateway:set-relayers", { relayers: rel.join(","), threshold: "2" });
      expect(scheduled.via).to.equal("timelock");
      expect(scheduled.executed).to.equal(false);
      const done = await run<SetRelayersResult>("gateway:set-relayers", {
        relayers: rel.join(","),
        threshold: "2",
        execute: true,
        fastForward: true,
      });
      expect(done.executed).to.equal(true);
      const [set, threshold] = await a.gateway.relayers();
      expect([...set]).to.deep.equal([...rel].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1)));
      expect(threshold).to.equal(2n);
    });
  });

  describe("gateway:accept", () => {
    it("lets a non-EVM chain's attested lane in through the timelock; idempotent; refuses its own id", async () => {
      await refuses("gateway:accept", { chain: "1" }, /bad --chain 1: that is this chain's own id/);
      const scheduled = await run<AcceptResult>("gateway:accept", { chain: "100", rate: "500" });
      expect(scheduled).to.include({ via: "timelock", executed: false });
      expect((await a.hub.lane(100)).transport).to.equal(ethers.ZeroAddress);
      const done = await run<AcceptResult>("gateway:accept", { chain: "100", rate: "500", execute: true, fastForward: true });
      expect(done.executed).to.equal(true);
      const lane = await a.hub.lane(100);
      expect(lane.transport).to.equal(await a.gateway.getAddress());
      expect(lane.ratePerHour).to.equal(500n);
      expect((await a.lens.laneFamily(a.hub, 100)).family).to.equal(BigInt(AccountFamily.Cosmos));
      expect((await run<AcceptResult>("gateway:accept", { chain: "100", rate: "500" })).via).to.equal("direct");
    });
  });

  describe("hub:lease-reporting", () => {
    it("grants the hub the market's LEASE_REPORTER_ROLE and sets the Akash lane through the timelock; idempotent; refuses bad input", async () => {
      const payee = ethers.Wallet.createRandom().address;
      const role = await a.p.market.LEASE_REPORTER_ROLE();
      await refuses("hub:lease-reporting", { akashChain: "1", payee }, /bad --akash-chain 1: that is this chain's own id/);
      await refuses("hub:lease-reporting", { payee: ethers.ZeroAddress }, /bad --payee .*zero address/);
      await refuses("hub:lease-reporting", { payee, market: payee }, /bad --market .*no contract there/);
      const scheduled = await run<LeaseReportingResult>("hub:lease-reporting", { payee });
      expect(scheduled.done).to.equal(false);
      expect(scheduled.actions.map((x) => [x.via, x.executed])).to.deep.equal([
        ["timelock", false],
        ["timelock", false],
      ]);
      expect(await a.p.market.hasRole(role, a.addresses.hub)).to.equal(false);
      const done = await run<LeaseReportingResult>("hub:lease-reporting", { payee, execute: true, fastForward: true });
      expect(done).to.include({ akashChain: 900, payee, done: true });
      expect(done.actions.map((x) => x.executed)).to.deep.equal([true, true]);
      expect(await a.p.market.hasRole(role, a.addresses.hub)).to.equal(true);
      const [chain, market, paid] = await a.lens.leaseReporting(a.hub);
      expect([Number(chain), market, paid]).to.deep.equal([900, await a.p.market.getAddress(), payee]);
      const again = await run<LeaseReportingResult>("hub:lease-reporting", { payee });
      expect(again.done).to.equal(true);
      expect(again.actions).to.deep.equal([]);
      // another payee: only the setting changes (the role is held already)
      const other = ethers.Wallet.createRandom().address;
      const changed = await run<LeaseReportingResult>("hub:lease-reporting", { payee: other, execute: true, fastForward: true });
      expect(changed.actions.map((x) => x.label)).to.deep.equal([
        `apply LeaseReported from chain 900 to the market (payee ${other})`,
      ]);
      expect((await a.lens.leaseReporting(a.hub))[2]).to.equal(other);
    });
  });

  describe("payout:bind / bridge:retry", () => {
    it("binds a payout account with the creator's EIP-712 signature, next nonce by default; only creators bind", async () => {
      const [, , creator, , , stranger] = await ethers.getSigners();
      const payout = ethers.Wallet.createRandom().address;
      await refuses(
        "payout:bind",
        { chain: "100", payout, from: "5" },
        new RegExp(`${await stranger.getAddress()} created no model on this chain`),
      );
      await publish(a.p, creator);
      await refuses("payout:bind", { chain: "999", payout, from: CREATOR }, /UnknownBindingChain\(999\)/); // not a peer
      await run<AcceptResult>("gateway:accept", { chain: "100", execute: true, fastForward: true }); // chain 100: a peer
      const journal = (await a.lens.journal(a.hub)).count;
      const r1 = await run<BindResult>("payout:bind", { chain: "100", payout, from: CREATOR });
      expect(r1.creator).to.equal(await creator.getAddress());
      expect(r1.nonce).to.equal(1n);
      expect(ethers.getBytes(r1.signature).length).to.equal(94); // the scheme-1 blob
      const r2 = await run<BindResult>("payout:bind", { chain: "100", payout: `cosmos:0x${"ab".repeat(20)}`, from: CREATOR });
      expect(r2.nonce).to.equal(2n);
      expect((await a.lens.journal(a.hub)).count).to.equal(journal + 2n);
      await refuses(
        "payout:bind",
        { chain: "100", payout, nonce: "2", from: CREATOR },
        /bad nonce 2: the next binding .* has nonce 3/,
      );
      await refuses("payout:bind", { chain: "100", payout: "cosmwasm:0x1234" }, /a CosmWasm account has 32 bytes, got 2/);
    });

    it("vault:claim --payee: the payout address bound on this chain claims the creator's earnings", async () => {
      const [, , creator, buyer, payoutSigner] = await ethers.getSigners();
      const payout = await payoutSigner.getAddress();
      const { modelId } = await publish(a.p, creator);
      await setNativePrice(a.p, creator, modelId, ONE);
      await buyNative(a.p, buyer, modelId, ONE);
      await (await a.p.market.settle(modelId, ethers.ZeroAddress)).wait();
      const owed = await a.p.market.creditOf(await creator.getAddress(), ethers.ZeroAddress);
      expect(owed).to.be.greaterThan(0n);
      await refuses(
        "vault:claim",
        { payee: await creator.getAddress(), from: "4" },
        /is not the payout address bound for .* \(none is bound yet/,
      );
      await run<BindResult>("payout:bind", { chain: "1", payout, from: CREATOR });
      // a binding redirects earnings only: the payout address gets no rights over the model
      await refuses("model:price", { model: String(modelId), price: "2", from: "4" }, /not the creator: model/);
      const before = await ethers.provider.getBalance(payout);
      const r = await run<ClaimResult>("vault:claim", { payee: await creator.getAddress(), to: payout, from: "4" });
      expect(r.amount).to.equal(owed);
      const receipt = await ethers.provider.getTransactionReceipt(r.txHash);
      expect(await ethers.provider.getBalance(payout)).to.equal(before + owed - receipt!.gasUsed * receipt!.gasPrice);
      expect(await a.p.market.creditOf(await creator.getAddress(), ethers.ZeroAddress)).to.equal(0n);
      await refuses("vault:claim", { payee: await creator.getAddress(), from: "4" }, /nothing to claim/);
    });

    it("bridge:retry explains what it cannot retry", async () => {
      await refuses("bridge:retry", {}, /give exactly one of --packet/);
      await refuses("bridge:retry", { message: "0x" + "00".repeat(40) }, /re-apply rejected message would revert: NotRejected/);
      await refuses("bridge:retry", { packet: "0x01" }, /bad --packet: LayerZero packet too short/);
    });
  });
  describe("protocol:upgrade (hub, LayerZero bridge, gateway)", () => {
    // HexsHub's ERC-7201 namespace; `lanes` is HubStorage's fifth slot, hubPaused byte 30 of a lane's first word.
    const HUB_SLOT = 0xed831aabcf8e62e82a355daef486871821d49f1b1e64d8888f037bee1153b000n;
    const laneSlot = (chain: number) =>
      ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["uint32", "uint256"], [chain, HUB_SLOT + 4n]));
    const hubPausedByte = async (chain: number) =>
      (BigInt(await ethers.provider.getStorage(a.addresses.hub, laneSlot(chain))) >> 240n) & 0xffn;
    const scheduledOps = async () => (await a.p.timelock.queryFilter(a.p.timelock.filters.CallScheduled())).length;
    const implOf = (proxy: string) => hre.upgrades.erc1967.getImplementationAddress(proxy);
    const upgrade = (contract: string, implementation: string) =>
      run<UpgradeResult>("protocol:upgrade", { contract, implementation, execute: true, fastForward: true });

    it("upgrades the hub through the timelock with the registry's chain id and syncPause: lanes kept, a paused hub stays paused in every lane", async () => {
      await wire();
      const laneBefore = await a.hub.lane(B);
      await (await a.hub.pause(true)).wait(); // the guardian (the deployer keeps it after hand-over)
      // What a hub from before the pause was kept in the lanes holds: the flag set, no lane carrying it.
      const slot = laneSlot(B);
      const word = BigInt(await ethers.provider.getStorage(a.addresses.hub, slot));
      await ethers.provider.send("hardhat_setStorageAt", [a.addresses.hub, slot, ethers.toBeHex(word & ~(0xffn << 240n), 32)]);
      expect(await hubPausedByte(B)).to.equal(0n);

      const done = await upgrade("HexsHub", "HexsHubV2Mock");
      expect(done.upgraded).to.equal(true);
      expect(done.constructorArgs).to.deep.equal([A]);
      expect(done.upgradeCall).to.equal(a.hub.interface.encodeFunctionData("syncPause"));
      expect(await implOf(a.addresses.hub)).to.equal(done.newImplementation);
      const v2 = (await ethers.getContractAt("HexsHubV2Mock", a.addresses.hub)) as unknown as HexsHubV2Mock;
      expect(await v2.hubVersion()).to.equal("hub-v2");
      expect(await v2.chainId()).to.equal(BigInt(A));
      expect(await v2.lane(B)).to.deep.equal(laneBefore);
      expect(await hubPausedByte(B)).to.equal(1n);
      // The lane's transport is refused as the pause says.
      await ethers.provider.send("hardhat_impersonateAccount", [a.addresses.lzBridge]);
      await ethers.provider.send("hardhat_setBalance", [a.addresses.lzBridge, "0xde0b6b3a7640000"]);
      const transport = await ethers.getSigner(a.addresses.lzBridge);
      await expect(v2.connect(transport).deliver(B, [])).to.be.revertedWithCustomError(v2, "HubIsPaused");
      await ethers.provider.send("hardhat_stopImpersonatingAccount", [a.addresses.lzBridge]);
      expect((await deployments.get("HexsHub")).implementation).to.equal(done.newImplementation);
    });

    it("refuses a hub implementation built for another chain id and one with an incompatible storage layout, scheduling nothing", async () => {
      const before = await implOf(a.addresses.hub);
      const ops = await scheduledOps();
      await refuses(
        "protocol:upgrade",
        { contract: "HexsHub", implementation: "HexsHubWrongChainMock", execute: true, fastForward: true },
        /refusing to upgrade HexsHub to HexsHubWrongChainMock .*would revert with WrongChainId\(1\) \(nothing scheduled\)/,
      );
      await refuses(
        "protocol:upgrade",
        { contract: "HexsHub", implementation: "HexsHubBadV2", execute: true, fastForward: true },
        /refusing to upgrade HexsHub to HexsHubBadV2: the upgrades plugin rejects it \(nothing deployed or scheduled\)[\s\S]*insertedCounter/,
      );
      expect(await scheduledOps()).to.equal(ops);
      expect(await implOf(a.addresses.hub)).to.equal(before);
      expect(await a.hub.chainId()).to.equal(BigInt(A));
      await refuses("protocol:upgrade", { contract: "DaoMembership" }, /DaoMembership is not upgradeable: .*minimal clone/);
      await refuses("protocol:upgrade", { contract: "PayoutBindings" }, /PayoutBindings is not upgradeable: .*setPayoutBindings/);
    });

    it("upgrades the LayerZero bridge (endpoint and hub read from the bridge) and the attestation gateway through the timelock, keeping their state", async () => {
      await wire();
      const peer = await a.bridge.peers(EID_B);
      const relayers = await a.gateway.relayers();
      const bridge = await upgrade("HexsLzBridge", "HexsLzBridgeV2Mock");
      expect(bridge.upgraded).to.equal(true);
      expect(bridge.constructorArgs).to.deep.equal([await a.bridge.endpoint(), a.addresses.hub]);
      expect(bridge.upgradeCall).to.equal("0x");
      const bridgeV2 = (await ethers.getContractAt("HexsLzBridgeV2Mock", a.addresses.lzBridge)) as unknown as HexsLzBridgeV2Mock;
      expect(await bridgeV2.bridgeVersion()).to.equal("bridge-v2");
      expect(await bridgeV2.peers(EID_B)).to.equal(peer);
      expect(await bridgeV2.eidOf(B)).to.equal(BigInt(EID_B));
      expect(await bridgeV2.owner()).to.equal(await a.p.timelock.getAddress());

      const gateway = await upgrade("AttestationGateway", "AttestationGatewayV2Mock");
      expect(gateway.upgraded).to.equal(true);
      const gatewayV2 = (await ethers.getContractAt(
        "AttestationGatewayV2Mock",
        a.addresses.gateway,
      )) as unknown as AttestationGatewayV2Mock;
      expect(await gatewayV2.gatewayVersion()).to.equal("gateway-v2");
      expect(await gatewayV2.relayers()).to.deep.equal(relayers);
      expect(await implOf(a.addresses.gateway)).to.equal(gateway.newImplementation);
    });
  });
});

// Cross-chain resale with the Cosmos chain: a real wasmd chain (the Hexs CosmWasm contract, chain
// 100) beside the protocol deployed on Hardhat's in-process network (chain 1, hub + attestation
// gateway + HexsResale, as `deployHexs` deploys it). Messages are carried as the relayers carry
// them: the hub's journal entries, signed by the contract's relayer set, to `receive_batch`; the
// contract's `hexs_outbound` messages, signed by the gateway's relayer set, to the gateway.
//   1. the resale royalty rate on the wire: a model published on EVM is mirrored on wasmd with its
//      rate (so a key of it moved there can be listed), one published on wasmd has its ERC-2981
//      rate in its mirrored EVM collection;
//   2. a key listed on wasmd bought by a buyer paying on the EVM chain: the key moves to the buyer's
//      chain, the seller's payout account is credited there, the model's vault there gets the
//      royalty; an order that finds the listing cancelled is refused and the buyer refunded.
// wasmd runs on 127.0.0.1:19510-19513 in a temp home unless WASMD_EXTERNAL=1.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import hre, { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { fromBech32, toHex } from "@cosmjs/encoding";
import type { Event } from "@cosmjs/stargate";
import { Wallet, type Signer } from "ethers";
import { AccountFamily, batchRootOfMessages, decodeMessage, encodeEnvelope, Kind, type Message } from "../../codec";
import { journalAfter } from "../../sdk/bridge";
import { toSolAccount } from "../../sdk";
import type { AttestationGateway, HexsHub, KeyNFT } from "../../sdk/typechain";
import type { KeyResponse, ListingResponse, Model } from "../../sdk/cosmwasm/Hexs.types";
import { deployHexs } from "../../tasks/lib/deployHexs";
import {
  buyNative,
  forgetDeployments,
  loadProtocol,
  NATIVE,
  publish,
  setNativePrice,
  type Protocol,
} from "../../devnet/hardhat/protocol";
import {
  connect,
  deploy,
  devnetEnv,
  eventAttr,
  HEXS_CHAIN,
  instantiateMsg,
  outboundMessages,
  publishMsg,
  relayerKeys,
  relayerPubkeys,
  signBatch,
  startDevnet,
  stopDevnet,
  type DevnetEnv,
  type User,
} from "../../devnet/wasmd";
import { DEPLOYER_KEY } from "./helpers/evm";

const EVM = 1; // instantiateMsg's peer
const ONE = ethers.parseEther("1");
const REMOTE_PRICE = 3n * ONE; // what the Cosmos seller asks of buyers paying on the EVM chain
const RESALE_BPS = 500n; // the EVM model's secondaryRoyaltyBps (publishParams' default)

describe("cross-chain resale with the Cosmos chain (real wasmd, Hardhat chain 1)", function () {
  this.timeout(900_000); // a cold run builds the wasm (and wasmd when not cached)
  let started = false;
  let dir: string;
  let env: DevnetEnv;
  let admin: User, alice: User, bob: User, submitter: User;
  let contract: string;
  let p: Protocol;
  let hub: HexsHub;
  let gateway: AttestationGateway;
  let creator: Signer, buyer: Signer, seller: Signer, dave: Signer;
  let PAYOUT: string, DAVE: string;
  const keys = relayerKeys();
  const gatewayKey = new Wallet(DEPLOYER_KEY); // the devnet gateway's 1-of-1 relayer set

  let delivered = 0n; // hub journal entries delivered to wasmd
  const outbound: (readonly Event[])[] = []; // wasmd events not yet carried to the EVM chain

  /** The hub's new journal entries, on the lane to wasmd, signed 2-of-3: what a relayer delivers. */
  async function toCosmos() {
    const entries = await journalAfter(hub, delivered);
    const messages: Message[] = entries.map((e) =>
      decodeMessage(encodeEnvelope({ kind: e.kind as Kind, srcChain: EVM, dstChain: HEXS_CHAIN, nonce: e.entry }, e.body)),
    );
    const batch = await signBatch(messages, keys, [0, 1]);
    const res = await submitter.client.execute(
      submitter.address,
      contract,
      { receive_batch: { messages: batch.messages, signatures: batch.signatures } },
      "auto",
    );
    delivered = entries[entries.length - 1].entry;
    outbound.push(res.events);
    return res;
  }

  /** wasmd's new outbound messages to the EVM chain, signed by the gateway's relayer set. */
  async function toEvm() {
    const lane = outbound
      .splice(0)
      .flatMap((events) => outboundMessages(events))
      .filter((m) => m.message.dstChain === EVM)
      .sort((x, y) => Number(x.nonce - y.nonce));
    expect(lane[0].nonce, "the hub's next nonce from wasmd").to.equal((await hub.lane(HEXS_CHAIN)).inbound + 1n);
    const messages = lane.map((m) => "0x" + m.hex);
    const { root } = batchRootOfMessages(messages);
    await (await gateway.submitBatch(messages, [gatewayKey.signingKey.sign(root).serialized])).wait();
    return lane.map((m) => m.message);
  }

  async function cosmos(user: User, msg: Record<string, unknown>) {
    const res = await user.client.execute(user.address, contract, msg, "auto");
    outbound.push(res.events);
    return res;
  }

  const cosmosAccount = (address: string) => ({
    family: AccountFamily.Cosmos,
    address: "0x" + toHex(fromBech32(address, 1023).data),
  });

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-resale-cosmos-"));
    if (process.env.WASMD_EXTERNAL !== "1")
      Object.assign(process.env, { WASMD_HOME: path.join(dir, "wasmd"), WASMD_RPC_PORT: "19510", WASMD_GRPC_PORT: "19513" });
    started = startDevnet();
    env = devnetEnv();
    [admin, alice, bob, submitter] = await Promise.all(["validator", "alice", "bob", "submitter"].map((n) => connect(n, env)));
    ({ contract } = await deploy(admin, instantiateMsg(admin.address, await relayerPubkeys(keys), env.denom)));

    const prefix = "RC.";
    await forgetDeployments(prefix);
    const endpoint = await (await ethers.getContractFactory("EndpointV2Mock")).deploy(40101);
    const addresses = await deployHexs(hre, {
      timelockDelay: 3600,
      protocolFeeBps: 250,
      relayers: [gatewayKey.address],
      threshold: 1,
      devnet: true,
      prefix,
      hexsChainId: EVM,
      lzEndpoint: await endpoint.getAddress(),
      skipHandover: true,
    });
    p = await loadProtocol(prefix);
    hub = (await ethers.getContractAt("HexsHub", addresses.hub)) as unknown as HexsHub;
    gateway = (await ethers.getContractAt("AttestationGateway", addresses.gateway)) as unknown as AttestationGateway;
    // wasmd is a peer whose users are Cosmos accounts, and a resale peer: its contract answers orders.
    await (await hub.setPeer(HEXS_CHAIN, addresses.gateway, 0, AccountFamily.Cosmos)).wait();
    await (await p.resale.setResalePeer(HEXS_CHAIN, true)).wait();
    [, , creator, buyer, seller, dave] = await ethers.getSigners();
    PAYOUT = await seller.getAddress();
    DAVE = await dave.getAddress();
  });

  after(async function () {
    for (const c of [admin, alice, bob, submitter]) c?.client.disconnect();
    stopDevnet(started);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let modelId: bigint;
  let evmKeys: KeyNFT;
  let key1: bigint;
  let key2: bigint;

  it("a model published on EVM is mirrored on wasmd with its resale royalty, and a key of it moved there can be listed", async function () {
    ({ modelId, keys: evmKeys } = await publish(p, creator)); // secondaryRoyaltyBps 500
    await setNativePrice(p, creator, modelId, ONE);
    key1 = await buyNative(p, buyer, modelId, ONE);
    key2 = await buyNative(p, buyer, modelId, ONE);
    for (const k of [key1, key2])
      await (await evmKeys.connect(buyer).moveTo(k, HEXS_CHAIN, toSolAccount(cosmosAccount(bob.address)))).wait();
    const res = await toCosmos();
    expect(eventAttr(res.events, "wasm", "refused")).to.equal("");

    const m: Model = await bob.client.queryContractSmart(contract, { model: { id: modelId.toString() } });
    expect(m.royalty.resale_bps).to.equal(Number(RESALE_BPS));
    const k: KeyResponse = await bob.client.queryContractSmart(contract, { key: { id: key1.toString() } });
    expect(k.resident_chain).to.equal(HEXS_CHAIN);
    for (const id of [key1, key2])
      await cosmos(bob, { list_key: { token_id: id.toString(), price: { denom: env.denom, amount: "5000" } } });
    const listing: ListingResponse | null = await bob.client.queryContractSmart(contract, {
      listing: { token_id: key1.toString() },
    });
    expect(listing?.seller).to.equal(bob.address);
    expect(listing?.fillable).to.equal(true);
  });

  it("a model published on wasmd has its resale royalty as the ERC-2981 rate of its mirrored EVM collection", async function () {
    const msg = publishMsg({ sdlUri: "ipfs://cw-sdl", price: "1000", deployPrice: "0", forkRoyaltyBps: 700 });
    (msg.publish.royalty as Record<string, number>).resale_bps = 1250;
    const res = await cosmos(alice, msg);
    const cosmosModel = BigInt(eventAttr(res.events, "wasm", "model")!);
    const carried = await toEvm();
    const registered = carried.find((m) => m.kind === Kind.ModelRegistered);
    expect(registered?.kind === Kind.ModelRegistered && registered.body.resaleRoyaltyBps).to.equal(1250);
    const mirrored = (await ethers.getContractAt("KeyNFT", await p.registry.keysOf(cosmosModel))) as unknown as KeyNFT;
    const [receiver, royalty] = await mirrored.royaltyInfo(1n, 10_000n);
    expect(receiver).to.equal(await mirrored.getAddress());
    expect(royalty).to.equal(1250n);
  });

  /** The Cosmos seller prices key `id` for buyers paying on the EVM chain, paid out to PAYOUT there. */
  async function setRemotePrice(id: bigint) {
    await cosmos(bob, {
      set_remote_price: {
        token_id: id.toString(),
        chain: EVM,
        currency: "00".repeat(20),
        price: REMOTE_PRICE.toString(),
        payout: { evm: PAYOUT },
      },
    });
  }

  async function buyRemote(id: bigint): Promise<bigint> {
    const r = p.resale.connect(dave);
    const deadline = (await time.latest()) + 3600;
    const args = [HEXS_CHAIN, modelId, id, PAYOUT, NATIVE, REMOTE_PRICE, deadline] as const;
    const orderId = await r.buyRemote.staticCall(...args, { value: REMOTE_PRICE });
    await (await r.buyRemote(...args, { value: REMOTE_PRICE })).wait();
    expect((await p.resale.orderOf(orderId)).buyer).to.equal(DAVE);
    return orderId;
  }

  it("fills a listing on wasmd for a buyer paying on the EVM chain: the key moves there, then the seller's payout account is paid", async function () {
    await setRemotePrice(key1);
    const orderId = await buyRemote(key1);
    const res = await toCosmos();
    expect(eventAttr(res.events, "wasm-hexs_remote_order", "filled")).to.equal("true");
    const k: KeyResponse = await bob.client.queryContractSmart(contract, { key: { id: key1.toString() } });
    expect(k.resident_chain).to.equal(EVM);
    expect(await bob.client.queryContractSmart(contract, { listing: { token_id: key1.toString() } })).to.equal(null);

    const royalty = (REMOTE_PRICE * RESALE_BPS) / 10_000n;
    const vaultBefore = await p.market.vaultOf(modelId, NATIVE);
    const carried = await toEvm();
    expect(carried.map((m) => m.kind)).to.deep.equal([Kind.KeyMoved, Kind.ResaleResult]);
    expect(await evmKeys.ownerOf(key1)).to.equal(DAVE);
    expect(await p.resale.creditOf(PAYOUT, NATIVE)).to.equal(REMOTE_PRICE - royalty);
    expect(await p.market.vaultOf(modelId, NATIVE)).to.equal(vaultBefore + royalty);
    expect((await p.resale.orderOf(orderId)).buyer).to.equal(ethers.ZeroAddress);
    expect(await p.resale.creditOf(DAVE, NATIVE)).to.equal(0n);
    await expect(p.resale.connect(seller).claim(NATIVE, PAYOUT)).to.changeEtherBalances(
      [seller, p.resale],
      [REMOTE_PRICE - royalty, -(REMOTE_PRICE - royalty)],
    );
  });

  it("refuses an order whose listing was cancelled while it was in flight: the buyer is refunded and the key stays", async function () {
    await setRemotePrice(key2);
    const orderId = await buyRemote(key2);
    await cosmos(bob, { cancel_listing: { token_id: key2.toString() } });
    const res = await toCosmos();
    expect(eventAttr(res.events, "wasm-hexs_remote_order", "filled")).to.equal("false");
    expect(eventAttr(res.events, "wasm-hexs_remote_order", "reason")).to.equal("not listed");
    const k: KeyResponse = await bob.client.queryContractSmart(contract, { key: { id: key2.toString() } });
    expect(k.resident_chain).to.equal(HEXS_CHAIN);

    const credited = await p.resale.creditOf(PAYOUT, NATIVE);
    const carried = await toEvm();
    expect(carried.map((m) => m.kind)).to.deep.equal([Kind.ResaleResult]);
    expect((await p.resale.orderOf(orderId)).buyer).to.equal(ethers.ZeroAddress);
    expect(await p.resale.creditOf(DAVE, NATIVE)).to.equal(REMOTE_PRICE);
    expect(await p.resale.creditOf(PAYOUT, NATIVE)).to.equal(credited);
    await expect(evmKeys.ownerOf(key2)).to.be.revertedWithCustomError(evmKeys, "ERC721NonexistentToken");
    await expect(p.resale.connect(dave).claim(NATIVE, DAVE)).to.changeEtherBalances(
      [dave, p.resale],
      [REMOTE_PRICE, -REMOTE_PRICE],
    );
  });
});

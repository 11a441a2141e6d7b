// The resale:cosmos-* tasks (tasks/cosmos-resale.ts over sdk/cosmwasm-resale.ts), run through hre.run
// against the contract on a real wasmd chain (scripts/wasmd.sh, its own home and ports here), with
// a chain registry file and mnemonic files as a user passes them: chain state after each task,
// and the errors.
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import type { CosmosListing, CosmosOffer, CosmosResaleFill } from "../../sdk/cosmwasm-resale";
import type { ListingResponse, OffersResponse, OwnerOfResponse } from "../../sdk/cosmwasm/Hexs.types";
import { setQuiet } from "../../tasks/lib/log";
import {
  connect,
  deploy,
  devnetEnv,
  devnetMnemonic,
  eventAttr,
  HEXS_CHAIN,
  instantiateMsg,
  publishMsg,
  relayerKeys,
  relayerPubkeys,
  startDevnet,
  stopDevnet,
  type DevnetEnv,
  type User,
} from "../../devnet/wasmd";

const PORT_BASE = Number(process.env.HEXS_COSMOS_RESALE_TASKS_TEST_PORT ?? 19620);
const PRICE = 1_000_000n;

type Args = Record<string, string | boolean | undefined>;

describe("resale:cosmos-* tasks on wasmd", function () {
  this.timeout(300_000);
  let dir: string;
  let started = false;
  let env: DevnetEnv;
  let admin: User, alice: User, bob: User, carol: User;
  let contract: string;
  let chains: string;
  let modelId: bigint, keyId: string;
  const savedEnv = { ...process.env };
  const mnemonic: Record<string, string> = {};

  const run = async <T>(name: string, who: string | undefined, args: Args): Promise<T> =>
    (await hre.run(name, { chains, mnemonicFile: who && mnemonic[who], ...args })) as T;
  async function refuses(name: string, who: string | undefined, args: Args, pattern: RegExp): Promise<void> {
    try {
      await run(name, who, args);
    } catch (e) {
      expect((e as Error).message).to.match(pattern);
      return;
    }
    throw new Error(`${name} should have failed with ${pattern}`);
  }
  const q = <T>(msg: object) => admin.client.queryContractSmart(contract, msg) as Promise<T>;
  const ownerOf = async () => (await q<OwnerOfResponse>({ owner_of: { token_id: keyId } })).owner;
  const listing = () => q<ListingResponse | null>({ listing: { token_id: keyId } });
  const held = async () => BigInt((await admin.client.getBalance(contract, env.denom)).amount);
  const chainTime = async () => Math.floor(new Date((await admin.client.getBlock()).header.time).getTime() / 1000);

  before(async () => {
    setQuiet(true);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-cosmos-resale-tasks-"));
    if (process.env.WASMD_EXTERNAL !== "1")
      Object.assign(process.env, {
        WASMD_HOME: path.join(dir, "wasmd"),
        WASMD_RPC_PORT: String(PORT_BASE),
        WASMD_GRPC_PORT: String(PORT_BASE + 5),
      });
    started = startDevnet();
    env = devnetEnv();
    [admin, alice, bob, carol] = await Promise.all(["validator", "alice", "bob", "carol"].map((n) => connect(n, env)));
    ({ contract } = await deploy(admin, instantiateMsg(admin.address, await relayerPubkeys(relayerKeys()), env.denom)));
    chains = path.join(dir, "chains.json");
    fs.writeFileSync(
      chains,
      JSON.stringify({
        chains: [
          {
            family: "cosmos",
            name: "wasmd",
            hexsChainId: HEXS_CHAIN,
            rpcUrl: env.rpc,
            contract,
            bech32Prefix: "wasm",
            gasPrice: `0.01${env.denom}`,
          },
        ],
      }),
    );
    for (const n of ["alice", "bob", "carol"]) {
      mnemonic[n] = path.join(dir, `${n}.mnemonic`);
      fs.writeFileSync(mnemonic[n], devnetMnemonic(n) + "\n");
    }
    const res = await alice.client.execute(
      alice.address,
      contract,
      publishMsg({ sdlUri: "ipfs://sdl", price: PRICE.toString(), deployPrice: "0", forkRoyaltyBps: 0 }),
      "auto",
    );
    modelId = BigInt(eventAttr(res.events, "wasm", "model")!);
    const bought = await bob.client.execute(
      bob.address,
      contract,
      { buy_key: { model: modelId.toString(), recipient: null, with_deployment: false } },
      "auto",
      undefined,
      [{ denom: env.denom, amount: PRICE.toString() }],
    );
    keyId = eventAttr(bought.events, "wasm", "token_id")!;
  });

  after(() => {
    setQuiet(false);
    for (const u of [admin, alice, bob, carol]) u?.client.disconnect();
    stopDevnet(started);
    fs.rmSync(dir, { recursive: true, force: true });
    for (const k of ["WASMD_HOME", "WASMD_RPC_PORT", "WASMD_GRPC_PORT"]) {
      if (savedEnv[k] === undefined) delete process.env[k];
      else process.env[k] = savedEnv[k];
    }
  });

  it("resale:cosmos-rate sets the resale royalty of the creator's model", async () => {
    await refuses("resale:cosmos-list", "bob", { key: keyId, price: "5000000" }, /sets no resale royalty/);
    await refuses("resale:cosmos-rate", "alice", { model: modelId.toString(), bps: "2501" }, /bad --bps '2501': at most 2500/);
    await refuses("resale:cosmos-rate", "bob", { model: modelId.toString(), bps: "500" }, /only the creator of model/);
    await refuses("resale:cosmos-rate", undefined, { model: modelId.toString(), bps: "500" }, /--mnemonic-file is required/);
    await run("resale:cosmos-rate", "alice", { model: modelId.toString(), bps: "500" });
    const m = await q<{ royalty: { resale_bps?: number } }>({ model: { id: modelId.toString() } });
    expect(m.royalty.resale_bps).to.equal(500);
  });

  it("resale:cosmos-list, -listings and -buy: the key moves, the royalty goes into the vault", async () => {
    await refuses("resale:cosmos-list", "bob", { key: keyId, price: "0" }, /bad --price '0'/);
    await refuses("resale:cosmos-list", "carol", { key: keyId, price: "5000000" }, /owner of key/);
    await run("resale:cosmos-list", "bob", { key: keyId, price: "5000000" });
    expect(await listing()).to.deep.include({ token_id: keyId, seller: bob.address, fillable: true });
    const byModel = await run<CosmosListing[]>("resale:cosmos-listings", undefined, { model: modelId.toString() });
    const bySeller = await run<CosmosListing[]>("resale:cosmos-listings", undefined, { seller: bob.address });
    expect(byModel.map((l) => [l.keyId, l.seller, l.price])).to.deep.equal([[BigInt(keyId), bob.address, 5n * PRICE]]);
    expect(bySeller).to.deep.equal(byModel);
    await refuses("resale:cosmos-listings", undefined, {}, /give one of --model or --seller/);

    const before = await held();
    const fill = await run<CosmosResaleFill>("resale:cosmos-buy", "carol", { key: keyId });
    expect([fill.buyer, fill.seller, fill.price, fill.royalty, fill.via]).to.deep.equal([
      carol.address,
      bob.address,
      5n * PRICE,
      (5n * PRICE) / 20n,
      "listing",
    ]);
    expect(await ownerOf()).to.equal(carol.address);
    expect(await listing()).to.equal(null);
    expect(await held()).to.equal(before + 5n * PRICE);
    await refuses("resale:cosmos-buy", "bob", { key: keyId }, /is not listed/);
  });

  it("resale:cosmos-cancel withdraws a listing", async () => {
    await run("resale:cosmos-list", "carol", { key: keyId, price: "9000000" });
    await refuses("resale:cosmos-cancel", "bob", { key: keyId }, /the seller of key .* or whoever may transfer it/);
    expect(await listing()).to.not.equal(null);
    await run("resale:cosmos-cancel", "carol", { key: keyId });
    expect(await listing()).to.equal(null);
  });

  it("resale:cosmos-offer with --valid-for, -offers, -accept refused once expired, -cancel --offer refunds", async () => {
    const before = await held();
    await refuses("resale:cosmos-offer", "bob", { key: keyId, amount: "0" }, /bad --amount '0'/);
    await run("resale:cosmos-offer", "bob", { key: keyId, amount: "2000000", validFor: "2" });
    await run("resale:cosmos-offer", "alice", { key: keyId, amount: "3000000" });
    expect(await held()).to.equal(before + 5n * PRICE);
    const offers = await run<CosmosOffer[]>("resale:cosmos-offers", undefined, { key: keyId });
    expect(offers.map((o) => [o.bidder, o.amount, o.expiresAt !== undefined])).to.have.deep.members([
      [bob.address, 2n * PRICE, true],
      [alice.address, 3n * PRICE, false],
    ]);
    const expiresAt = offers.find((o) => o.bidder === bob.address)!.expiresAt!;

    while ((await chainTime()) < expiresAt) await new Promise((ok) => setTimeout(ok, 300));
    await refuses("resale:cosmos-accept", "carol", { key: keyId, bidder: bob.address }, /expired at \d+/);
    expect(await ownerOf()).to.equal(carol.address);
    await run("resale:cosmos-cancel", "bob", { key: keyId, offer: true });
    const left = await q<OffersResponse>({ offers: { token_id: keyId } });
    expect(left.offers.map((o) => o.bidder)).to.deep.equal([alice.address]);
    expect(await held()).to.equal(before + 3n * PRICE);

    const fill = await run<CosmosResaleFill>("resale:cosmos-accept", "carol", { key: keyId, bidder: alice.address });
    expect([fill.buyer, fill.seller, fill.price, fill.via]).to.deep.equal([alice.address, carol.address, 3n * PRICE, "offer"]);
    expect(await ownerOf()).to.equal(alice.address);
  });

  it("refuses a missing registry or mnemonic file, and an EVM-only registry", async () => {
    await refuses(
      "resale:cosmos-list",
      "bob",
      { key: keyId, price: "1", chains: path.join(dir, "none.json") },
      /--chains .* does not exist/,
    );
    await refuses(
      "resale:cosmos-list",
      undefined,
      { key: keyId, price: "1", mnemonicFile: path.join(dir, "none") },
      /--mnemonic-file .* does not exist/,
    );
    const evm = path.join(dir, "evm.json");
    fs.writeFileSync(evm, JSON.stringify({ chains: [{ family: "evm", name: "a", hexsChainId: 1, contracts: {} }] }));
    await refuses("resale:cosmos-offers", undefined, { key: keyId, chains: evm }, /the registry has no cosmos chain/);
  });
});

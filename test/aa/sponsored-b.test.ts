// Sponsored purchases on EVM chain B, next to chain A, each with its own sponsor as deployed in
// practice (devnet/sponsor.ts runs the same on `npm run devnet`): two `hardhat node`s playing
// chains A (31401) and B (31402), Hexs + EntryPoint v0.7 + HexsPaymaster deployed on each by
// devnet/aa/deploy.ts, and per chain its own alto bundler (--safe-mode false) and policy signer,
// all started here and stopped by PID (devnet/aa/stand.ts). Both stands deploy the same
// transactions from the same dev account and sign with the same dev policy key, so the
// EntryPoint, factory, paymaster, token and a burner's account have the same addresses on both
// chains: the worst case for a replay, where only the chain id in the signed data tells them apart.
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Contract } from "ethers";
import {
  accountOf,
  BundlerClient,
  buyKeySponsored,
  createBurner,
  draftSponsored,
  PolicyRefusedError,
  requestSponsorship,
  signPaymasterData,
  submitSponsored,
  UserOpRejectedError,
  type Call,
  type SponsorConfig,
} from "../../sdk/aa";
import { devAccount, POLICY_SIGNER, startAaStand, type AaStand } from "../../devnet/aa/stand";
import { hardhat } from "../../devnet/chains";
import { HexsMarket__factory, HexsPaymaster__factory, KeyNFT__factory, TestToken__factory } from "../../sdk/typechain";
import { freePorts } from "../lz/helpers/twoNodes";

describe("sponsored purchases on chain B, each chain with its own bundler and policy signer (two devnet/aa stands)", function () {
  this.timeout(420_000);
  const root = path.join(os.tmpdir(), `hexs-aa-b-test-${process.pid}`);
  let a: AaStand;
  let b: AaStand;
  let cfgA: SponsorConfig;
  let cfgB: SponsorConfig;

  const cfgOf = (s: AaStand): SponsorConfig => ({
    provider: s.provider,
    bundler: new BundlerClient(s.bundlerUrl, s.d.entryPoint),
    policyUrl: s.policyUrl,
    entryPoint: s.d.entryPoint,
    factory: s.d.factory,
    paymaster: s.d.paymaster,
    chainId: BigInt(s.d.chainId),
  });
  const token = (s: AaStand) => TestToken__factory.connect(s.d.token, s.provider);
  const paymaster = (s: AaStand) => HexsPaymaster__factory.connect(s.d.paymaster, s.provider);
  const price = () => BigInt(b.d.keyPrice);

  before(async () => {
    const [nA, bA, pA, nB, bB, pB] = await freePorts(6);
    const started = await Promise.allSettled([
      startAaStand({ dir: path.join(root, "a"), chain: "A", ports: { node: nA, bundler: bA, policy: pA } }),
      startAaStand({ dir: path.join(root, "b"), chain: "B", ports: { node: nB, bundler: bB, policy: pB } }),
    ]);
    [a, b] = started.map((r) => (r.status === "fulfilled" ? r.value : undefined)) as AaStand[];
    const failed = started.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    cfgA = cfgOf(a);
    cfgB = cfgOf(b);
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** A burner whose (not yet deployed) account on `s` holds `n` key prices of its ERC-20 and no native coin. */
  async function fundedOn(s: AaStand, cfg: SponsorConfig, n: bigint) {
    const burner = createBurner();
    const account = await accountOf(cfg, burner.address);
    await (
      await token(s)
        .connect(await s.provider.getSigner(0))
        .mint(account, price() * n)
    ).wait();
    return { ...burner, account };
  }

  /** What a refused operation must leave untouched on `s`. */
  async function snapshot(s: AaStand, account: string) {
    return {
      native: await s.provider.getBalance(account),
      tokens: await token(s).balanceOf(account),
      deposit: await paymaster(s).getDeposit(),
      keysSold: await HexsMarket__factory.connect(s.d.market, s.provider).keysSold(),
      code: await s.provider.getCode(account),
      nonce: await new Contract(
        s.d.entryPoint,
        ["function getNonce(address,uint192) view returns (uint256)"],
        s.provider,
      ).getFunction("getNonce")(account, 0),
    };
  }

  it("runs chains 31401 and 31402 with their own sponsor: same contract addresses, separate bundlers and policy signers", async () => {
    expect(a.d.chainId).to.equal("31401");
    expect(b.d.chainId).to.equal("31402");
    expect((await b.provider.getNetwork()).chainId).to.equal(31402n);
    for (const k of ["entryPoint", "factory", "paymaster", "token", "market"] as const) expect(b.d[k]).to.equal(a.d[k]);
    expect(b.bundlerUrl).to.not.equal(a.bundlerUrl);
    expect(b.policyUrl).to.not.equal(a.policyUrl);
    // B's Hexs is chain 2's: its model ids carry that chain
    expect(BigInt(b.d.modelId) >> 32n).to.equal(2n);
    const bundlerChain = async (url: string) =>
      (
        (await (
          await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
          })
        ).json()) as { result: string }
      ).result;
    expect(BigInt(await bundlerChain(b.bundlerUrl))).to.equal(31402n);
    expect(BigInt(await bundlerChain(a.bundlerUrl))).to.equal(31401n);
  });

  it("buys a key on chain B with sponsored gas from a new smart account holding 0 native coin", async () => {
    const burner = await fundedOn(b, cfgB, 1n);
    expect(await b.provider.getBalance(burner.account)).to.equal(0n);
    expect(await b.provider.getCode(burner.account)).to.equal("0x");
    const depositB = await paymaster(b).getDeposit();
    const depositA = await paymaster(a).getDeposit();
    const { receipt, keyId, account } = await buyKeySponsored(cfgB, burner.privateKey, {
      market: b.d.market,
      modelId: BigInt(b.d.modelId),
      currency: b.d.token,
      price: price(),
    });
    expect(account).to.equal(burner.account);
    expect(receipt.success).to.equal(true);
    expect(await KeyNFT__factory.connect(b.d.keys, b.provider).ownerOf(keyId)).to.equal(account);
    expect(await b.provider.getBalance(account)).to.equal(0n);
    expect(await token(b).balanceOf(account)).to.equal(0n);
    // B's paymaster paid exactly the operation's gas; A's sponsor was not involved
    expect(await paymaster(b).getDeposit()).to.equal(depositB - receipt.actualGasCost);
    expect(await paymaster(a).getDeposit()).to.equal(depositA);
    expect(await a.provider.getCode(account)).to.equal("0x");
  });

  it("has chain B's policy signer and paymaster refuse a call into a foreign target, nothing charged", async () => {
    const burner = await fundedOn(b, cfgB, 1n);
    const before = await snapshot(b, burner.account);
    const steal: Call[] = [
      {
        to: b.d.token,
        data: token(b).interface.encodeFunctionData("transfer", [devAccount(7).address, price()]),
      },
    ];
    const op = await draftSponsored(cfgB, burner.privateKey, steal);
    const refused = await requestSponsorship(cfgB, op).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(PolicyRefusedError);
    expect((refused as PolicyRefusedError).status).to.equal(403);
    expect((refused as PolicyRefusedError).reason).to.match(/^TargetNotAllowed\(/);
    // Signed anyway (a leaked or buggy signer): B's paymaster refuses it in the bundler's simulation.
    const chainNow = (await b.provider.getBlock("latest"))!.timestamp;
    const now = Math.min(chainNow, Math.floor(Date.now() / 1000));
    const forced = { ...op, paymasterData: await signPaymasterData(POLICY_SIGNER, op, cfgB.chainId, now + 600, now - 60) };
    const err = await submitSponsored(cfgB, burner.privateKey, forced).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UserOpRejectedError);
    expect((err as UserOpRejectedError).reason).to.match(/AA33/);
    expect(await snapshot(b, burner.account)).to.deep.equal(before);
  });

  it("refuses on chain B the paymaster data chain A's policy signer signed (chain id in the signed data), nothing charged; A accepts it", async () => {
    // An operation valid on both chains (approve the market to take the token: same addresses on
    // both), sponsored by A's policy signer, then submitted to B's bundler: B's paymaster hashes
    // block.chainid 31402 where A's signer signed 31401, so the signature does not recover.
    const burner = createBurner();
    const account = await accountOf(cfgB, burner.address);
    expect(await accountOf(cfgA, burner.address)).to.equal(account);
    const approve: Call[] = [{ to: b.d.token, data: token(b).interface.encodeFunctionData("approve", [b.d.market, price()]) }];
    const op = await draftSponsored(cfgB, burner.privateKey, approve);
    const paymasterData = await requestSponsorship(cfgA, op);
    const beforeB = await snapshot(b, account);
    const replayed = await submitSponsored(cfgB, burner.privateKey, { ...op, paymasterData }).catch((e: unknown) => e);
    expect(replayed).to.be.instanceOf(UserOpRejectedError);
    expect((replayed as UserOpRejectedError).reason).to.match(/AA34/);
    expect(await snapshot(b, account)).to.deep.equal(beforeB);
    // B's own policy signer would have signed it: the refusal above is the chain binding, not the policy
    expect(await requestSponsorship(cfgB, op)).to.not.equal(paymasterData);
    // the signature was genuine: on chain A, the chain it was made for, the same operation goes through
    const depositA = await paymaster(a).getDeposit();
    const receipt = await submitSponsored(cfgA, burner.privateKey, { ...op, paymasterData });
    expect(receipt.success).to.equal(true);
    expect(await token(a).allowance(account, a.d.market)).to.equal(price());
    expect(await paymaster(a).getDeposit()).to.equal(depositA - receipt.actualGasCost);
    expect(await token(b).allowance(account, b.d.market)).to.equal(0n);
  });

  it("has the CLI refuse another chain's sponsor file (aa:burner --network devnetB with chain A's) and use chain B's", async () => {
    const env = { HEXS_DEVNET_URL_B: b.rpcUrl, HEXS_DEPLOYMENTS_DIR: path.join(b.dir, "deployments") };
    const burnerFile = path.join(root, "burner-b.json");
    const flags = (sponsorDir: string) => [
      "--network",
      "devnetB",
      "--burner",
      burnerFile,
      "--sponsor",
      path.join(sponsorDir, "sponsor.json"),
    ];
    const refused = await hardhat(["aa:burner", ...flags(a.dir)], env).catch((e: Error) => e);
    expect(refused).to.be.instanceOf(Error);
    expect((refused as Error).message).to.contain("is for EVM chain 31401, but --network devnetB is chain 31402");
    expect(fs.existsSync(burnerFile)).to.equal(true); // the session key is kept; only the sponsor file was wrong
    const out = await hardhat(["aa:burner", ...flags(b.dir)], env);
    const owner = (JSON.parse(fs.readFileSync(burnerFile, "utf8")) as { address: string }).address;
    expect(/its smart account is (0x[0-9a-fA-F]{40})/.exec(out)![1]).to.equal(await accountOf(cfgB, owner));
  });
});

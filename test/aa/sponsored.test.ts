// Sponsored purchases end to end through a real bundler: a `hardhat node`, Hexs + EntryPoint v0.7
// + HexsPaymaster deployed by devnet/aa/deploy.ts, the Pimlico alto bundler (--safe-mode false)
// and the policy signer, all started here and stopped by PID (devnet/aa/stand.ts). The burner's
// operations go SDK → policy signer → alto → EntryPoint.handleOps, as in the app.
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Contract, Wallet } from "ethers";
import {
  accountOf,
  BundlerClient,
  BundlerUnreachableError,
  buyCalls,
  buyKeySponsored,
  createBurner,
  draftSponsored,
  PolicyRefusedError,
  requestSponsorship,
  signPaymasterData,
  submitSponsored,
  transferKeySponsored,
  UserOpRejectedError,
  type Call,
  type SponsorConfig,
  type UserOperation,
} from "../../sdk/aa";
import { hardhat } from "../../devnet/chains";
import { devAccount, POLICY_SIGNER, startAaStand, type AaStand } from "../../devnet/aa/stand";
import { HexsMarket__factory, HexsPaymaster__factory, KeyNFT__factory, TestToken__factory } from "../../sdk/typechain";

const PORTS = { node: 18260, bundler: 18261, policy: 18262 };
const OPS_PER_HOUR = 2;

describe("sponsored purchases through the alto bundler (devnet/aa stand)", function () {
  this.timeout(300_000);
  let stand: AaStand;
  let cfg: SponsorConfig;
  let price: bigint;

  const paymaster = () => HexsPaymaster__factory.connect(stand.d.paymaster, stand.provider);
  const token = () => TestToken__factory.connect(stand.d.token, stand.provider);
  const market = () => HexsMarket__factory.connect(stand.d.market, stand.provider);
  const keys = () => KeyNFT__factory.connect(stand.d.keys, stand.provider);

  before(async () => {
    stand = await startAaStand({
      dir: path.join(os.tmpdir(), `hexs-aa-test-${process.pid}`),
      ports: PORTS,
      opsPerAccountPerHour: OPS_PER_HOUR,
    });
    cfg = {
      provider: stand.provider,
      bundler: new BundlerClient(stand.bundlerUrl, stand.d.entryPoint),
      policyUrl: stand.policyUrl,
      entryPoint: stand.d.entryPoint,
      factory: stand.d.factory,
      paymaster: stand.d.paymaster,
      chainId: BigInt(stand.d.chainId),
    };
    price = BigInt(stand.d.keyPrice);
  });

  after(async () => {
    await stand?.stop();
    if (stand) fs.rmSync(stand.dir, { recursive: true, force: true });
  });

  /** A burner whose (not yet deployed) account holds `n` key prices of the model's ERC-20 and no native coin. */
  async function fundedBurner(n: bigint) {
    const b = createBurner();
    const account = await accountOf(cfg, b.address);
    const minter = token().connect(await stand.provider.getSigner(0));
    await (await minter.mint(account, price * n)).wait();
    return { ...b, account };
  }

  /** What a refused operation must leave untouched. */
  async function snapshot(account: string) {
    const hour = BigInt(Math.floor(Math.min(Date.now() / 1000, (await stand.provider.getBlock("latest"))!.timestamp) / 3600));
    return {
      native: await stand.provider.getBalance(account),
      tokens: await token().balanceOf(account),
      deposit: await paymaster().getDeposit(),
      keysSold: await market().keysSold(),
      code: await stand.provider.getCode(account),
      nonce: await new Contract(
        stand.d.entryPoint,
        ["function getNonce(address,uint192) view returns (uint256)"],
        stand.provider,
      ).getFunction("getNonce")(account, 0),
      ops: (await paymaster().accountOpsIn(account, hour - 1n)) + (await paymaster().accountOpsIn(account, hour)),
    };
  }

  /** Sign paymasterData with `signer` directly, bypassing the policy service's pre-check. */
  async function sponsorDirectly(op: UserOperation, signer: Wallet, window?: { validAfter: number; validUntil: number }) {
    const chainNow = (await stand.provider.getBlock("latest"))!.timestamp;
    const now = Math.min(chainNow, Math.floor(Date.now() / 1000));
    const { validAfter, validUntil } = window ?? { validAfter: now - 60, validUntil: now + 600 };
    return { ...op, paymasterData: await signPaymasterData(signer, op, cfg.chainId, validUntil, validAfter) };
  }

  async function rejectedBy(burnerKey: string, op: UserOperation): Promise<UserOpRejectedError> {
    const err = await submitSponsored(cfg, burnerKey, op).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UserOpRejectedError);
    return err as UserOpRejectedError;
  }

  let first: Awaited<ReturnType<typeof fundedBurner>>;
  let firstKey: bigint;

  it("buys a key with sponsored gas from a new smart account holding 0 native coin", async () => {
    first = await fundedBurner(3n);
    expect(await stand.provider.getBalance(first.account)).to.equal(0n);
    expect(await stand.provider.getCode(first.account)).to.equal("0x");
    const deposit = await paymaster().getDeposit();
    const sold = await market().keysSold();
    const { receipt, keyId, account } = await buyKeySponsored(cfg, first.privateKey, {
      market: stand.d.market,
      modelId: BigInt(stand.d.modelId),
      currency: stand.d.token,
      price,
    });
    firstKey = keyId;
    expect(account).to.equal(first.account);
    expect(receipt.success).to.equal(true);
    expect(await keys().ownerOf(keyId)).to.equal(first.account);
    expect(await market().keysSold()).to.equal(sold + 1n);
    expect(await token().balanceOf(first.account)).to.equal(price * 2n);
    expect(await stand.provider.getBalance(first.account)).to.equal(0n);
    expect(await stand.provider.getCode(first.account)).to.not.equal("0x");
    expect(await paymaster().getDeposit()).to.equal(deposit - receipt.actualGasCost);
  });

  it("lets the burner later transfer the key to a real wallet, sponsored", async () => {
    const wallet = devAccount(7).address;
    const deposit = await paymaster().getDeposit();
    const receipt = await transferKeySponsored(cfg, first.privateKey, { collection: stand.d.keys, keyId: firstKey, to: wallet });
    expect(receipt.success).to.equal(true);
    expect(await keys().ownerOf(firstKey)).to.equal(wallet);
    expect(await stand.provider.getBalance(first.account)).to.equal(0n);
    expect(await paymaster().getDeposit()).to.equal(deposit - receipt.actualGasCost);
  });

  it("refuses an account over its hourly cap: 403 from the policy signer, AA33 from the bundler, nothing charged", async () => {
    const before = await snapshot(first.account);
    expect(before.ops).to.equal(BigInt(OPS_PER_HOUR));
    const op = await draftSponsored(
      cfg,
      first.privateKey,
      buyCalls({ ...stand.d, modelId: BigInt(stand.d.modelId), currency: stand.d.token, price }, first.account),
    );
    const refused = await requestSponsorship(cfg, op).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(PolicyRefusedError);
    expect((refused as PolicyRefusedError).code).to.equal("policy_refused");
    expect((refused as PolicyRefusedError).status).to.equal(403);
    expect((refused as PolicyRefusedError).reason).to.match(/reached its cap of 2 sponsored operations/);
    // Signed anyway (a leaked or buggy signer): the paymaster itself refuses in simulation.
    const err = await rejectedBy(first.privateKey, await sponsorDirectly(op, POLICY_SIGNER));
    expect(err.reason).to.match(/AA33/);
    expect(await snapshot(first.account)).to.deep.equal(before);
  });

  it("refuses a call into a foreign target: 403 from the policy signer, AA33 from the bundler, nothing charged", async () => {
    const b = await fundedBurner(1n);
    const before = await snapshot(b.account);
    const steal: Call[] = [
      { to: stand.d.token, data: token().interface.encodeFunctionData("transfer", [devAccount(7).address, price]) },
    ];
    const op = await draftSponsored(cfg, b.privateKey, steal);
    const refused = await requestSponsorship(cfg, op).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(PolicyRefusedError);
    expect((refused as PolicyRefusedError).reason).to.match(/^TargetNotAllowed\(/);
    const err = await rejectedBy(b.privateKey, await sponsorDirectly(op, POLICY_SIGNER));
    expect(err.reason).to.match(/AA33/);
    expect(await snapshot(b.account)).to.deep.equal(before);
  });

  it("refuses forged paymaster data (not the policy signer's key) at the bundler, nothing charged", async () => {
    const b = await fundedBurner(1n);
    const before = await snapshot(b.account);
    const op = await draftSponsored(
      cfg,
      b.privateKey,
      buyCalls({ ...stand.d, modelId: BigInt(stand.d.modelId), currency: stand.d.token, price }, b.account),
    );
    const forger = new Wallet(Wallet.createRandom().privateKey);
    const err = await rejectedBy(b.privateKey, await sponsorDirectly(op, forger));
    expect(err.code).to.equal("user_op_rejected");
    expect(err.reason).to.match(/AA34|signature/i);
    expect(await snapshot(b.account)).to.deep.equal(before);
  });

  it("refuses expired paymaster data at the bundler, nothing charged", async () => {
    const b = await fundedBurner(1n);
    const before = await snapshot(b.account);
    const op = await draftSponsored(
      cfg,
      b.privateKey,
      buyCalls({ ...stand.d, modelId: BigInt(stand.d.modelId), currency: stand.d.token, price }, b.account),
    );
    const now = Math.min(Math.floor(Date.now() / 1000), (await stand.provider.getBlock("latest"))!.timestamp);
    const err = await rejectedBy(
      b.privateKey,
      await sponsorDirectly(op, POLICY_SIGNER, { validAfter: now - 900, validUntil: now - 300 }),
    );
    expect(err.reason).to.match(/expire|AA32/i);
    expect(await snapshot(b.account)).to.deep.equal(before);
  });

  it("runs the CLI burner flow: aa:burner creates a session key, aa:buy buys with sponsored gas, aa:transfer hands the key to a wallet", async () => {
    const env = {
      HEXS_DEVNET_URL_A: stand.rpcUrl,
      HEXS_DEPLOYMENTS_DIR: path.join(stand.dir, "deployments"),
    };
    const flags = [
      "--network",
      "devnetA",
      "--burner",
      path.join(stand.dir, "burner.json"),
      "--sponsor",
      path.join(stand.dir, "sponsor.json"),
    ];
    const created = await hardhat(["aa:burner", ...flags], env);
    const account = /its smart account is (0x[0-9a-fA-F]{40})/.exec(created)![1];
    expect(fs.statSync(path.join(stand.dir, "burner.json")).mode & 0o777).to.equal(0o600);
    const refused = await hardhat(["aa:buy", ...flags, "--model", stand.d.modelId, "--currency", stand.d.token], env).catch(
      (e: Error) => e,
    );
    expect((refused as Error).message).to.contain(`the burner's account ${account} holds 0`);
    const minter = token().connect(await stand.provider.getSigner(0));
    await (await minter.mint(account, price)).wait();
    const bought = await hardhat(["aa:buy", ...flags, "--model", stand.d.modelId, "--currency", stand.d.token], env);
    const keyId = /key (\d+) \(\d+:\d+\) of model/.exec(bought)![1];
    expect(await stand.provider.getBalance(account)).to.equal(0n);
    expect(await token().balanceOf(account)).to.equal(0n);
    const wallet = devAccount(7).address;
    await hardhat(["aa:transfer", ...flags, "--model", stand.d.modelId, "--key", keyId, "--to", wallet], env);
    expect(await keys().ownerOf(BigInt(keyId))).to.equal(wallet);
  });

  it("has the policy signer refuse another chain's operation (400) and everything while the guardian has paused the paymaster (403)", async () => {
    const b = await fundedBurner(1n);
    const before = await snapshot(b.account);
    const calls = buyCalls({ ...stand.d, modelId: BigInt(stand.d.modelId), currency: stand.d.token, price }, b.account);
    const op = {
      ...(await draftSponsored(cfg, b.privateKey, calls)),
      maxFeePerGas: 3_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
    };
    const other = await requestSponsorship({ ...cfg, chainId: 1n }, op).catch((e: unknown) => e);
    expect(other).to.be.instanceOf(PolicyRefusedError);
    expect((other as PolicyRefusedError).status).to.equal(400);
    expect((other as PolicyRefusedError).reason).to.equal(`chainId 1 is not this sponsor's chain ${stand.d.chainId}`);
    const guardian = paymaster().connect(await stand.provider.getSigner(3));
    await (await guardian.pause()).wait();
    const paused = await requestSponsorship(cfg, op).catch((e: unknown) => e);
    expect(paused).to.be.instanceOf(PolicyRefusedError);
    expect((paused as PolicyRefusedError).status).to.equal(403);
    expect((paused as PolicyRefusedError).reason).to.equal("sponsoring is paused by the guardian");
    expect(await snapshot(b.account)).to.deep.equal(before);
  });

  it("reports the bundler down as BundlerUnreachableError, with nothing charged", async () => {
    const b = await fundedBurner(1n);
    const before = await snapshot(b.account);
    const exited = new Promise<void>((resolve) => stand.alto.proc.once("exit", () => resolve()));
    process.kill(stand.alto.pid, "SIGTERM");
    await exited;
    const err = await buyKeySponsored(cfg, b.privateKey, {
      market: stand.d.market,
      modelId: BigInt(stand.d.modelId),
      currency: stand.d.token,
      price,
    }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(BundlerUnreachableError);
    expect((err as BundlerUnreachableError).code).to.equal("bundler_unreachable");
    expect((err as BundlerUnreachableError).retryable).to.equal(true);
    expect((err as Error).message).to.contain(stand.bundlerUrl);
    expect(await snapshot(b.account)).to.deep.equal(before);
  });
});

// The SDK's sponsored-action client against a bundler that is down, hangs, answers garbage or
// refuses: a clear error with a stable code, and nothing submitted or charged.
import { expect } from "chai";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ethers } from "hardhat";
import { Wallet } from "ethers";
import * as sdk from "../../sdk";
import {
  BundlerClient,
  BundlerUnreachableError,
  createBurner,
  sendSponsored,
  UserOpRejectedError,
  type SponsorConfig,
} from "../../sdk/aa";
import { buyCalls, deployAa } from "../../devnet/hardhat/aa";

// Ports of this helper's range with nothing listening.
const DOWN_BUNDLER = "http://127.0.0.1:18251";
const DOWN_POLICY = "http://127.0.0.1:18252/sponsor";

/** A local HTTP server answering every request with `handler` (a broken bundler). */
async function serve(port: number, handler: http.RequestListener): Promise<http.Server> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return server;
}
const urlOf = (s: http.Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
const close = (s: http.Server) => new Promise<void>((resolve) => s.close(() => resolve()));

describe("sponsored actions SDK (sdk/aa)", () => {
  it("is exported from the SDK barrel as sdk.aa", () => {
    expect(sdk.aa.BundlerClient).to.equal(BundlerClient);
    expect(sdk.aa.BundlerUnreachableError).to.equal(BundlerUnreachableError);
  });

  it("reports a bundler that is down as BundlerUnreachableError and charges nothing", async () => {
    const f = await deployAa();
    const bundler = new BundlerClient(DOWN_BUNDLER, await f.entryPoint.getAddress());
    const err = await bundler.sendUserOperation({} as never).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(BundlerUnreachableError);
    expect((err as BundlerUnreachableError).code).to.equal("bundler_unreachable");
    expect((err as BundlerUnreachableError).retryable).to.equal(true);
    expect((err as Error).message).to.contain(DOWN_BUNDLER);

    const burner = createBurner();
    expect(new Wallet(burner.privateKey).address).to.equal(burner.address);
    const cfg: SponsorConfig = {
      provider: ethers.provider,
      bundler,
      policyUrl: DOWN_POLICY,
      entryPoint: await f.entryPoint.getAddress(),
      factory: String(f.factory.target),
      paymaster: await f.paymaster.getAddress(),
      chainId: f.chainId,
    };
    const account = await f.factory.getFunction("getAddress")(burner.address, 0);
    await (await f.token.mint(account, 10n ** 7n)).wait();
    const deposit = await f.paymaster.getDeposit();
    const sold = await f.p.market.keysSold();
    const e2 = await sendSponsored(cfg, burner.privateKey, await buyCalls(f, account)).catch((e: unknown) => e);
    expect(e2).to.be.instanceOf(BundlerUnreachableError);
    expect(await f.paymaster.getDeposit()).to.equal(deposit);
    expect(await f.p.market.keysSold()).to.equal(sold);
    expect(await f.token.balanceOf(account)).to.equal(10n ** 7n);
    expect(await ethers.provider.getCode(account)).to.equal("0x");
  });

  it("treats a bundler that hangs past the timeout or answers non-JSON as unreachable", async () => {
    const hang = await serve(18253, () => undefined);
    const garbage = await serve(18254, (_req, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<html>Bad Gateway</html>");
    });
    try {
      const slow = new BundlerClient(urlOf(hang), ethers.ZeroAddress, { timeoutMs: 300 });
      const t0 = Date.now();
      const e1 = await slow.supportedEntryPoints().catch((e: unknown) => e);
      expect(e1).to.be.instanceOf(BundlerUnreachableError);
      expect(Date.now() - t0).to.be.lessThan(5_000);
      const e2 = await new BundlerClient(urlOf(garbage), ethers.ZeroAddress).supportedEntryPoints().catch((e: unknown) => e);
      expect(e2).to.be.instanceOf(BundlerUnreachableError);
      expect(((e2 as Error).cause as Error).message).to.contain("HTTP 502");
    } finally {
      hang.closeAllConnections();
      await close(hang);
      await close(garbage);
    }
  });

  it("turns a JSON-RPC error of the bundler into UserOpRejectedError with its code and reason", async () => {
    const refusing = await serve(18255, (req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const { id } = JSON.parse(body) as { id: number };
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32500, message: "AA21 didn't pay prefund" } }));
      });
    });
    try {
      const e = await new BundlerClient(urlOf(refusing), ethers.ZeroAddress).supportedEntryPoints().catch((x: unknown) => x);
      expect(e).to.be.instanceOf(UserOpRejectedError);
      expect((e as UserOpRejectedError).code).to.equal("user_op_rejected");
      expect((e as UserOpRejectedError).rpcCode).to.equal(-32500);
      expect((e as UserOpRejectedError).reason).to.equal("AA21 didn't pay prefund");
      expect((e as UserOpRejectedError).retryable).to.equal(false);
    } finally {
      await close(refusing);
    }
  });
});

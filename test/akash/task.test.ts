// model:deploy: a holder deploys with their own Akash account, through the same pipeline code.
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { buyNative, deployProtocol, publish, setNativePrice, type Protocol } from "../../devnet/hardhat/protocol";
import { setQuiet } from "../../tasks/lib/log";
import { fundAkash, HOLDER_MNEMONIC, SDL_FILE, startEnv, type Env } from "./helpers/env";

describe("model:deploy (self-service, no relayer)", function () {
  this.timeout(120_000);
  let env: Env;
  let p: Protocol;
  let modelId: bigint;
  let mnemonicFile: string;

  before(async () => {
    env = await startEnv();
    p = await deployProtocol();
    const [, , creator] = p.signers;
    ({ modelId } = await publish(p, creator, { content: "self-service" }));
    await setNativePrice(p, creator, modelId, ethers.parseEther("0.01"));
    mnemonicFile = path.join(env.tmpdir, "akash.mnemonic");
    fs.writeFileSync(mnemonicFile, HOLDER_MNEMONIC, { mode: 0o600 });
    setQuiet(true);
  });
  after(async () => {
    setQuiet(false);
    await env.close();
  });

  const args = (o: Record<string, string> = {}) => ({
    model: modelId.toString(),
    akashMnemonicFile: mnemonicFile,
    sdlFile: SDL_FILE,
    from: "5",
    akashRpc: env.standin.rpcUrl,
    akashRest: env.standin.restUrl,
    deposit: "5000000",
    maxPrice: "1000",
    bidWindow: "0.3",
    db: path.join(env.tmpdir, "self.sqlite"),
    timeout: "60",
    ...o,
  });

  it("refuses an account that holds no key of the model", async () => {
    await expect(hre.run("model:deploy", args())).to.be.rejectedWith(/holds no live key/);
  });

  it("a holder opens a lease owned by their own Akash account; running it again resumes, not redeploys", async () => {
    await buyNative(p, p.signers[5], modelId, ethers.parseEther("0.01"));
    const holderAkash = (await env.client(HOLDER_MNEMONIC)).address;
    fundAkash(env, holderAkash);
    const r = (await hre.run("model:deploy", args())) as { dseq: string; provider: string; state: string; owner: string };
    expect(r.owner).to.equal(holderAkash);
    expect(r.state).to.equal("reported");
    expect(env.standin.chain.deployment(holderAkash, r.dseq)?.state).to.equal("active");
    expect(env.standin.chain.leasesOf(holderAkash).filter((l) => l.state === "active")).to.have.length(1);
    expect(env.standin.gateways.get(r.provider)!.manifests.has(`${holderAkash}/${r.dseq}`)).to.equal(true);
    const again = (await hre.run("model:deploy", args())) as { dseq: string };
    expect(again.dseq).to.equal(r.dseq);
    expect(env.standin.chain.deploymentsOf(holderAkash)).to.have.length(1);
  });

  it("says how to fix an unreachable Akash endpoint", async () => {
    await expect(
      hre.run("model:deploy", args({ akashRpc: "http://127.0.0.1:18698", db: path.join(env.tmpdir, "other.sqlite") })),
    ).to.be.rejectedWith(/cannot reach the Akash RPC/);
  });
});

// model:publish --sdl and model:decrypt through Hardhat's task runner, against the real
// contracts and a key service that reads the chain over JSON-RPC.
import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AKASH_FIXTURES } from "../akash-fixtures";
import { setQuiet } from "../../tasks/lib/log";
import { SDL_HELP } from "../../tasks/sdl";
import { buyNative, deployProtocol, setNativePrice, type Protocol } from "../../devnet/hardhat/protocol";
import { evmChain, keyService, serveChain } from "./helpers";

const SDL_FILE = join(__dirname, "fixtures/model-with-credentials.sdl.yaml");
const DIGEST = "sha256:" + "cd".repeat(32);
const PRICE = ethers.parseEther("0.1");

async function taskError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected the task to fail");
}

describe("tasks: model:publish --sdl, model:decrypt", function () {
  let p: Protocol;
  let chain: Awaited<ReturnType<typeof serveChain>>;
  let svc: Awaited<ReturnType<typeof keyService>>;
  let out: string;

  before(async () => {
    setQuiet(true);
    p = await deployProtocol();
    chain = await serveChain();
    svc = await keyService([evmChain(chain.url)]);
    out = mkdtempSync(join(tmpdir(), "hexs-decrypt-"));
  });
  after(async () => {
    setQuiet(false);
    await svc?.close();
    await chain?.close();
    rmSync(out, { recursive: true, force: true });
  });

  const publishSdl = (sdl: string, from = "2") =>
    hre.run("model:publish", { sdl, imageDigest: DIGEST, keyService: svc.url, from }) as Promise<{
      modelId: bigint;
      contentCommitment: string;
    }>;

  it("publish help says registry credentials should be short-lived pull tokens", () => {
    expect(SDL_HELP).to.match(/short-lived pull tokens/);
    expect(hre.tasks["model:publish"].paramDefinitions.sdl.description).to.equal(SDL_HELP);
  });

  it("publishes with --sdl, a holder decrypts with model:decrypt, a non-holder gets a refusal that says what to do", async () => {
    const r = await publishSdl(SDL_FILE);
    const m = await p.registry.model(r.modelId);
    expect(m.sdlLocator).to.match(/^ipfs:\/\/bafkrei[a-z2-7]+#kc=0x[0-9a-f]{64}$/);
    expect(m.contentCommitment).to.equal(r.contentCommitment);
    await setNativePrice(p, p.signers[2], r.modelId, PRICE);
    await buyNative(p, p.signers[4], r.modelId, PRICE);
    const file = join(out, "model.yaml");
    await hre.run("model:decrypt", { model: r.modelId.toString(), out: file, from: "4", keyService: svc.url });
    expect(readFileSync(file, "utf8")).to.equal(readFileSync(SDL_FILE, "utf8"));
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    const msg = await taskError(
      hre.run("model:decrypt", { model: r.modelId.toString(), out: join(out, "x.yaml"), from: "5", keyService: svc.url }),
    );
    expect(msg).to.match(/holds no live key of model .* key:buy/);
    expect(
      await taskError(hre.run("model:decrypt", { model: r.modelId.toString(), out: file, from: "4", keyService: svc.url })),
    ).to.match(/exists; pass --force/);
  });

  it("an invalid SDL is refused before anything is stored or registered, with the fixture's reason", async function () {
    if (!AKASH_FIXTURES) return this.skip(); // shared reference data absent (see test/akash-fixtures.ts)
    const FIXTURES = join(AKASH_FIXTURES, "sdl", "input");
    const before = await p.registryLens.modelCount(p.registry);
    const msg = await taskError(publishSdl(join(FIXTURES, "invalid/port-zero.yaml")));
    expect(msg).to.match(/--sdl .*port-zero\.yaml: .*port-zero\.yaml is invalid .*must be at least 1/s);
    const tee = await taskError(publishSdl(join(FIXTURES, "v2.1/tee-cpu/input.yaml")));
    expect(tee).to.match(/confidential compute .* unsupported/);
    expect(await p.registryLens.modelCount(p.registry)).to.equal(before);
  });
});

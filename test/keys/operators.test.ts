// The relayer operator's grant: the lease pipeline decrypts a model's SDL "as the relayer's
// authorized key". The creator shares the SDL's key with the operator addresses (Lighthouse's
// share, owner only), next to the key-holder conditions: the operator decrypts without holding a
// key, a random account is refused, and only the creator can grant. The creator can revoke an
// operator (and so rotate operators); only the creator can.
import { expect } from "chai";
import { ethers } from "hardhat";
import type { Signer } from "ethers";
import { Wallet } from "ethers";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  decryptForHolder,
  evmHolder,
  grantKeyHolders,
  grantOperators,
  KeyServiceClient,
  localEndpoints,
  revokeOperators,
  sealSdl,
} from "../../sdk/keys";
import type { Holder } from "../../sdk/keys";
import { deployProtocol, eventsOf, publishParams, type Protocol } from "../../devnet/hardhat/protocol";
import { evmChain, keyService, serveChain, refusal } from "./helpers";

const SDL = readFileSync(join(__dirname, "fixtures/model-with-credentials.sdl.yaml"), "utf8");

describe("key service: relayer operators granted by the creator", function () {
  this.timeout(60_000);
  let p: Protocol;
  let chain: { url: string; close(): Promise<void> };
  let svc: Awaited<ReturnType<typeof keyService>>;
  let client: KeyServiceClient;
  let creator: Signer;
  const operator = Wallet.createRandom();
  const random = Wallet.createRandom();
  const holder = async (s: { getAddress(): Promise<string>; signMessage(m: string): Promise<string> }): Promise<Holder> =>
    evmHolder(s, (await s.getAddress()).toLowerCase());

  before(async () => {
    p = await deployProtocol();
    creator = p.signers[2];
    chain = await serveChain();
    svc = await keyService([evmChain(chain.url)]);
    client = new KeyServiceClient(localEndpoints(svc.url));
  });
  after(async () => {
    await svc?.close();
    await chain?.close();
  });

  async function publishModel() {
    const sealed = await sealSdl(client, await holder(creator), SDL, { imageDigest: "0x" + "cd".repeat(32) });
    const params = { ...publishParams(), contentCommitment: sealed.contentCommitment, sdlLocator: sealed.upload.locator };
    const receipt = await (await p.registry.connect(creator).publish(params)).wait();
    const modelId = eventsOf(receipt, p.registry, "ModelPublished")[0].args.modelId as bigint;
    await grantKeyHolders(client, await holder(creator), sealed.upload.locator, {
      evm: [{ chain: "hexs-evm-31337", keyNft: await p.registry.keysOf(modelId) }],
    });
    return sealed.upload.locator;
  }

  it("before the grant the operator (no key) is refused; after it the operator decrypts and a random account is still refused", async () => {
    const locator = await publishModel();
    expect((await refusal(decryptForHolder(client, await holder(operator), locator))).code).to.equal("forbidden");
    await grantOperators(client, await holder(creator), locator, [operator.address]);
    expect((await decryptForHolder(client, await holder(operator), locator)).toString("utf8")).to.equal(SDL);
    const e = await refusal(decryptForHolder(client, await holder(random), locator));
    expect(e.code).to.equal("forbidden");
    expect(e.message).to.match(/does not satisfy the access conditions/);
  });

  it("only the creator (the uploader) can grant operators; bad addresses are refused with the value", async () => {
    const locator = await publishModel();
    const e = await refusal(grantOperators(client, await holder(random), locator, [random.address]));
    expect(e.code).to.equal("forbidden");
    expect(e.message).to.match(/not the owner/);
    expect((await refusal(decryptForHolder(client, await holder(random), locator))).code).to.equal("forbidden");
    const bad = await refusal(grantOperators(client, await holder(creator), locator, ["0x1234"]));
    expect(bad.code).to.equal("bad_request");
    expect(bad.message).to.match(/0x1234/);
    expect(ethers.isAddress(operator.address)).to.equal(true);
  });

  it("the creator revokes an operator: refused from then on, while the other operator and key holders' conditions stay; rotation grants a new one", async () => {
    const locator = await publishModel();
    const other = Wallet.createRandom();
    const next = Wallet.createRandom();
    await grantOperators(client, await holder(creator), locator, [operator.address, other.address]);
    expect((await decryptForHolder(client, await holder(operator), locator)).toString("utf8")).to.equal(SDL);
    await revokeOperators(client, await holder(creator), locator, [operator.address]);
    const e = await refusal(decryptForHolder(client, await holder(operator), locator));
    expect(e.code).to.equal("forbidden");
    expect(e.message).to.match(/does not satisfy the access conditions/);
    expect((await decryptForHolder(client, await holder(other), locator)).toString("utf8")).to.equal(SDL);
    // rotation: the revoked operator's replacement is granted and decrypts
    expect((await refusal(decryptForHolder(client, await holder(next), locator))).code).to.equal("forbidden");
    await grantOperators(client, await holder(creator), locator, [next.address]);
    expect((await decryptForHolder(client, await holder(next), locator)).toString("utf8")).to.equal(SDL);
    expect((await refusal(decryptForHolder(client, await holder(operator), locator))).code).to.equal("forbidden");
  });

  it("only the creator revokes; an empty or malformed list is refused and the grant stays", async () => {
    const locator = await publishModel();
    await grantOperators(client, await holder(creator), locator, [operator.address]);
    const e = await refusal(revokeOperators(client, await holder(random), locator, [operator.address]));
    expect(e.code).to.equal("forbidden");
    expect(e.message).to.match(/not the owner/);
    expect((await refusal(revokeOperators(client, await holder(creator), locator, []))).code).to.equal("bad_request");
    const bad = await refusal(revokeOperators(client, await holder(creator), locator, ["0x1234"]));
    expect(bad.code).to.equal("bad_request");
    expect(bad.message).to.match(/0x1234/);
    expect((await decryptForHolder(client, await holder(operator), locator)).toString("utf8")).to.equal(SDL);
  });
});

// Shared test fixture: the whole protocol deployed by the real hardhat-deploy scripts.
import { deployments, ethers } from "hardhat";
import type { BigNumberish, Signer } from "ethers";
import type { Account, ModelRegisteredBody } from "../../codec";
import { Names } from "../../tasks/lib/protocol";
import { deployHexs } from "../../tasks/lib/deployHexs";
import type {
  DaoFactory,
  ExpiryPlugin,
  AllowlistPlugin,
  HexsMarket,
  HexsRegistry,
  HexsRegistryLens,
  HexsResale,
  HexsTimelock,
  KeyBeacon,
  KeyNFT,
  SoulboundPlugin,
  SupplyCapPlugin,
  TestToken,
} from "../../sdk/typechain";
import type { PluginConfigStruct } from "../../sdk/typechain/contracts/evm/registry/HexsRegistry";

export const NATIVE = ethers.ZeroAddress;

export interface Protocol {
  registry: HexsRegistry;
  /** The registry's views that no contract calls (HexsRegistryLens over its extsload). */
  registryLens: HexsRegistryLens;
  market: HexsMarket;
  timelock: HexsTimelock;
  beacon: KeyBeacon;
  daoFactory: DaoFactory;
  resale: HexsResale;
  plugins: { soulbound: SoulboundPlugin; allowlist: AllowlistPlugin; supplyCap: SupplyCapPlugin; expiry: ExpiryPlugin };
  signers: Signer[];
}

async function at<T>(name: string, contract: string = name): Promise<T> {
  return (await ethers.getContractAt(contract, (await deployments.get(name)).address)) as unknown as T;
}

/** The protocol deployed by the real hardhat-deploy script (cross-chain hub included). */
export const deployProtocol = deployments.createFixture(async (): Promise<Protocol> => {
  await deployments.fixture(["core"]);
  return loadProtocol("");
});

/** A single-chain deployment (no hub: nothing recorded for other chains), e.g. for gas figures. */
export const deploySingleChain = deployments.createFixture(async (hre): Promise<Protocol> => {
  await forgetDeployments("single.");
  await deployHexs(hre, { prefix: "single.", hexsChainId: 1, timelockDelay: 3600, protocolFeeBps: 250, crossChain: false });
  return loadProtocol("single.");
});

/**
 * Drop hardhat-deploy's records of an instance: another fixture's snapshot revert may have
 * removed the contracts while the records stayed, and deployHexs reuses records it finds.
 */
export async function forgetDeployments(prefix: string): Promise<void> {
  for (const name of Object.keys(await deployments.all())) {
    if (name.startsWith(prefix)) await deployments.delete(name);
  }
}

export async function loadProtocol(prefix: string): Promise<Protocol> {
  const get = <T>(name: string) => at<T>(prefix + name, name);
  return {
    registry: await get<HexsRegistry>(Names.registry),
    registryLens: await get<HexsRegistryLens>(Names.registryLens),
    market: await get<HexsMarket>(Names.market),
    timelock: await get<HexsTimelock>(Names.timelock),
    beacon: await get<KeyBeacon>(Names.keyBeacon),
    daoFactory: await get<DaoFactory>(Names.daoFactory),
    resale: await get<HexsResale>(Names.resale),
    plugins: {
      soulbound: await get<SoulboundPlugin>(Names.soulbound),
      allowlist: await get<AllowlistPlugin>(Names.allowlist),
      supplyCap: await get<SupplyCapPlugin>(Names.supplyCap),
      expiry: await get<ExpiryPlugin>(Names.expiry),
    },
    signers: await ethers.getSigners(),
  };
}

export interface ModelOptions {
  forkRoyaltyBps?: number;
  daoBps?: number;
  forkable?: boolean;
  secondaryRoyaltyBps?: number;
  plugins?: PluginConfigStruct[];
  content?: string;
  sdlLocator?: string;
  metadataUri?: string;
}

export function publishParams(o: ModelOptions = {}) {
  return {
    contentCommitment: ethers.id(o.content ?? "encrypted-sdl-v1"),
    sdlLocator: o.sdlLocator ?? "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
    metadataUri: o.metadataUri ?? "ipfs://bafkreimetadata",
    forkRoyaltyBps: o.forkRoyaltyBps ?? 1000,
    daoBps: o.daoBps ?? 0,
    forkable: o.forkable ?? true,
    secondaryRoyaltyBps: o.secondaryRoyaltyBps ?? 500,
    plugins: o.plugins ?? [],
  };
}

/** Publish (or fork, when `parentId` is given) and return the new model's id and collection. */
export async function publish(
  p: Protocol,
  creator: Signer,
  o: ModelOptions & { parentId?: bigint } = {},
): Promise<{ modelId: bigint; keys: KeyNFT }> {
  const params = publishParams(o);
  const tx =
    o.parentId === undefined
      ? await p.registry.connect(creator).publish(params)
      : await p.registry.connect(creator).fork(o.parentId, params);
  const receipt = await tx.wait();
  const log = receipt!.logs
    .map((l) => {
      try {
        return p.registry.interface.parseLog(l);
      } catch {
        return null;
      }
    })
    .find((e) => e?.name === "ModelPublished");
  const modelId = log!.args.modelId as bigint;
  const keys = (await ethers.getContractAt("KeyNFT", await p.registry.keysOf(modelId))) as unknown as KeyNFT;
  return { modelId, keys };
}

export async function setNativePrice(
  p: Protocol,
  creator: Signer,
  modelId: bigint,
  keyPrice: BigNumberish,
  deploymentPrice: BigNumberish = 0n,
) {
  await (await p.registry.connect(creator).setPrice(modelId, NATIVE, keyPrice, deploymentPrice, true)).wait();
}

/** Buy a key in the native coin; returns the key id. */
export async function buyNative(
  p: Protocol,
  buyer: Signer,
  modelId: bigint,
  value: BigNumberish,
  o: { recipient?: string; deploymentParams?: string; pluginData?: string } = {},
): Promise<bigint> {
  const recipient = o.recipient ?? (await buyer.getAddress());
  const keyId = await p.market
    .connect(buyer)
    .buy.staticCall(modelId, NATIVE, recipient, o.deploymentParams ?? "0x", o.pluginData ?? "0x", { value });
  await (
    await p.market.connect(buyer).buy(modelId, NATIVE, recipient, o.deploymentParams ?? "0x", o.pluginData ?? "0x", { value })
  ).wait();
  return keyId;
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the behaviour suites (additive).

/** Every log of `receipt` that `contract` can decode as event `name`. */
export function eventsOf(
  receipt: { logs: ReadonlyArray<{ topics: ReadonlyArray<string>; data: string }> } | null,
  contract: { interface: import("ethers").Interface },
  name: string,
) {
  const out: import("ethers").LogDescription[] = [];
  for (const l of receipt?.logs ?? []) {
    try {
      const parsed = contract.interface.parseLog({ topics: [...l.topics], data: l.data });
      if (parsed && parsed.name === name) out.push(parsed);
    } catch {
      // another contract's event
    }
  }
  return out;
}

/** The timelock as a transaction signer (impersonated and funded), for role-gated setup steps. */
export async function timelockSigner(p: Protocol): Promise<Signer> {
  const address = await p.timelock.getAddress();
  await ethers.provider.send("hardhat_setBalance", [address, "0x56BC75E2D63100000"]); // 100 ETH
  return ethers.getImpersonatedSigner(address);
}

/** Deploy the test ERC-20 and (optionally) have the market accept it. */
export async function deployTestToken(p: Protocol, accept = true): Promise<TestToken> {
  const token = (await (await ethers.getContractFactory("TestToken")).deploy()) as unknown as TestToken;
  await token.waitForDeployment();
  if (accept) {
    await (await p.market.connect(await timelockSigner(p)).setAcceptedToken(await token.getAddress(), true)).wait();
  }
  return token;
}

/** Schedule `data` on `target` through the timelock (deployer proposes), wait the delay, execute. */
export async function throughTimelock(p: Protocol, target: string, data: string, salt = ethers.ZeroHash) {
  const proposer = p.signers[0];
  const delay = await p.timelock.getMinDelay();
  await (await p.timelock.connect(proposer).schedule(target, 0, data, ethers.ZeroHash, salt, delay)).wait();
  await ethers.provider.send("evm_increaseTime", [Number(delay)]);
  await ethers.provider.send("evm_mine", []);
  return p.timelock.connect(p.signers[0]).execute(target, 0, data, ethers.ZeroHash, salt);
}

/**
 * The body of a root model's ModelRegistered as a peer chain would send it: not soul-bound,
 * forkable, keys that never expire, forks owe it 10 %; `over` changes any field.
 */
export function rootModelRegistered(
  modelId: bigint,
  creator: Account,
  over: Partial<ModelRegisteredBody> = {},
): ModelRegisteredBody {
  return {
    modelId,
    parentId: 0n,
    creator,
    contentCommitment: ethers.id(`model-${modelId}`),
    parentCommitment: ethers.ZeroHash,
    soulbound: false,
    forkable: true,
    keyDuration: 0n,
    upstreamBps: 0,
    daoBps: 0,
    forkRoyaltyBps: 1000,
    resaleRoyaltyBps: 0,
    sdlLocator: "",
    metadataUri: "",
    ...over,
  };
}

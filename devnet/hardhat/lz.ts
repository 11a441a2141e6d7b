// Two Hexs chains (1 and 2) on the in-process Hardhat network, each with its own REAL LayerZero
// EndpointV2 + SimpleMessageLib (deployed from LayerZero's prebuilt artifacts), wired both ways
// with the same plan `lz:wire` applies, and a dev executor per direction. Used by the gas bench
// and by the in-process LayerZero tests; the two-node test runs the same path on two nodes.
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Signer } from "ethers";
import { deployHexs, type HexsAddresses } from "../../tasks/lib/deployHexs";
import { planWire } from "../../sdk/bridge";
import { deployLzEndpoint, LzExecutor, useMessageLibFor, type LzEndpointDeployment } from "../lz";
import { HexsHub__factory, HexsHubLens__factory, HexsLzBridge__factory, HexsRegistry__factory } from "../../sdk/typechain";
import type { HexsHub, HexsHubLens, HexsLzBridge } from "../../sdk/typechain";

export const CHAIN_A = 1;
export const CHAIN_B = 2;
export const EID_A = 40101;
export const EID_B = 40102;

export interface LzChain {
  chainId: number;
  eid: number;
  lz: LzEndpointDeployment;
  addresses: HexsAddresses;
  hub: HexsHub;
  lens: HexsHubLens;
  bridge: HexsLzBridge;
}

export interface InProcessLz {
  a: LzChain;
  b: LzChain;
  aToB: LzExecutor;
  bToA: LzExecutor;
  executor: Signer;
}

/** Receiving contracts' interfaces, so executor failures name the hub's errors. */
export function hexsErrorInterfaces() {
  return [HexsHub__factory.createInterface(), HexsLzBridge__factory.createInterface(), HexsRegistry__factory.createInterface()];
}

export async function deployInProcessLz(
  hre: HardhatRuntimeEnvironment,
  o: { prefix?: string; executorIndex?: number; relayers?: string[]; threshold?: number } = {},
): Promise<InProcessLz> {
  const { ethers, deployments } = hre;
  const signers = await ethers.getSigners();
  const owner = signers[0];
  const executor = signers[o.executorIndex ?? 19];
  const prefix = o.prefix ?? "lz.";
  const chain = async (name: string, chainId: number, eid: number): Promise<LzChain> => {
    for (const n of Object.keys(await deployments.all())) if (n.startsWith(prefix + name)) await deployments.delete(n);
    const lz = await deployLzEndpoint(owner, eid, await executor.getAddress());
    const addresses = await deployHexs(hre, {
      prefix: `${prefix}${name}`,
      hexsChainId: chainId,
      timelockDelay: 3600,
      protocolFeeBps: 250,
      lzEndpoint: lz.endpoint,
      relayers: o.relayers,
      threshold: o.threshold,
      devnet: true,
      skipHandover: true,
    });
    return {
      chainId,
      eid,
      lz,
      addresses,
      hub: HexsHub__factory.connect(addresses.hub, owner),
      lens: HexsHubLens__factory.connect(addresses.hubLens, owner),
      bridge: HexsLzBridge__factory.connect(addresses.lzBridge, owner),
    };
  };
  const a = await chain("A.", CHAIN_A, EID_A);
  const b = await chain("B.", CHAIN_B, EID_B);
  await useMessageLibFor(owner, a.lz, [EID_B]);
  await useMessageLibFor(owner, b.lz, [EID_A]);
  for (const [self, peer] of [
    [a, b],
    [b, a],
  ] as const) {
    const plan = await planWire(self.hub, self.lens, self.bridge, [
      { chainId: peer.chainId, eid: peer.eid, bridge: peer.addresses.lzBridge, payoutBindings: peer.addresses.payoutBindings },
    ]);
    for (const act of plan) await (await owner.sendTransaction({ to: act.target, data: act.data })).wait();
  }
  const errorInterfaces = hexsErrorInterfaces();
  const provider = ethers.provider;
  const mk = (src: LzChain, dst: LzChain) =>
    new LzExecutor({
      source: { provider, endpoint: src.lz.endpoint, eid: src.eid },
      destination: { signer: executor, endpoint: dst.lz.endpoint, messageLib: dst.lz.messageLib, eid: dst.eid },
      receivers: [dst.addresses.lzBridge],
      errorInterfaces,
    });
  return { a, b, aToB: mk(a, b), bToA: mk(b, a), executor };
}

// Deploy and configure the real LayerZero EndpointV2 with SimpleMessageLib on a dev chain
// (the two-node devnet, tests, the gas bench). SimpleMessageLib verifies nothing: its
// `validatePacket` is restricted to one whitelisted caller (the dev executor).
import { Contract, ContractFactory, type Signer } from "ethers";
import { endpointV2Artifact, simpleMessageLibArtifact } from "./artifacts";

export interface LzEndpointDeployment {
  eid: number;
  endpoint: string;
  messageLib: string;
  /** The only account SimpleMessageLib lets call validatePacket. */
  executor: string;
}

/** SimpleMessageLib's default native fee per send (wei); a send must pay exactly the quote. */
export const SIMPLE_MESSAGE_LIB_FEE = 100n;

export async function deployLzEndpoint(
  owner: Signer,
  eid: number,
  executor: string,
  treasury?: string,
): Promise<LzEndpointDeployment> {
  const me = await owner.getAddress();
  const ep = endpointV2Artifact();
  const lib = simpleMessageLibArtifact();
  const endpoint = await new ContractFactory(ep.abi, ep.bytecode, owner).deploy(eid, me);
  await endpoint.waitForDeployment();
  const endpointAddress = await endpoint.getAddress();
  const messageLib = await new ContractFactory(lib.abi, lib.bytecode, owner).deploy(endpointAddress, treasury ?? me);
  await messageLib.waitForDeployment();
  const messageLibAddress = await messageLib.getAddress();
  const e = new Contract(endpointAddress, ep.abi, owner);
  const l = new Contract(messageLibAddress, lib.abi, owner);
  await (await e.getFunction("registerLibrary")(messageLibAddress)).wait();
  await (await l.getFunction("setWhitelistCaller")(executor)).wait();
  return { eid, endpoint: endpointAddress, messageLib: messageLibAddress, executor };
}

/** Make SimpleMessageLib the endpoint's default send and receive library toward each remote eid. */
export async function useMessageLibFor(owner: Signer, d: LzEndpointDeployment, remoteEids: readonly number[]): Promise<void> {
  const e = new Contract(d.endpoint, endpointV2Artifact().abi, owner);
  for (const remote of remoteEids) {
    if ((await e.getFunction("defaultSendLibrary")(remote)) !== d.messageLib) {
      await (await e.getFunction("setDefaultSendLibrary")(remote, d.messageLib)).wait();
    }
    if ((await e.getFunction("defaultReceiveLibrary")(remote)) !== d.messageLib) {
      await (await e.getFunction("setDefaultReceiveLibrary")(remote, d.messageLib, 0)).wait();
    }
  }
}

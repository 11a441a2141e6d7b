// LayerZero's own builds of EndpointV2 and SimpleMessageLib, as shipped in the npm package
// (solc 0.8.22, OpenZeppelin 4.x). They are deployed from these artifacts, never compiled here:
// their sources need OZ 4 while the Hexs contracts use OZ 5.
import fs from "node:fs";
import { Interface, type InterfaceAbi } from "ethers";

export interface LzArtifact {
  contractName: string;
  abi: InterfaceAbi;
  bytecode: string;
}

const cache = new Map<string, LzArtifact>();

function load(rel: string): LzArtifact {
  const hit = cache.get(rel);
  if (hit) return hit;
  const file = require.resolve(`@layerzerolabs/lz-evm-protocol-v2/artifacts/contracts/${rel}`);
  const a = JSON.parse(fs.readFileSync(file, "utf8")) as LzArtifact;
  cache.set(rel, a);
  return a;
}

export const endpointV2Artifact = (): LzArtifact => load("EndpointV2.sol/EndpointV2.json");
export const simpleMessageLibArtifact = (): LzArtifact => load("messagelib/SimpleMessageLib.sol/SimpleMessageLib.json");

export const endpointInterface = (): Interface => new Interface(endpointV2Artifact().abi);
export const messageLibInterface = (): Interface => new Interface(simpleMessageLibArtifact().abi);

/** Every custom error of the endpoint and the message library, deduplicated (for revert decoding). */
export function lzErrorInterface(extra: readonly Interface[] = []): Interface {
  const seen = new Set<string>();
  const frags: string[] = [];
  for (const iface of [endpointInterface(), messageLibInterface(), ...extra]) {
    iface.forEachError((e) => {
      const sig = e.format("full");
      const key = e.format("sighash");
      if (!seen.has(key)) {
        seen.add(key);
        frags.push(sig);
      }
    });
  }
  return new Interface(frags);
}

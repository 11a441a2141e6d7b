// The content commitment a model registers: HexsRegistry.commitment(encryptedSdlHash, imageDigest)
// = keccak256(abi.encode(bytes32, bytes32)). encryptedSdlHash is sha256 of the encrypted bytes,
// which is also the digest inside the file's CIDv1 — anyone can check the CID against the chain.
import { AbiCoder, keccak256 } from "ethers";
import { refuse } from "./errors";

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

export function contentCommitment(encryptedSdlSha256: string, imageDigest: string): string {
  for (const [name, v] of [
    ["encrypted SDL hash", encryptedSdlSha256],
    ["image digest", imageDigest],
  ] as const) {
    if (!BYTES32.test(v)) refuse("bad_request", `${name} '${v}' is not 0x + 64 hex`);
  }
  return keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32"], [encryptedSdlSha256, imageDigest]));
}

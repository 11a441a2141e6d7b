// Checks several actions share: the model exists, the signer created it.
import type { Signer } from "ethers";
import type { HexsContracts } from "../contracts";
import { formatId } from "../ids";
import { NotAllowedError, NotFoundError } from "./errors";

/** Fail unless `modelId` exists on this chain; returns its creator. */
export async function requireModel(c: HexsContracts, modelId: bigint): Promise<string> {
  if (!(await c.registry.exists(modelId))) {
    const count = await c.registry.modelCount();
    const chain = await c.registry.chainId();
    const range = count === 0n ? "it has no models yet" : `its models are ${chain}:1 … ${chain}:${count}`;
    throw new NotFoundError(
      `unknown model ${formatId(modelId)} on network '${c.chain.name}': ${range}. Check --model (publish one with model:publish).`,
    );
  }
  return c.registry.creatorOf(modelId);
}

/**
 * Fail unless `signer` created `modelId` — or, with `orPayout`, is the payout address the
 * creator bound for this chain (how a creator from another chain family acts here).
 */
export async function requireCreator(c: HexsContracts, modelId: bigint, signer: Signer, orPayout = false): Promise<void> {
  const creator = await requireModel(c, modelId);
  const me = await signer.getAddress();
  if (creator === me || (orPayout && (await c.registry.payoutOf(creator)) === me)) return;
  const alt = orPayout ? " or its bound payout address" : "";
  throw new NotAllowedError(
    `not the creator${alt}: model ${formatId(modelId)} was created by ${creator}, but this task signs as ${me}. Use --from with the creator's account${alt}.`,
  );
}

// Checks several actions share: the model exists, the signer created it, the chain has PayoutBindings.
import type { Signer } from "ethers";
import type { HexsContracts } from "../contracts";
import type { PayoutBindings } from "../typechain";
import { formatId } from "../ids";
import { NotAllowedError, NotFoundError } from "./errors";

/** Fail unless `modelId` exists on this chain; returns its creator. */
export async function requireModel(c: HexsContracts, modelId: bigint): Promise<string> {
  const registry = await c.registry.getAddress();
  if (!(await c.registryLens.exists(registry, modelId))) {
    const count = await c.registryLens.modelCount(registry);
    const chain = await c.registry.chainId();
    const range = count === 0n ? "it has no models yet" : `its models are ${chain}:1 … ${chain}:${count}`;
    throw new NotFoundError(
      `unknown model ${formatId(modelId)} on network '${c.chain.name}': ${range}. Check --model (publish one with model:publish).`,
    );
  }
  return c.registry.creatorOf(modelId);
}

/** Fail unless `signer` created `modelId` (a payout binding gives its address no model rights). */
export async function requireCreator(c: HexsContracts, modelId: bigint, signer: Signer): Promise<void> {
  const creator = await requireModel(c, modelId);
  const me = await signer.getAddress();
  if (creator === me) return;
  throw new NotAllowedError(
    `not the creator: model ${formatId(modelId)} was created by ${creator}, but this task signs as ${me}. Use --from with the creator's account.`,
  );
}

/** The chain's PayoutBindings (payout bindings and signed price orders), or a clear error. */
export function requirePayoutBindings(c: HexsContracts, what: string): PayoutBindings {
  if (!c.hub || !c.payoutBindings)
    throw new NotFoundError(
      `network '${c.chain.name}' has no HexsHub or PayoutBindings: ${what} need the cross-chain deployment`,
    );
  return c.payoutBindings;
}

// A buyer's deployment request (HexsMarket.buy's `deploymentParams`, opaque to the contracts)
// and the relayer's lease policy; what the pipeline applies is their intersection.
import { z } from "zod";
import { decToAtomics } from "../../sdk/akash/dec";

const decimal = z.string().regex(/^\d+(\.\d{1,18})?$/, "a decimal amount like '12.5'");

export const DeploymentParamsSchema = z.object({
  v: z.literal(1),
  /** highest acceptable bid, uact per block */
  maxPricePerBlockUact: decimal.optional(),
  /** only these providers (bech32) */
  providers: z
    .array(z.string().regex(/^akash1[0-9a-z]{38,58}$/))
    .max(32)
    .optional(),
  /** provider attributes the buyer requires, e.g. { region: "us-west" } */
  attributes: z.record(z.string().max(64), z.string().max(128)).optional(),
});
export type DeploymentParams = z.infer<typeof DeploymentParamsSchema>;

/** The bytes a buyer passes as deploymentParams (UTF-8 JSON), as 0x-hex. */
export function encodeDeploymentParams(p: DeploymentParams): string {
  return `0x${Buffer.from(JSON.stringify(DeploymentParamsSchema.parse(p)), "utf8").toString("hex")}`;
}

/**
 * Decode deploymentParams. Non-empty bytes that are not our JSON still mean "deploy, with the
 * relayer's defaults" (the contract only knows non-empty = deployment requested).
 */
export function decodeDeploymentParams(hexOrBytes: string | Uint8Array): { params: DeploymentParams; warning?: string } {
  const bytes = typeof hexOrBytes === "string" ? Buffer.from(hexOrBytes.replace(/^0x/, ""), "hex") : Buffer.from(hexOrBytes);
  try {
    const json: unknown = JSON.parse(bytes.toString("utf8"));
    // key:buy --deploy-params takes free-form JSON such as {"region":"eu","maxUact":"1000"}
    if (json && typeof json === "object" && !Array.isArray(json) && !("v" in json)) {
      const o = json as Record<string, unknown>;
      const attributes = {
        ...(o.attributes as Record<string, string> | undefined),
        ...(typeof o.region === "string" ? { region: o.region } : {}),
      };
      return {
        params: DeploymentParamsSchema.parse({
          v: 1,
          maxPricePerBlockUact: o.maxPricePerBlockUact ?? o.maxUact,
          providers: o.providers,
          attributes: Object.keys(attributes).length ? attributes : undefined,
        }),
      };
    }
    return { params: DeploymentParamsSchema.parse(json) };
  } catch (e) {
    return {
      params: { v: 1 },
      warning: `deploymentParams are not Hexs v1 JSON (${(e as Error).message.slice(0, 120)}); using the relayer's defaults`,
    };
  }
}

export const LeasePolicySchema = z.object({
  /** providers the operator trusts; empty = any */
  providerAllowlist: z.array(z.string()).default([]),
  /** the operator's cap, uact per block */
  maxPricePerBlockUact: decimal.default("1000"),
  /** attributes every chosen provider must have */
  requiredAttributes: z.record(z.string(), z.string()).default({}),
  /** deployment deposit, uact */
  depositUact: z.coerce.bigint().default(5_000_000n),
  /** how long to collect bids after the deployment is created */
  bidWindowMs: z.number().int().positive().default(60_000),
  /** poll interval while waiting for bids / txs */
  pollMs: z.number().int().positive().default(1_000),
  /** transient failures tolerated per lease step before giving up (close + refund) */
  maxAttempts: z.number().int().positive().default(8),
  backoffBaseMs: z.number().int().positive().default(1_000),
  backoffMaxMs: z.number().int().positive().default(60_000),
  /** a broadcast tx not seen in a block after this long is broadcast again (same dseq: safe) */
  txTimeoutMs: z.number().int().positive().default(60_000),
});
export type LeasePolicy = z.infer<typeof LeasePolicySchema>;
export type LeasePolicyInput = z.input<typeof LeasePolicySchema>;

export interface EffectivePolicy {
  providers: string[] | null;
  maxPriceAtomics: bigint;
  attributes: Record<string, string>;
}

/** Operator policy ∩ buyer request: providers both allow, the lower cap, all attributes. */
export function effectivePolicy(policy: LeasePolicy, params: DeploymentParams): EffectivePolicy {
  const op = policy.providerAllowlist.length ? policy.providerAllowlist : null;
  const buyer = params.providers?.length ? params.providers : null;
  const providers = op && buyer ? op.filter((p) => buyer.includes(p)) : (op ?? buyer);
  const opCap = decToAtomics(policy.maxPricePerBlockUact);
  const buyerCap = params.maxPricePerBlockUact ? decToAtomics(params.maxPricePerBlockUact) : opCap;
  return {
    providers,
    maxPriceAtomics: buyerCap < opCap ? buyerCap : opCap,
    attributes: { ...policy.requiredAttributes, ...(params.attributes ?? {}) },
  };
}

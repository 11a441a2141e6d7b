// The relayer config's optional `akash` section: when present, the relayer process also feeds
// settled purchases that asked for a deployment (EVM market `Purchased`, CosmWasm
// `PurchaseSettled`), DAO `InfrastructureFunded` spends and key expiry into the persisted lease
// pipeline, and reports outcomes as LeaseReported messages on the Akash lanes.
//
//   akash:
//     hexsChainId: 900                     # the Akash lane's Hexs chain id (LeaseReported source)
//     role: leader                         # leader: runs the pipeline; cosigner: only checks and signs reports
//     rpc: http://127.0.0.1:18600          # CometBFT RPC of Akash (the stand-in on the devnet)
//     rest: http://127.0.0.1:18601         # gRPC-gateway REST of Akash
//     mnemonic: { file: akash.mnemonic }   # leader only: the account that pays deposits (uact) and fees (uakt)
//     db: akash.sqlite                     # lease jobs, dseq counters, feed cursors, lane reports (or postgres://…)
//     keyService: http://127.0.0.1:18500   # decrypt SDLs as the operator key (granted by the creator); co-signers too
//     purchases:                           # purchase chains (chains[] names): read by leaders, checked by cosigners
//       - { chain: a, market: "0x…" }     #   EVM: the HexsMarket address; CosmWasm: the chain's contract
//       - { chain: wasm }
//     leaders: [akash1…]                   # cosigners: Akash accounts whose reports they check and sign
//     report: { mode: attested, minCosigners: 1, refundsPerHour: 20 }
//     topups: { receiver: "0x…", rates: { "0x0000…0000": { uactNumerator: "2000000000", unitDenominator: "1000000000000000000" } },
//               capPerModelPerHour: { deposits: 6, uact: "100000000" } }   # spends count only from governors of
//                                                  # purchases[].daoFactory, with the transfer in the same receipt
import * as path from "node:path";
import { z } from "zod";
import { LeasePolicySchema } from "./params";
import { storeSpec } from "../store";

const url = z.string().regex(/^https?:\/\/[^\s]+$/, "expected an http(s):// URL");
const evmAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte EVM address");
const akashAddress = z.string().regex(/^akash1[02-9ac-hj-np-z]{38,58}$/, "expected an akash1… account address");
const keySource = z.union([z.object({ env: z.string().min(1) }).strict(), z.object({ file: z.string().min(1) }).strict()]);
const uint = z.union([z.string().regex(/^\d+$/), z.number().int().min(0)]).transform((v) => BigInt(v));

export const akashSectionSchema = z
  .object({
    hexsChainId: z.number().int().min(1).max(0xffffffff).default(900),
    role: z.enum(["leader", "cosigner"]).default("leader"),
    rpc: url,
    rest: url,
    /** checked against the node at start when given */
    chainId: z.string().min(1).optional(),
    gasPrice: z
      .string()
      .regex(/^\d+(\.\d+)?uakt$/, "fees are paid in uakt, e.g. 0.025uakt")
      .default("0.025uakt"),
    mnemonic: keySource.optional(),
    /** the lease database: a SQLite file (relative to the config) or a postgres:// URL (a leader shared with the queue's PostgreSQL) */
    db: z.string().min(1).default("akash.sqlite"),
    /** key service base URL: the pipeline decrypts SDLs as the operator key */
    keyService: url.optional(),
    /** instead of a key service: one plaintext SDL file per model, `<dir>/<modelId>.yaml` (devnets) */
    sdlDir: z.string().min(1).optional(),
    purchases: z
      .array(
        z
          .object({
            chain: z.string().min(1),
            /** EVM: the HexsMarket proxy */
            market: evmAddress.optional(),
            /** first height to scan when no cursor is stored (default: the chain's startBlock/startHeight) */
            from: z.number().int().min(0).optional(),
            /** EVM, leaders with top-ups: the DaoFactory whose governors' InfrastructureFunded spends count */
            daoFactory: evmAddress.optional(),
          })
          .strict(),
      )
      .default([]),
    /** cosigners: the leaders' Akash accounts (deployment owners) whose reports they check */
    leaders: z.array(akashAddress).default([]),
    policy: LeasePolicySchema.partial().default({}),
    report: z
      .object({
        /** attested: LeaseReported on the Akash lane (M-of-N); direct: HexsMarket.resolveDeployment with LEASE_REPORTER_ROLE */
        mode: z.enum(["attested", "direct"]).default("attested"),
        /** peers that must accept a report before it counts as handed over */
        minCosigners: z.number().int().min(0).max(32).default(1),
        /** refunds (ok = false) signed per lane and rolling hour; more wait for the next window */
        refundsPerHour: z.number().int().min(0).default(20),
        /** direct mode: who is paid the escrow of a successful lease (default the chain's submitter address) */
        payee: evmAddress.optional(),
      })
      .strict()
      .default({ mode: "attested", minCosigners: 1, refundsPerHour: 20 }),
    topups: z
      .object({
        /** our receiving address for DAO infrastructure spends (default the operator.submitterKey address) */
        receiver: evmAddress.optional(),
        /** our bech32 address on the Cosmos purchase chains: the `to` of the Hexs contract's FundInfrastructure */
        cosmosReceiver: z
          .string()
          .regex(/^[a-z]{1,20}1[02-9ac-hj-np-z]{38,58}$/, "a bech32 account address")
          .optional(),
        /** currency (EVM: 0x address, lower case, 0x000…0 = native; Cosmos: the denom) → uact per smallest unit, as a ratio */
        rates: z.record(z.string(), z.object({ uactNumerator: uint, unitDenominator: uint }).strict()).default({}),
        /** per model and rolling hour: at most `deposits` top-ups and `uact` in total (more are refused) */
        capPerModelPerHour: z
          .object({ deposits: z.number().int().min(0).default(6), uact: uint.default(100_000_000n) })
          .strict()
          .default({ deposits: 6, uact: 100_000_000n }),
      })
      .strict()
      .optional(),
    /**
     * leaders: pay the value of a failed handover's returned escrow to the new holder on their
     * chain (relayer/akash/payouts.ts). Unset: the escrow is recorded as owed and not paid.
     */
    payouts: z
      .object({
        /**
         * by purchase chain name: what is paid there. An EVM chain: an address, 0x000…0 = the
         * native coin, else an ERC-20. The CosmWasm chain: a bank denom (e.g. "ustake"), sent from
         * the operator's account there (the chain's submitter key, or `key`) to Cosmos holders.
         */
        currency: z.record(
          z.string(),
          z
            .string()
            .regex(
              /^(0x[0-9a-fA-F]{40}|[a-zA-Z][a-zA-Z0-9/:._-]{2,127})$/,
              "expected a 0x-prefixed 20-byte EVM address (EVM chain) or a bank denom such as ustake (CosmWasm chain)",
            ),
        ),
        /** currency (lower case) → uact per smallest unit, as a ratio (the top-up rates' form) */
        rates: z.record(z.string(), z.object({ uactNumerator: uint, unitDenominator: uint }).strict()),
        /** the paying account's key (default the chain's submitter key; a key of its own avoids nonce races with deliveries) */
        key: keySource.optional(),
        /** blocks a sent payout may stay unmined before it is re-signed with doubled fees */
        stuckBlocks: z
          .number()
          .int("a whole number of blocks")
          .min(1, "at least 1 block (a payout is replaced only after it stayed unmined that long)")
          .max(100_000, "at most 100000 blocks")
          .default(20),
        /** how many times one payout's fees may be doubled (0: never replaced; 8: at most 256×) */
        maxFeeBumps: z
          .number()
          .int("a whole number of fee doublings")
          .min(0, "at least 0 (0: a stuck payout is never replaced)")
          .max(8, "at most 8 doublings (256× the first fees)")
          .default(4),
      })
      .strict()
      .optional(),
    pollMs: z.number().int().min(10).default(1000),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.purchases.length)
      ctx.addIssue({
        code: "custom",
        path: ["purchases"],
        message: "name at least one purchase chain (leader: whose purchases it serves; cosigner: whose reports it checks)",
      });
    if (!c.keyService && !c.sdlDir)
      ctx.addIssue({
        code: "custom",
        path: ["keyService"],
        message:
          c.role === "leader"
            ? "required for role leader: where the pipeline decrypts SDLs (or sdlDir for plaintext devnet SDLs)"
            : "required for role cosigner: a lease's manifest is checked against the model's SDL, decrypted as this operator (or sdlDir for plaintext devnet SDLs)",
      });
    for (const [chain, currency] of Object.entries(c.payouts?.currency ?? {})) {
      if (!c.purchases.some((p) => p.chain === chain))
        ctx.addIssue({ code: "custom", path: ["payouts", "currency", chain], message: `${chain} is not one of akash.purchases` });
      const rate = c.payouts!.rates[currency.toLowerCase()];
      if (!rate || rate.uactNumerator === 0n || rate.unitDenominator === 0n)
        ctx.addIssue({
          code: "custom",
          path: ["payouts", "rates"],
          message: `no non-zero rate for ${currency.toLowerCase()}, the payout currency of ${chain}`,
        });
    }
    if (c.role === "leader") {
      if (!c.mnemonic)
        ctx.addIssue({
          code: "custom",
          path: ["mnemonic"],
          message: "required for role leader (the Akash account that opens the leases)",
        });
    } else if (!c.leaders.length)
      ctx.addIssue({
        code: "custom",
        path: ["leaders"],
        message: "required for role cosigner: the Akash accounts whose lease reports it checks",
      });
  });

export type AkashSection = z.infer<typeof akashSectionSchema>;

/** Resolve the section's relative paths against the config file's folder. */
export function resolveAkashPaths(a: AkashSection, dir: string): void {
  if (a.db !== ":memory:" && "sqlite" in storeSpec(a.db)) a.db = path.resolve(dir, a.db);
  if (a.sdlDir) a.sdlDir = path.resolve(dir, a.sdlDir);
  if (a.mnemonic && "file" in a.mnemonic) a.mnemonic = { file: path.resolve(dir, a.mnemonic.file) };
}

// Run the API gateway from a JSON config:
//   npx ts-node --transpile-only services/api-gateway/cli.ts --config gateway.json [--port N]
// {
//   "port": 18090,
//   "models": { "4294967297": { "upstream": "http://127.0.0.1:18080" } },
//   "chains": [{ "name": "hexs-evm-31401", "kind": "evm", "rpcUrl": "http://127.0.0.1:8545", "chainId": 31401, "registry": "0x…" },
//              { "name": "hexs-wasm-…", "kind": "cosmwasm", "rpcUrl": "http://127.0.0.1:26657", "contract": "wasm1…" }],
//   "nonceDb": ".devnet/api-gateway/nonces.sqlite",
//   "upstreamTimeoutMs": 30000,
//   "accessCacheMs": 0,
//   "x402": { "chain": "hexs-evm-31401", "apiPayments": "0x…", "asset": "0x… (EIP-3009 stablecoin)",
//             "quoteTtlSeconds": 300, "paymentsDb": ".devnet/api-gateway/payments.sqlite", "sweepEveryMs": 60000,
//             "batcher": "0x… (X402SettlementBatcher)", "settleBatchMax": 32 },
//   "vouchers": { "chain": "hexs-evm-31401", "apiPayments": "0x…", "asset": "0x…", "maxUnsettledPerPayer": "5000000",
//                 "settleEveryMs": 60000, "vouchersDb": ".devnet/api-gateway/vouchers.sqlite" }
// }
// The x402 facilitator's private key comes from HEXS_X402_FACILITATOR_KEY (or x402.facilitatorKey);
// that account pays settlement gas and never holds revenue (payments go straight to each model's sink).
// The voucher gateway account's key (prepaid calls: vouchers name it, it redeems them) comes from
// HEXS_VOUCHER_GATEWAY_KEY (or vouchers.gatewayKey).
import { readFileSync } from "node:fs";
import { z } from "zod";
import { startGateway, type GatewayConfig } from "./gateway";

const Url = z.string().url();
const Config = z.object({
  port: z.number().int().min(0).max(65535).optional(),
  models: z.record(z.string().regex(/^\d{1,20}$/, "model ids are decimal"), z.object({ upstream: Url })),
  chains: z.array(
    z.discriminatedUnion("kind", [
      z.object({
        name: z.string().min(1),
        kind: z.literal("evm"),
        rpcUrl: Url,
        chainId: z.number().int().positive(),
        registry: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
      }),
      z.object({ name: z.string().min(1), kind: z.literal("cosmwasm"), rpcUrl: Url, contract: z.string().min(1) }),
    ]),
  ),
  nonceDb: z.string().optional(),
  upstreamTimeoutMs: z.number().int().positive().optional(),
  accessCacheMs: z.number().int().min(0).optional(),
  adminToken: z.string().min(16).optional(),
  x402: z
    .object({
      chain: z.string().min(1),
      apiPayments: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
      asset: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
      facilitatorKey: z
        .string()
        .regex(/^0x[0-9a-fA-F]{64}$/)
        .optional(),
      quoteTtlSeconds: z.number().int().min(10).max(3600).optional(),
      quoteSecret: z
        .string()
        .regex(/^(0x)?[0-9a-fA-F]{64}$/)
        .optional(),
      paymentsDb: z.string().optional(),
      defaultMaxTokens: z.number().int().positive().optional(),
      sweepEveryMs: z.number().int().min(0).optional(),
      pollingMs: z.number().int().min(1).optional(),
      codeCacheMs: z.number().int().min(0).optional(),
      fastVerify: z.boolean().optional(),
      balanceRefreshMs: z.number().int().min(0).optional(),
      fastMaxUnsettledCalls: z.number().int().min(0).optional(),
      settleInWorker: z.boolean().optional(),
      settleNice: z.number().int().min(0).max(19).optional(),
      batcher: z
        .string()
        .regex(/^0x[0-9a-fA-F]{40}$/)
        .optional(),
      settleBatchMax: z.number().int().min(1).max(256).optional(),
      reconcileLookbackBlocks: z.number().int().min(1).optional(),
    })
    .optional(),
  vouchers: z
    .object({
      chain: z.string().min(1),
      apiPayments: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
      asset: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
      gatewayKey: z
        .string()
        .regex(/^0x[0-9a-fA-F]{64}$/)
        .optional(),
      maxUnsettledPerPayer: z.string().regex(/^[1-9]\d{0,28}$/, "a positive integer (smallest unit), as a string"),
      settleEveryMs: z.number().int().min(0).optional(),
      redeemBackoffMs: z.number().int().min(0).optional(),
      maxRedeemBackoffMs: z.number().int().min(0).optional(),
      settleAtHalfCap: z.boolean().optional(),
      maxBatch: z.number().int().min(1).max(500).optional(),
      minVoucherLifetimeSeconds: z.number().int().min(60).optional(),
      channelCacheMs: z.number().int().min(0).max(3_600_000).optional(),
      vouchersDb: z.string().optional(),
      defaultMaxTokens: z.number().int().positive().optional(),
      pollingMs: z.number().int().min(1).optional(),
    })
    .optional(),
});

export function parseGatewayConfig(json: unknown): GatewayConfig {
  const r = Config.safeParse(json);
  if (!r.success)
    throw new Error(
      `bad gateway config: ${r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
    );
  const { x402, vouchers, ...base } = r.data;
  let rest: GatewayConfig = base;
  const adminToken = base.adminToken ?? process.env.HEXS_GATEWAY_ADMIN_TOKEN;
  if (adminToken !== undefined && adminToken.length < 16)
    throw new Error("bad gateway config: the admin token (HEXS_GATEWAY_ADMIN_TOKEN or adminToken) needs at least 16 characters");
  if (adminToken) rest = { ...rest, adminToken };
  if (vouchers) {
    const gatewayKey = vouchers.gatewayKey ?? process.env.HEXS_VOUCHER_GATEWAY_KEY;
    if (!gatewayKey || !/^0x[0-9a-fA-F]{64}$/.test(gatewayKey))
      throw new Error(
        "bad gateway config: vouchers needs the gateway account's key (HEXS_VOUCHER_GATEWAY_KEY or vouchers.gatewayKey, 0x + 64 hex)",
      );
    rest = { ...rest, vouchers: { ...vouchers, gatewayKey } };
  }
  if (!x402) return rest;
  const facilitatorKey = x402.facilitatorKey ?? process.env.HEXS_X402_FACILITATOR_KEY;
  if (!facilitatorKey || !/^0x[0-9a-fA-F]{64}$/.test(facilitatorKey))
    throw new Error(
      "bad gateway config: x402 needs the facilitator's key (HEXS_X402_FACILITATOR_KEY or x402.facilitatorKey, 0x + 64 hex)",
    );
  return { ...rest, x402: { ...x402, facilitatorKey } };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const file = arg("config");
  if (!file) throw new Error("usage: cli.ts --config gateway.json [--port N]");
  const cfg = parseGatewayConfig(JSON.parse(readFileSync(file, "utf8")));
  if (arg("port")) cfg.port = Number(arg("port"));
  const gw = await startGateway({
    ...cfg,
    log: process.env.HEXS_LOG_LEVEL === "silent" ? undefined : (l) => console.error(`[api-gateway] ${l}`),
  });
  console.log(`api gateway listening on ${gw.url}`);
  const stop = () => void gw.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(`[api-gateway] ${(e as Error).message}`);
    process.exit(1);
  });
}

// The gas sponsor's policy signer: an HTTP service that signs HexsPaymaster paymasterData only
// for operations the paymaster's policy allows. It pre-checks the same rules the paymaster
// enforces on chain (paused, factory, every call's target/selector/first argument, the
// account's and the global hourly caps) and answers 403 with the reason otherwise, so a client
// learns why before it reaches the bundler. The paymaster still enforces everything itself.
//   POST /sponsor {chainId, userOp}  → 200 {paymasterData, validAfter, validUntil} | 4xx {error}
import http from "node:http";
import { JsonRpcProvider, type Wallet } from "ethers";
import { revertDataOf } from "../../sdk/errors";
import { signPaymasterData, type UserOperation } from "../../sdk/aa/userop";
import { HexsPaymaster__factory } from "../../sdk/typechain";

export interface PolicyOptions {
  port: number;
  rpcUrl: string;
  paymaster: string;
  signer: Wallet;
  /** seconds the signature stays valid (≤ 3600, the paymaster's MAX_WINDOW); default 600 */
  ttl?: number;
}

export interface PolicyServer {
  url: string;
  close(): Promise<void>;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const BIG_FIELDS = [
  "nonce",
  "callGasLimit",
  "verificationGasLimit",
  "preVerificationGas",
  "maxFeePerGas",
  "maxPriorityFeePerGas",
  "paymasterVerificationGasLimit",
  "paymasterPostOpGasLimit",
] as const;

/** A user operation from JSON (quantities as decimal or hex strings). */
export function parseUserOp(raw: unknown): UserOperation {
  if (!raw || typeof raw !== "object") throw new Refusal(400, "userOp missing");
  const r = raw as Record<string, unknown>;
  const op = { ...r } as Record<string, unknown>;
  for (const k of BIG_FIELDS) {
    if (r[k] === undefined) continue;
    try {
      op[k] = BigInt(r[k] as string);
    } catch {
      throw new Refusal(400, `userOp.${k} is not a number: ${String(r[k])}`);
    }
  }
  for (const k of ["sender", "callData"]) if (typeof r[k] !== "string") throw new Refusal(400, `userOp.${k} missing`);
  return op as unknown as UserOperation;
}

export async function startPolicyServer(o: PolicyOptions): Promise<PolicyServer> {
  const provider = new JsonRpcProvider(o.rpcUrl, undefined, { staticNetwork: true });
  const pm = HexsPaymaster__factory.connect(o.paymaster, provider);
  const chainId = (await provider.getNetwork()).chainId;
  const ttl = o.ttl ?? 600;

  /** Why the paymaster would refuse `op`, or undefined. */
  async function refusal(op: UserOperation, hour: bigint): Promise<string | undefined> {
    if (op.paymaster?.toLowerCase() !== o.paymaster.toLowerCase())
      return `paymaster ${op.paymaster ?? "(none)"} is not this sponsor's (${o.paymaster})`;
    if (await pm.paused()) return "sponsoring is paused by the guardian";
    if (op.factory && !(await pm.factoryAllowed(op.factory))) return `account factory ${op.factory} is not allowed`;
    try {
      await pm.checkCallData(op.sender, op.callData);
    } catch (err) {
      const data = revertDataOf(err);
      const parsed = data ? pm.interface.parseError(data) : null;
      if (!parsed) throw err;
      return `${parsed.name}(${parsed.args.map(String).join(", ")}): only calls into Hexs contracts the policy lists are sponsored`;
    }
    const cap = await pm.opsPerAccountPerHour();
    if ((await pm.accountOpsIn(op.sender, hour)) >= cap)
      return `account ${op.sender} reached its cap of ${cap} sponsored operations this hour`;
    const maxCost =
      (op.callGasLimit +
        op.verificationGasLimit +
        op.preVerificationGas +
        (op.paymasterVerificationGasLimit ?? 0n) +
        (op.paymasterPostOpGasLimit ?? 0n)) *
      op.maxFeePerGas;
    const budget = await pm.weiPerHour();
    const spent = await pm.weiSpentIn(hour);
    if (spent + maxCost > budget)
      return `the hourly sponsoring budget is spent (${spent} + ${maxCost} > ${budget} wei); retry next hour`;
    return undefined;
  }

  async function handle(body: string): Promise<{ paymasterData: string; validAfter: number; validUntil: number }> {
    let req: { chainId?: unknown; userOp?: unknown };
    try {
      req = JSON.parse(body) as typeof req;
    } catch {
      throw new Refusal(400, "body is not JSON");
    }
    if (String(req.chainId) !== chainId.toString())
      throw new Refusal(400, `chainId ${String(req.chainId)} is not this sponsor's chain ${chainId}`);
    const op = parseUserOp(req.userOp);
    // Valid from a minute ago by both clocks: the chain's (the EntryPoint checks it) and the
    // bundler's (wall clock; a dev chain's block times may run ahead of it).
    const chainNow = (await provider.getBlock("latest"))!.timestamp;
    const validAfter = Math.min(chainNow, Math.floor(Date.now() / 1000)) - 60;
    // The paymaster counts an operation in the hour of its validAfter.
    const why = await refusal(op, BigInt(Math.floor(validAfter / 3600)));
    if (why) throw new Refusal(403, why);
    const validUntil = validAfter + ttl;
    const paymasterData = await signPaymasterData(o.signer, op, chainId, validUntil, validAfter);
    return { paymasterData, validAfter, validUntil };
  }

  const server = http.createServer((req, res) => {
    const send = (status: number, v: unknown) => {
      res.writeHead(status, { "content-type": "application/json", "access-control-allow-origin": "*" });
      res.end(JSON.stringify(v));
    };
    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        "access-control-allow-origin": "*",
        "access-control-allow-headers": "content-type",
        "access-control-allow-methods": "POST",
      });
      res.end();
      return;
    }
    if (req.method !== "POST" || req.url !== "/sponsor") return send(404, { error: "POST /sponsor only" });
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
      if (body.length > 64_000) req.destroy();
    });
    req.on("end", () => {
      handle(body).then(
        (r) => send(200, r),
        (err: unknown) =>
          err instanceof Refusal ? send(err.status, { error: err.message }) : send(500, { error: (err as Error).message }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, "127.0.0.1", resolve);
  });
  return {
    url: `http://127.0.0.1:${o.port}/sponsor`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

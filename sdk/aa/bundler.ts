// JSON-RPC client of an ERC-4337 bundler (EntryPoint v0.7 user operations). Browser-safe (fetch).
import { toBeHex } from "ethers";
import { BundlerUnreachableError, UserOpRejectedError, UserOpTimeoutError } from "./errors";
import type { UserOperation } from "./userop";

export interface GasEstimate {
  preVerificationGas: bigint;
  verificationGasLimit: bigint;
  callGasLimit: bigint;
  paymasterVerificationGasLimit?: bigint;
  paymasterPostOpGasLimit?: bigint;
}

export interface UserOpReceipt {
  userOpHash: string;
  success: boolean;
  actualGasCost: bigint;
  actualGasUsed: bigint;
  transactionHash: string;
  /** gas of the whole bundle transaction (all its operations) */
  bundleGasUsed: bigint;
  logs: { address: string; topics: string[]; data: string }[];
}

/** A user operation as the bundler's JSON wants it: quantities as hex, absent fields left out. */
export function toRpc(op: UserOperation): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(op)) {
    if (v === undefined) continue;
    out[k] = typeof v === "bigint" ? toBeHex(v) : String(v);
  }
  return out;
}

export interface BundlerOptions {
  /** per request, in ms (default 10 s); a request that takes longer is BundlerUnreachableError */
  timeoutMs?: number;
}

export class BundlerClient {
  private id = 0;
  readonly timeoutMs: number;

  constructor(
    readonly url: string,
    readonly entryPoint: string,
    o: BundlerOptions = {},
  ) {
    this.timeoutMs = o.timeoutMs ?? 10_000;
  }

  async request<T>(method: string, params: unknown[]): Promise<T> {
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: ++this.id, method, params }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      throw new BundlerUnreachableError(this.url, err);
    }
    let body: { result?: T; error?: { code: number; message: string } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch (err) {
      throw new BundlerUnreachableError(
        this.url,
        new Error(`HTTP ${res.status}, not JSON-RPC: ${text.slice(0, 200)}`, { cause: err }),
      );
    }
    if (body.error) throw new UserOpRejectedError(body.error.code, body.error.message);
    if (!res.ok || !("result" in body)) throw new BundlerUnreachableError(this.url, new Error(`HTTP ${res.status}`));
    return body.result as T;
  }

  /** EntryPoints the bundler serves. */
  async supportedEntryPoints(): Promise<string[]> {
    return this.request<string[]>("eth_supportedEntryPoints", []);
  }

  /** Submit `op`; returns its user-operation hash. */
  async sendUserOperation(op: UserOperation): Promise<string> {
    return this.request<string>("eth_sendUserOperation", [toRpc(op), this.entryPoint]);
  }

  async estimateUserOperationGas(op: UserOperation): Promise<GasEstimate> {
    const r = await this.request<Record<string, string>>("eth_estimateUserOperationGas", [toRpc(op), this.entryPoint]);
    const big = (k: string) => (r[k] === undefined ? undefined : BigInt(r[k]));
    return {
      preVerificationGas: big("preVerificationGas")!,
      verificationGasLimit: big("verificationGasLimit")!,
      callGasLimit: big("callGasLimit")!,
      paymasterVerificationGasLimit: big("paymasterVerificationGasLimit"),
      paymasterPostOpGasLimit: big("paymasterPostOpGasLimit"),
    };
  }

  /**
   * Fees the bundler accepts now (Pimlico's `pimlico_getUserOperationGasPrice`, "fast"), or
   * undefined if the bundler does not offer that method.
   */
  async gasPrice(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | undefined> {
    try {
      const r = await this.request<{ fast: { maxFeePerGas: string; maxPriorityFeePerGas: string } }>(
        "pimlico_getUserOperationGasPrice",
        [],
      );
      return { maxFeePerGas: BigInt(r.fast.maxFeePerGas), maxPriorityFeePerGas: BigInt(r.fast.maxPriorityFeePerGas) };
    } catch (err) {
      if (err instanceof UserOpRejectedError) return undefined;
      throw err;
    }
  }

  async getUserOperationReceipt(hash: string): Promise<UserOpReceipt | null> {
    const r = await this.request<{
      userOpHash: string;
      success: boolean;
      actualGasCost: string;
      actualGasUsed: string;
      receipt: { transactionHash: string; gasUsed: string };
      logs: UserOpReceipt["logs"];
    } | null>("eth_getUserOperationReceipt", [hash]);
    if (!r) return null;
    return {
      userOpHash: r.userOpHash,
      success: r.success,
      actualGasCost: BigInt(r.actualGasCost),
      actualGasUsed: BigInt(r.actualGasUsed),
      transactionHash: r.receipt.transactionHash,
      bundleGasUsed: BigInt(r.receipt.gasUsed),
      logs: r.logs,
    };
  }

  /** Poll for the receipt of `hash` until `timeoutMs`. */
  async waitForReceipt(hash: string, timeoutMs = 30_000, pollMs = 250): Promise<UserOpReceipt> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.getUserOperationReceipt(hash);
      if (r) return r;
      if (Date.now() > end) throw new UserOpTimeoutError(hash, timeoutMs);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}

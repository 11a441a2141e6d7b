// Shared set-up for the key-service tests: the in-process Hardhat chain served over JSON-RPC on
// the key tests' ports, and a key service reading that chain.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KeyServiceError } from "../../sdk/keys";
import type { ChainConfig } from "../../sdk/keys";
import { serveChain as serveChainOn } from "../serve-chain";
import { startKeyService, type KeyServiceConfig, type RunningKeyService } from "../../services/key-service/service";

export const PORTS = { from: 18500, to: 18599 };

/** Serve the in-process Hardhat network on the first free port in 18500-18599. */
export const serveChain = (): ReturnType<typeof serveChainOn> => serveChainOn(PORTS);

export function evmChain(rpcUrl: string): ChainConfig {
  return { name: "hexs-evm-31337", kind: "evm", rpcUrl, chainId: 31337 };
}

export async function keyService(
  chains: ChainConfig[],
  extra: Partial<KeyServiceConfig> = {},
): Promise<RunningKeyService & { dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "hexs-keys-"));
  const svc = await startKeyService({ dir, chains, port: PORTS, storePorts: PORTS, ...extra });
  return {
    ...svc,
    dir,
    async close() {
      await svc.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function percentile(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/** The KeyServiceError a call (or a promise) ends with; fails the test if it succeeds. */
export async function refusal(p: Promise<unknown> | (() => unknown)): Promise<KeyServiceError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    if (e instanceof KeyServiceError) return e;
    throw e;
  }
  throw new Error("expected a refusal, but the call succeeded");
}

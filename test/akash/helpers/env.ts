// A running Akash stand-in plus funded accounts, for the lease tests.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { toBech32 } from "@cosmjs/encoding";
import { createHash } from "node:crypto";
import { startStandin, type Standin, type ProviderBehaviour } from "../../../devnet/akash-standin";
import { AkashClient } from "../../../sdk/akash/client";

export const SDL_FILE = path.join(__dirname, "..", "fixtures", "model.sdl.yaml");
export const RELAYER_MNEMONIC = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
export const HOLDER_MNEMONIC = "test test test test test test test test test test test junk";

/** A deterministic provider address (providers never sign in the stand-in). */
export function providerAddress(label: string): string {
  return toBech32("akash", createHash("sha256").update(label).digest().subarray(0, 20));
}
export const PROVIDER_A = providerAddress("provider-a");
export const PROVIDER_B = providerAddress("provider-b");

export interface Env {
  standin: Standin;
  client(mnemonic?: string): Promise<AkashClient>;
  tmpdir: string;
  close(): Promise<void>;
}

export async function startEnv(
  o: {
    providers?: {
      address: string;
      bidPermille?: number;
      bids?: boolean;
      attributes?: { key: string; value: string }[];
      behaviour?: ProviderBehaviour;
    }[];
    firstPort?: number;
  } = {},
): Promise<Env> {
  const standin = await startStandin({
    chainId: "akash-standin-1",
    blockMs: 50,
    firstPort: o.firstPort,
    providers: o.providers ?? [
      { address: PROVIDER_A, bidPermille: 900, attributes: [{ key: "region", value: "us-west" }] },
      { address: PROVIDER_B, bidPermille: 700, attributes: [{ key: "region", value: "eu-central" }] },
    ],
  });
  const clients: AkashClient[] = [];
  const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-akash-"));
  return {
    standin,
    tmpdir,
    async client(mnemonic = RELAYER_MNEMONIC) {
      const c = await AkashClient.fromMnemonic(mnemonic, {
        chainId: standin.chain.chainId,
        rpcUrl: standin.rpcUrl,
        restUrl: standin.restUrl,
        txPollMs: 50,
        txTimeoutMs: 10_000,
      });
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) await c.close();
      await standin.close();
      fs.rmSync(tmpdir, { recursive: true, force: true });
    },
  };
}

export function fundAkash(env: Env, address: string, uakt = 50_000_000n, uact = 500_000_000n): void {
  env.standin.chain.fund(address, "uakt", uakt);
  env.standin.chain.fund(address, "uact", uact);
}

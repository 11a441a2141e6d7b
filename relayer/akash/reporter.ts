// Reporting a lease's outcome to the purchase's chain: the EVM market's resolveDeployment
// (LEASE_REPORTER_ROLE, `report.mode: direct`), or a LeaseReported message attested by the
// relayer quorum (./attested.ts) behind the same interface.
import type { Signer } from "ethers";
import type { HexsMarket } from "../../sdk/typechain";
import { AkashError } from "../../sdk/akash/errors";

/** Mirrors the LeaseReported message body (docs/messages.md, kind 8). */
export interface LeaseReport {
  purchaseChain: string;
  /** the key id, also the purchase id */
  keyId: bigint;
  ok: boolean;
  dseq: string;
  gseq: number;
  oseq: number;
  provider: string;
  reason: string;
}

/** Mirrors the LeaseHandedOver message body (docs/messages.md, kind 11). */
export interface HandoverReport {
  purchaseChain: string;
  keyId: bigint;
  modelId: bigint;
  /** the key's handover report number (the handover job's id: increasing per key) */
  handover: bigint;
  dseq: string;
  gseq: number;
  oseq: number;
  provider: string;
  /** the new holder's account word (0x-hex) */
  holder: string;
  holderChain: string;
  /** sha256 of the new holder's manifest, hex */
  manifestHash: string;
  /** the transfer fact handed over: chain:tx:logIndex */
  transfer: string;
}

export interface LeaseReporter {
  /** Report once; calling again for an already-reported purchase must succeed without effect. Returns a reference (tx hash). */
  report(r: LeaseReport): Promise<string>;
  /** Report a done handover over the Akash lane (attested reporters only); again: no effect. `check` runs just before numbering. */
  reportHandover?(r: HandoverReport, check?: () => Promise<void>): Promise<string>;
}

/**
 * Calls HexsMarket.resolveDeployment(keyId, ok, dseq, operator): on success the escrow is credited
 * to `operator` (who paid for the lease), on failure back to the buyer, who claims it.
 */
export class EvmLeaseReporter implements LeaseReporter {
  constructor(
    private readonly market: HexsMarket,
    private readonly signer: Signer,
    private readonly operator: string,
  ) {}

  async report(r: LeaseReport): Promise<string> {
    const escrow = await this.market.escrowOf(r.keyId);
    if (escrow.amount === 0n) return "already-resolved"; // resolved before (or no escrow): nothing to do
    const role = await this.market.LEASE_REPORTER_ROLE();
    const me = await this.signer.getAddress();
    if (!(await this.market.hasRole(role, me))) {
      throw new AkashError(
        "reporter_unauthorized",
        `cannot report key ${r.keyId}: ${me} lacks LEASE_REPORTER_ROLE on the market ${await this.market.getAddress()} (grant it through the timelock)`,
        { retryable: true },
      );
    }
    const tx = await this.market.connect(this.signer).resolveDeployment(r.keyId, r.ok, BigInt(r.dseq || "0"), this.operator);
    const receipt = await tx.wait();
    if (!receipt || receipt.status !== 1)
      throw new AkashError("report_reverted", `resolveDeployment(${r.keyId}) reverted (tx ${tx.hash})`, { retryable: true });
    return tx.hash;
  }
}

/** Self-service deployments (a holder with their own Akash account): nothing to settle on chain. */
export class NoopLeaseReporter implements LeaseReporter {
  async report(r: LeaseReport): Promise<string> {
    return r.ok ? "self-service: lease open" : "self-service: nothing to refund";
  }
}

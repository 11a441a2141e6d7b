// Prometheus metrics of one relayer process (its own registry, so tests can run several).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export class Metrics {
  readonly registry = new Registry();
  readonly sourceLag = new Gauge({
    name: "hexs_relayer_source_lag_blocks",
    help: "chain head minus the source cursor",
    labelNames: ["chain"],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: "hexs_relayer_queue_depth",
    help: "operations by state",
    labelNames: ["state"],
    registers: [this.registry],
  });
  readonly deliveries = new Counter({
    name: "hexs_relayer_deliveries_total",
    help: "messages confirmed on their destination",
    labelNames: ["src", "dst"],
    registers: [this.registry],
  });
  readonly failures = new Counter({
    name: "hexs_relayer_failures_total",
    help: "failed steps",
    labelNames: ["stage", "chain"],
    registers: [this.registry],
  });
  readonly duplicates = new Counter({
    name: "hexs_relayer_already_delivered_total",
    help: "messages found already applied by the destination before or after submission",
    labelNames: ["src", "dst"],
    registers: [this.registry],
  });
  readonly duplicateSubmissions = new Counter({
    name: "hexs_relayer_duplicate_submissions_total",
    help: "batches this relayer broadcast that the destination refused because it had already applied them (lost races)",
    labelNames: ["src", "dst"],
    registers: [this.registry],
  });
  readonly takeovers = new Counter({
    name: "hexs_relayer_takeovers_total",
    help: "times this relayer began submitting for a lane whose designated submitter made no progress",
    labelNames: ["src", "dst"],
    registers: [this.registry],
  });
  readonly feeBumps = new Counter({
    name: "hexs_relayer_fee_bumps_total",
    help: "transactions replaced at the same nonce with higher fees",
    labelNames: ["chain"],
    registers: [this.registry],
  });
  readonly forged = new Counter({
    name: "hexs_relayer_forged_attestations_total",
    help: "peer attestations ignored as invalid",
    labelNames: ["peer"],
    registers: [this.registry],
  });
  readonly topupsRefused = new Counter({
    name: "hexs_relayer_escrow_topups_refused_total",
    help: "DAO infrastructure spends not executed as Akash escrow top-ups (unverified emitter or transfer, another model's deployment, hourly cap)",
    labelNames: ["chain"],
    registers: [this.registry],
  });
  readonly leaseReportsRefused = new Counter({
    name: "hexs_relayer_lease_reports_refused_total",
    help: "LeaseReported proposals this co-signer refused to sign",
    registers: [this.registry],
  });
  readonly leaseJobs = new Gauge({
    name: "hexs_relayer_lease_jobs",
    help: "Akash lease jobs of this operator's lease service, by state",
    labelNames: ["state"],
    registers: [this.registry],
  });
  readonly leaseHandovers = new Gauge({
    name: "hexs_relayer_lease_handovers",
    help: "handovers of running deployments to a key's new holder, by state (retrying: open after a failed attempt)",
    labelNames: ["state"],
    registers: [this.registry],
  });
  readonly leaseHandoverEscrow = new Gauge({
    name: "hexs_relayer_lease_handover_escrow_uact",
    help: "uact left in deployments' escrow at their handovers (priced into the sale, accounted to the new holder): handed_over = stayed on the running deployment (done), refunded = returned to the owner by closing a failed handover's deployment, paid = of those, paid on to the new holder",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  readonly leaseHandoverPayouts = new Counter({
    name: "hexs_relayer_lease_handover_payouts_total",
    help: "failed handovers whose returned escrow's value was paid to the new holder (payout tx receipt seen)",
    registers: [this.registry],
  });
  readonly leaseHandoversReported = new Counter({
    name: "hexs_relayer_lease_handovers_reported_total",
    help: "done handovers whose LeaseHandedOver report the leader numbered on the Akash lane and its co-signers accepted",
    registers: [this.registry],
  });
  readonly leaseFailures = new Counter({
    name: "hexs_relayer_lease_failures_total",
    help: "lease service steps that failed and are retried (start-up, a purchase feed poll, the work loop)",
    labelNames: ["stage"],
    registers: [this.registry],
  });
  readonly stageTime = new Histogram({
    name: "hexs_relayer_stage_seconds",
    help: "time per delivery stage and lane step: confirm (destination nonce, store), in-flight (receipts), designate (relayer set), sign (own signature and peer attestation round trips), submit (gas, signing, broadcast; toward an EVM chain: gas, transaction signing and persisting the signed bytes), broadcast (an EVM chain: the step's signed transactions sent together); an EVM sink also times the parts of submit as submit:simulate, submit:estimate, submit:fees, submit:nonce, submit:sign, submit:broadcast",
    labelNames: ["stage", "dst"],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: "hexs_relayer_end_to_end_seconds",
    help: "source block time to destination confirmation",
    labelNames: ["src", "dst"],
    buckets: [0.5, 1, 2, 3, 5, 8, 13, 21, 34, 60, 120, 300],
    registers: [this.registry],
  });

  constructor(defaults = false) {
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }
}

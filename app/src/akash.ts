// The live state of a purchase's Akash lease, as Akash Console shows it, read from an Akash node's
// REST API (the Cosmos SDK gRPC gateway: /akash/market/v1beta5/leases/list and
// /akash/deployment/v1beta4/deployments/info). The purchase chain records only the dseq the lease
// service reported; the lease lives on Akash under the lease service's account, so config.json
// names those accounts (`akash.leaseOwners`) with the node's URL (`akash.restUrl`).

export interface AkashConfig {
  restUrl: string;
  /** Akash accounts the lease service opens deployments from (its leader's, usually one) */
  leaseOwners: string[];
}

/** config.json's optional `akash: {restUrl, leaseOwners}`. */
export function parseAkash(raw: unknown): AkashConfig | undefined {
  if (raw === undefined) return undefined;
  const r = (raw ?? {}) as { restUrl?: unknown; leaseOwners?: unknown };
  if (typeof r.restUrl !== "string" || !/^https?:\/\//.test(r.restUrl))
    throw new Error("config.json: akash.restUrl must be an http(s) URL (the Akash node's REST API)");
  if (!Array.isArray(r.leaseOwners) || !r.leaseOwners.every((o) => typeof o === "string" && /^akash1[0-9a-z]+$/.test(o)))
    throw new Error("config.json: akash.leaseOwners must list the lease service's akash1… accounts");
  return { restUrl: r.restUrl.replace(/\/$/, ""), leaseOwners: r.leaseOwners as string[] };
}

/** Akash's lease states (market v1beta5 Lease.State, as the gateway spells them) */
export type LeaseState = "active" | "insufficient_funds" | "closed" | "invalid";

export interface LiveLease {
  owner: string;
  dseq: string;
  provider: string;
  state: LeaseState;
  /** per block */
  price: { denom: string; amount: string };
  /** the deployment's escrow account: what is left to pay the lease (undefined: no escrow account) */
  escrow?: { denom: string; amount: string; state: string };
}

/** The node's REST API did not answer (down, refused, CORS): the lease's live state is unknown. */
export class AkashUnreachableError extends Error {
  constructor(
    readonly restUrl: string,
    cause: unknown,
  ) {
    super(`the Akash node's API at ${restUrl} did not answer (${(cause as Error)?.message ?? String(cause)})`);
  }
}

interface GatewayLease {
  lease?: {
    id?: { owner?: string; dseq?: string; provider?: string };
    state?: string | number;
    price?: { denom?: string; amount?: string };
  };
}
interface GatewayDeployment {
  escrow_account?: { state?: { state?: string | number; funds?: { denom?: string; amount?: string }[] } };
}

const STATES: Record<string, LeaseState> = {
  "0": "invalid",
  "1": "active",
  "2": "insufficient_funds",
  "3": "closed",
  active: "active",
  insufficient_funds: "insufficient_funds",
  closed: "closed",
  invalid: "invalid",
};

async function get<T>(restUrl: string, path: string, fetchImpl: typeof fetch): Promise<T | undefined> {
  let res: Response;
  try {
    res = await fetchImpl(`${restUrl}${path}`, { headers: { accept: "application/json" } });
  } catch (e) {
    throw new AkashUnreachableError(restUrl, e);
  }
  if (res.status === 404) return undefined;
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { message?: string };
    throw new Error(`Akash REST ${path.split("?")[0]}: HTTP ${res.status}${body.message ? ` (${body.message})` : ""}`);
  }
  return (await res.json()) as T;
}

/**
 * The lease of deployment `dseq` under one of the lease service's accounts: its state, provider and
 * price, and the deployment's escrow balance. Undefined when no such lease exists on Akash.
 * An active lease wins over closed ones (a re-opened deployment keeps its dseq).
 */
export async function liveLease(cfg: AkashConfig, dseq: string, fetchImpl: typeof fetch = fetch): Promise<LiveLease | undefined> {
  for (const owner of cfg.leaseOwners) {
    const q = `filters.owner=${encodeURIComponent(owner)}&filters.dseq=${encodeURIComponent(dseq)}`;
    const list = await get<{ leases?: GatewayLease[] }>(cfg.restUrl, `/akash/market/v1beta5/leases/list?${q}`, fetchImpl);
    const leases = (list?.leases ?? []).map((l) => l.lease).filter((l) => l?.id?.provider);
    if (!leases.length) continue;
    const pick = leases.find((l) => STATES[String(l!.state)] === "active") ?? leases[leases.length - 1]!;
    const d = await get<GatewayDeployment>(
      cfg.restUrl,
      `/akash/deployment/v1beta4/deployments/info?id.owner=${encodeURIComponent(owner)}&id.dseq=${encodeURIComponent(dseq)}`,
      fetchImpl,
    );
    const acct = d?.escrow_account?.state;
    const fund = acct?.funds?.[0];
    return {
      owner,
      dseq,
      provider: pick.id!.provider!,
      state: STATES[String(pick.state)] ?? "invalid",
      price: { denom: pick.price?.denom ?? "", amount: pick.price?.amount ?? "0" },
      ...(acct ? { escrow: { denom: fund?.denom ?? "uact", amount: fund?.amount ?? "0", state: String(acct.state ?? "") } } : {}),
    };
  }
  return undefined;
}

/**
 * A Cosmos decimal amount (the gateway's DecCoin: "5000000.000000000000000000") of a micro-denom
 * as its whole unit: "5 ACT" for 5,000,000 uact; other denoms as they come.
 */
export function formatDecCoin(c: { denom: string; amount: string }): string {
  const [int, frac = ""] = c.amount.split(".");
  const trimmed = frac.replace(/0+$/, "");
  if (!/^u[a-z]+$/.test(c.denom)) return `${int}${trimmed ? `.${trimmed}` : ""} ${c.denom}`;
  // micro-units → units: shift the decimal point six places
  const digits = (int.replace(/^0+/, "") || "0").padStart(7, "0");
  const whole = digits.slice(0, -6).replace(/^0+(?=\d)/, "");
  const micro = (digits.slice(-6) + trimmed).replace(/0+$/, "").slice(0, 6);
  return `${Number(whole).toLocaleString("en-US")}${micro ? `.${micro}` : ""} ${c.denom.slice(1).toUpperCase()}`;
}

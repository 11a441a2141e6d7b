// SDL → what the chain and the provider need: on-chain group specs, the provider manifest
// (sorted JSON, byte-identical to Go's), and the manifest version hash that goes on chain.
// Checked against the Go golden fixtures (test/akash/golden.test.ts).
import { createHash } from "node:crypto";
import { chainSdk, type GroupSpec, type ManifestGroup, type SdlInput, yamlLoad } from "./chain-sdk";
import { InvalidSdlError, UnsupportedSdlError } from "./errors";

export interface PreparedSdl {
  /** on-chain groups of MsgCreateDeployment */
  groupSpecs: GroupSpec[];
  /** provider manifest groups */
  manifestGroups: ManifestGroup[];
  /** the PUT body: sorted JSON exactly as Go's provider re-serialises it */
  manifestJson: string;
  /** sha256(manifestJson): the deployment version stored on chain */
  manifestHash: Uint8Array;
  manifestHashHex: string;
}

export type AkashNetworkId = "mainnet" | "testnet" | "sandbox";

/** Parse SDL YAML text; a YAML syntax error becomes an InvalidSdlError naming the line. */
export function parseSdlYaml(text: string): unknown {
  try {
    return yamlLoad(text);
  } catch (e) {
    throw new InvalidSdlError([`not valid YAML: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`]);
  }
}

/**
 * Refuse SDL features that chain-sdk 1.0.0-alpha.25 does not support. Confidential compute
 * (`services.<name>.params.tee`, SDL 2.1) is accepted by the Go reference but this SDK would
 * reject or mis-hash it, and a provider would then refuse the manifest.
 */
export function refuseUnsupported(sdl: unknown): void {
  const services = isRecord(sdl) && isRecord(sdl.services) ? sdl.services : {};
  for (const [name, svc] of Object.entries(services)) {
    const tee = isRecord(svc) && isRecord(svc.params) ? svc.params.tee : undefined;
    if (tee !== undefined) {
      throw new UnsupportedSdlError(
        `unsupported SDL feature: service '${name}' asks for confidential compute (params.tee: ${String(tee)}); ` +
          `@akashnetwork/chain-sdk 1.0.0-alpha.25 cannot produce a manifest for tee-cpu / tee-cpu-gpu deployments that providers accept. ` +
          `Remove params.tee or deploy this model with the Go akash CLI.`,
      );
    }
  }
}

/**
 * SDL text → group specs, manifest and version hash. Throws InvalidSdlError / UnsupportedSdlError.
 * `env` is set in every service (replacing an entry of the same name), after the SDL's own entries
 * in the order given: the lease service binds a deployment to its key holder this way. Environment
 * values are part of the manifest only, so the group specs (and the orders) do not change.
 */
export function prepareSdl(
  yamlText: string,
  networkId: AkashNetworkId = "mainnet",
  env: readonly (readonly [string, string])[] = [],
): PreparedSdl {
  const input = parseSdlYaml(yamlText);
  if (!isRecord(input))
    throw new InvalidSdlError(["the document is not a YAML mapping (expected version, services, profiles, deployment)"]);
  refuseUnsupported(input);
  if (env.length) setServiceEnv(input, env);
  let result: ReturnType<typeof chainSdk.generateManifest>;
  try {
    result = chainSdk.generateManifest(input as unknown as SdlInput, networkId);
  } catch (e) {
    throw new InvalidSdlError([e instanceof Error ? e.message : String(e)]);
  }
  if (!result.ok) {
    throw new InvalidSdlError(
      result.value.map(
        (v) => `${v.instancePath || "/"}: ${v.message ?? "invalid"}${v.params ? ` ${JSON.stringify(v.params)}` : ""}`,
      ),
    );
  }
  const { groups } = result.value;
  const groupSpecs = withGoEndpointOrder(result.value.groupSpecs, groups);
  const manifestJson = chainSdk.manifestToSortedJSON(groups);
  const manifestHash = new Uint8Array(createHash("sha256").update(manifestJson, "utf8").digest());
  return {
    groupSpecs,
    manifestGroups: groups,
    manifestJson,
    manifestHash,
    manifestHashHex: Buffer.from(manifestHash).toString("hex"),
  };
}

/**
 * Go's SDL code lists a resource unit's endpoints in its service's manifest order; when several
 * services share one resource unit it concatenates theirs (services by name, as in the manifest)
 * and orders the result by sequence number (stable). chain-sdk sorts them by kind instead. The
 * set is the same, the on-chain bytes are not: use Go's order so the group specs equal what the
 * Go CLI broadcasts (golden group-specs.json; the merge rule is the one the shared-ip fixture shows). Throws if chain-sdk's list is not a permutation of
 * the manifest's (an SDK defect: refuse rather than broadcast something inconsistent).
 */
export function withGoEndpointOrder(specs: GroupSpec[], manifest: ManifestGroup[]): GroupSpec[] {
  return specs.map((spec) => {
    const mg = manifest.find((g) => g.name === spec.name);
    if (!mg) return spec;
    return {
      ...spec,
      resources: spec.resources.map((ru) => {
        const res = ru.resource;
        if (!res || res.endpoints.length < 2) return ru;
        const sharing = mg.services.filter((s) => s.resources?.id === res.id);
        const concatenated = sharing.flatMap((s) => s.resources?.endpoints ?? []);
        const goOrder = sharing.length > 1 ? stableSortBy(concatenated, (e) => e.sequenceNumber) : concatenated;
        const key = (e: { kind: number; sequenceNumber: number }) => `${e.kind}/${e.sequenceNumber}`;
        const a = res.endpoints.map(key).sort();
        const b = goOrder.map(key).sort();
        if (a.length !== b.length || a.some((k, i) => k !== b[i])) {
          throw new InvalidSdlError([
            `group ${spec.name} resource ${res.id}: chain-sdk's endpoints [${a}] disagree with the manifest's [${b}]`,
          ]);
        }
        return {
          ...ru,
          resource: { ...res, endpoints: goOrder.map((e) => ({ kind: e.kind, sequenceNumber: e.sequenceNumber })) },
        };
      }),
    };
  });
}

/** Every price denom used by the group specs. */
export function priceDenoms(p: PreparedSdl): string[] {
  return [...new Set(p.groupSpecs.flatMap((g) => g.resources.map((r) => r.price?.denom ?? "")))];
}

/**
 * Akash node v2 prices deployments in `uact` only (a `uakt` deposit or price is rejected with
 * ErrInvalidDeposit). chain-sdk does not check this; the pipeline does, before any tx.
 */
export function requireUactPricing(p: PreparedSdl): void {
  const bad = priceDenoms(p).filter((d) => d !== "uact");
  if (bad.length) {
    throw new InvalidSdlError([
      `placement pricing uses ${bad.join(", ")}: Akash (node v2) accepts deployment prices and deposits in uact only. ` +
        `Change every profiles.placement.<name>.pricing.<profile>.denom to uact`,
    ]);
  }
}

/** Highest per-block price over the groups (uact, as a decimal string → number for comparison). */
export function maxGroupPrice(p: PreparedSdl): number {
  return Math.max(0, ...p.groupSpecs.flatMap((g) => g.resources.map((r) => Number(r.price?.amount ?? "0"))));
}

/**
 * Go's sdk.SortJSON: unmarshal into interface{} and marshal again — object keys sorted, no
 * spaces, `<` `>` `&` U+2028 U+2029 escaped as \u00XX. A provider hashes the manifest it
 * receives this way and compares with the deployment version on chain.
 */
export function goSortedJson(v: unknown): string {
  const sort = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sort);
    if (x && typeof x === "object") {
      const o = x as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(o)
          .sort()
          .map((k) => [k, sort(o[k])]),
      );
    }
    return x;
  };
  return JSON.stringify(sort(v)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Set `env` in every service of a parsed SDL (in place). */
function setServiceEnv(sdl: Record<string, unknown>, env: readonly (readonly [string, string])[]): void {
  for (const [name] of env)
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new InvalidSdlError([`environment name '${name}' is not a valid name`]);
  const services = isRecord(sdl.services) ? sdl.services : {};
  for (const svc of Object.values(services)) {
    if (!isRecord(svc)) continue;
    const own = Array.isArray(svc.env) ? svc.env.map(String) : [];
    const kept = own.filter((e) => !env.some(([k]) => e === k || e.startsWith(`${k}=`)));
    svc.env = [...kept, ...env.map(([k, v]) => `${k}=${v}`)];
  }
}

function stableSortBy<T>(xs: T[], key: (x: T) => number): T[] {
  return xs
    .map((x, i) => ({ x, i }))
    .sort((a, b) => key(a.x) - key(b.x) || a.i - b.i)
    .map((e) => e.x);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

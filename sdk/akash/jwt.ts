// Provider-API JWTs (Akash AEP-64): the deployment owner signs, the provider verifies against
// the owner's on-chain public key. Creation goes through chain-sdk's JwtTokenManager; the
// verifier (used by the stand-in provider) is ours and is checked against the Akash Go JWT
// vectors (test/akash/golden.test.ts, HEXS_AKASH_FIXTURES).
import { createHash } from "node:crypto";
import { makeSignDoc, rawSecp256k1PubkeyToRawAddress, serializeSignDoc, type OfflineAminoSigner } from "@cosmjs/amino";
import { Secp256k1, Secp256k1Signature } from "@cosmjs/crypto";
import { toBech32 } from "@cosmjs/encoding";
import { chainSdk, type JwtPayload } from "./chain-sdk";
import { HexsError } from "../errors";

export type { JwtPayload };
export type JwtScope = "send-manifest" | "get-manifest" | "logs" | "shell" | "events" | "status" | "restart";

/** A short-lived token for one provider, scoped to sending the manifest and reading status. */
export async function createOwnerJwt(
  signer: OfflineAminoSigner,
  owner: string,
  opts: { provider?: string; ttlSeconds?: number; now?: number; scope?: JwtScope[] } = {},
): Promise<string> {
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const scope = opts.scope ?? ["send-manifest", "status"];
  const manager = new chainSdk.JwtTokenManager(signer as ConstructorParameters<typeof chainSdk.JwtTokenManager>[0]);
  return manager.generateToken({
    version: "v1",
    iss: owner,
    iat: now,
    nbf: now,
    exp: now + (opts.ttlSeconds ?? 300),
    leases: opts.provider
      ? { access: "granular", permissions: [{ provider: opts.provider, access: "scoped", scope }] }
      : { access: "scoped", scope },
  });
}

/** A provider JWT that does not verify (malformed, wrong signer or algorithm, expired). */
export class JwtError extends HexsError {
  constructor(message: string) {
    super("jwt_invalid", message);
  }
}

const sha256 = (b: Uint8Array | string) => new Uint8Array(createHash("sha256").update(b).digest());

/**
 * Verify a provider JWT's signature with `pubkey` (33-byte compressed secp256k1).
 * ES256KADR36: the signature is over the ADR-36 amino sign doc (signer = the key's address,
 * data = the JWT signing input). ES256K: over sha256 of the signing input. Then, unless
 * `checkClaims` is false, iss must be the key's address, version v1, and now within [nbf, exp].
 */
export async function verifyJwt(
  token: string,
  pubkey: Uint8Array,
  opts: { now?: number; checkClaims?: boolean; prefix?: string; leewaySeconds?: number } = {},
): Promise<Record<string, unknown>> {
  const parts = token.split(".");
  if (parts.length !== 3) throw new JwtError("malformed JWT: expected header.payload.signature");
  const [h, p, s] = parts;
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
    payload = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
  } catch {
    throw new JwtError("malformed JWT: header or payload is not base64url JSON");
  }
  const sig = Buffer.from(s, "base64url");
  if (sig.length !== 64) throw new JwtError(`bad JWT signature: expected 64 bytes r||s, got ${sig.length}`);
  const signer = toBech32(opts.prefix ?? "akash", rawSecp256k1PubkeyToRawAddress(pubkey));
  let digest: Uint8Array;
  if (header.alg === "ES256KADR36") {
    const doc = makeSignDoc(
      [{ type: "sign/MsgSignData", value: { signer, data: Buffer.from(`${h}.${p}`).toString("base64") } }],
      { gas: "0", amount: [] },
      "",
      "",
      0,
      0,
    );
    digest = sha256(serializeSignDoc(doc));
  } else if (header.alg === "ES256K") {
    digest = sha256(`${h}.${p}`);
  } else {
    throw new JwtError(`unsupported JWT alg '${String(header.alg)}' (expected ES256KADR36 or ES256K)`);
  }
  let ok: boolean;
  try {
    ok = await Secp256k1.verifySignature(Secp256k1Signature.fromFixedLength(sig), digest, pubkey);
  } catch {
    ok = false;
  }
  if (!ok) throw new JwtError(`bad JWT signature: not signed by the key of ${signer}`);
  if (opts.checkClaims !== false) {
    const now = opts.now ?? Math.floor(Date.now() / 1000);
    const leeway = opts.leewaySeconds ?? 5;
    if (payload.iss !== signer) throw new JwtError(`JWT iss ${String(payload.iss)} is not the signing key's address ${signer}`);
    if (payload.version !== "v1") throw new JwtError(`JWT version ${String(payload.version)} is not v1`);
    if (typeof payload.exp !== "number" || payload.exp + leeway < now) throw new JwtError("JWT expired");
    if (typeof payload.nbf === "number" && payload.nbf - leeway > now) throw new JwtError("JWT not valid yet (nbf)");
  }
  return payload;
}

/** Does the token's `leases` claim allow `scope` on `dseq` at `provider`? */
export function jwtAllows(payload: Record<string, unknown>, provider: string, scope: JwtScope, dseq: string): boolean {
  const l = payload.leases as JwtPayload["leases"] | undefined;
  if (!l) return false;
  if (l.access === "full") return true;
  if (l.access === "scoped") return l.scope.includes(scope);
  if (l.access === "granular") {
    return l.permissions.some(
      (pm) =>
        pm.provider === provider &&
        (pm.access === "full" ||
          (pm.access === "scoped" && pm.scope.includes(scope)) ||
          (pm.access === "granular" && pm.deployments.some((d) => String(d.dseq) === dseq && d.scope.includes(scope)))),
    );
  }
  return false;
}

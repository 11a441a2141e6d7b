// Holder authentication by signed nonce.
//
// The front issues a challenge message per account: a random nonce, its issue and expiry time,
// and a ticket (Ed25519 signature of the front over those fields). The holder signs the whole
// message: EIP-191 personal_sign for EVM accounts, ADR-36 (amino "sign/MsgSignData") for Cosmos
// accounts. Every shard store verifies independently: the ticket against the front's public
// key, the expiry, the holder's signature, and that it has not seen the nonce before (each
// store keeps its own ledger, so one signature opens each store at most once; the SDK sends the
// same signature to 3–5 stores for one operation, which is why single use is per store).
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { verifyMessage } from "ethers";
import { decodeSignature, pubkeyToAddress, serializeSignDoc } from "@cosmjs/amino";
import type { StdSignature } from "@cosmjs/amino";
import { Secp256k1, Secp256k1Signature, sha256 } from "@cosmjs/crypto";
import { fromBech32 } from "@cosmjs/encoding";
import { adr36SignDoc, formatChallenge, parseAccount, parseChallenge, ticketPayload } from "./challenge";
import type { Account } from "./challenge";
import { refuse } from "./errors";

export {
  adr36SignDoc,
  checkLoginChallenge,
  formatChallenge,
  MAX_LOGIN_TTL,
  parseAccount,
  parseChallenge,
  signAdr36,
} from "./challenge";
export type { Account, AccountFamily, Challenge } from "./challenge";

/** The front's challenge issuer. Its private key only vouches for freshness, never for identity. */
export class ChallengeIssuer {
  readonly publicKeyPem: string;
  private readonly key: KeyObject;

  constructor(
    readonly ttlSeconds: number,
    private readonly now: () => number,
    privateKeyPem?: string,
  ) {
    this.key = privateKeyPem ? createPrivateKey(privateKeyPem) : generateKeyPairSync("ed25519").privateKey;
    this.publicKeyPem = createPublicKey(this.key).export({ type: "spki", format: "pem" }).toString();
  }

  issue(address: string): string {
    const issuedAt = Math.floor(this.now() / 1000);
    const c = { address, nonce: randomBytes(16).toString("base64url"), issuedAt, expiresAt: issuedAt + this.ttlSeconds };
    return formatChallenge({ ...c, ticket: sign(null, ticketPayload(c), this.key).toString("base64url") });
  }
}

function verifyAdr36(address: string, message: string, token: string): boolean {
  if (!token.startsWith("adr36:")) return false;
  let std: StdSignature;
  try {
    std = JSON.parse(Buffer.from(token.slice(6), "base64url").toString("utf8")) as StdSignature;
    const { pubkey, signature } = decodeSignature(std);
    const { prefix } = fromBech32(address, 90);
    if (pubkeyToAddress(std.pub_key, prefix) !== address) return false;
    const hash = sha256(serializeSignDoc(adr36SignDoc(address, message)));
    return Secp256k1.verifySignature(Secp256k1Signature.fromFixedLength(signature), hash, pubkey);
  } catch {
    return false;
  }
}

function verifyEip191(address: string, message: string, signature: string): boolean {
  try {
    return verifyMessage(message, signature).toLowerCase() === address;
  } catch {
    return false;
  }
}

/** True iff `token` is `account`'s signature over `message` (EIP-191 or ADR-36 by family). */
export function verifyHolderSignature(account: Account, message: string, token: string): boolean {
  return account.family === "evm" ? verifyEip191(account.address, message, token) : verifyAdr36(account.address, message, token);
}

// ------------------------------------------------------------------ verification at a store

export interface NonceLedger {
  /** Record `nonce` as used; false if it was used before. */
  consume(nonce: string, expiresAt: number): boolean;
}

export interface AuthContext {
  issuerPublicKeyPem: string;
  ledger: NonceLedger;
  now: () => number;
  /** Challenges the front issued to `address` and that are still open (SDK requests carry none). */
  pendingChallenges: (address: string) => Promise<string[]>;
}

/**
 * Authenticate a request: `token` is the bearer signature, `message` the signed challenge if
 * the client sent it (our client does; the Lighthouse SDK does not, so the open challenges of
 * the account are tried). Consumes the nonce in this store's ledger.
 */
export async function authenticate(ctx: AuthContext, address: unknown, token: string, message?: string): Promise<Account> {
  const account = parseAccount(address);
  if (!token) refuse("unauthenticated", "missing 'Authorization: Bearer <signature>'");
  const candidates = message ? [message] : await ctx.pendingChallenges(account.address);
  const signed = candidates.find((m) => verifyHolderSignature(account, m, token));
  if (!signed) {
    refuse(
      "unauthenticated",
      `the signature does not verify for ${account.address} over an open challenge: sign the message from ` +
        `GET /api/message/${account.address} with that account (${account.family === "evm" ? "EIP-191" : "ADR-36"})`,
    );
  }
  const c = parseChallenge(signed);
  if (c.address.toLowerCase() !== account.address)
    refuse("unauthenticated", `the challenge was issued to ${c.address}, not ${account.address}`);
  const pub = createPublicKey(ctx.issuerPublicKeyPem);
  if (!verify(null, ticketPayload(c), pub, Buffer.from(c.ticket, "base64url"))) {
    refuse("unauthenticated", "the challenge's ticket was not issued by this key service");
  }
  const nowS = Math.floor(ctx.now() / 1000);
  if (c.expiresAt <= nowS) {
    refuse("nonce_expired", `the challenge expired at ${new Date(c.expiresAt * 1000).toISOString()}: request a new one`);
  }
  if (!ctx.ledger.consume(c.nonce, c.expiresAt)) {
    refuse("nonce_replayed", "this signed challenge was already used at this shard store: request and sign a new one");
  }
  return account;
}

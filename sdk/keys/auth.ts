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
import { getAddress, verifyMessage } from "ethers";
import { decodeSignature, makeSignDoc, pubkeyToAddress, serializeSignDoc } from "@cosmjs/amino";
import type { OfflineAminoSigner, StdSignature, StdSignDoc } from "@cosmjs/amino";
import { Secp256k1, Secp256k1Signature, sha256 } from "@cosmjs/crypto";
import { fromBech32, toBase64 } from "@cosmjs/encoding";
import { KeyServiceError, refuse } from "./errors";

export type AccountFamily = "evm" | "cosmos";
export interface Account {
  family: AccountFamily;
  /** EVM: lower-case 0x address; Cosmos: lower-case bech32. */
  address: string;
}

const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Classify and normalise an account address; refuses anything else with the value. */
export function parseAccount(address: unknown): Account {
  if (typeof address !== "string" || address === "") refuse("bad_request", "missing 'address' (an 0x… or bech32 account)");
  if (EVM_ADDRESS.test(address)) return { family: "evm", address: getAddress(address).toLowerCase() };
  try {
    const { prefix, data } = fromBech32(address, 90);
    if (data.length === 20) return { family: "cosmos", address: address.toLowerCase() };
    refuse("bad_request", `bech32 address ${address} (${prefix}) is ${data.length} bytes: accounts are 20`);
  } catch (e) {
    if (e instanceof KeyServiceError) throw e;
  }
  refuse("bad_request", `'${address}' is neither an EVM (0x + 40 hex) nor a bech32 Cosmos account address`);
}

// ------------------------------------------------------------------ challenge messages

export interface Challenge {
  address: string;
  nonce: string;
  issuedAt: number; // unix seconds
  expiresAt: number;
  ticket: string; // base64url Ed25519 signature by the issuing front
}

const HEADER = "Hexs key service: sign this message to prove you control the account below. It moves no funds.";

function ticketPayload(c: Omit<Challenge, "ticket">): Buffer {
  return Buffer.from(`hexs-key-ticket-v1\n${c.address}\n${c.nonce}\n${c.issuedAt}\n${c.expiresAt}`);
}

export function formatChallenge(c: Challenge): string {
  return [
    HEADER,
    `Account: ${c.address}`,
    `Nonce: ${c.nonce}`,
    `Issued: ${new Date(c.issuedAt * 1000).toISOString()}`,
    `Expires: ${new Date(c.expiresAt * 1000).toISOString()}`,
    `Ticket: ${c.ticket}`,
  ].join("\n");
}

export function parseChallenge(message: string): Challenge {
  const lines = message.split("\n");
  const field = (name: string): string => {
    const line = lines.find((l) => l.startsWith(`${name}: `));
    if (!line) refuse("unauthenticated", `the signed message is not a Hexs key-service challenge (no '${name}:' line)`);
    return line.slice(name.length + 2);
  };
  if (lines[0] !== HEADER) refuse("unauthenticated", "the signed message is not a Hexs key-service challenge");
  const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
  return {
    address: field("Account"),
    nonce: field("Nonce"),
    issuedAt: seconds(field("Issued")),
    expiresAt: seconds(field("Expires")),
    ticket: field("Ticket"),
  };
}

/** Lighthouse's own challenge text (`getAuthMessage`), accepted only in Lighthouse mode. */
const LIGHTHOUSE_CHALLENGE =
  /^Please sign this message to prove you are owner of this account: [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The longest a login challenge may still be open when the client signs it (seconds). */
export const MAX_LOGIN_TTL = 900;

/**
 * What a client checks before it signs a challenge a service handed it: a Hexs login challenge
 * (exactly its six lines) for this account, open now and not for longer than MAX_LOGIN_TTL; or,
 * with `lighthouse`, Lighthouse's own one-line challenge. Anything else, a bare 32-byte hex
 * digest in particular (it could be a payout binding), is refused with `bad_challenge`.
 */
export function checkLoginChallenge(message: unknown, address: string, nowMs: number, lighthouse = false): void {
  if (typeof message !== "string") refuse("bad_challenge", "the key service sent no challenge text");
  if (lighthouse && LIGHTHOUSE_CHALLENGE.test(message)) return;
  const lines = message.split("\n");
  const bad = (why: string): never =>
    refuse("bad_challenge", `refusing to sign what the key service sent as a challenge: ${why} (got '${message.slice(0, 80)}')`);
  if (lines[0] !== HEADER || lines.length !== 6) bad("it is not a Hexs key-service challenge");
  const names = ["Account", "Nonce", "Issued", "Expires", "Ticket"];
  names.forEach((n, i) => lines[i + 1].startsWith(`${n}: `) || bad(`line ${i + 2} is not '${n}: …'`));
  const c = parseChallenge(message);
  if (c.address.toLowerCase() !== address.toLowerCase()) bad(`it names ${c.address}, not the signer ${address}`);
  const nowS = Math.floor(nowMs / 1000);
  if (!Number.isFinite(c.expiresAt) || c.expiresAt <= nowS) bad("it has expired");
  if (c.expiresAt - nowS > MAX_LOGIN_TTL) bad(`it stays open longer than ${MAX_LOGIN_TTL} s`);
}

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

// ------------------------------------------------------------------ ADR-36

/** The ADR-36 sign doc for arbitrary data (what Keplr's signArbitrary signs). */
export function adr36SignDoc(signer: string, message: string): StdSignDoc {
  const msg = { type: "sign/MsgSignData", value: { signer, data: toBase64(Buffer.from(message, "utf8")) } };
  return makeSignDoc([msg], { gas: "0", amount: [] }, "", "", 0, 0);
}

/** Sign a challenge as a Cosmos account; returns the bearer token the stores accept. */
export async function signAdr36(signer: OfflineAminoSigner, address: string, message: string): Promise<string> {
  const { signature } = await signer.signAmino(address, adr36SignDoc(address, message));
  return "adr36:" + Buffer.from(JSON.stringify(signature)).toString("base64url");
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

// The holder's side of login challenges, for Node and the browser alike (no node:crypto): account
// parsing, the challenge text, the check a client makes before it signs one, and ADR-36 signing.
// The front's issuer and the stores' verification stay in auth.ts (Node only).
import { getAddress } from "ethers";
import { makeSignDoc } from "@cosmjs/amino";
import type { OfflineAminoSigner, StdSignDoc } from "@cosmjs/amino";
import { fromBech32, toBase64 } from "@cosmjs/encoding";
import { toBase64url, utf8ToBytes } from "./bytes";
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

export const HEADER = "Hexs key service: sign this message to prove you control the account below. It moves no funds.";

export function ticketPayload(c: Omit<Challenge, "ticket">): Uint8Array {
  return utf8ToBytes(`hexs-key-ticket-v1\n${c.address}\n${c.nonce}\n${c.issuedAt}\n${c.expiresAt}`);
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

// ------------------------------------------------------------------ ADR-36

/** The ADR-36 sign doc for arbitrary data (what Keplr's signArbitrary signs). */
export function adr36SignDoc(signer: string, message: string): StdSignDoc {
  const msg = { type: "sign/MsgSignData", value: { signer, data: toBase64(utf8ToBytes(message)) } };
  return makeSignDoc([msg], { gas: "0", amount: [] }, "", "", 0, 0);
}

/** Sign a challenge as a Cosmos account; returns the bearer token the stores accept. */
export async function signAdr36(signer: OfflineAminoSigner, address: string, message: string): Promise<string> {
  const { signature } = await signer.signAmino(address, adr36SignDoc(address, message));
  return "adr36:" + toBase64url(utf8ToBytes(JSON.stringify(signature)));
}

// Everything the key service and its client refuse, in the one Hexs error type (../errors).
// `status` is the HTTP status the service answers with; `code` is stable for programs, the
// message is for people; `retryable`: the same request may succeed later.
import { HexsError } from "../errors";

export type KeyErrorCode =
  | "bad_request"
  | "bad_condition"
  | "unsupported"
  | "invalid_sdl"
  | "unauthenticated"
  | "nonce_expired"
  | "nonce_replayed"
  | "forbidden"
  | "not_found"
  | "chain_unavailable"
  | "threshold"
  | "integrity"
  | "bad_challenge";

const STATUS: Record<KeyErrorCode, number> = {
  bad_request: 400,
  bad_condition: 400,
  unsupported: 400,
  invalid_sdl: 400,
  unauthenticated: 401,
  nonce_expired: 401,
  nonce_replayed: 401,
  forbidden: 406, // what Lighthouse's key nodes answer when access conditions fail
  not_found: 404,
  chain_unavailable: 503,
  threshold: 502,
  integrity: 502,
  bad_challenge: 502, // the service handed the client something it will not sign
};

/** a fresh request (new challenge, chain back, more shares) may succeed */
const RETRYABLE: ReadonlySet<KeyErrorCode> = new Set(["nonce_expired", "nonce_replayed", "chain_unavailable", "threshold"]);

export class KeyServiceError extends HexsError {
  declare readonly code: KeyErrorCode;
  readonly status: number;

  constructor(code: KeyErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { retryable: RETRYABLE.has(code), cause: options.cause });
    this.status = STATUS[code];
  }
}

export function refuse(code: KeyErrorCode, message: string): never {
  throw new KeyServiceError(code, message);
}

/** The message of anything thrown, including the plain objects the Lighthouse SDK throws. */
export { messageOf } from "../errors";

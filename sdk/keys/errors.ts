// One error type for everything the key service and its client refuse. `status` is the HTTP
// status the service answers with; `code` is stable for programs, the message is for people.

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

export class KeyServiceError extends Error {
  readonly code: KeyErrorCode;
  readonly status: number;

  constructor(code: KeyErrorCode, message: string) {
    super(message);
    this.name = "KeyServiceError";
    this.code = code;
    this.status = STATUS[code];
  }
}

export function refuse(code: KeyErrorCode, message: string): never {
  throw new KeyServiceError(code, message);
}

/** The message of anything thrown, including the plain objects the Lighthouse SDK throws. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === "object") {
    const m = (err as Record<string, unknown>).message;
    if (typeof m === "string") return m;
    try {
      return JSON.stringify(err);
    } catch {
      return String(err);
    }
  }
  return String(err);
}

// What the SDK's actions refuse, as HexsError subclasses: `code` for programs, the message for
// people (what was wrong, with the value, and what to do).
import { HexsError } from "../errors";

/** A parameter is malformed or out of range. */
export class InvalidParamsError extends HexsError {
  constructor(message: string) {
    super("invalid_params", message);
  }
}

/** What the call names does not exist: a model, a key, a proposal, a lane. */
export class NotFoundError extends HexsError {
  constructor(message: string) {
    super("not_found", message);
  }
}

/** The signer may not do this (not the creator, not a member, not the holder, no role). */
export class NotAllowedError extends HexsError {
  constructor(message: string) {
    super("not_allowed", message);
  }
}

/** The account cannot pay the value or the gas. */
export class InsufficientFundsError extends HexsError {
  constructor(message: string) {
    super("insufficient_funds", message);
  }
}

/** The protocol's state does not allow it now (retired, paused, already done, nothing to claim, voting still open…). */
export class StateError extends HexsError {
  constructor(message: string, retryable = false) {
    super("bad_state", message, { retryable });
  }
}

/** A transaction would revert, failed to send, or reverted on chain; the message names the custom error. */
export class RevertError extends HexsError {
  constructor(message: string, cause?: unknown) {
    super("reverted", message, { cause });
  }
}

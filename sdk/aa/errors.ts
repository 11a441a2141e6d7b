// Errors of sponsored (ERC-4337) actions: each a HexsError with a stable code.
import { HexsError } from "../errors";

/** The bundler did not answer (down, wrong URL, network, timeout). Nothing was submitted or charged. */
export class BundlerUnreachableError extends HexsError {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(
      "bundler_unreachable",
      `the ERC-4337 bundler at ${url} did not answer: nothing was submitted and nothing was charged. Check that the bundler runs (npm run devnet:aa starts one on :8951) and retry`,
      { retryable: true, cause },
    );
  }
}

/** The gas sponsor's policy signer did not answer. Nothing was submitted or charged. */
export class PolicyUnreachableError extends HexsError {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(
      "policy_unreachable",
      `the gas sponsor's policy signer at ${url} did not answer: nothing was submitted and nothing was charged. Retry later or pay gas yourself`,
      { retryable: true, cause },
    );
  }
}

/** The policy signer refused to sponsor the operation (target, cap, paused...). */
export class PolicyRefusedError extends HexsError {
  constructor(
    readonly reason: string,
    readonly status?: number,
  ) {
    super(
      "policy_refused",
      `the gas sponsor refused this operation${status ? ` (HTTP ${status})` : ""}: ${reason}. Only Hexs actions within the hourly caps are sponsored; pay gas yourself or retry later`,
    );
  }
}

/**
 * The bundler refused the user operation with a JSON-RPC error: its simulation failed (e.g.
 * AA33 the paymaster reverted, AA34 bad paymaster signature, AA32 expired sponsorship). Nothing
 * was included, so nothing was charged.
 */
export class UserOpRejectedError extends HexsError {
  constructor(
    readonly rpcCode: number,
    readonly reason: string,
  ) {
    super("user_op_rejected", `the bundler rejected the user operation (${rpcCode}): ${reason}. Nothing was included or charged`);
  }
}

/**
 * The operation was included but its call reverted (e.g. the model's price changed). The gas
 * was paid by the sponsor; the account's tokens and keys are as before the operation.
 */
export class UserOpRevertedError extends HexsError {
  constructor(
    readonly userOpHash: string,
    readonly transactionHash: string,
  ) {
    super(
      "user_op_reverted",
      `user operation ${userOpHash} was included in ${transactionHash} but its call reverted: nothing was bought or moved. Check the action (price, ownership) and send it again`,
    );
  }
}

/** The operation was not included before the deadline. */
export class UserOpTimeoutError extends HexsError {
  constructor(
    readonly userOpHash: string,
    ms: number,
  ) {
    super("user_op_timeout", `user operation ${userOpHash} was not included within ${ms} ms; look it up again later`, {
      retryable: true,
    });
  }
}

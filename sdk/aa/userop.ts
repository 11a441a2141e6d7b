// ERC-4337 v0.7 user operations for Hexs: SimpleAccount call data, packing, hashes and the
// HexsPaymaster's signed paymasterData. Browser-safe (ethers only, no Node APIs).
import { AbiCoder, concat, getBytes, Interface, keccak256, toBeHex, zeroPadValue, type Signer } from "ethers";

/** A v0.7 user operation in the bundler's JSON-RPC shape (unpacked). */
export interface UserOperation {
  sender: string;
  nonce: bigint;
  factory?: string;
  factoryData?: string;
  callData: string;
  callGasLimit: bigint;
  verificationGasLimit: bigint;
  preVerificationGas: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  paymaster?: string;
  paymasterVerificationGasLimit?: bigint;
  paymasterPostOpGasLimit?: bigint;
  paymasterData?: string;
  signature: string;
}

/** The on-chain PackedUserOperation (EntryPoint.handleOps argument). */
export interface PackedUserOperation {
  sender: string;
  nonce: bigint;
  initCode: string;
  callData: string;
  accountGasLimits: string;
  preVerificationGas: bigint;
  gasFees: string;
  paymasterAndData: string;
  signature: string;
}

export interface Call {
  to: string;
  value?: bigint;
  data: string;
}

const abi = AbiCoder.defaultAbiCoder();
const account = new Interface([
  "function execute(address dest, uint256 value, bytes func)",
  "function executeBatch(address[] dest, uint256[] value, bytes[] func)",
]);

/** SimpleAccount call data: `execute` for one call, `executeBatch` for several. */
export function accountCallData(calls: Call[]): string {
  if (calls.length === 1) return account.encodeFunctionData("execute", [calls[0].to, calls[0].value ?? 0n, calls[0].data]);
  return account.encodeFunctionData("executeBatch", [
    calls.map((c) => c.to),
    calls.map((c) => c.value ?? 0n),
    calls.map((c) => c.data),
  ]);
}

const hi = (a: bigint, b: bigint) => zeroPadValue(toBeHex((a << 128n) | b), 32);

/** The `paymasterAndData` bytes: paymaster, its two gas limits, then its data. */
export function paymasterAndData(op: UserOperation): string {
  if (!op.paymaster) return "0x";
  return concat([
    op.paymaster,
    zeroPadValue(toBeHex(op.paymasterVerificationGasLimit ?? 0n), 16),
    zeroPadValue(toBeHex(op.paymasterPostOpGasLimit ?? 0n), 16),
    op.paymasterData ?? "0x",
  ]);
}

export function pack(op: UserOperation): PackedUserOperation {
  return {
    sender: op.sender,
    nonce: op.nonce,
    initCode: op.factory ? concat([op.factory, op.factoryData ?? "0x"]) : "0x",
    callData: op.callData,
    accountGasLimits: hi(op.verificationGasLimit, op.callGasLimit),
    preVerificationGas: op.preVerificationGas,
    gasFees: hi(op.maxPriorityFeePerGas, op.maxFeePerGas),
    paymasterAndData: paymasterAndData(op),
    signature: op.signature,
  };
}

/** The hash the account's owner signs (EntryPoint v0.7 getUserOpHash). */
export function userOpHash(op: UserOperation, entryPoint: string, chainId: bigint): string {
  const p = pack(op);
  const inner = keccak256(
    abi.encode(
      ["address", "uint256", "bytes32", "bytes32", "bytes32", "uint256", "bytes32", "bytes32"],
      [
        p.sender,
        p.nonce,
        keccak256(p.initCode),
        keccak256(p.callData),
        p.accountGasLimits,
        p.preVerificationGas,
        p.gasFees,
        keccak256(p.paymasterAndData),
      ],
    ),
  );
  return keccak256(abi.encode(["bytes32", "address", "uint256"], [inner, entryPoint, chainId]));
}

/** The hash the policy signer signs for HexsPaymaster (its `getHash`), as an EIP-191 message. */
export function paymasterHash(op: UserOperation, chainId: bigint, validUntil: number, validAfter: number): string {
  const p = pack(op);
  const gasWord = hi(op.paymasterVerificationGasLimit ?? 0n, op.paymasterPostOpGasLimit ?? 0n);
  return keccak256(
    abi.encode(
      [
        "address",
        "uint256",
        "bytes32",
        "bytes32",
        "bytes32",
        "bytes32",
        "uint256",
        "bytes32",
        "uint256",
        "address",
        "uint48",
        "uint48",
      ],
      [
        p.sender,
        p.nonce,
        keccak256(p.initCode),
        keccak256(p.callData),
        p.accountGasLimits,
        gasWord,
        p.preVerificationGas,
        p.gasFees,
        chainId,
        op.paymaster,
        validUntil,
        validAfter,
      ],
    ),
  );
}

/**
 * Sign `op` for HexsPaymaster as its policy signer: returns the paymasterData
 * (validUntil ‖ validAfter ‖ 65-byte signature). `op.paymaster` and its gas limits must be set.
 */
export async function signPaymasterData(
  signer: Signer,
  op: UserOperation,
  chainId: bigint,
  validUntil: number,
  validAfter: number,
): Promise<string> {
  const sig = await signer.signMessage(getBytes(paymasterHash(op, chainId, validUntil, validAfter)));
  return concat([zeroPadValue(toBeHex(validUntil), 6), zeroPadValue(toBeHex(validAfter), 6), sig]);
}

/** Sign `op` as the SimpleAccount's owner (EIP-191 message of the user-operation hash). */
export async function signUserOp(owner: Signer, op: UserOperation, entryPoint: string, chainId: bigint): Promise<string> {
  return owner.signMessage(getBytes(userOpHash(op, entryPoint, chainId)));
}

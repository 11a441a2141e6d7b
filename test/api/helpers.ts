// Shared by the API tests: the port range their services use, SSE parsing, and the EIP-712 fields
// of an EIP-3009 authorization (what payers sign for x402 and the test stablecoin checks).
export const PORTS = { from: 18080, to: 18179 };

/** EIP-3009's `TransferWithAuthorization` (and `ReceiveWithAuthorization`) struct fields. */
export const TRANSFER: { name: string; type: string }[] = [
  { name: "from", type: "address" },
  { name: "to", type: "address" },
  { name: "value", type: "uint256" },
  { name: "validAfter", type: "uint256" },
  { name: "validBefore", type: "uint256" },
  { name: "nonce", type: "bytes32" },
];

/** Parse an SSE body into its `data:` payloads. */
export function sseData(text: string): string[] {
  return text
    .split("\n\n")
    .filter((e) => e.startsWith("data: "))
    .map((e) => e.slice(6));
}

export interface Answer {
  object: string;
  choices: Array<{ text: string; message: { content: string }; finish_reason: string }>;
  usage: unknown;
  error: { type: string; message: string; param: string | null; code: string | null };
}

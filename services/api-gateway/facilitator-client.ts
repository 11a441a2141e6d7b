// The facilitator's chain client, shared by the request thread (facilitator.ts) and the
// settlement worker (settle-worker.ts): one viem wallet client for the facilitator account, the
// @x402/evm exact facilitator on top of it, and one cache of payers' code, so both threads build
// and cache the same way.
import {
  createWalletClient,
  defineChain,
  encodeFunctionData,
  hashTypedData,
  http,
  keccak256,
  publicActions,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { x402Facilitator } from "@x402/core/facilitator";
import { toFacilitatorEvmSigner } from "@x402/evm";
import { ExactEvmScheme } from "@x402/evm/exact/facilitator";
import { API_PAYMENTS_ABI } from "./api-payments-abi";
import { PayerKeys } from "./fast-verify";

export interface FacilitatorSetup {
  /** private key (0x…) of the facilitator account */
  facilitatorKey: string;
  rpcUrl: string;
  chainId: number;
  /** the chain's name in the gateway's config (viem's chain name) */
  chainName: string;
  /** receipt polling interval, ms */
  pollingMs: number;
  /** how long a payer's code is reused before it is re-read, ms */
  codeCacheMs: number;
}

type Code = `0x${string}` | undefined;

/**
 * Payers' code (EOA or contract), read for signature checks. A hit younger than `ttlMs` is
 * served as is; an older one is still served, and re-read behind the call (an account that
 * gains code, e.g. an EIP-7702 delegation, is seen one call later); a failed read is dropped.
 */
export class CodeCache {
  private readonly codes = new Map<string, { at: number; code: Promise<Code> }>();

  constructor(
    private readonly read: (address: `0x${string}`) => Promise<Code>,
    private readonly ttlMs: number,
    private readonly max = 100_000,
  ) {}

  get(address: `0x${string}`): Promise<Code> {
    const k = address.toLowerCase();
    const hit = this.codes.get(k);
    const t = Date.now();
    if (hit && t - hit.at < this.ttlMs) return hit.code;
    if (this.codes.size > this.max) this.codes.clear(); // bounded: a flood of payers only costs re-reads
    const code = this.read(address);
    code.then(
      () => this.codes.set(k, { at: Date.now(), code }),
      () => (this.codes.get(k)?.code === code ? this.codes.delete(k) : undefined),
    );
    if (hit) {
      hit.at = t; // one refresh at a time
      return hit.code;
    }
    this.codes.set(k, { at: t, code });
    return code;
  }
}

/** The facilitator account's client, its @x402/evm exact facilitator and the payers' code cache. */
export function makeFacilitatorClient(s: FacilitatorSetup) {
  const account = privateKeyToAccount(s.facilitatorKey as Hex);
  const chain = defineChain({
    id: s.chainId,
    name: s.chainName,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [s.rpcUrl] } },
  });
  const client = createWalletClient({ account, chain, transport: http(s.rpcUrl), pollingInterval: s.pollingMs }).extend(
    publicActions,
  );
  const codes = new CodeCache((address) => client.getCode({ address }), s.codeCacheMs);
  const keys = new PayerKeys();
  type TypedArgs = Parameters<typeof client.verifyTypedData>[0];
  /**
   * The facilitator checks each payment's signature again at settlement. For an EOA payer (no
   * code) and a plain 65-byte low-s signature that is ecrecover's answer, given here by
   * fast-verify's PayerKeys (native libsecp256k1 when it loads) instead of viem's JS recovery and
   * its eth_call of the ERC-6492 validator; anything else goes to viem as before.
   */
  const verifyTypedData = async (a: TypedArgs): Promise<boolean> => {
    if (keys.native && typeof a.signature === "string") {
      const code = await codes.get(a.address);
      if (!code || code === "0x") {
        const digest = hashTypedData(a as Parameters<typeof hashTypedData>[0]);
        const verdict = keys.verify(Buffer.from(digest.slice(2), "hex"), a.signature, a.address);
        if (verdict !== "unsupported") return verdict === "valid";
      }
    }
    return client.verifyTypedData(a);
  };
  const signer = toFacilitatorEvmSigner({
    address: account.address,
    readContract: (a) => client.readContract(a as Parameters<typeof client.readContract>[0]),
    verifyTypedData: (a) => verifyTypedData(a as TypedArgs),
    writeContract: (a) => client.writeContract(a as Parameters<typeof client.writeContract>[0]),
    sendTransaction: (a) => client.sendTransaction(a),
    waitForTransactionReceipt: (a) => client.waitForTransactionReceipt(a),
    // the payer's code is read twice per verification (ERC-6492 and ERC-1271 checks)
    getCode: ({ address }) => codes.get(address),
  });
  const facilitator = new x402Facilitator().register(`eip155:${s.chainId}`, new ExactEvmScheme(signer));
  return { account, client, facilitator, codes };
}

/**
 * HexsApiPayments.sweep(model, asset) sent by the facilitator account; the tx hash once mined.
 * Whoever calls it must not send from the same account at the same time (viem picks the nonce
 * per send): the gateway calls it from the settlement queue, between two settlements.
 */
export async function sendSweep(
  client: ReturnType<typeof makeFacilitatorClient>["client"],
  apiPayments: `0x${string}`,
  model: string,
  asset: `0x${string}`,
): Promise<`0x${string}`> {
  const hash = await client.writeContract({
    address: apiPayments,
    abi: API_PAYMENTS_ABI,
    functionName: "sweep",
    args: [BigInt(model), asset],
  });
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`sweep ${hash} reverted`);
  return hash;
}

// ---------------------------------------------------------------- batched settlement

/** X402SettlementBatcher's `settle` and what it and the token report (contracts/evm/market). */
export const BATCHER_ABI = [
  {
    type: "function",
    name: "settle",
    stateMutability: "nonpayable",
    inputs: [
      { name: "token", type: "address" },
      {
        name: "items",
        type: "tuple[]",
        components: [
          { name: "from", type: "address" },
          { name: "to", type: "address" },
          { name: "value", type: "uint256" },
          { name: "validAfter", type: "uint256" },
          { name: "validBefore", type: "uint256" },
          { name: "nonce", type: "bytes32" },
          { name: "signature", type: "bytes" },
        ],
      },
    ],
    outputs: [{ name: "settled", type: "bool[]" }],
  },
  {
    type: "event",
    name: "AuthorizationFailed",
    inputs: [
      { name: "token", type: "address", indexed: true },
      { name: "from", type: "address", indexed: true },
      { name: "nonce", type: "bytes32", indexed: true },
      { name: "index", type: "uint256", indexed: false },
      { name: "reason", type: "bytes", indexed: false },
    ],
  },
] as const;

/** One authorization as the batcher takes it (amounts as decimal strings: they cross threads as JSON). */
export interface BatchItem {
  from: `0x${string}`;
  to: `0x${string}`;
  value: string;
  validAfter: string;
  validBefore: string;
  nonce: `0x${string}`;
  signature: `0x${string}`;
}

/** A mined batch: its status and logs (plain values, posted between threads). */
export interface BatchReceipt {
  hash: `0x${string}`;
  status: "success" | "reverted";
  logs: Array<{ address: `0x${string}`; topics: `0x${string}`[]; data: `0x${string}`; logIndex: number }>;
}

/**
 * The batch's gas limit from its shape: a base plus a budget per authorization that covers an
 * EOA's transfer (~45k) with room for an ERC-1271 wallet's check. The batcher reverts the whole
 * batch rather than start an item with less than its ITEM_GAS_FLOOR (100k) left, so a limit
 * that is too low never passes for refused items.
 */
export function batchGasLimit(items: number): bigint {
  return 80_000n + BigInt(items) * 140_000n;
}

/**
 * Signs (does not send) X402SettlementBatcher.settle(token, items) from the facilitator account:
 * the caller records the transaction's hash before it is broadcast, so a crash between send and
 * receipt can look the batch up afterwards instead of guessing.
 */
export async function signBatch(
  client: ReturnType<typeof makeFacilitatorClient>["client"],
  batcher: `0x${string}`,
  token: `0x${string}`,
  items: BatchItem[],
): Promise<{ hash: `0x${string}`; raw: `0x${string}` }> {
  const data = encodeFunctionData({
    abi: BATCHER_ABI,
    functionName: "settle",
    args: [
      token,
      items.map((i) => ({
        ...i,
        value: BigInt(i.value),
        validAfter: BigInt(i.validAfter),
        validBefore: BigInt(i.validBefore),
      })),
    ],
  });
  const request = await client.prepareTransactionRequest({ to: batcher, data, gas: batchGasLimit(items.length) });
  const raw = await client.signTransaction(request as Parameters<typeof client.signTransaction>[0]);
  return { hash: keccak256(raw), raw };
}

/** Broadcasts a batch signed by signBatch and waits for its receipt. */
export async function sendBatch(
  client: ReturnType<typeof makeFacilitatorClient>["client"],
  raw: `0x${string}`,
): Promise<BatchReceipt> {
  const hash = await client.sendRawTransaction({ serializedTransaction: raw });
  return receiptOf(await client.waitForTransactionReceipt({ hash }));
}

/** The plain form of a viem receipt that a batch's outcome is read from. */
export function receiptOf(r: {
  transactionHash: `0x${string}`;
  status: "success" | "reverted";
  logs: ReadonlyArray<{ address: `0x${string}`; topics: readonly `0x${string}`[]; data: `0x${string}`; logIndex: number | null }>;
}): BatchReceipt {
  return {
    hash: r.transactionHash,
    status: r.status,
    logs: r.logs.map((l) => ({ address: l.address, topics: [...l.topics], data: l.data, logIndex: l.logIndex ?? -1 })),
  };
}

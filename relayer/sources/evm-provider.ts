// One way to open an EVM JSON-RPC connection: ask the endpoint its chain id first (a plain
// request that fails fast and clearly when the node is down), then build an ethers provider
// pinned to that network, so ethers never sits in its own silent "detect network" retry loop.
import { FetchRequest, JsonRpcProvider, Network, type PerformActionRequest } from "ethers";

/**
 * A JsonRpcProvider whose eth_estimateGas names the block, "latest". ethers sends it without a
 * block tag, which hardhat (and geth) read as "pending": the node then executes every transaction
 * in its mempool before estimating — on the devnet the relayers' batches of hundreds of messages
 * waiting for the next block (bench:relayer saw the LayerZero executor's estimates take 0.75–7.4 s
 * while they blocked the node). Callers that estimate a transaction depending on one of their own
 * still unmined must not use it; the relayer and the devnet's executor wait for theirs.
 */
export class LatestEstimateProvider extends JsonRpcProvider {
  override getRpcRequest(req: PerformActionRequest): null | { method: string; args: unknown[] } {
    const r = super.getRpcRequest(req);
    return r && req.method === "estimateGas" && r.args.length === 1 ? { method: r.method, args: [...r.args, "latest"] } : r;
  }
}

export async function connectEvm(url: string, timeoutMs = 5000): Promise<JsonRpcProvider> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new Error(`EVM RPC ${url} unreachable (${cause}): is the node running and the URL right?`, { cause: e });
  }
  const body = (await res.json().catch(() => ({}))) as { result?: string };
  if (!res.ok || typeof body.result !== "string")
    throw new Error(`EVM RPC ${url} answered eth_chainId with HTTP ${res.status}: not a JSON-RPC endpoint?`);
  const req = new FetchRequest(url);
  req.timeout = 30_000;
  return new LatestEstimateProvider(req, Network.from(BigInt(body.result)), {
    staticNetwork: true,
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
}

// Start the Akash stand-in (chain RPC + REST + one gateway per scripted provider) on loopback
// ports 18600-18699, producing a block every `blockMs`.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { StandinChain, type StandinChainOptions, type StandinProvider } from "./chain";
import { StandinProviderGateway, type ProviderBehaviour } from "./provider";
import { logger } from "../../relayer/log";

export { StandinChain, StandinProviderGateway };
export type { StandinProvider, ProviderBehaviour };

export const STANDIN_PORT_RANGE = [18600, 18699] as const;

export interface StandinOptions extends Omit<StandinChainOptions, "providers"> {
  providers?: (Partial<Omit<StandinProvider, "hostUri">> & { address: string; behaviour?: ProviderBehaviour })[];
  blockMs?: number;
  /** first port to try (default 18600); the range ends at 18699 (outside 18600-18699: 99 ports above it) */
  firstPort?: number;
}

export interface Standin {
  chain: StandinChain;
  rpcUrl: string;
  restUrl: string;
  gateways: Map<string, StandinProviderGateway>;
  /** stop / restart block production (txs wait in the mempool meanwhile) */
  pauseBlocks(paused: boolean): void;
  close(): Promise<void>;
}

async function listenInRange(server: http.Server, from: number, last: number): Promise<number> {
  for (let port = from; port <= last; port++) {
    const ok = await new Promise<boolean>((resolve) => {
      const onError = (e: NodeJS.ErrnoException) => {
        server.off("listening", onListening);
        if (e.code === "EADDRINUSE") resolve(false);
        else throw e;
      };
      const onListening = () => {
        server.off("error", onError);
        resolve(true);
      };
      server.once("error", onError);
      server.once("listening", onListening);
      server.listen(port, "127.0.0.1");
    });
    if (ok) return (server.address() as AddressInfo).port;
  }
  throw new Error(
    `no free port in ${from}-${last} on 127.0.0.1 for the Akash stand-in: stop the other stand-ins or devnets using that range`,
  );
}

export async function startStandin(opts: StandinOptions = {}): Promise<Standin> {
  const providers: StandinProvider[] = (opts.providers ?? []).map((p) => ({
    address: p.address,
    hostUri: "",
    attributes: p.attributes ?? [],
    bidPermille: p.bidPermille ?? 800,
    bids: p.bids ?? true,
  }));
  const chain = new StandinChain({ ...opts, providers });
  const servers: http.Server[] = [];
  const serve = async (handler: http.RequestListener) => {
    const s = http.createServer({ keepAlive: false }, handler);
    servers.push(s);
    const first = opts.firstPort ?? STANDIN_PORT_RANGE[0];
    const port = await listenInRange(
      s,
      Math.max(first, servers.length > 1 ? lastPort + 1 : 0),
      first >= STANDIN_PORT_RANGE[0] && first <= STANDIN_PORT_RANGE[1] ? STANDIN_PORT_RANGE[1] : first + 99,
    );
    lastPort = port;
    return `http://127.0.0.1:${port}`;
  };
  let lastPort = 0;
  const rpcUrl = await serve(chain.rpcHandler());
  const restUrl = await serve(chain.restHandler());
  const gateways = new Map<string, StandinProviderGateway>();
  for (const [i, p] of providers.entries()) {
    const gw = new StandinProviderGateway(chain, p.address, opts.providers?.[i].behaviour ?? {});
    p.hostUri = await serve(gw.handler());
    gateways.set(p.address, gw);
  }
  let busy = false;
  let paused = false;
  const timer = setInterval(() => {
    if (busy || paused) return;
    busy = true;
    void chain.commitBlock().finally(() => (busy = false));
  }, opts.blockMs ?? 100);
  logger("akash-standin").info(
    { rpcUrl, restUrl, providers: providers.map((p) => [p.address, p.hostUri]) },
    "Akash stand-in listening",
  );
  return {
    chain,
    rpcUrl,
    restUrl,
    gateways,
    pauseBlocks(p: boolean) {
      paused = p;
    },
    async close() {
      clearInterval(timer);
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((r) => {
              s.closeAllConnections();
              s.close(() => r());
            }),
        ),
      );
    },
  };
}

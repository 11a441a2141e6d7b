// The in-process Hardhat chain served over a real JSON-RPC endpoint on 127.0.0.1 (Hardhat's own
// `node` server code, via TASK_NODE_CREATE_SERVER), for services and clients that reach a chain by URL.
import hre from "hardhat";
import { TASK_NODE_CREATE_SERVER } from "hardhat/builtin-tasks/task-names";

interface JsonRpcServerLike {
  listen(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}

/** Serve the in-process Hardhat network on the first free port of `ports`. */
export async function serveChain(ports: { from: number; to: number }): Promise<{ url: string; close(): Promise<void> }> {
  for (let port = ports.from; port <= ports.to; port++) {
    const server = (await hre.run(TASK_NODE_CREATE_SERVER, {
      hostname: "127.0.0.1",
      port,
      provider: hre.network.provider,
    })) as JsonRpcServerLike;
    try {
      const r = await server.listen();
      return { url: `http://127.0.0.1:${r.port}`, close: () => server.close() };
    } catch (e) {
      if (!/EADDRINUSE/.test(String((e as Error).message ?? e))) throw e;
    }
  }
  throw new Error(`no free port in ${ports.from}-${ports.to} for the JSON-RPC server`);
}

// The devnet's relayer operators: each its own secp256k1 attestation key and, apart from it, its
// own transaction key (0600 key files: the attestation key never signs a transaction), its own SQLite
// queue and config file, the others as attestation peers, and (with the services) the `akash`
// section: operator1 leads the lease pipeline with its own Akash account, operators 2-3 co-sign
// its LeaseReported messages; started with the production CLI (`relayer start --config <file>`)
// as separate processes.
import fs from "node:fs";
import path from "node:path";
import type { Wallet } from "ethers";
import { parseConfig } from "../relayer/config";
import { COSMOS_CHAIN, ROOT, type CosmosChain, type EvmChain } from "./chains";
import { Supervisor, waitFor, type Child } from "./procs";

export interface Operator {
  name: string;
  /** the attestation key (and key-service identity) */
  key: Wallet;
  /** signs and pays for the operator's transactions on every chain */
  submitter: Wallet;
  dir: string;
  configFile: string;
  httpPort: number;
  child?: Child;
}

export interface RelayerTuning {
  /** EVM confirmation depth (blocks) */
  evmConfirmations: number;
  pollIntervalMs: number;
  maxBatch: number;
  /** batches a lane's designated submitter keeps in flight (delivery.pipeline; the relayer's default when absent) */
  pipeline?: number;
}

export const DEFAULT_TUNING: RelayerTuning = { evmConfirmations: 2, pollIntervalMs: 250, maxBatch: 64 };

/**
 * The operators' `akash` section (relayer/akash/config.ts): the first operator is the lease
 * leader (runs the lease pipeline with its own Akash account, decrypts SDLs through the key
 * service as its operator key), the others co-sign its LeaseReported messages after checking the
 * lease on Akash themselves. Reports travel attested (2-of-3) on the Akash lane to the purchase's chain.
 */
export interface AkashSetup {
  lane: number;
  rpc: string;
  rest: string;
  chainId: string;
  keyService: string;
  /** the leader's Akash account (co-signers trust its reports) */
  leaderAddress: string;
  /** the leader's mnemonic file, inside its operator folder */
  leaderMnemonicFile: string;
  /** first block / height each purchase chain is read from */
  evmFrom: Record<string, number>;
}

/** Write each operator's key file and config (validated with the relayer's own schema). */
export function writeOperatorConfigs(
  root: string,
  keys: Wallet[],
  submitters: Wallet[],
  firstPort: number,
  evm: EvmChain[],
  cosmos: CosmosChain,
  startHeight: number,
  tuning: RelayerTuning = DEFAULT_TUNING,
  akash?: AkashSetup,
): Operator[] {
  const ops: Operator[] = keys.map((key, i) => {
    const name = `operator${i + 1}`;
    const dir = path.join(root, name);
    return { name, key, submitter: submitters[i], dir, configFile: path.join(dir, "relayer.json"), httpPort: firstPort + i };
  });
  for (const [i, op] of ops.entries()) {
    fs.mkdirSync(op.dir, { recursive: true });
    for (const [file, key] of [
      ["operator.key", op.key],
      ["submitter.key", op.submitter],
    ] as const) {
      const keyFile = path.join(op.dir, file);
      fs.writeFileSync(keyFile, key.privateKey + "\n", { mode: 0o600 });
      fs.chmodSync(keyFile, 0o600);
    }
    const raw = {
      instance: op.name,
      operator: { key: { file: "operator.key" }, submitterKey: { file: "submitter.key" } },
      chains: [
        ...evm.map((c) => ({
          type: "evm",
          name: c.network,
          hexsChainId: c.hexsChainId,
          rpc: c.url,
          hub: c.addresses.HexsHub,
          gateway: c.addresses.AttestationGateway,
          confirmations: tuning.evmConfirmations,
          pollIntervalMs: tuning.pollIntervalMs,
          deliverTo: [COSMOS_CHAIN],
        })),
        {
          type: "cosmwasm",
          name: "wasmd",
          hexsChainId: COSMOS_CHAIN,
          rpc: cosmos.env.rpc,
          contract: cosmos.contract,
          gasPrice: `0${cosmos.env.denom}`,
          confirmations: 0,
          startHeight,
          pollIntervalMs: tuning.pollIntervalMs,
          deliverTo: evm.map((c) => c.hexsChainId),
        },
      ],
      peers: ops.filter((o) => o !== op).map((o) => ({ name: o.name, url: `http://127.0.0.1:${o.httpPort}` })),
      store: { sqlite: "queue.db" },
      http: { host: "127.0.0.1", port: op.httpPort },
      delivery: {
        maxBatch: tuning.maxBatch,
        ...(tuning.pipeline ? { pipeline: tuning.pipeline } : {}),
        attestTimeoutMs: 2000,
        backoffBaseMs: 200,
        backoffMaxMs: 5000,
        idleMs: 50,
      },
      ...(akash ? { akash: akashSection(akash, i === 0, op, evm, startHeight) } : {}),
    };
    parseConfig(raw, op.configFile); // fail here, naming the field, rather than in the child
    fs.writeFileSync(op.configFile, JSON.stringify(raw, null, 2) + "\n");
  }
  return ops;
}

/** Start every operator with the relayer CLI and wait until each reports ready (/readyz). */
export async function startOperators(sup: Supervisor, ops: Operator[]): Promise<void> {
  const tsNode = path.join(ROOT, "node_modules/.bin/ts-node");
  for (const op of ops) {
    op.child = sup.spawn(
      op.name,
      tsNode,
      ["--transpile-only", path.join(ROOT, "relayer/cli.ts"), "start", "--config", op.configFile],
      {
        cwd: ROOT,
        env: { HEXS_LOG_LEVEL: process.env.HEXS_LOG_LEVEL ?? "info" },
      },
    );
  }
  for (const op of ops) {
    await waitFor(
      `${op.name} /readyz on :${op.httpPort}`,
      120_000,
      async () => (await fetch(`http://127.0.0.1:${op.httpPort}/readyz`)).ok,
      { sup, c: op.child! },
    );
  }
}

function akashSection(
  a: AkashSetup,
  leader: boolean,
  op: Operator,
  evm: EvmChain[],
  startHeight: number,
): Record<string, unknown> {
  const common = {
    hexsChainId: a.lane,
    rpc: a.rpc,
    rest: a.rest,
    chainId: a.chainId,
    db: "akash.sqlite",
    // every chain where keys with a deployment are sold: the leader serves their purchases, the
    // co-signers read their escrows and lanes to check its reports
    purchases: [
      ...evm.map((c) => ({
        chain: c.network,
        market: c.addresses.HexsMarket,
        from: a.evmFrom[c.network],
        // DAO spends count only from this factory's governors (escrow top-ups)
        daoFactory: c.addresses.DaoFactory,
      })),
      { chain: "wasmd", from: startHeight },
    ],
    report: { mode: "attested", minCosigners: 1, refundsPerHour: 20 },
    pollMs: 500,
    // the leader decrypts SDLs to deploy them, the co-signers to check leased manifests
    keyService: a.keyService,
  };
  if (!leader) return { ...common, role: "cosigner", leaders: [a.leaderAddress] };
  if (path.dirname(a.leaderMnemonicFile) !== op.dir)
    throw new Error(`the leader's mnemonic file ${a.leaderMnemonicFile} must be in ${op.dir}`);
  return {
    ...common,
    role: "leader",
    mnemonic: { file: path.basename(a.leaderMnemonicFile) },
    // devnet pace: bids are collected for 1.5 s (the stand-in's providers bid in the next block)
    policy: {
      maxPricePerBlockUact: "1000",
      bidWindowMs: 1500,
      pollMs: 250,
      backoffBaseMs: 250,
      backoffMaxMs: 2000,
      maxAttempts: 8,
      txTimeoutMs: 15000,
    },
  };
}

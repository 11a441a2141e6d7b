// Start the whole devnet (used by `npm run devnet` and by bench/relayer.ts): two EVM chains, the
// wasmd chain, Hexs deployed and wired on all three, the LayerZero dev executor, the key service
// (front + 5 shard stores) and the Akash stand-in (services.ts), and the relayer operators, the
// first of which also leads the Akash lease pipeline; with `sponsor`, a gas sponsor (ERC-4337) on
// each EVM chain, A and B (sponsor.ts: per chain its own bundler and policy signer). Every process belongs to the returned Supervisor; `sup.stopAll()` ends them.
import fs from "node:fs";
import path from "node:path";
import { parseEther, type Wallet } from "ethers";
import {
  COSMOS_CHAIN,
  cosmosAddressOf,
  deployCosmwasm,
  deployEvm,
  EVM_CHAINS,
  EXECUTOR_INDEX,
  operatorKeys,
  submitterKeys,
  requireFreePorts,
  ROOT,
  startEvmNode,
  startWasmd,
  type CosmosChain,
  type EvmChain,
} from "./chains";
import { Supervisor } from "./procs";
import { deploySponsorOn, SPONSOR_PORTS, startSponsorOn, type DevnetSponsor } from "./sponsor";
import { DEFAULT_TUNING, startOperators, writeOperatorConfigs, type Operator, type RelayerTuning } from "./relayers";
import {
  AKASH_LANE,
  AKASH_PORTS,
  KEY_SERVICE_PORT,
  keyChainName,
  SHARD_STORE_PORTS,
  startAkashStandin,
  startKeyService,
  WASM_KEY_CHAIN,
  writeLeaderMnemonic,
  type DevnetServices,
} from "./services";

export interface DevnetOptions {
  /** working folder: logs/, relayers/, wasmd/ (default .devnet) */
  dir?: string;
  operators?: number;
  threshold?: number;
  wasmdRpcPort?: number;
  wasmdGrpcPort?: number;
  firstOperatorPort?: number;
  /** EVM block interval once deployed (ms) */
  blockTimeMs?: number;
  /**
   * false: once deployed, EVM blocks come only from the interval (a transaction waits for the next
   * block, as on a real chain). Default true: hardhat also mines every transaction at once, so
   * blocks are more frequent than `blockTimeMs` whenever anything is sent.
   */
  automine?: boolean;
  tuning?: RelayerTuning;
  /** false: write the operators' configs but do not start them (e.g. to pre-load a backlog) */
  startRelayers?: boolean;
  say?: (line: string) => void;
  /** the caller's supervisor (so a Ctrl-C during start-up reaches what has started) */
  sup?: Supervisor;
  /** false: no key service, no Akash stand-in, no `akash` section in the operators' configs (default true) */
  services?: boolean;
  /**
   * true: a gas sponsor (ERC-4337) on each EVM chain (A and B): EntryPoint v0.7,
   * SimpleAccountFactory, HexsPaymaster and a test ERC-20 the market accepts, and per chain an
   * alto bundler and a policy signer (devnet/sponsor.ts). Default false.
   */
  sponsor?: boolean;
}

export interface Devnet {
  sup: Supervisor;
  dir: string;
  evm: EvmChain[];
  cosmos: CosmosChain;
  /** the operators' attestation keys (their key-service identities too) */
  keys: Wallet[];
  /** the operators' transaction keys (funded on every chain; operator1's is paid lease escrows) */
  submitters: Wallet[];
  operators: Operator[];
  /** start the operators (when `startRelayers: false` was given) */
  startRelayers: () => Promise<void>;
  /** the key service and the Akash stand-in (unless `services: false`) */
  services?: DevnetServices;
  /** the gas sponsor on chain A (with `sponsor: true`; also sponsors[0]) */
  sponsor?: DevnetSponsor;
  /** the gas sponsors of every EVM chain, in `evm`'s order (with `sponsor: true`; else empty) */
  sponsors: DevnetSponsor[];
}

export async function startDevnet(o: DevnetOptions = {}): Promise<Devnet> {
  const dir = o.dir ?? path.join(ROOT, ".devnet");
  const say = o.say ?? (() => undefined);
  const n = o.operators ?? 3;
  const threshold = o.threshold ?? 2;
  const rpcPort = o.wasmdRpcPort ?? 26657;
  const grpcPort = o.wasmdGrpcPort ?? 9090;
  const firstOperatorPort = o.firstOperatorPort ?? 7101;
  const withServices = o.services ?? true;
  for (const sub of ["logs", "relayers", "wasmd", "keys"]) fs.rmSync(path.join(dir, sub), { recursive: true, force: true });
  const sup = o.sup ?? new Supervisor(path.join(dir, "logs"));
  try {
    await requireFreePorts([
      ...EVM_CHAINS.map((c) => c.port),
      rpcPort,
      rpcPort + 1,
      rpcPort + 2,
      grpcPort,
      ...Array.from({ length: n }, (_, i) => firstOperatorPort + i),
      ...(withServices ? [KEY_SERVICE_PORT, ...SHARD_STORE_PORTS, ...AKASH_PORTS] : []),
      ...(o.sponsor ? SPONSOR_PORTS : []),
    ]);
    say("starting EVM chains A and B (hardhat node) and the Cosmos chain (wasmd)…");
    const [nodes] = await Promise.all([
      Promise.all(EVM_CHAINS.map(async (spec) => ({ ...spec, ...(await startEvmNode(sup, spec)) }))),
      startWasmd(sup, path.join(dir, "wasmd"), rpcPort, grpcPort),
    ]);
    for (const node of nodes) say(`${node.label}: chain id ${node.evmChainId} on ${node.url}`);
    say(`Cosmos chain: wasmd on http://127.0.0.1:${rpcPort}`);

    const keys = operatorKeys(n);
    const submitters = submitterKeys(n);
    // The key service and the Akash stand-in start now and become ready while Hexs is deployed.
    const leaderMnemonicFile = path.join(dir, "relayers", "operator1", "akash.mnemonic");
    let services: Promise<DevnetServices> | undefined;
    if (withServices) {
      say("starting the key service (front + 5 shard stores) and the Akash stand-in, each its own process…");
      services = (async () => {
        const leaderAkash = await writeLeaderMnemonic(leaderMnemonicFile);
        const [ks, akash] = await Promise.all([
          startKeyService(sup, path.join(dir, "keys"), nodes, `http://127.0.0.1:${rpcPort}`),
          startAkashStandin(sup, path.join(dir, "logs"), leaderMnemonicFile),
        ]);
        return {
          keyService: ks.url,
          storeUrls: ks.storeUrls,
          akash,
          leader: { akashAddress: leaderAkash, mnemonicFile: leaderMnemonicFile },
        };
      })();
      services.catch(() => undefined); // awaited below; a failure is reported there
    }
    say(`relayer operators (${threshold}-of-${n}): ${keys.map((k) => k.address).join(", ")}`);
    const evm = await deployEvm(
      nodes,
      keys.map((k) => k.address),
      threshold,
      dir,
      say,
      { lease: withServices ? { akashChain: AKASH_LANE, payee: submitters[0].address } : undefined },
    );
    // Gas money for the operators' transaction keys on every EVM chain (their attestation keys get none).
    for (const c of evm) {
      const funder = await c.signer(0);
      for (const k of submitters) await (await funder.sendTransaction({ to: k.address, value: parseEther("100") })).wait();
    }
    // The sponsors' contracts go on A and B (a hardhat run per chain, as account 0) while the Cosmos chain is set up.
    const sponsorDeployed = o.sponsor ? Promise.all(evm.map((c) => deploySponsorOn(c, dir))) : undefined;
    sponsorDeployed?.catch(() => undefined); // awaited below; a failure is reported there
    const pubkeys = keys.map((k) => k.signingKey.compressedPublicKey.slice(2));
    // peers = the lanes the contract journals its facts to: the EVM chains only. Its config's
    // akash_lane (900) is its one other inbound lane, which carries LeaseReported only (listing
    // it as a peer would send every fact toward Akash).
    const cosmos = await deployCosmwasm(evm, pubkeys, threshold, ["alice", "bob", "carol"]);
    say(
      `Cosmos chain: Hexs contract ${cosmos.contract} (Hexs chain ${COSMOS_CHAIN}, peers ${evm.map((c) => c.hexsChainId).join(", ")})`,
    );

    for (const k of submitters) {
      await cosmos.admin.client.sendTokens(
        cosmos.admin.address,
        await cosmosAddressOf(k),
        [{ denom: cosmos.env.denom, amount: "10000000" }],
        "auto",
      );
    }
    const tSponsorWait = Date.now();
    const sponsorDs = (await sponsorDeployed) ?? [];
    if (sponsorDs.length)
      say(`waited ${((Date.now() - tSponsorWait) / 1000).toFixed(1)} s for the gas sponsors' deployments (A and B in parallel)`);
    sponsorDs.forEach((sd, i) =>
      say(
        `${evm[i].label}: gas sponsor EntryPoint v0.7 ${sd.entryPoint}, SimpleAccountFactory ${sd.factory}, HexsPaymaster ${sd.paymaster} (owner: the timelock); the market accepts the test ERC-20 ${sd.token}`,
      ),
    );
    // From here on the EVM chains also mine a block every second, so confirmations advance.
    for (const c of evm) await c.provider.send("evm_setIntervalMining", [o.blockTimeMs ?? 1000]);
    if (o.automine === false) for (const c of evm) await c.provider.send("evm_setAutomine", [false]);

    const lzConfig = path.join(dir, "logs", "lz-executor.json");
    fs.writeFileSync(
      lzConfig,
      JSON.stringify(
        {
          chains: evm.map((c) => ({
            name: c.network,
            url: c.url,
            evmChainId: c.evmChainId,
            hexsChainId: c.hexsChainId,
            eid: c.eid,
            endpoint: c.lz.endpoint,
            messageLib: c.lz.messageLib,
            hub: c.addresses.HexsHub,
            bridge: c.addresses.HexsLzBridge,
          })),
          executorIndex: EXECUTOR_INDEX,
          failedReceives: path.join(dir, "logs", "lz-failed-receives.json"),
          intervalMs: 500,
        },
        null,
        2,
      ),
    );
    sup.spawn(
      "lz-executor",
      path.join(ROOT, "node_modules/.bin/ts-node"),
      ["--transpile-only", path.join(__dirname, "lz-executor.ts"), lzConfig],
      { cwd: ROOT },
    );
    say("LayerZero dev executor running (flushes the hubs' LayerZero lanes, verifies and executes packets)");

    const svc = await services;
    if (svc) {
      say(
        `key service: ${svc.keyService} (Lighthouse's endpoints), shard stores ${svc.storeUrls.map((u) => u.replace("http://127.0.0.1", "")).join(" ")} (3-of-5); access checked on ${[...evm.map(keyChainName), WASM_KEY_CHAIN].join(", ")}`,
      );
      say(
        `Akash stand-in: chain ${svc.akash.chainId}, RPC ${svc.akash.rpc}, REST ${svc.akash.rest}, providers ${svc.akash.providers.map((p) => `${p.address} (${p.hostUri})`).join(", ")}`,
      );
      say(
        `lease leader operator1: Akash account ${svc.leader.akashAddress} (funded at genesis), mnemonic ${path.relative(ROOT, svc.leader.mnemonicFile)}; lease payee on A and B: ${submitters[0].address} (its transaction key)`,
      );
    }
    const height = await cosmos.admin.client.getHeight();
    const evmFrom: Record<string, number> = {};
    for (const c of evm) evmFrom[c.network] = await c.provider.getBlockNumber();
    const operators = writeOperatorConfigs(
      path.join(dir, "relayers"),
      keys,
      submitters,
      firstOperatorPort,
      evm,
      cosmos,
      height,
      o.tuning ?? DEFAULT_TUNING,
      svc && {
        lane: AKASH_LANE,
        rpc: svc.akash.rpc,
        rest: svc.akash.rest,
        chainId: svc.akash.chainId,
        keyService: svc.keyService,
        leaderAddress: svc.leader.akashAddress,
        leaderMnemonicFile: svc.leader.mnemonicFile,
        evmFrom,
      },
    );
    const startRelayers = async () => {
      await startOperators(sup, operators);
      for (const op of operators)
        say(
          `${op.name}: ready on http://127.0.0.1:${op.httpPort} (/metrics, /readyz), config ${path.relative(ROOT, op.configFile)}`,
        );
    };
    // each chain's alto and policy signer come up while the operators start
    const sponsorStarted = Promise.all(sponsorDs.map((sd, i) => startSponsorOn(sup, evm[i], sd, dir)));
    sponsorStarted.catch(() => undefined);
    if (o.startRelayers ?? true) await startRelayers();
    const tStartWait = Date.now();
    const sponsors = await sponsorStarted;
    if (sponsors.length)
      say(
        `waited ${((Date.now() - tStartWait) / 1000).toFixed(1)} s for the sponsors' bundlers and policy signers after the operators`,
      );
    for (const sp of sponsors)
      say(
        `${sp.label}: alto bundler ${sp.endpoints.bundlerUrl} (${sp.alto.name}, pid ${sp.alto.pid}, --safe-mode false), policy signer ${sp.endpoints.policyUrl} (${sp.policy.name}, pid ${sp.policy.pid})`,
      );
    return {
      sup,
      dir,
      evm,
      cosmos,
      keys,
      submitters,
      operators,
      startRelayers,
      services: svc,
      sponsor: sponsors[0],
      sponsors,
    };
  } catch (e) {
    await sup.stopAll();
    throw e;
  }
}

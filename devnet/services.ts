// The devnet's off-chain services, each a separate process under the devnet's Supervisor:
//   * the key service (services/key-service/cli.ts): five shard stores (127.0.0.1:7201-7205, each its own
//     directory and at-rest key, one shard of every SDL key) and the Lighthouse-compatible front
//     (127.0.0.1:7200) that issues challenges, keeps the encrypted files by CID and routes to the
//     stores; the stores check access against the devnet's chains themselves (KeyNFT.hasAccess on
//     EVM chains A and B, the CosmWasm contract's has_access on wasmd);
//   * the Akash stand-in (devnet/akash-standin/cli.ts): chain RPC 127.0.0.1:7300, REST :7301, two
//     scripted providers' gateways :7302-7303, the lease leader's Akash account funded at genesis.
import fs from "node:fs";
import path from "node:path";
import { keccak256, Mnemonic, toUtf8Bytes } from "ethers";
import { Secp256k1HdWallet } from "@cosmjs/amino";
import { COSMOS_CHAIN, ROOT, type EvmSpec } from "./chains";
import { Supervisor, waitForLine } from "./procs";
import { frontArgs, shardStoreArgs, type KeyChains } from "../services/key-service/launch";

export const KEY_SERVICE_PORT = 7200;
export const SHARD_STORE_PORTS = [7201, 7202, 7203, 7204, 7205];
export const AKASH_PORT = 7300;
/** RPC, REST and the two providers' gateways */
export const AKASH_PORTS = [AKASH_PORT, AKASH_PORT + 1, AKASH_PORT + 2, AKASH_PORT + 3];
export const AKASH_CHAIN_ID = "akash-devnet-1";
/** The Akash lane's Hexs chain id: LeaseReported messages travel 900 → the purchase's chain. */
export { AKASH_LANE } from "./wasmd";
/** The scripted providers: provider-a bids 90 % of the order's price in us-west, provider-b 70 % in eu-central. */
export const AKASH_PROVIDERS = ["provider-a:900:region=us-west", "provider-b:700:region=eu-central"];

/** The key service's name for each chain it checks (model:publish --sdl defaults to hexs-evm-<chain id>). */
export const keyChainName = (c: Pick<EvmSpec, "evmChainId">): string => `hexs-evm-${c.evmChainId}`;
export const WASM_KEY_CHAIN = `hexs-wasm-${COSMOS_CHAIN}`;

export interface AkashStandinInfo {
  rpc: string;
  rest: string;
  chainId: string;
  providers: { address: string; hostUri: string }[];
}

export interface DevnetServices {
  /** the key service front (Lighthouse's endpoints) */
  keyService: string;
  storeUrls: string[];
  akash: AkashStandinInfo;
  /** the lease leader (operator1): its Akash account and the mnemonic file its config names */
  leader: { akashAddress: string; mnemonicFile: string };
}

const TS_NODE = path.join(ROOT, "node_modules/.bin/ts-node");

/**
 * The lease leader's Akash account: a fixed dev mnemonic (from a label, like the operators' keys;
 * never for real funds), written 0600 where the leader's config points.
 */
export async function writeLeaderMnemonic(file: string): Promise<string> {
  const phrase = Mnemonic.fromEntropy(keccak256(toUtf8Bytes("hexs devnet operator 1 akash")).slice(0, 34)).phrase;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, phrase + "\n", { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  const [acct] = await (await Secp256k1HdWallet.fromMnemonic(phrase, { prefix: "akash" })).getAccounts();
  return acct.address;
}

/** Start the five shard stores and the front; resolves with the front's URL once all six print READY. */
export async function startKeyService(
  sup: Supervisor,
  dir: string,
  evm: readonly (EvmSpec & { url: string })[],
  wasmdRpc: string,
): Promise<{ url: string; storeUrls: string[] }> {
  const chains: KeyChains = {
    evm: evm.map((c) => ({ name: keyChainName(c), rpc: c.url, chainId: c.evmChainId })),
    cosmwasm: [{ name: WASM_KEY_CHAIN, rpc: wasmdRpc }],
  };
  const front = `http://127.0.0.1:${KEY_SERVICE_PORT}`;
  const storeUrls = SHARD_STORE_PORTS.map((p) => `http://127.0.0.1:${p}`);
  const env = { HEXS_KEYS_LOG: "1" };
  const stores = SHARD_STORE_PORTS.map((port, i) =>
    sup.spawn(
      `key-store-${i + 1}`,
      TS_NODE,
      shardStoreArgs({ index: i + 1, dir: path.join(dir, `store-${i + 1}`), port, front, chains }),
      { cwd: ROOT, env },
    ),
  );
  const svc = sup.spawn(
    "key-service",
    TS_NODE,
    frontArgs({ dir: path.join(dir, "front"), port: KEY_SERVICE_PORT, storeUrls, chains }),
    { cwd: ROOT, env },
  );
  await Promise.all([...stores, svc].map((c) => waitForLine(sup, c, /^READY /, 180_000, `${c.name} to print its READY line`)));
  return { url: front, storeUrls };
}

/** Start the Akash stand-in with the leader's account funded (uakt for fees, uact for deposits). */
export async function startAkashStandin(sup: Supervisor, dir: string, leaderMnemonicFile: string): Promise<AkashStandinInfo> {
  const infoFile = path.join(dir, "akash.json");
  fs.rmSync(infoFile, { force: true });
  const args = [
    "--transpile-only",
    path.join(ROOT, "devnet/akash-standin/cli.ts"),
    "--port",
    String(AKASH_PORT),
    "--chain-id",
    AKASH_CHAIN_ID,
    "--block-ms",
    "250",
  ];
  for (const p of AKASH_PROVIDERS) args.push("--provider", p);
  args.push("--fund-mnemonic-file", `${leaderMnemonicFile}=50000000,500000000`, "--info-file", infoFile);
  const c = sup.spawn("akash-standin", TS_NODE, args, { cwd: ROOT });
  await waitForLine(sup, c, /^READY akash-standin /, 180_000, "the Akash stand-in to print its READY line");
  return JSON.parse(fs.readFileSync(infoFile, "utf8")) as AkashStandinInfo;
}

// The devnet scenario across three chains and the off-chain services: bob, whose account is a
// Cosmos one, publishes a model on the CosmWasm chain; alice seals her fork's Akash SDL with the
// key service (encrypted, key split 3-of-5 over the shard stores) and forks bob's model on EVM
// chain A with that content commitment and SDL locator; she admits key holders on A, B and the
// CosmWasm chain (KeyNFT.hasAccess on each EVM chain, the contract's has_access on wasmd) and the
// relayer operators (so the lease leader can decrypt the SDL to open leases). bob binds an EVM
// wallet as his payout address on B with his Cosmos key's ADR-36 signature (B verifies it on
// arrival) and prices his model on B with an ADR-36 signed price order that anyone may submit;
// alice binds a Cosmos payout address with EIP-712 the other way. carol buys the fork's key on
// EVM chain B asking for a deployment; the models and the key are mirrored everywhere;
// royalties are settled and claimed on the chains where they were earned (B for carol's purchase,
// bob's share through his payout wallet; the CosmWasm chain for dave's). It ends with carol
// decrypting the SDL on B (`model:decrypt`, compared with alice's file) and the lease for her
// purchase running on the Akash stand-in (deployment and lease active, the provider holding the
// manifest), reported back to B on the Akash lane 900 (2-of-3) where the hub resolved the
// deployment escrow to the lease payee. EVM steps run the Hardhat tasks a user would run;
// CosmWasm steps send the contract's JSON messages; key-service steps use sdk/keys' client.
import fs from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import { formatEther, parseEther, ZeroAddress, zeroPadValue } from "ethers";
import { Secp256k1HdWallet } from "@cosmjs/amino";
import { fromBech32, toHex } from "@cosmjs/encoding";
import type { Model } from "../sdk/cosmwasm/Hexs.types";
import { decodeMessage, Kind, type LeaseReportedBody } from "../codec";
import {
  decryptForHolder,
  evmHolder,
  grantKeyHolders,
  grantOperators,
  KeyServiceClient,
  KeyServiceError,
  localEndpoints,
  sealSdl,
} from "../sdk/keys";
import { AkashClient } from "../sdk/akash/client";
import {
  AttestationGateway__factory,
  HexsPaymaster__factory,
  KeyNFT__factory,
  TestToken__factory,
  type HexsHub,
  type HexsMarket,
  type HexsRegistry,
} from "../sdk/typechain";
import {
  AccountFamily,
  connectContracts,
  nextPriceOrderNonce,
  signCosmWasmPriceOrder,
  signAdr36BindingWith,
  signPriceOrderWith,
  submitPriceOrder,
  type HexsContracts,
  type PriceOrder,
} from "../sdk";
import { COSMOS_CHAIN, devnetHardhatEnv, hardhat, ROOT, sdkChain, type CosmosChain, type EvmChain } from "./chains";
import { devnetMnemonic, PREFIX } from "./wasmd";
import { waitFor } from "./procs";
import { AKASH_LANE, keyChainName, WASM_KEY_CHAIN, type DevnetServices } from "./services";
import type { DevnetSponsor } from "./sponsor";
import { accountOf, BundlerClient, buyKeySponsored, createBurner, type SponsorConfig } from "../sdk/aa";

/** How long after carol's purchase the LeaseReported may take to be applied on B. */
const LEASE_TIMEOUT_MS = 180_000;
/** alice's fork's Akash SDL (encrypted with the key service in step 2). */
export const FORK_SDL = path.join(__dirname, "fork.sdl.yaml");
const NATIVE = "0x0000000000000000000000000000000000000000";

const id = (chain: number, serial: number): bigint => (BigInt(chain) << 32n) | BigInt(serial);
const show = (x: bigint): string => `${x >> 32n}:${x & 0xffffffffn}`;

export interface ScenarioResult {
  rootModel: bigint;
  forkModel: bigint;
  keyOnB: bigint;
  /** seconds from each source transaction to its mirror being visible, by label */
  mirrorSeconds: Record<string, number>;
  /** the fork's encrypted SDL */
  sdl: { cid: string; locator: string; contentCommitment: string };
  /** carol's lease on the Akash stand-in, and seconds from her purchase to LeaseReported applied on B */
  lease: { owner: string; dseq: string; gseq: number; oseq: number; provider: string; reportNonce: number; seconds: number };
  /** the burner's sponsored purchase on A (when the devnet runs a gas sponsor) */
  sponsored?: SponsoredBuy;
  /** the same on B (when the devnet runs a gas sponsor there too) */
  sponsoredB?: SponsoredBuy;
}

export interface SponsoredBuy {
  keyId: bigint;
  account: string;
  userOpHash: string;
  tx: string;
  /** wei the paymaster's deposit paid for the operation; gas of the whole bundle */
  actualGasCost: bigint;
  bundleGasUsed: bigint;
  seconds: number;
  /** the whole step: pricing the fork, funding the account, the purchase and the checks */
  stepSeconds: number;
}

/** What the scenario needs besides the chains: the services and who runs them. */
export interface ScenarioServices {
  services: DevnetServices;
  /** the relayer operators' EVM addresses (bob lets them decrypt his SDL to open leases) */
  operators: string[];
  /** who the hubs pay a successful lease's escrow (the lease leader's operator address) */
  leasePayee: string;
  /** where carol's decrypted SDL is written */
  outDir: string;
  /** the devnet's process logs (quoted when the lease does not come) */
  logDir: string;
  /** the gas sponsor on A: the scenario ends with a burner's sponsored purchase there */
  sponsor?: DevnetSponsor;
  /** the gas sponsor on B: then a burner buys there too, through B's own bundler and policy signer */
  sponsorB?: DevnetSponsor;
}

export async function runScenario(
  a: EvmChain,
  b: EvmChain,
  cosmos: CosmosChain,
  say: (line: string) => void,
  x: ScenarioServices,
): Promise<ScenarioResult> {
  const env = devnetHardhatEnv([a, b]);
  const contracts = (c: EvmChain): HexsContracts => connectContracts(sdkChain(c), c.provider);
  const registry = (c: EvmChain): HexsRegistry => contracts(c).registry;
  const market = (c: EvmChain): HexsMarket => contracts(c).market;
  const hub = (c: EvmChain): HexsHub => contracts(c).hub!;
  const cw = cosmos.users;
  const q = <T>(msg: unknown): Promise<T> => cw.alice.client.queryContractSmart(cosmos.contract, msg) as Promise<T>;
  const evmAccount = async (c: EvmChain, i: number) => (await c.signer(i)).getAddress();
  const [alice, carol, bobEvm] = await Promise.all([evmAccount(a, 2), evmAccount(b, 3), evmAccount(b, 4)]);
  const hex20 = (bech: string) => "0x" + toHex(fromBech32(bech, 1023).data);
  const mirrorSeconds: Record<string, number> = {};
  let step = 0;

  const title = (text: string) => say(`\n── ${++step}. ${text}`);
  const task = async (network: string, name: string, args: string[]): Promise<string> => {
    const shown = args.map((x) => (/^[\w.:/@-]+$/.test(x) ? x : `'${x}'`)).join(" ");
    say(`   $ npx hardhat ${name} --network ${network} ${shown}`);
    const out = await hardhat([name, "--network", network, ...args], env);
    for (const line of out
      .trim()
      .split("\n")
      .filter((l) => l.trim() && !/^(Warning|\s+You are using)/.test(l)))
      say(`     ${line}`);
    return out;
  };
  const execute = async (who: keyof typeof cw, msg: Record<string, unknown>, funds?: { denom: string; amount: string }[]) => {
    say(
      `   $ wasmd tx wasm execute ${cosmos.contract.slice(0, 14)}… '${JSON.stringify(msg)}'${funds ? ` --amount ${funds[0].amount}${funds[0].denom}` : ""} --from ${who}`,
    );
    const r = await cw[who].client.execute(cw[who].address, cosmos.contract, msg, "auto", undefined, funds);
    say(`     tx ${r.transactionHash} at height ${r.height} (gas ${r.gasUsed})`);
    return r;
  };
  const mirrored = async (label: string, probe: () => Promise<boolean>) => {
    const t0 = Date.now();
    await waitFor(label, 120_000, probe);
    const s = (Date.now() - t0) / 1000;
    mirrorSeconds[label] = s;
    say(`   ✓ ${label} (${s.toFixed(1)} s)`);
  };

  say(`cast: bob ${cw.bob.address} (creator, Cosmos; EVM payout wallet ${bobEvm}), alice ${alice} (forker, EVM),`);
  say(`      carol ${carol} (buyer on B), dave ${cw.carol.address} (buyer on the Cosmos chain)`);
  const keyService = new KeyServiceClient(localEndpoints(x.services.keyService));
  const bobSigner = await Secp256k1HdWallet.fromMnemonic(devnetMnemonic("bob"), {
    prefix: "wasm",
  });
  const sdlText = fs.readFileSync(FORK_SDL, "utf8");
  const rel = (f: string) => path.relative(ROOT, f);

  // 1. A root model on the Cosmos chain, mirrored to A and B by the relayer quorum.
  const root = id(COSMOS_CHAIN, 1);
  title("bob publishes a model on the Cosmos chain (forks owe it 20 %); a key costs 400000 there");
  await execute("bob", {
    publish: {
      content: createHash("sha256").update("encrypted SDL of bob/llama-3-8b-ft v1").digest("hex"),
      sdl_uri: "lighthouse://bafkreibobllama",
      price: "400000",
      deploy_price: "0",
      policy: { soulbound: false, key_lifetime_secs: null, max_supply: null, allowlist_only: false, forkable: true },
      royalty: { fork_royalty_bps: 2000, dao_bps: 0 },
      dao: null,
    },
  });
  for (const c of [a, b])
    await mirrored(
      `model ${show(root)} mirrored on ${c.label} (2-of-3 relayer batch)`,
      async () => (await registry(c).model(root)).creator !== ZeroAddress,
    );

  // 2. alice seals her fork's SDL with the key service, then forks bob's model on chain A with its
  //    content commitment and locator, committing to the parent's content.
  title(`alice encrypts her fork's SDL with the key service (EIP-191 signatures)`);
  const aliceHolder = evmHolder(await a.signer(2), alice.toLowerCase());
  const t2 = Date.now();
  const sealed = await sealSdl(keyService, aliceHolder, sdlText, { source: rel(FORK_SDL) });
  say(
    `   ${rel(FORK_SDL)}: valid SDL (${sealed.sdl.services.length} service, image pinned ${sealed.imageDigest.slice(0, 18)}…), AES-256-GCM encrypted, stored as ${sealed.upload.cid} (${sealed.upload.encryptedBytes} bytes)`,
  );
  say(
    `   key split 3-of-5 over the shard stores ${x.services.storeUrls.map((u) => u.replace("http://127.0.0.1", "")).join(" ")}, owner ${alice}; only alice may open it so far (${((Date.now() - t2) / 1000).toFixed(1)} s)`,
  );
  say(
    `   content commitment ${sealed.contentCommitment} (sha256 of the encrypted SDL + image digest), locator ${sealed.upload.locator.slice(0, 40)}…`,
  );
  const fork = id(a.hexsChainId, 1);
  title(`alice forks it on ${a.label} with that commitment and locator (her fork owes bob's model 20 %)`);
  await task(a.network, "model:fork", [
    "--parent",
    show(root),
    "--commitment",
    sealed.contentCommitment,
    "--sdl-locator",
    sealed.upload.locator,
    "--from",
    "2",
  ]);
  await mirrored(
    `fork ${show(fork)} with parent ${show(root)} mirrored on ${b.label} (LayerZero)`,
    async () => (await registry(b).model(fork)).parentId === root,
  );
  const m = await registry(b).model(fork);
  if (m.contentCommitment !== sealed.contentCommitment || m.sdlLocator !== sealed.upload.locator)
    throw new Error(
      `${b.label} mirrored fork ${show(fork)} with commitment ${m.contentCommitment} / locator ${m.sdlLocator}, not alice's`,
    );
  say(`   ✓ B carries alice's content commitment and SDL locator`);
  await mirrored(
    `fork ${show(fork)} with parent ${show(root)} mirrored on the Cosmos chain (2-of-3 relayer batch)`,
    async () =>
      (await q<Model | null>({ model: { id: fork.toString() } }).catch(() => null))?.parent?.toString() === root.toString(),
  );

  title("alice lets key holders on A, B and the Cosmos chain decrypt the SDL, and the relayer operators (to open leases)");
  const t2b = Date.now();
  const keyNfts = await Promise.all(
    [b, a].map(async (c) => ({ chain: keyChainName(c), keyNft: await registry(c).keysOf(fork) })),
  );
  await grantKeyHolders(keyService, aliceHolder, sealed.upload.locator, {
    evm: keyNfts,
    cosmwasm: [{ chain: WASM_KEY_CHAIN, contract: cosmos.contract, modelId: fork }],
  });
  await grantOperators(keyService, aliceHolder, sealed.upload.locator, x.operators);
  say(
    `   conditions: KeyNFT.hasAccess(:userAddress) on ${keyNfts.map((k) => `${k.chain} (${k.keyNft})`).join(" or ")}, or has_access(${show(fork)}, :userAddress) on ${WASM_KEY_CHAIN}`,
  );
  say(`   shared with the relayer operators ${x.operators.join(", ")} (${((Date.now() - t2b) / 1000).toFixed(1)} s)`);
  const carolHolder = evmHolder(await b.signer(3), carol.toLowerCase());
  try {
    await decryptForHolder(keyService, carolHolder, sealed.upload.locator);
    throw new Error("the key service let carol decrypt alice's SDL before she held a key");
  } catch (e) {
    if (!(e instanceof KeyServiceError) || e.code !== "forbidden") throw e;
    say(`   ✓ carol, who holds no key yet, is refused (${e.code}: ${e.message.split(":").slice(-1)[0].trim()})`);
  }

  // 3. bob, whose account is a Cosmos one, names an EVM wallet that is paid his earnings on B.
  //    The binding carries his ADR-36 signature, which B verifies on arrival. alice prices her fork on B.
  title(`bob binds his EVM wallet as his payout address on ${b.label} (signed with his Cosmos key, ADR-36)`);
  const binding = {
    creator: { family: AccountFamily.Cosmos, address: hex20(cw.bob.address) },
    chain: b.hexsChainId,
    payout: { family: AccountFamily.Evm, address: bobEvm.toLowerCase() },
    nonce: 1n,
  };
  const signature = await signAdr36BindingWith(bobSigner, binding, PREFIX);
  await execute("bob", {
    bind_payout: { chain: b.hexsChainId, payout: { evm: bobEvm }, nonce: "1", signature: signature.slice(2) },
  });
  const bobHere = await registry(b).localCreator({ family: 2, addr: zeroPadValue(hex20(cw.bob.address), 32) });
  await mirrored(
    `bob's payout binding verified and applied on ${b.label}`,
    async () => (await registry(b).payoutOf(bobHere)) === bobEvm,
  );
  title(`bob prices his model on ${b.label} with a signed price order (ADR-36; he has no account there, alice submits it)`);
  const priceOrder: PriceOrder = {
    creator: binding.creator,
    chain: b.hexsChainId,
    modelId: root,
    currency: NATIVE,
    keyPrice: parseEther("0.05"),
    deploymentPrice: 0n,
    listed: true,
    nonce: await nextPriceOrderNonce(contracts(b), binding.creator),
  };
  const orderBlob = await signPriceOrderWith(bobSigner, priceOrder, PREFIX);
  const priced = await submitPriceOrder(contracts(b), await b.signer(2), priceOrder, orderBlob);
  const listedOnB = await registry(b).saleInfo(root, NATIVE);
  if (!listedOnB.listed || listedOnB.keyPrice !== priceOrder.keyPrice)
    throw new Error(`bob's signed price order did not price ${show(root)} on ${b.label}`);
  say(`   ✓ ${show(root)} sells on ${b.label} for ${formatEther(listedOnB.keyPrice)} ETH (tx ${priced.txHash.slice(0, 18)}…)`);
  title(`alice prices her fork on ${b.label}: 0.02 ETH a key, 0.01 ETH for a deployment`);
  await task(b.network, "model:price", ["--model", show(fork), "--price", "0.02", "--deployment-price", "0.01", "--from", "2"]);

  // 4. carol buys the fork's key on chain B and asks for a deployment.
  const key = id(b.hexsChainId, 1);
  title(`carol buys a key of the fork on ${b.label}, with an Akash deployment in us-west`);
  const hubB = hub(b);
  const fromBlock = await b.provider.getBlockNumber();
  await task(b.network, "key:buy", ["--model", show(fork), "--deploy-params", `{"region":"us-west"}`, "--from", "3"]);
  const bought = Date.now();
  const escrow = await market(b).escrowOf(key);
  say(
    `   deployment escrow of key ${show(key)}: ${formatEther(escrow.amount)} ETH held until the lease is reported; the lease pipeline runs in the background (checked in the last step)`,
  );
  // Watch B from now on for the escrow's resolution (or a refused LeaseReported), to time the lease.
  const leaseWatch = (async (): Promise<{ tx?: string; rejected?: string; at: number }> => {
    const until = bought + LEASE_TIMEOUT_MS;
    for (;;) {
      const rejected = await hubB.queryFilter(hubB.filters.MessageRejected(AKASH_LANE), fromBlock).catch(() => []);
      if (rejected.length)
        return { rejected: rejected.map((e) => `#${e.args.nonce}: ${e.args.reason}`).join("; "), at: Date.now() };
      const ev = await market(b)
        .queryFilter(market(b).filters.DeploymentResolved(key), fromBlock)
        .catch(() => []);
      if (ev.length) return { tx: ev[0].transactionHash, at: Date.now() };
      if (Date.now() > until) return { at: Date.now() };
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  await mirrored(`carol's key ${show(key)} opens the fork on ${a.label} (LayerZero mirror)`, async () =>
    contracts(a).registryLens.hasAccess(await registry(a).getAddress(), fork, carol),
  );
  await mirrored(
    `carol's key ${show(key)} opens the fork on the Cosmos chain`,
    async () => (await q<{ access: boolean }>({ has_access: { model: fork.toString(), account: { evm: carol } } })).access,
  );
  say(
    `   lineage on the Cosmos chain: ${show(fork)} → parent ${show(BigInt((await q<Model>({ model: { id: fork.toString() } })).parent!))}`,
  );

  // 5. Royalties earned on chain B: settle the fork's vault up to the root, claim.
  title(`settle the fork's revenue on ${b.label}, level by level up to bob's model`);
  await task(b.network, "vault:settle", ["--model", show(fork)]);
  title(`alice claims her earnings on ${b.label}; bob's payout wallet claims bob's royalty`);
  const aliceOwed = await market(b).earningsOf(alice, NATIVE);
  const bobOwed = await market(b).earningsOf(bobHere, NATIVE);
  await task(b.network, "vault:claim", ["--from", "2"]);
  await task(b.network, "vault:claim", ["--payee", `cosmos:${hex20(cw.bob.address)}`, "--from", "4"]);
  say(`   on ${b.label}: alice earned ${formatEther(aliceOwed)} ETH, bob ${formatEther(bobOwed)} ETH from carol's 0.02 ETH key`);

  // 6. The other direction: alice binds a Cosmos payout address from chain A (EIP-712, verified on
  //    the Cosmos chain against A's PayoutBindings). dave buys a key of bob's model on the Cosmos
  //    chain; settle and claim there.
  title("alice binds her Cosmos address as her payout address on the Cosmos chain (EIP-712 on A, carried by the relayers)");
  await task(a.network, "payout:bind", [
    "--chain",
    String(COSMOS_CHAIN),
    "--payout",
    `cosmos:${hex20(cw.alice.address)}`,
    "--from",
    "2",
  ]);
  await mirrored(
    "alice's payout binding verified and applied on the Cosmos chain",
    async () => (await q<string | null>({ payout: { account: { evm: alice } } })) === cw.alice.address,
  );
  title("dave buys a key of bob's model on the Cosmos chain; settle and claim there");
  await execute("carol", { buy_key: { model: root.toString(), recipient: null, with_deployment: false } }, [
    { denom: cosmos.env.denom, amount: "400000" },
  ]);
  await execute("carol", { settle: { model: root.toString() } });
  const owed = await q<string>({ claimable: { payee: { cosmos: cw.bob.address } } });
  await execute("bob", { claim: { payee: null } });
  say(`   bob received ${owed}${cosmos.env.denom} on the Cosmos chain`);
  const dave = { family: 2, addr: zeroPadValue(hex20(cw.carol.address), 32) };
  const hubA = hub(a);
  await mirrored(`dave's key of ${show(root)} (bought on the Cosmos chain) is mirrored on ${a.label}`, async () =>
    hubA.hasMirroredAccess(root, dave),
  );

  // An EVM creator has no account on the Cosmos chain to price with: alice signs an EIP-712 order
  // for A's PayoutBindings (her fork's home), which the contract checks against that peer.
  title(
    `alice prices her fork on the Cosmos chain with a signed order (EIP-712 for ${a.label}'s PayoutBindings; dave submits it)`,
  );
  const lastOrder = await q<string>({ price_order_nonce: { creator: { evm: alice } } });
  const forkOrder = await signCosmWasmPriceOrder(contracts(a), await a.signer(2), {
    cosmwasmChain: COSMOS_CHAIN,
    modelId: fork,
    keyPrice: 300_000n,
    nonce: BigInt(lastOrder) + 1n,
  });
  await execute("carol", forkOrder.msg);
  const forkPrice = (await q<Model>({ model: { id: fork.toString() } })).price;
  if (forkPrice !== "300000")
    throw new Error(`alice's signed order did not price ${show(fork)} on the Cosmos chain (${forkPrice})`);
  await execute("carol", { buy_key: { model: fork.toString(), recipient: null, with_deployment: false } }, [
    { denom: cosmos.env.denom, amount: forkPrice },
  ]);
  say(`   ✓ dave bought a key of alice's fork on the Cosmos chain for ${forkPrice}${cosmos.env.denom}`);

  // 7. carol, a key holder on B, decrypts the fork's SDL with the task a holder runs.
  title(`carol decrypts the fork's SDL on ${b.label} as a key holder (EIP-191 challenge, 3 of 5 shards)`);
  const out = path.join(x.outDir, "carol-fork.sdl.yaml");
  const t7 = Date.now();
  await task(b.network, "model:decrypt", [
    "--model",
    show(fork),
    "--out",
    rel(out),
    "--key-service",
    x.services.keyService,
    "--from",
    "3",
    "--force",
  ]);
  const got = fs.readFileSync(out, "utf8");
  if (got !== sdlText) throw new Error(`carol's decrypted SDL ${rel(out)} differs from ${rel(FORK_SDL)}`);
  say(
    `   ✓ ${rel(out)} equals alice's ${rel(FORK_SDL)} (${got.length} bytes, sha256 ${createHash("sha256").update(got).digest("hex").slice(0, 16)}…) (${((Date.now() - t7) / 1000).toFixed(1)} s)`,
  );

  // 8. The lease for carol's purchase: the leader (operator1) read the Purchased event on B, decrypted
  //    the SDL as its operator key, opened the deployment and lease on the Akash stand-in and sent the
  //    manifest; the co-signers checked the lease on Akash; LeaseReported went 900 → B (2-of-3).
  title(`the lease for carol's purchase: running on the Akash stand-in, reported to ${b.label} on lane ${AKASH_LANE}`);
  const watched = await leaseWatch;
  const pipelineLog = () => {
    const f = path.join(x.logDir, "operator1.log");
    const lines = fs.existsSync(f)
      ? fs
          .readFileSync(f, "utf8")
          .split("\n")
          .filter((l) => /akash|lease/i.test(l))
          .slice(-12)
      : [];
    return `; the lease leader's log (${rel(f)}) ends:\n${lines.join("\n")}`;
  };
  if (watched.rejected)
    throw new Error(`the hub on ${b.label} refused LeaseReported from lane ${AKASH_LANE}: ${watched.rejected}`);
  if (!watched.tx)
    throw new Error(
      `no LeaseReported for key ${show(key)} applied on ${b.label} within ${LEASE_TIMEOUT_MS / 1000} s of the purchase${pipelineLog()}`,
    );
  const resolvedTx = watched.tx;
  const leaseSeconds = (watched.at - bought) / 1000;
  const tx = (await b.provider.getTransaction(resolvedTx))!;
  const batch = AttestationGateway__factory.createInterface().parseTransaction({ data: tx.data });
  const messages: string[] = batch?.name === "submitBatch" ? Array.from(batch.args[0] as string[]) : [];
  const reports = messages
    .map((m) => decodeMessage(m))
    .filter((m) => m.kind === Kind.LeaseReported && (m.body as LeaseReportedBody).purchaseId === key);
  if (reports.length !== 1)
    throw new Error(`tx ${resolvedTx} resolved key ${show(key)}'s escrow but carries no LeaseReported for it`);
  const report = reports[0];
  const r = report.body as LeaseReportedBody;
  if (!r.ok) throw new Error(`the lease for carol's purchase failed (the escrow went back to her): ${r.reason}${pipelineLog()}`);
  say(
    `   ✓ LeaseReported ${report.srcChain} → ${report.dstChain} #${report.nonce} applied on ${b.label} through the gateway (tx ${resolvedTx.slice(0, 18)}…), ${leaseSeconds.toFixed(1)} s after carol's purchase`,
  );
  say(`     purchase ${show(key)}: leased, dseq ${r.dseq}, gseq ${r.gseq}, oseq ${r.oseq}, provider ${r.provider}`);
  const [resolved] = await market(b).queryFilter(market(b).filters.DeploymentResolved(key));
  const credit = await market(b).creditOf(x.leasePayee, NATIVE);
  if (
    !resolved.args.leased ||
    resolved.args.payee.toLowerCase() !== x.leasePayee.toLowerCase() ||
    (await market(b).escrowOf(key)).amount !== 0n ||
    credit < parseEther("0.01")
  ) {
    throw new Error(
      `key ${show(key)}'s escrow was not paid to the lease payee ${x.leasePayee} (leased ${resolved.args.leased}, payee ${resolved.args.payee}, credit ${formatEther(credit)} ETH)`,
    );
  }
  say(
    `   ✓ escrow resolved: ${formatEther(resolved.args.amount)} ETH credited to the lease payee ${x.leasePayee} on ${b.label} (claimable ${formatEther(credit)} ETH)`,
  );
  const mnemonic = fs.readFileSync(x.services.leader.mnemonicFile, "utf8").trim();
  let result: ScenarioResult;
  const akash = await AkashClient.fromMnemonic(mnemonic, {
    chainId: x.services.akash.chainId,
    rpcUrl: x.services.akash.rpc,
    restUrl: x.services.akash.rest,
  });
  try {
    const owner = akash.address;
    const dseq = r.dseq.toString();
    const d = await akash.deployment(owner, dseq);
    const leases = (await akash.leases(owner, dseq)).filter(
      (l) => l.gseq === r.gseq && l.oseq === r.oseq && l.provider === r.provider,
    );
    if (d?.state !== "active" || leases[0]?.state !== "active")
      throw new Error(
        `Akash stand-in: deployment ${owner}/${dseq} is ${d?.state ?? "missing"}, its lease with ${r.provider} ${leases[0]?.state ?? "missing"}`,
      );
    const dec = (v: string | null) => (v ?? "?").replace(/\.0+$/, "").replace(/(\.\d*?)0+$/, "$1");
    say(
      `   ✓ Akash stand-in: deployment ${owner}/${dseq} active (escrow ${dec(d.escrowUact)} uact), lease with ${r.provider} active at ${dec(leases[0].price)} ${leases[0].denom}/block`,
    );
    if (!(await akash.leaseReady({ provider: r.provider, dseq, gseq: r.gseq, oseq: r.oseq })))
      throw new Error(`provider ${r.provider} does not report lease ${dseq} ready: it has no manifest for it`);
    say(
      `   ✓ the provider holds the manifest (hash checked against the deployment) and reports every service ready (owner's JWT)`,
    );
    result = {
      rootModel: root,
      forkModel: fork,
      keyOnB: key,
      mirrorSeconds,
      sdl: { cid: sealed.upload.cid, locator: sealed.upload.locator, contentCommitment: sealed.contentCommitment },
      lease: {
        owner,
        dseq,
        gseq: r.gseq,
        oseq: r.oseq,
        provider: r.provider,
        reportNonce: Number(report.nonce),
        seconds: leaseSeconds,
      },
    };
  } finally {
    await akash.close();
  }

  // 9. Purchases without gas: a burner session key with no coin buys a key of alice's fork on A,
  // then (when B has its sponsor) another on B, each through its chain's own bundler and policy signer.
  for (const [c, sp] of [
    [a, x.sponsor],
    [b, x.sponsorB],
  ] as const) {
    if (!sp) continue;
    const tStep = Date.now();
    title(
      `someone with no wallet buys a key of alice's fork on ${c.label}: a burner session key, sponsored gas (ERC-4337: SimpleAccount, HexsPaymaster, alto)`,
    );
    const price = 5_000_000n;
    const token = TestToken__factory.connect(sp.d.token, await c.signer(2));
    const alice = registry(c).connect(await c.signer(2));
    await (await alice.setPrice(fork, sp.d.token, price, 0, true)).wait();
    say(
      `   alice prices ${show(fork)} on ${c.label} at ${price} units of the test ERC-20 TUSD ${sp.d.token} (accepted by the market through the timelock)`,
    );
    const cfg: SponsorConfig = {
      provider: c.provider,
      bundler: new BundlerClient(sp.endpoints.bundlerUrl, sp.endpoints.entryPoint),
      policyUrl: sp.endpoints.policyUrl,
      entryPoint: sp.endpoints.entryPoint,
      factory: sp.endpoints.factory,
      paymaster: sp.endpoints.paymaster,
      chainId: BigInt(c.evmChainId),
    };
    const burner = createBurner();
    const account = await accountOf(cfg, burner.address);
    await (await token.mint(account, price)).wait();
    const [burnerWei, accountWei] = await Promise.all([c.provider.getBalance(burner.address), c.provider.getBalance(account)]);
    if (burnerWei !== 0n || accountWei !== 0n)
      throw new Error(`the burner ${burner.address} / its account ${account} hold native coin`);
    say(
      `   burner ${burner.address}, its SimpleAccount ${account} (not deployed yet): 0 ETH each, ${price} TUSD sent to the account`,
    );
    const pm = HexsPaymaster__factory.connect(sp.d.paymaster, c.provider);
    const deposit0 = await pm.getDeposit();
    const t9 = Date.now();
    const bought = await buyKeySponsored(cfg, burner.privateKey, {
      market: await market(c).getAddress(),
      modelId: fork,
      currency: sp.d.token,
      price,
    });
    const seconds = (Date.now() - t9) / 1000;
    const keys = KeyNFT__factory.connect(await registry(c).keysOf(fork), c.provider);
    if ((await keys.ownerOf(bought.keyId)) !== account)
      throw new Error(`key ${show(bought.keyId)} is not the burner's account's`);
    const deposit1 = await pm.getDeposit();
    const still = await c.provider.getBalance(account);
    if (still !== 0n || deposit0 - deposit1 !== bought.receipt.actualGasCost)
      throw new Error(
        `the sponsor did not pay exactly the operation's gas (deposit ${deposit0} → ${deposit1}, cost ${bought.receipt.actualGasCost}, account ${still} wei)`,
      );
    say(
      `   ✓ sdk.aa.buyKeySponsored: key ${show(bought.keyId)} owned by the burner's account; user operation ${bought.receipt.userOpHash.slice(0, 18)}… in bundle tx ${bought.receipt.transactionHash.slice(0, 18)}… (${seconds.toFixed(1)} s, ${sp.alto.name} ${sp.endpoints.bundlerUrl})`,
    );
    say(
      `   ✓ the paymaster's deposit paid ${formatEther(bought.receipt.actualGasCost)} ETH (the operation was charged ${bought.receipt.actualGasUsed} gas, with preVerificationGas and the unused-gas penalty; the bundle tx used ${bought.receipt.bundleGasUsed}); the burner and its account still hold 0 ETH`,
    );
    const r: SponsoredBuy = {
      keyId: bought.keyId,
      account,
      userOpHash: bought.receipt.userOpHash,
      tx: bought.receipt.transactionHash,
      actualGasCost: bought.receipt.actualGasCost,
      bundleGasUsed: bought.receipt.bundleGasUsed,
      seconds,
      stepSeconds: (Date.now() - tStep) / 1000,
    };
    if (c === a) result.sponsored = r;
    else result.sponsoredB = r;
  }
  return result;
}

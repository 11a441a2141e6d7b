// The devnet scenario across three chains: alice publishes on EVM chain A, bob forks it on the
// CosmWasm chain, carol buys the fork's key on EVM chain B (asking for a deployment); the model,
// the fork and the key are mirrored everywhere; royalties are settled and claimed on the chains
// where they were earned (B for carol's purchase, the CosmWasm chain for dave's). EVM steps run
// the Hardhat tasks a user would run; CosmWasm steps send the contract's JSON messages.
import { formatEther, zeroPadValue } from "ethers";
import { fromBase64, fromBech32, toHex } from "@cosmjs/encoding";
import type { Model } from "../../relayer/cosmwasm/generated/Hexs.types";
import { HexsHub__factory, HexsMarket__factory, HexsRegistry__factory, type HexsMarket, type HexsRegistry } from "../../typechain-types";
import { COSMOS_CHAIN, devnetHardhatEnv, hardhat, type CosmosChain, type EvmChain } from "./chains";
import { waitFor } from "./procs";

const id = (chain: number, serial: number): bigint => (BigInt(chain) << 32n) | BigInt(serial);
const show = (x: bigint): string => `${x >> 32n}:${x & 0xffffffffn}`;

export interface ScenarioResult {
  rootModel: bigint;
  forkModel: bigint;
  keyOnB: bigint;
  /** seconds from each source transaction to its mirror being visible, by label */
  mirrorSeconds: Record<string, number>;
}

export async function runScenario(a: EvmChain, b: EvmChain, cosmos: CosmosChain, say: (line: string) => void): Promise<ScenarioResult> {
  const env = devnetHardhatEnv([a, b]);
  const registry = (c: EvmChain): HexsRegistry => HexsRegistry__factory.connect(c.addresses.HexsRegistry, c.provider);
  const market = (c: EvmChain): HexsMarket => HexsMarket__factory.connect(c.addresses.HexsMarket, c.provider);
  const cw = cosmos.users;
  const q = <T>(msg: unknown): Promise<T> => cw.alice.client.queryContractSmart(cosmos.contract, msg) as Promise<T>;
  const evmAccount = async (c: EvmChain, i: number) => (await c.signer(i)).getAddress();
  const [alice, carol, bobEvm] = await Promise.all([evmAccount(a, 2), evmAccount(b, 3), evmAccount(b, 4)]);
  const hex20 = (bech: string) => "0x" + toHex(fromBech32(bech, 1023).data);
  const mirrorSeconds: Record<string, number> = {};
  let step = 0;

  const title = (text: string) => say(`\n── ${++step}. ${text}`);
  const task = async (network: string, name: string, args: string[]): Promise<string> => {
    const shown = args.map((x) => (/^[\w.:\/@-]+$/.test(x) ? x : `'${x}'`)).join(" ");
    say(`   $ npx hardhat ${name} --network ${network} ${shown}`);
    const out = await hardhat([name, "--network", network, ...args], env);
    for (const line of out.trim().split("\n").filter((l) => l.trim() && !/^(Warning|\s+You are using)/.test(l))) say(`     ${line}`);
    return out;
  };
  const execute = async (who: keyof typeof cw, msg: Record<string, unknown>, funds?: { denom: string; amount: string }[]) => {
    say(`   $ wasmd tx wasm execute ${cosmos.contract.slice(0, 14)}… '${JSON.stringify(msg)}'${funds ? ` --amount ${funds[0].amount}${funds[0].denom}` : ""} --from ${who}`);
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

  say(`cast: alice ${alice} (creator, EVM), bob ${cw.bob.address} (forker, Cosmos; EVM payout wallet ${bobEvm}),`);
  say(`      carol ${carol} (buyer on B), dave ${cw.carol.address} (buyer on the Cosmos chain)`);

  // 1. A root model on chain A, mirrored to B (LayerZero) and the Cosmos chain (relayer quorum).
  const root = id(a.hexsChainId, 1);
  title(`alice publishes a model on ${a.label} (forks owe it 20 %)`);
  await task(a.network, "model:publish", ["--content", "encrypted SDL of alice/llama-3-8b-ft v1", "--sdl-locator", "lighthouse://bafkreialicellama", "--fork-royalty-bps", "2000", "--from", "2"]);
  await mirrored(`model ${show(root)} mirrored on ${b.label} (LayerZero)`, async () => (await registry(b).model(root)).creator !== "0x0000000000000000000000000000000000000000");
  await mirrored(`model ${show(root)} mirrored on the Cosmos chain (2-of-3 relayer batch)`, async () => !!(await q<Model>({ model: { id: root.toString() } }).catch(() => null)));

  // 2. bob forks it on the Cosmos chain, committing to the parent's content.
  const parent = await q<Model>({ model: { id: root.toString() } });
  const fork = id(COSMOS_CHAIN, 1);
  title("bob forks it on the Cosmos chain (his fork owes alice's model 20 %)");
  await execute("bob", {
    fork: {
      parent: root.toString(),
      parent_content: toHex(fromBase64(parent.content)),
      model: {
        content: "42".repeat(32),
        sdl_uri: "lighthouse://bafkreibobmedical",
        price: "250000",
        deploy_price: "0",
        policy: { soulbound: false, key_lifetime_secs: null, max_supply: null, allowlist_only: false, forkable: true },
        royalty: { fork_royalty_bps: 1000, dao_bps: 0 },
        dao: null,
      },
    },
  });
  for (const c of [a, b]) {
    await mirrored(`fork ${show(fork)} with parent ${show(root)} mirrored on ${c.label}`, async () => (await registry(c).model(fork)).parentId === root);
  }

  // 3. bob binds an EVM payout wallet for chain B, which then prices his fork there.
  title(`bob binds his EVM wallet as his payout address on ${b.label}`);
  await execute("bob", { bind_payout: { chain: b.hexsChainId, payout: { evm: bobEvm }, nonce: "1" } });
  const bobHere = await registry(b).localCreator({ family: 2, addr: zeroPadValue(hex20(cw.bob.address), 32) });
  await mirrored(`bob's payout binding applied on ${b.label}`, async () => (await registry(b).payoutOf(bobHere)) === bobEvm);
  title(`bob (through his payout wallet) prices the fork on ${b.label}: 0.02 ETH a key, 0.01 ETH for a deployment`);
  await task(b.network, "model:price", ["--model", show(fork), "--price", "0.02", "--deployment-price", "0.01", "--from", "4"]);

  // 4. carol buys the fork's key on chain B and asks for a deployment.
  const key = id(b.hexsChainId, 1);
  title(`carol buys a key of the fork on ${b.label}, with an Akash deployment`);
  await task(b.network, "key:buy", ["--model", show(fork), "--deploy-params", `{"region":"any"}`, "--from", "3"]);
  await mirrored(`carol's key ${show(key)} opens the fork on ${a.label} (LayerZero mirror)`, async () => registry(a).hasAccess(fork, carol));
  await mirrored(`carol's key ${show(key)} opens the fork on the Cosmos chain`, async () => (await q<{ access: boolean }>({ has_access: { model: fork.toString(), account: { evm: carol } } })).access);
  say(`   lineage on the Cosmos chain: ${show(fork)} → parent ${show(BigInt((await q<Model>({ model: { id: fork.toString() } })).parent!))}`);

  // 5. Royalties earned on chain B: settle the fork's vault up to the root, claim.
  title(`settle the fork's revenue on ${b.label}, level by level up to alice's model`);
  await task(b.network, "vault:settle", ["--model", show(fork)]);
  title(`alice claims her royalty on ${b.label}; bob's payout wallet claims for bob`);
  const aliceOwed = await market(b).creditOf(alice, "0x0000000000000000000000000000000000000000");
  const bobOwed = await market(b).creditOf(bobHere, "0x0000000000000000000000000000000000000000");
  await task(b.network, "vault:claim", ["--from", "2"]);
  await task(b.network, "vault:claim", ["--payee", `cosmos:${hex20(cw.bob.address)}`, "--from", "4"]);
  say(`   on ${b.label}: alice earned ${formatEther(aliceOwed)} ETH, bob ${formatEther(bobOwed)} ETH from carol's 0.02 ETH key`);

  // 6. Royalties earned on the Cosmos chain: alice binds a Cosmos payout address from chain A,
  //    prices her model there, dave buys, settle and claim on the Cosmos chain.
  title("alice binds her Cosmos address as her payout address on the Cosmos chain (signed on A, carried by the relayers)");
  await task(a.network, "payout:bind", ["--chain", String(COSMOS_CHAIN), "--payout", `cosmos:${hex20(cw.alice.address)}`, "--from", "2"]);
  await mirrored("alice's payout binding applied on the Cosmos chain", async () => (await q<string | null>({ payout: { account: { evm: alice } } })) === cw.alice.address);
  title("alice (through her Cosmos payout address) prices her model on the Cosmos chain; dave buys a key there");
  await execute("alice", { update_model: { model: root.toString(), price: "400000", deploy_price: null, sdl_uri: null } });
  await execute("carol", { buy_key: { model: root.toString(), recipient: null, with_deployment: false } }, [{ denom: cosmos.env.denom, amount: "400000" }]);
  title("settle and claim on the Cosmos chain");
  await execute("carol", { settle: { model: root.toString() } });
  const owed = await q<string>({ claimable: { payee: { evm: alice } } });
  await execute("alice", { claim: { payee: { evm: alice } } });
  say(`   alice's payout address received ${owed}${cosmos.env.denom} on the Cosmos chain`);
  const dave = { family: 2, addr: zeroPadValue(hex20(cw.carol.address), 32) };
  const hubA = HexsHub__factory.connect(a.addresses.HexsHub, a.provider);
  await mirrored(`dave's key of ${show(root)} (bought on the Cosmos chain) is mirrored on ${a.label}`, async () => hubA.hasMirroredAccess(root, dave));
  return { rootModel: root, forkModel: fork, keyOnB: key, mirrorSeconds };
}

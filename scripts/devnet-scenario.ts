// The devnet's scripted scenario: publish → fork → prices → buy (with a deployment request) →
// DAO → settle both levels → claim → DAO funds infrastructure. Every step runs the same Hardhat
// task a user would run (hre.run), so this is also an end-to-end check of the tasks.
//
//   npx hardhat run --network localhost scripts/devnet-scenario.ts   (after npx hardhat deploy)
import hre from "hardhat";
import { formatEther } from "ethers";
import type { PublishResult } from "../tasks/model";
import type { BuyResult } from "../tasks/key";
import type { ClaimResult, SettleLevel } from "../tasks/vault";
import type { DaoCreateResult, ExecuteResult, ProposeResult } from "../tasks/dao";
import { formatId } from "../tasks/lib/parse";
import { loadProtocol } from "../tasks/lib/context";

type Args = Record<string, string | boolean>;

let stepNo = 0;
async function step<T>(title: string, task: string, args: Args): Promise<T> {
  stepNo += 1;
  const shown = Object.entries(args)
    .map(([k, v]) => (v === true ? `--${kebab(k)}` : `--${kebab(k)} ${JSON.stringify(v)}`))
    .join(" ");
  console.log(`\n── ${stepNo}. ${title}\n   $ npx hardhat ${task} --network ${hre.network.name} ${shown}`);
  return (await hre.run(task, args)) as T;
}

function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

const eth = (v: bigint): string => `${formatEther(v)} ETH`;

async function main(): Promise<void> {
  const started = Date.now();
  const p = await loadProtocol(hre); // fails clearly when nothing is deployed here
  const signers = await hre.ethers.getSigners();
  const who = ["deployer", "treasury", "alice", "bob", "carol", "dave", "infra", "keeper"];
  const addr = await Promise.all(signers.slice(0, who.length).map((s) => s.getAddress()));
  const name = (a: string): string => who[addr.indexOf(a)] ?? a;
  const [, treasury, alice, bob, carol, dave, infra] = addr;
  console.log(`Hexs devnet scenario on '${hre.network.name}' (Hexs chain ${await p.registry.chainId()})`);
  console.log(`  registry ${await p.registry.getAddress()}, market ${await p.market.getAddress()}`);
  console.log(`  cast: alice ${alice} (model creator), bob ${bob} (forker), carol ${carol} (buyer), dave ${dave} (DAO member), infra ${infra} (Akash escrow funder), keeper ${addr[7]} (calls what anyone may call)`);

  const root = await step<PublishResult>("alice publishes a model", "model:publish", {
    content: "encrypted SDL of alice/llama-3-8b-ft v1 + image sha256:4f2a…",
    sdlLocator: "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
    metadataUri: "ipfs://bafkreialicellamameta",
    forkRoyaltyBps: "2000",
    from: "2",
  });
  const fork = await step<PublishResult>("bob forks it (owes alice 20 % of his revenue; 15 % to his model's DAO)", "model:fork", {
    parent: root.modelId.toString(),
    content: "encrypted SDL of bob/llama-3-8b-ft-medical v1 + image sha256:9c1d…",
    sdlLocator: "bafybeibobmedicalsdl",
    metadataUri: "ipfs://bafkreibobmeta",
    daoBps: "1500",
    from: "3",
  });
  await step("alice prices her model: 0.05 ETH a key", "model:price", { model: root.modelId.toString(), price: "0.05", from: "2" });
  await step("bob prices his fork: 0.1 ETH a key, +0.02 ETH with an Akash deployment", "model:price", {
    model: fork.modelId.toString(),
    price: "0.1",
    deploymentPrice: "0.02",
    from: "3",
  });
  const key = await step<BuyResult>("carol buys a key of bob's fork and asks for a deployment", "key:buy", {
    model: fork.modelId.toString(),
    deployParams: JSON.stringify({ region: "eu", maxUact: "1000", gpu: "a100" }),
    from: "4",
  });
  const keys = await hre.ethers.getContractAt("KeyNFT", await p.registry.keysOf(fork.modelId));
  console.log(`   carol holds key ${formatId(key.keyId)}: ownerOf = ${name(await keys.ownerOf(key.keyId))}, hasAccess(carol) = ${await keys.hasAccess(carol)}`);
  const dao = await step<DaoCreateResult>("bob creates his model's DAO with dave and carol", "dao:create", {
    model: fork.modelId.toString(),
    members: [bob, dave, carol].join(","),
    votingDelay: "1",
    votingPeriod: "5",
    quorum: "50",
    from: "3",
  });
  const levels = await step<SettleLevel[]>("anyone settles both levels (fork, then root)", "vault:settle", {
    model: fork.modelId.toString(),
    levels: "2",
    from: "7",
  });

  const credits = {
    alice: await p.market.creditOf(alice, hre.ethers.ZeroAddress),
    bob: await p.market.creditOf(bob, hre.ethers.ZeroAddress),
    dao: await p.market.creditOf(dao.governor, hre.ethers.ZeroAddress),
    fees: await p.market.protocolFeesOf(hre.ethers.ZeroAddress),
  };
  const aliceClaim = await step<ClaimResult>("alice claims", "vault:claim", { from: "2" });
  const bobClaim = await step<ClaimResult>("bob claims", "vault:claim", { from: "3" });
  const feeClaim = await step<ClaimResult>("protocol fees go to the treasury", "vault:claim", { protocolFees: true, from: "7" });

  const infraBefore = await hre.ethers.provider.getBalance(infra);
  const purpose = `akash-escrow:${carol}/${key.keyId}`;
  const prop = await step<ProposeResult>("dave proposes paying 0.01 ETH from the DAO treasury to top up the Akash escrow", "dao:propose", {
    model: fork.modelId.toString(),
    to: infra,
    amount: "0.01",
    purpose,
    from: "5",
  });
  await step("dave votes for (fast-forwarding to the voting window)", "dao:vote", {
    model: fork.modelId.toString(),
    proposal: prop.proposalId.toString(),
    support: "for",
    fastForward: true,
    from: "5",
  });
  await step("bob votes for", "dao:vote", { model: fork.modelId.toString(), proposal: prop.proposalId.toString(), support: "for", from: "3" });
  const exec = await step<ExecuteResult>("anyone executes the proposal once voting closed", "dao:execute", {
    model: fork.modelId.toString(),
    proposal: prop.proposalId.toString(),
    fastForward: true,
    from: "7",
  });
  const infraGot = (await hre.ethers.provider.getBalance(infra)) - infraBefore;

  // Who got what: every wei of carol's key price is accounted for.
  const escrow = (await p.market.escrowOf(key.keyId)).amount;
  const [forkLevel, rootLevel] = levels;
  console.log(`\n══ Summary (wall time ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  console.log(`  models: root ${formatId(root.modelId)} (alice), fork ${formatId(fork.modelId)} (bob); key ${formatId(key.keyId)} → carol`);
  console.log(`  carol paid ${eth(key.keyPrice)} key price + ${eth(key.deploymentEscrow)} deployment escrow (still held: ${eth(escrow)}, released when the relayer reports the lease)`);
  console.log(`  fork level:  bob ${eth(forkLevel.creatorShare)}, alice's vault ${eth(forkLevel.parentShare)}, DAO ${eth(forkLevel.daoShare)}, fee ${eth(forkLevel.protocolFee)}`);
  console.log(`  root level:  alice ${eth(rootLevel.creatorShare)}, fee ${eth(rootLevel.protocolFee)}`);
  console.log(`  claimed:     alice ${eth(aliceClaim.amount)} (credited ${eth(credits.alice)}), bob ${eth(bobClaim.amount)} (credited ${eth(credits.bob)}), treasury ${feeClaim.to} ${eth(feeClaim.amount)} (accrued ${eth(credits.fees)})`);
  console.log(`  DAO:         treasury got ${eth(credits.dao)}, paid ${eth(exec.amount)} to infra for "${exec.purpose}" (infra balance +${eth(infraGot)}), left ${eth(await (await hre.ethers.getContractAt("ModelGovernor", dao.governor)).treasury(hre.ethers.ZeroAddress))}`);
  const accounted = credits.alice + credits.bob + credits.dao + credits.fees;
  console.log(`  conservation: ${eth(accounted)} credited = ${eth(key.keyPrice)} paid → ${accounted === key.keyPrice ? "every wei accounted for" : "MISMATCH"}`);
  if (accounted !== key.keyPrice) throw new Error(`money not conserved: ${accounted} credited for ${key.keyPrice} paid`);
  if (treasury !== feeClaim.to) throw new Error(`protocol fees went to ${feeClaim.to}, expected the treasury ${treasury}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});

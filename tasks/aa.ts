// aa:burner, aa:buy, aa:transfer — sponsored (ERC-4337) actions from a burner session key, for a
// person with no wallet and no native coin: a thin wrapper over the SDK's sdk/aa. The burner's
// private key is kept in a local file (mode 600); the sponsor's endpoints and contracts come
// from a JSON file (the devnet stand writes .devnet/aa/sponsor.json).
import fs from "node:fs";
import { task } from "hardhat/config";
import type { ConfigurableTaskDefinition, HardhatRuntimeEnvironment } from "hardhat/types";
import { Contract, Wallet } from "ethers";
import { formatId } from "../sdk/ids";
import type { SponsorConfig } from "../sdk/aa";
import { loadProtocol, sdk } from "./lib/context";
import { cli, fail } from "./lib/errors";
import { say } from "./lib/log";
import { parseAddress, parseCurrency, parseId } from "./lib/parse";

/** What a sponsor publishes for clients (the devnet stand writes it). */
export interface SponsorFile {
  /** the EVM chain id it sponsors on (optional in older files) */
  chainId?: string;
  entryPoint: string;
  factory: string;
  paymaster: string;
  bundlerUrl: string;
  policyUrl: string;
}

interface Common {
  burner: string;
  sponsor: string;
}

function readSponsor(file: string): SponsorFile {
  let s: Partial<SponsorFile>;
  try {
    s = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<SponsorFile>;
  } catch (e) {
    return fail(`cannot read the sponsor file ${file} (${(e as Error).message}); start the stand with npm run devnet:aa`);
  }
  for (const k of ["entryPoint", "factory", "paymaster", "bundlerUrl", "policyUrl"] as const)
    if (typeof s[k] !== "string") fail(`sponsor file ${file} has no ${k}`);
  return s as SponsorFile;
}

/** The burner in `file`, created (mode 600) when the file does not exist. */
function burnerKey(file: string, create: boolean): { key: string; created: boolean } {
  if (fs.existsSync(file)) {
    const { privateKey } = JSON.parse(fs.readFileSync(file, "utf8")) as { privateKey?: string };
    try {
      return { key: new Wallet(privateKey ?? "").privateKey, created: false };
    } catch {
      return fail(`burner file ${file} holds no valid private key`);
    }
  }
  if (!create) fail(`no burner file ${file}: create one with npx hardhat aa:burner`);
  const w = Wallet.createRandom();
  fs.writeFileSync(file, JSON.stringify({ address: w.address, privateKey: w.privateKey }, null, 2) + "\n", { mode: 0o600 });
  return { key: w.privateKey, created: true };
}

async function config(hre: HardhatRuntimeEnvironment, a: Common): Promise<SponsorConfig> {
  const s = readSponsor(a.sponsor);
  const chainId = (await hre.ethers.provider.getNetwork()).chainId;
  // one sponsor per chain: a file of another chain's would be refused by its policy signer anyway
  if (s.chainId !== undefined && BigInt(s.chainId) !== chainId)
    fail(
      `sponsor file ${a.sponsor} is for EVM chain ${s.chainId}, but --network ${hre.network.name} is chain ${chainId}: pass that chain's sponsor file (on the devnet, .devnet/sponsor/sponsor.json is chain A's, .devnet/sponsor-b/sponsor.json chain B's)`,
    );
  const { aa } = await sdk();
  return {
    provider: hre.ethers.provider,
    bundler: new aa.BundlerClient(s.bundlerUrl, s.entryPoint),
    policyUrl: s.policyUrl,
    entryPoint: s.entryPoint,
    factory: s.factory,
    paymaster: s.paymaster,
    chainId,
  };
}

const common = (t: ConfigurableTaskDefinition): ConfigurableTaskDefinition =>
  t
    .addOptionalParam("burner", "File holding the burner session key (created by aa:burner, mode 600)", ".hexs-burner.json")
    .addOptionalParam(
      "sponsor",
      "Sponsor file: entryPoint, factory, paymaster, bundlerUrl, policyUrl",
      ".devnet/aa/sponsor.json",
    );

common(
  task("aa:burner", "Create (or show) a burner session key and its smart account: send the model's ERC-20 there, then aa:buy"),
).setAction(
  cli(async (a: Common, hre) => {
    const { key, created } = burnerKey(a.burner, true);
    const { aa } = await sdk();
    const account = await aa.accountOf(await config(hre, a), new Wallet(key).address);
    say(`${created ? "created" : "using"} burner ${new Wallet(key).address} (${a.burner}); its smart account is ${account}`);
    return { burner: new Wallet(key).address, account, created };
  }),
);

common(
  task("aa:buy", "Buy a key with sponsored gas from the burner's smart account (pays the price in an ERC-20; no native coin)")
    .addParam("model", "The model (id such as 4294967297 or chain:serial such as 1:1)")
    .addParam("currency", "ERC-20 token address the market accepts (the account must hold the price)"),
).setAction(
  cli(async (a: Common & { model: string; currency: string }, hre) => {
    const modelId = parseId("model", a.model);
    const currency = parseCurrency(a.currency);
    if (currency === "0x0000000000000000000000000000000000000000")
      fail("--currency native: a burner holds no native coin; pass the ERC-20 the model is priced in");
    const { key } = burnerKey(a.burner, false);
    const cfg = await config(hre, a);
    const p = await loadProtocol(hre);
    const { aa } = await sdk();
    const account = await aa.accountOf(cfg, new Wallet(key).address);
    const price = await p.registryLens.priceOf(await p.registry.getAddress(), modelId, currency);
    if (!price.listed) fail(`model ${formatId(modelId)} is not for sale in ${currency}`);
    const erc20 = new Contract(currency, ["function balanceOf(address) view returns (uint256)"], hre.ethers.provider);
    const balance = (await erc20.getFunction("balanceOf")(account)) as bigint;
    if (balance < price.keyPrice)
      fail(
        `the burner's account ${account} holds ${balance} of ${currency}; the key costs ${price.keyPrice}: send the rest there first`,
      );
    const { keyId, receipt } = await aa.buyKeySponsored(cfg, key, {
      market: await p.market.getAddress(),
      modelId,
      currency,
      price: price.keyPrice,
    });
    say(`key ${formatId(keyId)} of model ${formatId(modelId)} bought by ${account} with sponsored gas`);
    say(
      `  user operation ${receipt.userOpHash} in ${receipt.transactionHash} (${receipt.actualGasUsed} gas paid by the sponsor)`,
    );
    return { keyId, account, userOpHash: receipt.userOpHash };
  }),
);

common(
  task("aa:transfer", "Move a key from the burner's smart account to a real wallet, with sponsored gas")
    .addParam("model", "The key's model (id or chain:serial)")
    .addParam("key", "The key id (id or chain:serial)")
    .addParam("to", "The wallet address that receives the key"),
).setAction(
  cli(async (a: Common & { model: string; key: string; to: string }, hre) => {
    const modelId = parseId("model", a.model);
    const keyId = parseId("key", a.key);
    const to = parseAddress("to", a.to);
    const { key } = burnerKey(a.burner, false);
    const cfg = await config(hre, a);
    const p = await loadProtocol(hre);
    const { aa } = await sdk();
    const collection = await p.registry.keysOf(modelId);
    if (collection === "0x0000000000000000000000000000000000000000") fail(`no model ${formatId(modelId)} on this chain`);
    const receipt = await aa.transferKeySponsored(cfg, key, { collection, keyId, to });
    say(`key ${formatId(keyId)} moved to ${to} with sponsored gas (user operation ${receipt.userOpHash})`);
    return { keyId, to, userOpHash: receipt.userOpHash };
  }),
);

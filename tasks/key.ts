// key:buy
import { task } from "hardhat/config";
import {
  currencyInfo,
  ensureAllowance,
  findEvent,
  fmt,
  keysOf,
  loadProtocol,
  requireFunds,
  requireModel,
  resolveSigner,
  send,
} from "./lib/context";
import { fail } from "./lib/errors";
import { say } from "./lib/log";
import { formatId, parseAddress, parseCurrency, parseDeployParams, parseId, parseProof } from "./lib/parse";

export interface BuyArgs {
  model: string;
  currency: string;
  recipient?: string;
  deployParams?: string;
  proof?: string;
  from?: string;
}

export interface BuyResult {
  keyId: bigint;
  modelId: bigint;
  buyer: string;
  recipient: string;
  currency: string;
  keyPrice: bigint;
  deploymentEscrow: bigint;
  txHash: string;
  gasUsed: bigint;
}

task("key:buy", "Buy a key of a model at the creator's price (approves the ERC-20 first when needed); prints the key id")
  .addParam("model", "The model (id such as 4294967297 or chain:serial such as 1:1)")
  .addOptionalParam("currency", "Payment currency: native, or an ERC-20 token address the market accepts", "native")
  .addOptionalParam("recipient", "Who receives the key (default: the buyer)")
  .addOptionalParam(
    "deployParams",
    `Ask for an Akash deployment with these parameters (JSON object, e.g. '{"region":"eu"}'); also pays the deployment price into escrow`,
  )
  .addOptionalParam("proof", "Allowlist Merkle proof for the recipient: JSON array of 0x… 32-byte hashes")
  .addOptionalParam("from", "Account to sign with: index (0, 1, …) or address among the network's accounts", "0")
  .setAction(async (a: BuyArgs, hre): Promise<BuyResult> => {
    const modelId = parseId("model", a.model);
    const currency = parseCurrency(a.currency);
    const deploymentParams = parseDeployParams(a.deployParams);
    const pluginData = parseProof(a.proof);
    const p = await loadProtocol(hre);
    const signer = await resolveSigner(hre, a.from);
    const buyer = await signer.getAddress();
    const recipient = a.recipient ? parseAddress("recipient", a.recipient) : buyer;
    await requireModel(hre, p, modelId);
    const c = await currencyInfo(hre, currency);
    if (!c.native && !(await p.market.isAccepted(currency))) {
      fail(
        `bad --currency ${currency}: the market does not accept ${c.symbol}; governance must accept it first (protocol:accept-token), or pay in native`,
      );
    }
    const sale = await p.registry.saleInfo(modelId, currency);
    if (sale.retired) fail(`model ${formatId(modelId)} is retired: its keys are no longer sold`);
    if (!sale.listed) {
      fail(
        `model ${formatId(modelId)} has no price in ${c.symbol}: its creator must set one (model:price --model ${modelId} --currency ${a.currency} --price …)`,
      );
    }
    if (await p.market.paused()) fail("the market is paused by the protocol guardian: try again later");
    const escrow = deploymentParams === "0x" ? 0n : sale.deploymentPrice;
    const total = sale.keyPrice + escrow;
    const value = c.native ? total : 0n;
    await requireFunds(hre, c, buyer, total, 250_000n + (c.native ? 0n : 60_000n));
    await ensureAllowance(hre, c, signer, await p.market.getAddress(), total);

    const market = p.market.connect(signer);
    const r = await send(
      p,
      `buy key of ${formatId(modelId)}`,
      () => market.buy.staticCall(modelId, currency, recipient, deploymentParams, pluginData, { value }),
      () => market.buy(modelId, currency, recipient, deploymentParams, pluginData, { value }),
    );
    const ev = findEvent(r.receipt, p.market.interface, "Purchased");
    if (!ev) fail(`buy: transaction ${r.hash} emitted no Purchased event`);
    const keyId = ev.args.keyId as bigint;
    const keys = await keysOf(hre, p, modelId);
    const expires = await keys.expiresAt(keyId);
    say(
      `key ${formatId(keyId)} of model ${formatId(modelId)} bought by ${buyer}${recipient === buyer ? "" : ` for ${recipient}`}`,
    );
    say(
      `  paid ${fmt(sale.keyPrice, c)} to the model's vault${escrow > 0n ? ` + ${fmt(escrow, c)} held in deployment escrow` : ""}`,
    );
    if (deploymentParams !== "0x") say(`  deployment requested with ${a.deployParams}`);
    if (expires !== 0n) say(`  subscription key: expires at ${new Date(Number(expires) * 1000).toISOString()}`);
    return {
      keyId,
      modelId,
      buyer,
      recipient,
      currency,
      keyPrice: sale.keyPrice,
      deploymentEscrow: escrow,
      txHash: r.hash,
      gasUsed: r.gasUsed,
    };
  });

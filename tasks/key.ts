// key:buy — a thin wrapper over the SDK's buy (sdk/actions/key.ts). key:move is in bridge.ts.
import { task } from "hardhat/config";
import type { BuyResult } from "../sdk/actions/key";
import { formatId } from "../sdk/ids";
import { loadProtocol, resolveSigner, sdk } from "./lib/context";
import { cli } from "./lib/errors";
import { say } from "./lib/log";
import { parseAddress, parseCurrency, parseDeployParams, parseId, parseProof } from "./lib/parse";

export type { BuyResult };

export interface BuyArgs {
  model: string;
  currency: string;
  recipient?: string;
  deployParams?: string;
  proof?: string;
  from?: string;
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
  .setAction(
    cli(async (a: BuyArgs, hre): Promise<BuyResult> => {
      const modelId = parseId("model", a.model);
      const currency = parseCurrency(a.currency);
      const deploymentParams = parseDeployParams(a.deployParams);
      const allowlistProof = parseProof(a.proof);
      const recipient = a.recipient ? parseAddress("recipient", a.recipient) : undefined;
      const p = await loadProtocol(hre);
      const signer = await resolveSigner(hre, a.from);
      const { buy, fmt } = await sdk();
      const r = await buy(p, signer, { modelId, currency, recipient, deploymentParams, allowlistProof }, { log: say });
      const c = r.currencyInfo;
      say(
        `key ${formatId(r.keyId)} of model ${formatId(modelId)} bought by ${r.buyer}${r.recipient === r.buyer ? "" : ` for ${r.recipient}`}`,
      );
      say(
        `  paid ${fmt(r.keyPrice, c)} to the model's vault${r.deploymentEscrow > 0n ? ` + ${fmt(r.deploymentEscrow, c)} held in deployment escrow` : ""}`,
      );
      if (deploymentParams !== undefined) say(`  deployment requested with ${a.deployParams}`);
      if (r.expiresAt !== 0n) say(`  subscription key: expires at ${new Date(Number(r.expiresAt) * 1000).toISOString()}`);
      return r;
    }),
  );

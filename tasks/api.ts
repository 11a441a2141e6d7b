// api:call — call a model's OpenAI-compatible API through the Hexs gateway as a key holder: the
// task signs the request with the account (EIP-191, single use, bound to this call) and prints
// the answer; with --stream it prints the tokens as they arrive.
import { task, types } from "hardhat/config";
import { formatId } from "../sdk/ids";
import { resolveSigner } from "./lib/context";
import { cli, fail } from "./lib/errors";
import { say, sayPart } from "./lib/log";
import { parseId } from "./lib/parse";

export interface ApiCallArgs {
  gateway: string;
  model: string;
  prompt: string;
  endpoint: string;
  chain?: string;
  maxTokens: number;
  temperature?: number;
  seed?: number;
  stream: boolean;
  from?: string;
}

export interface ApiCallResult {
  text: string;
  finishReason: string | null;
  account: string;
  chain: string;
}

task("api:call", "Call a model's API through the gateway as a key holder (signed request); prints the answer")
  .addParam("model", "The model (id such as 4294967297 or chain:serial such as 1:1)")
  .addParam("prompt", "The user message (chat) or the prompt (completions)")
  .addOptionalParam("gateway", "The gateway's base URL", "http://127.0.0.1:18090")
  .addOptionalParam("endpoint", "chat (chat/completions) or completions", "chat")
  .addOptionalParam(
    "chain",
    "The chain where the key is checked, in the gateway's naming (default hexs-evm-<this network's chain id>)",
  )
  .addOptionalParam("maxTokens", "Most tokens (characters) to generate", 64, types.int)
  .addOptionalParam("temperature", "Sampling temperature (0: greedy)", undefined, types.float)
  .addOptionalParam("seed", "Sampling seed (same seed, same answer)", undefined, types.int)
  .addFlag("stream", "Stream the answer (SSE) and print tokens as they arrive")
  .addOptionalParam("from", "Account to sign with: index (0, 1, …) or address among the network's accounts", "0")
  .setAction(
    cli(async (a: ApiCallArgs, hre): Promise<ApiCallResult> => {
      const modelId = parseId("model", a.model);
      if (a.endpoint !== "chat" && a.endpoint !== "completions") fail(`bad --endpoint '${a.endpoint}': chat or completions`);
      const chat = a.endpoint === "chat";
      const signer = await resolveSigner(hre, a.from);
      const chainId = (await hre.ethers.provider.getNetwork()).chainId;
      const chain = a.chain ?? `hexs-evm-${chainId}`;
      const { callModelApi, sseEvents } = await import("../sdk/api");
      const { evmHolder } = await import("../sdk/keys");
      const account = (await signer.getAddress()).toLowerCase();
      const body: Record<string, unknown> = {
        model: "hexs",
        ...(chat ? { messages: [{ role: "user", content: a.prompt }] } : { prompt: a.prompt }),
        max_tokens: a.maxTokens,
        ...(a.temperature === undefined ? {} : { temperature: a.temperature }),
        ...(a.seed === undefined ? {} : { seed: a.seed }),
        ...(a.stream ? { stream: true } : {}),
      };
      say(`calling model ${formatId(modelId)} at ${a.gateway} as ${account} (key checked on ${chain})`);
      const res = await callModelApi(evmHolder(signer, account), {
        gateway: a.gateway,
        modelId,
        chain,
        endpoint: chat ? "chat/completions" : "completions",
        body,
      });
      type Choice = { text?: string; message?: { content: string }; delta?: { content?: string }; finish_reason: string | null };
      let text = "";
      let finishReason: string | null = null;
      if (a.stream) {
        for await (const data of sseEvents(res)) {
          const choice = (JSON.parse(data) as { choices: Choice[] }).choices[0];
          if (!choice) continue;
          const piece = chat ? (choice.delta?.content ?? "") : (choice.text ?? "");
          text += piece;
          finishReason = choice.finish_reason ?? finishReason;
          sayPart(piece);
        }
        sayPart("\n");
      } else {
        const choice = ((await res.json()) as { choices: Choice[] }).choices[0];
        text = chat ? (choice.message?.content ?? "") : (choice.text ?? "");
        finishReason = choice.finish_reason;
        say(text);
      }
      return { text, finishReason, account, chain };
    }),
  );

// The model server: the character-level LM of model.ts behind OpenAI-compatible endpoints, so
// existing clients work with only a base URL and a model name.
//   POST /v1/chat/completions, POST /v1/completions   (temperature, top_p, max_tokens, stop, seed,
//        stream with SSE `data: {chunk}` … `data: [DONE]`, stream_options.include_usage; usage counts)
//   GET  /v1/models, GET /healthz
// Errors are OpenAI's shape: { error: { message, type, param, code } }. Tokens are characters.
import { randomBytes, createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { close, listen } from "../key-service/http";
import { deserialize, LanguageModel, WeightsError, type WeightsHeader } from "./model";

export const DEFAULT_MODEL_NAME = "hexs-char-mlp";
export const MAX_TOKENS_LIMIT = 2048;
const DEFAULT_MAX_TOKENS = 64;
const MAX_BODY = 1024 * 1024;

export interface ModelServerConfig {
  weightsPath: string;
  /** The name served in /v1/models and echoed as `model` (default hexs-char-mlp). */
  modelName?: string;
  port?: number | { from: number; to: number };
  /** Pause between streamed tokens (ms), to look like a bigger model in demos; default 0. */
  tokenDelayMs?: number;
  log?: (line: string) => void;
}

export interface RunningModelServer {
  url: string;
  model: LanguageModel;
  header: WeightsHeader;
  close(): Promise<void>;
}

/** Load and check the weights; a missing or corrupt file is a clear WeightsError. */
export function loadModel(path: string): { model: LanguageModel; header: WeightsHeader } {
  if (!existsSync(path)) {
    throw new WeightsError(
      `weights file ${path} does not exist: build it first (npx ts-node --transpile-only services/model-server/build.ts)`,
    );
  }
  const bytes = readFileSync(path);
  const { weights, header } = deserialize(bytes, `weights file ${path}`);
  return { model: new LanguageModel(weights, createHash("sha256").update(bytes).digest("hex")), header };
}

// ------------------------------------------------------------------ request validation

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type = status >= 500 ? "server_error" : "invalid_request_error",
  ) {
    super(message);
  }
  body() {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

const bad = (message: string, param: string | null = null, code: string | null = null): never => {
  throw new ApiError(400, message, param, code);
};

export interface Sampling {
  temperature: number;
  top_p: number;
  max_tokens: number;
  stop: string[];
  seed: number;
  stream: boolean;
  includeUsage: boolean;
}

function num(body: Record<string, unknown>, key: string, dflt: number, min: number, max: number): number {
  const v = body[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max)
    bad(`'${key}' must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`, key);
  return v as number;
}

function int(body: Record<string, unknown>, key: string, dflt: number, min: number, max: number): number {
  const v = num(body, key, dflt, min, max);
  if (!Number.isInteger(v)) bad(`'${key}' must be an integer, got ${v}`, key);
  return v;
}

export function parseSampling(body: Record<string, unknown>, chat: boolean): Sampling {
  if (body.model !== undefined && typeof body.model !== "string") bad("'model' must be a string", "model");
  if (body.n !== undefined && body.n !== null && body.n !== 1) bad("only n = 1 is supported", "n");
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== "boolean")
    bad("'stream' must be a boolean", "stream");
  const opts = body.stream_options as Record<string, unknown> | undefined | null;
  if (opts !== undefined && opts !== null && (typeof opts !== "object" || Array.isArray(opts)))
    bad("'stream_options' must be an object", "stream_options");
  const tokensKey = chat && body.max_completion_tokens !== undefined ? "max_completion_tokens" : "max_tokens";
  let stop: string[] = [];
  if (typeof body.stop === "string") stop = [body.stop];
  else if (Array.isArray(body.stop)) stop = body.stop as string[];
  else if (body.stop !== undefined && body.stop !== null) bad("'stop' must be a string or an array of strings", "stop");
  if (stop.length > 4 || stop.some((s) => typeof s !== "string" || s === ""))
    bad("'stop' takes up to 4 non-empty strings", "stop");
  const seed =
    body.seed === undefined || body.seed === null ? randomBytes(4).readUInt32LE() : int(body, "seed", 0, -(2 ** 53), 2 ** 53);
  return {
    temperature: num(body, "temperature", 1, 0, 2),
    top_p: num(body, "top_p", 1, 0, 1) || 1e-9,
    max_tokens: int(body, tokensKey, DEFAULT_MAX_TOKENS, 1, MAX_TOKENS_LIMIT),
    stop,
    seed: Number(BigInt.asUintN(32, BigInt(seed))),
    stream: body.stream === true,
    includeUsage: opts?.include_usage === true,
  };
}

function textOf(content: unknown, where: string): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown, i) => {
        const p = part as Record<string, unknown> | null;
        if (!p || p.type !== "text" || typeof p.text !== "string")
          bad(`${where}[${i}] must be { type: "text", text: string }`, "messages");
        return p!.text as string;
      })
      .join("");
  }
  return bad(`${where} must be a string or an array of text parts`, "messages");
}

const ROLES: Record<string, string> = {
  system: "System",
  developer: "System",
  user: "User",
  assistant: "Assistant",
  tool: "Tool",
};

/** The chat template: one "Role: text" line per message, then "Assistant:" for the answer. */
export function chatPrompt(messages: unknown): string {
  if (!Array.isArray(messages) || messages.length === 0) bad("'messages' must be a non-empty array", "messages");
  const lines = (messages as unknown[]).map((m, i) => {
    const msg = m as Record<string, unknown> | null;
    if (!msg || typeof msg !== "object") return bad(`messages[${i}] must be an object`, "messages");
    const role = ROLES[String(msg.role)];
    if (!role)
      bad(`messages[${i}].role must be one of ${Object.keys(ROLES).join(", ")}, got ${JSON.stringify(msg.role)}`, "messages");
    return `${role}: ${textOf(msg.content, `messages[${i}].content`)}`;
  });
  return lines.join("\n") + "\nAssistant:";
}

export function completionPrompt(prompt: unknown): string {
  if (typeof prompt === "string") return prompt;
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === "string") return prompt[0];
  return bad("'prompt' must be a string (or an array of exactly one string)", "prompt");
}

// ------------------------------------------------------------------ generation with stop sequences

export type Finish = "stop" | "length";

/**
 * Yields the text in pieces that are safe to show: a piece that could still turn out to be the
 * start of a stop sequence is held back until it is decided. So the streamed pieces always
 * concatenate to exactly the non-streamed text. Returns the finish reason and tokens generated.
 */
export function* complete(
  model: LanguageModel,
  prompt: string,
  s: Sampling,
): Generator<string, { finish: Finish; tokens: number }> {
  const gen = model.generate(prompt, s);
  let text = "";
  let emitted = 0;
  for (let n = 1; n <= s.max_tokens; n++) {
    text += gen.next().value as string;
    let cut = -1;
    for (const stop of s.stop) {
      const at = text.indexOf(stop, Math.max(0, emitted - stop.length));
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      if (cut > emitted) yield text.slice(emitted, cut);
      return { finish: "stop", tokens: n };
    }
    let hold = 0;
    for (const stop of s.stop) {
      for (let k = Math.min(stop.length - 1, text.length - emitted); k > hold; k--) {
        if (text.endsWith(stop.slice(0, k))) {
          hold = k;
          break;
        }
      }
    }
    if (text.length - hold > emitted) {
      yield text.slice(emitted, text.length - hold);
      emitted = text.length - hold;
    }
  }
  if (text.length > emitted) yield text.slice(emitted);
  return { finish: "length", tokens: s.max_tokens };
}

// ------------------------------------------------------------------ HTTP

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, `request body over ${MAX_BODY} bytes`, null, "body_too_large"));
        req.resume();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function parseJson(body: Buffer): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(body.toString("utf8"));
  } catch (e) {
    return bad(`could not parse the JSON body: ${(e as Error).message}`, null, "invalid_json");
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) bad("the JSON body must be an object", null, "invalid_json");
  return v as Record<string, unknown>;
}

function sendJson(res: ServerResponse, status: number, json: unknown): void {
  const bytes = Buffer.from(JSON.stringify(json));
  res.writeHead(status, { "content-type": "application/json", "content-length": bytes.length }).end(bytes);
}

export async function startModelServer(cfg: ModelServerConfig): Promise<RunningModelServer> {
  const { model, header } = loadModel(cfg.weightsPath);
  const name = cfg.modelName ?? DEFAULT_MODEL_NAME;
  const log = cfg.log ?? (() => undefined);
  const created = Math.floor(Date.now() / 1000);
  const fingerprint = `hexs-${model.hash.slice(0, 12)}`;
  const delay = cfg.tokenDelayMs ?? 0;

  const generate = async (res: ServerResponse, chat: boolean, prompt: string, s: Sampling) => {
    const id = `${chat ? "chatcmpl" : "cmpl"}-${randomBytes(12).toString("hex")}`;
    const now = Math.floor(Date.now() / 1000);
    const object = chat ? "chat.completion" : "text_completion";
    const usage = (tokens: number) => {
      const prompt_tokens = model.tokenizer.count(prompt);
      return { prompt_tokens, completion_tokens: tokens, total_tokens: prompt_tokens + tokens };
    };
    const run = complete(model, prompt, s);
    if (!s.stream) {
      let text = "";
      let r = run.next();
      for (; !r.done; r = run.next()) text += r.value;
      const { finish, tokens } = r.value;
      const choice = chat
        ? { index: 0, message: { role: "assistant", content: text }, logprobs: null, finish_reason: finish }
        : { index: 0, text, logprobs: null, finish_reason: finish };
      sendJson(res, 200, {
        id,
        object,
        created: now,
        model: name,
        system_fingerprint: fingerprint,
        choices: [choice],
        usage: usage(tokens),
      });
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    res.flushHeaders();
    let gone = false;
    res.on("close", () => (gone = true));
    const chunk = (delta: string | null, finish: Finish | null, first = false) => {
      const choice = chat
        ? {
            index: 0,
            delta: delta === null ? {} : first ? { role: "assistant", content: delta } : { content: delta },
            logprobs: null,
            finish_reason: finish,
          }
        : { index: 0, text: delta ?? "", logprobs: null, finish_reason: finish };
      const obj = {
        id,
        object: chat ? "chat.completion.chunk" : "text_completion",
        created: now,
        model: name,
        system_fingerprint: fingerprint,
        choices: [choice],
      };
      res.write(`data: ${JSON.stringify(obj)}\n\n`);
    };
    if (chat) chunk("", null, true);
    let r = run.next();
    for (; !r.done && !gone; r = run.next()) {
      chunk(r.value, null);
      // let the socket flush (and a disconnect be noticed) between tokens
      await new Promise((ok) => (delay > 0 ? setTimeout(ok, delay) : setImmediate(ok)));
    }
    if (gone || !r.done) return;
    chunk(null, r.value.finish);
    if (s.includeUsage) {
      const obj = {
        id,
        object: chat ? "chat.completion.chunk" : "text_completion",
        created: now,
        model: name,
        choices: [],
        usage: usage(r.value.tokens),
      };
      res.write(`data: ${JSON.stringify(obj)}\n\n`);
    }
    res.end("data: [DONE]\n\n");
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname.replace(/\/+$/, "");
    const method = req.method ?? "GET";
    if (path === "/healthz" && method === "GET") {
      return sendJson(res, 200, {
        ok: true,
        model: name,
        weightsSha256: model.hash,
        format: header.format,
        version: header.version,
      });
    }
    if (path === "/v1/models" && method === "GET") {
      return sendJson(res, 200, { object: "list", data: [{ id: name, object: "model", created, owned_by: "hexs" }] });
    }
    if (path === `/v1/models/${name}` && method === "GET")
      return sendJson(res, 200, { id: name, object: "model", created, owned_by: "hexs" });
    const chat = path === "/v1/chat/completions";
    if (chat || path === "/v1/completions") {
      if (method !== "POST") throw new ApiError(405, `${path} takes POST`, null, "method_not_allowed");
      const body = parseJson(await readBody(req));
      const prompt = chat ? chatPrompt(body.messages) : completionPrompt(body.prompt);
      return generate(res, chat, prompt, parseSampling(body, chat));
    }
    throw new ApiError(404, `${method} ${path} is not an endpoint of this model server`, null, "unknown_url");
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).then(
      () => log(`${req.method} ${req.url} ${res.statusCode}`),
      (e: unknown) => {
        const err = e instanceof ApiError ? e : new ApiError(500, `internal error: ${(e as Error).message}`);
        log(`${req.method} ${req.url} ${err.status} ${err.message}`);
        if (!res.headersSent) sendJson(res, err.status, err.body());
        else res.destroy();
      },
    );
  });
  const port = await listen(server, cfg.port ?? 0);
  return { url: `http://127.0.0.1:${port}`, model, header, close: () => close(server) };
}

// The model server: a real (tiny) neural LM, trained by a deterministic build step, loaded with
// checks, answering OpenAI's chat/completions and completions, with SSE streaming.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ensureWeights, ROOT } from "../../services/model-server/build";
import { DEFAULT_CONFIG, WeightsError } from "../../services/model-server/model";
import { loadModel, startModelServer, type RunningModelServer } from "../../services/model-server/server";
import { PORTS, sseData, type Answer } from "./helpers";

async function post(url: string, body: unknown): Promise<{ status: number; json: Answer; text: string; type: string }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Answer;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined as unknown as Answer;
  }
  return { status: res.status, json, text, type: res.headers.get("content-type") ?? "" };
}

/** The streamed text of an SSE answer (chat deltas or completion texts), its finish reason and usage. */
function streamed(text: string, chat: boolean) {
  const data = sseData(text);
  expect(data[data.length - 1]).to.equal("[DONE]");
  const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
  const withChoice = chunks.filter((c) => c.choices.length > 0);
  const content = withChoice.map((c) => (chat ? (c.choices[0].delta.content ?? "") : c.choices[0].text)).join("");
  const finish = withChoice[withChoice.length - 1].choices[0].finish_reason;
  const usage = chunks.find((c) => c.usage)?.usage;
  return { content, finish, usage, chunks: withChoice.length };
}

describe("model server (char-level MLP LM, OpenAI-compatible)", function () {
  this.timeout(120_000);
  let svc: RunningModelServer;
  let weightsPath: string;
  let tmp: string;

  before(async () => {
    weightsPath = ensureWeights().path; // trains once (a few seconds), then cached by content hash
    svc = await startModelServer({ weightsPath, port: PORTS });
    tmp = mkdtempSync(join(tmpdir(), "hexs-model-"));
  });
  after(async () => {
    await svc?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("the build step is deterministic and cached by content hash: same text and seed → byte-identical weights", () => {
    const small = { ...DEFAULT_CONFIG, steps: 40 };
    const a = ensureWeights({ dir: join(tmp, "a"), config: small });
    const b = ensureWeights({ dir: join(tmp, "b"), config: small });
    expect(a.built && b.built).to.equal(true);
    expect(readFileSync(a.path).equals(readFileSync(b.path))).to.equal(true);
    expect(ensureWeights({ dir: join(tmp, "a"), config: small })).to.deep.equal({ path: a.path, built: false });
    const other = ensureWeights({ dir: join(tmp, "a"), config: { ...small, seed: 7 } });
    expect(other.path).to.not.equal(a.path);
    expect(readFileSync(other.path).equals(readFileSync(a.path))).to.equal(false);
  });

  it("GET /v1/models lists the model; /healthz names the weights' sha256", async () => {
    const models = await (await fetch(`${svc.url}/v1/models`)).json();
    expect(models.object).to.equal("list");
    expect(models.data.map((m: { id: string }) => m.id)).to.deep.equal(["hexs-char-mlp"]);
    const health = await (await fetch(`${svc.url}/healthz`)).json();
    expect(health).to.include({ ok: true, weightsSha256: svc.model.hash, version: 1 });
  });

  it("outputs are deterministic for a seed (chat and completions) and change with the seed", async () => {
    const chat = {
      model: "hexs-char-mlp",
      messages: [{ role: "user", content: "What does the relayer do?" }],
      temperature: 0.9,
      max_tokens: 48,
    };
    const a = await post(`${svc.url}/v1/chat/completions`, { ...chat, seed: 42 });
    const b = await post(`${svc.url}/v1/chat/completions`, { ...chat, seed: 42 });
    const c = await post(`${svc.url}/v1/chat/completions`, { ...chat, seed: 43 });
    expect(a.status).to.equal(200);
    expect(a.json.object).to.equal("chat.completion");
    expect(a.json.choices[0].message.content).to.have.length(48);
    expect(a.json.choices[0].message.content).to.equal(b.json.choices[0].message.content);
    expect(c.json.choices[0].message.content).to.not.equal(a.json.choices[0].message.content);
    const promptTokens = Array.from("User: What does the relayer do?\nAssistant:").length;
    expect(a.json.usage).to.deep.equal({ prompt_tokens: promptTokens, completion_tokens: 48, total_tokens: promptTokens + 48 });
    const p = { prompt: "The key service ", max_tokens: 32, seed: 5, temperature: 0.7 };
    const x = await post(`${svc.url}/v1/completions`, p);
    const y = await post(`${svc.url}/v1/completions`, p);
    expect(x.json.object).to.equal("text_completion");
    expect(x.json.choices[0].text).to.equal(y.json.choices[0].text);
    // greedy decoding needs no seed
    const g1 = await post(`${svc.url}/v1/completions`, { prompt: "The key service ", max_tokens: 32, temperature: 0 });
    const g2 = await post(`${svc.url}/v1/completions`, { prompt: "The key service ", max_tokens: 32, temperature: 0 });
    expect(g1.json.choices[0].text).to.equal(g2.json.choices[0].text);
  });

  it("streamed chunks (SSE, data: … [DONE]) concatenate to the non-streamed text, with and without stop sequences", async () => {
    for (const [path, chat] of [
      ["/v1/chat/completions", true],
      ["/v1/completions", false],
    ] as const) {
      for (const stop of [undefined, ["e"], ["th", "\n"], "xq"]) {
        for (const seed of [1, 2, 3]) {
          const req = {
            ...(chat ? { messages: [{ role: "user", content: "Tell me about keys." }] } : { prompt: "Models are " }),
            max_tokens: 60,
            seed,
            stop,
            temperature: 1,
          };
          const whole = await post(svc.url + path, req);
          const stream = await post(svc.url + path, { ...req, stream: true, stream_options: { include_usage: true } });
          expect(stream.status).to.equal(200);
          expect(stream.type).to.match(/^text\/event-stream/);
          const s = streamed(stream.text, chat);
          const text = chat ? whole.json.choices[0].message.content : whole.json.choices[0].text;
          expect(s.content, `${path} stop=${JSON.stringify(stop)} seed=${seed}`).to.equal(text);
          expect(s.finish).to.equal(whole.json.choices[0].finish_reason);
          expect(s.usage).to.deep.equal(whole.json.usage);
          for (const st of typeof stop === "string" ? [stop] : (stop ?? [])) expect(text).to.not.contain(st);
          if (text.length > 1) expect(s.chunks).to.be.greaterThan(1);
        }
      }
    }
  });

  it("stop ends with finish_reason 'stop' before the stop sequence; max_tokens ends with 'length'", async () => {
    const base = { prompt: "The ", seed: 9, temperature: 1, max_tokens: 200 };
    const free = (await post(`${svc.url}/v1/completions`, base)).json.choices[0];
    expect(free.finish_reason).to.equal("length");
    expect(Array.from(free.text as string)).to.have.length(200);
    const at = (free.text as string).indexOf(" ", 3);
    const stop = (free.text as string).slice(at, at + 2);
    const cut = (await post(`${svc.url}/v1/completions`, { ...base, stop })).json.choices[0];
    expect(cut.finish_reason).to.equal("stop");
    expect(cut.text).to.equal((free.text as string).slice(0, (free.text as string).indexOf(stop)));
  });

  it("malformed requests get 400 with an OpenAI-style error body; unknown paths 404", async () => {
    const cases: Array<[string, unknown, string | null]> = [
      ["/v1/chat/completions", "{not json", null],
      ["/v1/chat/completions", [1, 2], null],
      ["/v1/chat/completions", { model: "m" }, "messages"],
      ["/v1/chat/completions", { messages: [] }, "messages"],
      ["/v1/chat/completions", { messages: [{ role: "wizard", content: "hi" }] }, "messages"],
      ["/v1/chat/completions", { messages: [{ role: "user", content: 5 }] }, "messages"],
      ["/v1/chat/completions", { messages: [{ role: "user", content: "hi" }], temperature: 3 }, "temperature"],
      ["/v1/chat/completions", { messages: [{ role: "user", content: "hi" }], max_tokens: 0 }, "max_tokens"],
      ["/v1/chat/completions", { messages: [{ role: "user", content: "hi" }], max_tokens: 1.5 }, "max_tokens"],
      ["/v1/chat/completions", { messages: [{ role: "user", content: "hi" }], stop: ["a", "b", "c", "d", "e"] }, "stop"],
      ["/v1/chat/completions", { messages: [{ role: "user", content: "hi" }], n: 2 }, "n"],
      ["/v1/chat/completions", { messages: [{ role: "user", content: "hi" }], stream: "yes" }, "stream"],
      ["/v1/completions", { prompt: 42 }, "prompt"],
      ["/v1/completions", { prompt: "x", seed: "abc" }, "seed"],
    ];
    for (const [path, body, param] of cases) {
      const r = await post(svc.url + path, body);
      expect(r.status, JSON.stringify(body)).to.equal(400);
      expect(r.json.error.type).to.equal("invalid_request_error");
      expect(r.json.error.message).to.be.a("string").and.not.equal("");
      expect(r.json.error.param).to.equal(param);
    }
    const nf = await post(`${svc.url}/v1/embeddings`, { input: "x" });
    expect(nf.status).to.equal(404);
    expect(nf.json.error.code).to.equal("unknown_url");
    const get = await fetch(`${svc.url}/v1/chat/completions`);
    expect(get.status).to.equal(405);
  });

  it("a corrupt, truncated, wrong-version or missing weights file refuses to start with the reason", async () => {
    const good = readFileSync(weightsPath);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 100] ^= 0x01;
    const truncated = good.subarray(0, good.length - 4);
    const hdrLen = good.readUInt32LE(7);
    const header = JSON.parse(good.subarray(11, 11 + hdrLen).toString());
    const v2 = Buffer.from(JSON.stringify({ ...header, version: 2 }));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(v2.length);
    const wrongVersion = Buffer.concat([good.subarray(0, 7), len, v2, good.subarray(11 + hdrLen)]);
    const cases: Array<[string, Buffer | null, RegExp]> = [
      ["flipped", flipped, /sha256 .* \(corrupted\)/],
      ["truncated", truncated, /truncated or padded/],
      ["version", wrongVersion, /format version 2, this server reads 1/],
      ["garbage", Buffer.from("hello"), /HEXSLM magic/],
      ["missing", null, /does not exist: build it first/],
    ];
    for (const [name, bytes, reason] of cases) {
      const file = join(tmp, `${name}.bin`);
      if (bytes) writeFileSync(file, bytes);
      expect(() => loadModel(file), name).to.throw(WeightsError, reason);
      let started: RunningModelServer | undefined;
      const err = await startModelServer({ weightsPath: file, port: PORTS }).then(
        (s) => ((started = s), undefined),
        (e: Error) => e,
      );
      await started?.close();
      expect(err, name).to.be.instanceOf(WeightsError);
    }
    // the real process: exit code 1 and the reason on stderr
    const file = join(tmp, "flipped.bin");
    const run = promisify(execFile)(
      join(ROOT, "node_modules/.bin/ts-node"),
      ["--transpile-only", join(ROOT, "services/model-server/cli.ts"), "--weights", file],
      { cwd: ROOT },
    );
    const out = await run.then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(out.code).to.equal(1);
    expect(out.stderr).to.match(/is not usable: .*corrupted/);
  });
});

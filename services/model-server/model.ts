// A small character-level neural language model (Bengio-style MLP): the previous CONTEXT characters
// are embedded, concatenated, passed through one tanh hidden layer, and a softmax over the
// vocabulary gives the next character. Trained here, in plain TypeScript, from text in the repo
// with a fixed seed and a fixed number of Adam steps, so the same text always gives the same
// weights (bit for bit on one machine); nothing is fetched. Small on purpose: it trains in a few
// seconds on 2 cores and answers in well under a millisecond per token, which is what the gateway
// in front of it needs to be tested and measured against a real model.
import { createHash } from "node:crypto";

export const FORMAT = "hexs-char-mlp";
/** Bump on any change to the layout, the architecture or the training loop. */
export const FORMAT_VERSION = 1;

export interface ModelConfig {
  /** characters of context */
  context: number;
  /** embedding width per character */
  embed: number;
  hidden: number;
  /** training: Adam steps, examples per step, learning rate, PRNG seed */
  steps: number;
  batch: number;
  lr: number;
  seed: number;
}

export const DEFAULT_CONFIG: ModelConfig = { context: 8, embed: 16, hidden: 96, steps: 2500, batch: 32, lr: 0.005, seed: 1337 };

/** Id 0 is padding before the text starts and stands for characters outside the vocabulary. */
export const UNK = 0;

export interface Weights {
  config: ModelConfig;
  /** vocab[i] is token i's character; vocab[0] is UNK */
  vocab: string[];
  emb: Float32Array; // V × E
  w1: Float32Array; // (C·E) × H
  b1: Float32Array; // H
  w2: Float32Array; // H × V
  b2: Float32Array; // V
}

export function shapes(config: ModelConfig, vocabSize: number): Record<"emb" | "w1" | "b1" | "w2" | "b2", number> {
  const { context: C, embed: E, hidden: H } = config;
  return { emb: vocabSize * E, w1: C * E * H, b1: H, w2: H * vocabSize, b2: vocabSize };
}

// ------------------------------------------------------------------ deterministic PRNG

/** mulberry32: small, fast, and the same sequence everywhere for a seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ------------------------------------------------------------------ tokenizer

export class Tokenizer {
  private readonly index = new Map<string, number>();
  constructor(readonly vocab: string[]) {
    vocab.forEach((ch, i) => i !== UNK && this.index.set(ch, i));
  }
  static fromText(text: string): Tokenizer {
    return new Tokenizer(["\u0000", ...[...new Set(Array.from(text))].sort()]);
  }
  encode(text: string): number[] {
    return Array.from(text, (ch) => this.index.get(ch) ?? UNK);
  }
  decode(ids: number[]): string {
    return ids.map((i) => (i === UNK ? "" : this.vocab[i])).join("");
  }
  /** Usage counts are in these tokens: one per character (code point). */
  count(text: string): number {
    return Array.from(text).length;
  }
}

// ------------------------------------------------------------------ training

/** Train from `text`; deterministic for (text, config). */
export function train(text: string, config: ModelConfig = DEFAULT_CONFIG, log?: (line: string) => void): Weights {
  const tok = Tokenizer.fromText(text);
  const V = tok.vocab.length;
  const { context: C, embed: E, hidden: H, steps, batch, lr, seed } = config;
  const ids = tok.encode(text);
  const rand = prng(seed);
  const sz = shapes(config, V);
  const init = (n: number, scale: number) => Float64Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
  const p = {
    emb: init(sz.emb, 1),
    w1: init(sz.w1, 1 / Math.sqrt(C * E)),
    b1: new Float64Array(sz.b1),
    w2: init(sz.w2, 1 / Math.sqrt(H)),
    b2: new Float64Array(sz.b2),
  };
  const names = Object.keys(p) as Array<keyof typeof p>;
  const grad = Object.fromEntries(names.map((k) => [k, new Float64Array(p[k].length)])) as typeof p;
  const m = Object.fromEntries(names.map((k) => [k, new Float64Array(p[k].length)])) as typeof p;
  const v = Object.fromEntries(names.map((k) => [k, new Float64Array(p[k].length)])) as typeof p;
  const x = new Float64Array(C * E);
  const ctx = new Int32Array(C);
  const h = new Float64Array(H);
  const logits = new Float64Array(V);
  const dh = new Float64Array(H);
  const dx = new Float64Array(C * E);
  const [b1m, b2m, eps] = [0.9, 0.999, 1e-8];
  let avg = 0;
  for (let step = 1; step <= steps; step++) {
    for (const k of names) grad[k].fill(0);
    let loss = 0;
    for (let b = 0; b < batch; b++) {
      const t = Math.floor(rand() * ids.length);
      for (let c = 0; c < C; c++) ctx[c] = t - C + c >= 0 ? ids[t - C + c] : UNK;
      for (let c = 0; c < C; c++) for (let e = 0; e < E; e++) x[c * E + e] = p.emb[ctx[c] * E + e];
      forwardHidden(x, p.w1, p.b1, h, C * E, H);
      forwardLogits(h, p.w2, p.b2, logits, H, V);
      let max = -Infinity;
      for (let i = 0; i < V; i++) max = Math.max(max, logits[i]);
      let sum = 0;
      for (let i = 0; i < V; i++) sum += logits[i] = Math.exp(logits[i] - max);
      const target = ids[t];
      loss += -Math.log(logits[target] / sum);
      // logits now holds probabilities' numerators: dlogits = softmax − onehot, averaged over the batch
      dh.fill(0);
      for (let i = 0; i < V; i++) {
        const d = (logits[i] / sum - (i === target ? 1 : 0)) / batch;
        grad.b2[i] += d;
        for (let j = 0; j < H; j++) {
          grad.w2[j * V + i] += h[j] * d;
          dh[j] += p.w2[j * V + i] * d;
        }
      }
      for (let j = 0; j < H; j++) dh[j] *= 1 - h[j] * h[j];
      dx.fill(0);
      for (let j = 0; j < H; j++) {
        const d = dh[j];
        grad.b1[j] += d;
        for (let i = 0; i < C * E; i++) {
          grad.w1[i * H + j] += x[i] * d;
          dx[i] += p.w1[i * H + j] * d;
        }
      }
      for (let c = 0; c < C; c++) for (let e = 0; e < E; e++) grad.emb[ctx[c] * E + e] += dx[c * E + e];
    }
    const bc1 = 1 - Math.pow(b1m, step);
    const bc2 = 1 - Math.pow(b2m, step);
    for (const k of names) {
      const w = p[k];
      const g = grad[k];
      const mk = m[k];
      const vk = v[k];
      for (let i = 0; i < w.length; i++) {
        mk[i] = b1m * mk[i] + (1 - b1m) * g[i];
        vk[i] = b2m * vk[i] + (1 - b2m) * g[i] * g[i];
        w[i] -= (lr * (mk[i] / bc1)) / (Math.sqrt(vk[i] / bc2) + eps);
      }
    }
    avg = step === 1 ? loss / batch : 0.98 * avg + 0.02 * (loss / batch);
    if (log && step % 500 === 0) log(`step ${step}/${steps}: loss ${avg.toFixed(3)} nats/char`);
  }
  return {
    config,
    vocab: tok.vocab,
    emb: Float32Array.from(p.emb),
    w1: Float32Array.from(p.w1),
    b1: Float32Array.from(p.b1),
    w2: Float32Array.from(p.w2),
    b2: Float32Array.from(p.b2),
  };
}

function forwardHidden(
  x: ArrayLike<number>,
  w1: ArrayLike<number>,
  b1: ArrayLike<number>,
  h: Float64Array,
  n: number,
  H: number,
) {
  for (let j = 0; j < H; j++) h[j] = b1[j];
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    const row = i * H;
    for (let j = 0; j < H; j++) h[j] += xi * w1[row + j];
  }
  for (let j = 0; j < H; j++) h[j] = Math.tanh(h[j]);
}

function forwardLogits(h: Float64Array, w2: ArrayLike<number>, b2: ArrayLike<number>, out: Float64Array, H: number, V: number) {
  for (let i = 0; i < V; i++) out[i] = b2[i];
  for (let j = 0; j < H; j++) {
    const hj = h[j];
    const row = j * V;
    for (let i = 0; i < V; i++) out[i] += hj * w2[row + i];
  }
}

// ------------------------------------------------------------------ inference

export interface SampleOptions {
  /** 0: greedy (argmax); otherwise softmax(logits / temperature) */
  temperature: number;
  top_p: number;
  seed: number;
}

export class LanguageModel {
  readonly tokenizer: Tokenizer;
  private readonly x: Float64Array;
  private readonly h: Float64Array;
  private readonly logits: Float64Array;

  constructor(
    readonly weights: Weights,
    /** sha256 of the weights file (its content hash): the model's identity */
    readonly hash: string,
  ) {
    this.tokenizer = new Tokenizer(weights.vocab);
    const { context: C, embed: E, hidden: H } = weights.config;
    this.x = new Float64Array(C * E);
    this.h = new Float64Array(H);
    this.logits = new Float64Array(weights.vocab.length);
  }

  /** Next-token logits after `ids` (the last CONTEXT of them count). */
  next(ids: number[]): Float64Array {
    const { config, emb, w1, b1, w2, b2, vocab } = this.weights;
    const { context: C, embed: E, hidden: H } = config;
    for (let c = 0; c < C; c++) {
      const at = ids.length - C + c;
      const id = at >= 0 ? ids[at] : UNK;
      for (let e = 0; e < E; e++) this.x[c * E + e] = emb[id * E + e];
    }
    forwardHidden(this.x, w1, b1, this.h, C * E, H);
    forwardLogits(this.h, w2, b2, this.logits, H, vocab.length);
    this.logits[UNK] = -Infinity; // never emit padding
    return this.logits;
  }

  /**
   * Generate token by token. `rand` is the request's PRNG (seeded), so a seed fixes the output.
   * Yields one character per step; the caller stops it (max tokens, stop sequences).
   */
  *generate(prompt: string, o: SampleOptions): Generator<string> {
    const ids = this.tokenizer.encode(prompt);
    const rand = prng(o.seed);
    const V = this.weights.vocab.length;
    const order = new Int32Array(V);
    const probs = new Float64Array(V);
    for (;;) {
      const logits = this.next(ids);
      let pick = 0;
      if (o.temperature <= 0) {
        for (let i = 1; i < V; i++) if (logits[i] > logits[pick]) pick = i;
      } else {
        let max = -Infinity;
        for (let i = 0; i < V; i++) max = Math.max(max, logits[i]);
        let sum = 0;
        for (let i = 0; i < V; i++) sum += probs[i] = Math.exp((logits[i] - max) / o.temperature);
        for (let i = 0; i < V; i++) order[i] = i;
        // nucleus: the most likely tokens whose mass reaches top_p (ties broken by id: deterministic)
        const sorted = Array.from(order).sort((a, b) => probs[b] - probs[a] || a - b);
        let mass = 0;
        let n = 0;
        while (n < V && mass < o.top_p * sum) mass += probs[sorted[n++]];
        let r = rand() * mass;
        pick = sorted[n - 1];
        for (let k = 0; k < n; k++) {
          r -= probs[sorted[k]];
          if (r < 0) {
            pick = sorted[k];
            break;
          }
        }
      }
      ids.push(pick);
      yield this.weights.vocab[pick];
    }
  }
}

// ------------------------------------------------------------------ weights file

// Layout: "HEXSLM\n" magic, a 4-byte little-endian header length, the header (UTF-8 JSON:
// format, version, config, vocab, tensor shapes, sha256 of the tensor bytes, sha256 of the
// training text), then the tensors as little-endian float32 in the order of TENSORS.
const MAGIC = Buffer.from("HEXSLM\n");
const TENSORS = ["emb", "w1", "b1", "w2", "b2"] as const;

export interface WeightsHeader {
  format: string;
  version: number;
  config: ModelConfig;
  vocab: string[];
  shapes: Record<string, number>;
  tensorsSha256: string;
  corpusSha256: string;
}

export class WeightsError extends Error {}

export function serialize(w: Weights, corpusSha256: string): Buffer {
  const tensors = Buffer.concat(TENSORS.map((k) => Buffer.from(w[k].buffer, w[k].byteOffset, w[k].byteLength)));
  const header: WeightsHeader = {
    format: FORMAT,
    version: FORMAT_VERSION,
    config: w.config,
    vocab: w.vocab,
    shapes: shapes(w.config, w.vocab.length),
    tensorsSha256: createHash("sha256").update(tensors).digest("hex"),
    corpusSha256,
  };
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  return Buffer.concat([MAGIC, len, json, tensors]);
}

/** Parse and check a weights file: magic, format and version, shapes, the tensors' hash. */
export function deserialize(bytes: Buffer, what = "weights file"): { weights: Weights; header: WeightsHeader } {
  const bad = (why: string): never => {
    throw new WeightsError(
      `${what} is not usable: ${why}. Rebuild it: npx ts-node --transpile-only services/model-server/build.ts`,
    );
  };
  if (bytes.length < MAGIC.length + 4 || !bytes.subarray(0, MAGIC.length).equals(MAGIC))
    bad("it does not start with the HEXSLM magic");
  const len = bytes.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4 + len;
  if (start > bytes.length) bad("its header is truncated");
  let header: WeightsHeader;
  try {
    header = JSON.parse(bytes.subarray(MAGIC.length + 4, start).toString("utf8")) as WeightsHeader;
  } catch {
    return bad("its header is not JSON");
  }
  if (header.format !== FORMAT) bad(`format '${header.format}', expected '${FORMAT}'`);
  if (header.version !== FORMAT_VERSION) bad(`format version ${header.version}, this server reads ${FORMAT_VERSION}`);
  if (!Array.isArray(header.vocab) || header.vocab.length < 2) bad("its vocabulary is empty");
  const want = shapes(header.config, header.vocab.length);
  for (const k of TENSORS) {
    if (header.shapes?.[k] !== want[k]) bad(`tensor ${k} has ${header.shapes?.[k]} values, the config needs ${want[k]}`);
  }
  const total = TENSORS.reduce((n, k) => n + want[k] * 4, 0);
  const tensors = bytes.subarray(start);
  if (tensors.length !== total) bad(`it holds ${tensors.length} tensor bytes, the shapes need ${total} (truncated or padded)`);
  const digest = createHash("sha256").update(tensors).digest("hex");
  if (digest !== header.tensorsSha256)
    bad(`the tensors' sha256 is ${digest}, the header says ${header.tensorsSha256} (corrupted)`);
  const copy = new Uint8Array(tensors); // a fresh ArrayBuffer: aligned for Float32Array views
  let off = 0;
  const out: Partial<Weights> = { config: header.config, vocab: header.vocab };
  for (const k of TENSORS) {
    out[k] = new Float32Array(copy.buffer, copy.byteOffset + off, want[k]);
    off += want[k] * 4;
  }
  for (const k of TENSORS) if (!(out[k] as Float32Array).every(Number.isFinite)) bad(`tensor ${k} holds a non-finite value`);
  return { weights: out as Weights, header };
}

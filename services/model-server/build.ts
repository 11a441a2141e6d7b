// The deterministic build step for the model's weights: train on text in the repo with a fixed
// seed and write the weights under .cache/model-server/, named by the hash of everything that
// determines them (format version, config, training text). A second run with the same inputs
// finds the file and does nothing; any change to the text or the config trains a new file.
//   npx ts-node --transpile-only services/model-server/build.ts [--out-dir DIR]   prints the path
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEFAULT_CONFIG, FORMAT, FORMAT_VERSION, serialize, train, type ModelConfig } from "./model";

export const ROOT = resolve(__dirname, "../..");
/** The training text: the architecture overview (plain English about this project). */
export const CORPUS_FILES = ["docs/architecture.md"];
export const DEFAULT_WEIGHTS_DIR = join(ROOT, ".cache/model-server");

export interface BuildOptions {
  dir?: string;
  corpusFiles?: string[];
  config?: ModelConfig;
  log?: (line: string) => void;
}

export function corpusText(files = CORPUS_FILES): string {
  return files.map((f) => readFileSync(join(ROOT, f), "utf8")).join("\n\n");
}

/** The cache key: sha256 over format, version, config and training text. */
export function buildKey(text: string, config: ModelConfig): string {
  return createHash("sha256")
    .update(`${FORMAT}\n${FORMAT_VERSION}\n${JSON.stringify(config)}\n`)
    .update(text)
    .digest("hex");
}

/** Path of the weights for the current inputs, training them first if they are not cached. */
export function ensureWeights(o: BuildOptions = {}): { path: string; built: boolean } {
  const config = o.config ?? DEFAULT_CONFIG;
  const text = corpusText(o.corpusFiles);
  const dir = o.dir ?? DEFAULT_WEIGHTS_DIR;
  const path = join(dir, `${FORMAT}-${buildKey(text, config).slice(0, 16)}.bin`);
  if (existsSync(path)) return { path, built: false };
  const t0 = Date.now();
  const weights = train(text, config, o.log);
  mkdirSync(dir, { recursive: true });
  // write then rename: a concurrent build or an interrupted one never leaves a half file at `path`
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, serialize(weights, createHash("sha256").update(text).digest("hex")));
  renameSync(tmp, path);
  o.log?.(`trained ${path} in ${Date.now() - t0} ms`);
  return { path, built: true };
}

if (require.main === module) {
  const i = process.argv.indexOf("--out-dir");
  const { path } = ensureWeights({ dir: i > 0 ? resolve(process.argv[i + 1]) : undefined, log: (l) => console.error(l) });
  console.log(path);
}

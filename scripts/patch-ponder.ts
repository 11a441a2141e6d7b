// A patch of the installed Ponder (indexer/node_modules/ponder), applied by scripts/app-deps.sh
// after each install and checked again on every run (idempotent):
//
// merge-getlogs (Ponder 0.16.10, dist/esm/sync-historical/index.js): the backfill asks
// eth_getLogs once per contract address for all of that contract's events (topic0 as a list)
// only when a filter's topic1..3 are `undefined`; Ponder's own config builder sets them to `null`
// (= any value) for every event without a `filter` argument, so each event with a handler got a
// request of its own, each a scan of the whole block range on the node (15 instead of 6 for the
// Hexs indexer). The patch treats `null` like `undefined` there, as the request built from it
// already does (`topic1 ?? null`). Which logs are kept is decided afterwards per filter
// (isLogFilterMatched), so the indexed data is the same.
//
// On another Ponder version, or a file that matches neither the original nor the patched text,
// the install stops: check whether the new version still needs the patch, then update or drop it.
//   npx ts-node --transpile-only scripts/patch-ponder.ts          apply (or confirm) the patch
//   npx ts-node --transpile-only scripts/patch-ponder.ts --check  fail unless it is applied
import fs from "node:fs";
import path from "node:path";
import { HexsError } from "../sdk/errors";

export const PONDER_DIR = path.join(__dirname, "../indexer/node_modules/ponder");
export const PONDER_VERSION = "0.16.10";

export interface Patch {
  name: string;
  /** Path inside the Ponder package. */
  file: string;
  /** Each original text, exactly once in the file, and what replaces it. */
  edits: { from: string; to: string }[];
}

export const PATCHES: Patch[] = [
  {
    name: "merge-getlogs",
    file: "dist/esm/sync-historical/index.js",
    edits: [1, 2, 3].map((n) => ({
      from: `const hasTopic${n} = filter.topic${n} !== undefined;`,
      to: `const hasTopic${n} = filter.topic${n} !== undefined && filter.topic${n} !== null; // hexs: merge-getlogs`,
    })),
  },
];

const count = (text: string, s: string) => text.split(s).length - 1;

/** Where `text` stands with respect to `patch`: "original", "patched", or why it is neither. */
export function stateOf(patch: Patch, text: string): "original" | "patched" | string {
  if (patch.edits.every((e) => count(text, e.from) === 1 && count(text, e.to) === 0)) return "original";
  if (patch.edits.every((e) => count(text, e.to) === 1 && count(text, e.from) === 0)) return "patched";
  const found = patch.edits.map((e) => `${count(text, e.from)}× the original, ${count(text, e.to)}× the patched text`);
  return `neither the original nor the patched text (${found.join("; ")})`;
}

/** `text` with `patch` applied; the same text when it already is. */
export function applyPatch(patch: Patch, text: string): string {
  const state = stateOf(patch, text);
  if (state === "patched") return text;
  if (state !== "original")
    throw new HexsError(
      "ponder_patch_mismatch",
      `Ponder's ${patch.file} holds ${state} of the "${patch.name}" patch (scripts/patch-ponder.ts): ` +
        `check whether this Ponder still needs it, then update the patch's texts or remove it`,
    );
  return patch.edits.reduce((t, e) => t.replace(e.from, e.to), text);
}

/** Apply every patch to the installed Ponder in `dir` (or, with `check`, only verify); returns what was done per patch. */
export function patchPonder(dir = PONDER_DIR, check = false): string[] {
  const pkg = path.join(dir, "package.json");
  if (!fs.existsSync(pkg))
    throw new HexsError("ponder_missing", `no Ponder at ${dir}: install the indexer's packages first (scripts/app-deps.sh)`);
  const version = (JSON.parse(fs.readFileSync(pkg, "utf8")) as { version: string }).version;
  if (version !== PONDER_VERSION)
    throw new HexsError(
      "ponder_patch_version",
      `the installed Ponder is ${version}, the patches in scripts/patch-ponder.ts are for ${PONDER_VERSION}: ` +
        `check whether ${version} still needs each of them, then update PONDER_VERSION and the texts, or remove them`,
    );
  return PATCHES.map((patch) => {
    const file = path.join(dir, patch.file);
    const text = fs.readFileSync(file, "utf8");
    const patched = applyPatch(patch, text);
    if (patched === text) return `${patch.name}: already applied`;
    if (check)
      throw new HexsError(
        "ponder_patch_missing",
        `Ponder's ${patch.file} lacks the "${patch.name}" patch: run npx ts-node --transpile-only scripts/patch-ponder.ts (scripts/app-deps.sh does)`,
      );
    // a new file renamed over the old one: never writes through a link into another checkout's copy
    fs.writeFileSync(`${file}.hexs-patch`, patched);
    fs.renameSync(`${file}.hexs-patch`, file);
    return `${patch.name}: applied`;
  });
}

if (require.main === module) {
  try {
    for (const line of patchPonder(PONDER_DIR, process.argv.includes("--check"))) console.log(`[ponder patch] ${line}`);
  } catch (err) {
    console.error(`[ponder patch] ${(err as Error).message}`);
    process.exit(1);
  }
}

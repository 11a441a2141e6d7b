// Every claim of docs/threat-model.md names the test that shows it (column "Shown by"): this
// check resolves each reference — a suite abbreviation, then test titles in quotes or Rust `fn`
// names in backticks — to the file the abbreviation table names, and fails on a title or function
// that is not there (a renamed or deleted test leaves a claim unshown).
//   npx ts-node --transpile-only scripts/check-threat-model.ts
import fs from "node:fs";
import path from "node:path";

const ROOT = path.join(__dirname, "..");
const DOC = "docs/threat-model.md";

/** The file a suite abbreviation stands for (the table at the top of the document). */
function fileOf(suite: string): string | undefined {
  const [kind, name] = suite.split("/");
  if (suite === "codec-rs") return "contracts/cosmwasm/codec/tests/vectors.rs";
  if (suite === "devnet") return "devnet/scenario.ts";
  if (kind === "cw") return `contracts/cosmwasm/hexs/src/testing/${name}.rs`;
  if (kind === "cw-src") return `contracts/cosmwasm/hexs/src/${name}.rs`;
  if (name && ["evm", "aa", "lz", "keys", "relayer", "akash", "sdk", "cosmwasm", "app", "api"].includes(kind))
    return `test/${kind}/${name}.test.ts`;
  return undefined;
}

/** A title matches when each literal piece (split at "…" and template holes) occurs in order. */
function hasTitle(source: string, title: string): boolean {
  const pieces = title
    .split(/…|\$\{[^}]*\}/)
    .map((p) => p.trim())
    .filter(Boolean);
  let at = 0;
  for (const p of pieces) {
    const i = source.indexOf(p, at);
    if (i < 0) return false;
    at = i + p.length;
  }
  return pieces.length > 0;
}

export function check(doc: string): string[] {
  const problems: string[] = [];
  const sources = new Map<string, string>();
  const read = (f: string) => {
    if (!sources.has(f)) sources.set(f, fs.existsSync(path.join(ROOT, f)) ? fs.readFileSync(path.join(ROOT, f), "utf8") : "");
    return sources.get(f)!;
  };
  const lines = doc.split("\n");
  const claimsFrom = lines.findIndex((l) => l.startsWith("## ")); // after the abbreviation table
  for (const [n, line] of lines.entries()) {
    if (n < claimsFrom) continue;
    const cells = line.split(" | ");
    if (!line.startsWith("| ") || cells.length < 2 || /^\| (Claim|---|short)/.test(line)) continue;
    const shown = cells[cells.length - 1].replace(/ \|$/, "");
    let suite: string | undefined;
    for (const [, tick, quote] of shown.matchAll(/`([^`]+)`|"((?:[^"\\]|\\.)*)"/g)) {
      const where = `${DOC}:${n + 1}`;
      if (tick !== undefined && (tick.includes("/") || tick === "codec-rs" || tick === "devnet")) {
        suite = tick;
        const f = fileOf(suite);
        if (!f || !read(f)) problems.push(`${where}: unknown suite \`${suite}\` (${f ?? "no file"})`);
        continue;
      }
      const f = suite && fileOf(suite);
      if (!f) {
        problems.push(`${where}: ${tick ?? quote} names no suite before it`);
        continue;
      }
      if (tick !== undefined && !new RegExp(`fn ${tick}\\b`).test(read(f))) problems.push(`${where}: no fn ${tick} in ${f}`);
      if (quote !== undefined && !hasTitle(read(f), quote)) problems.push(`${where}: no test "${quote}" in ${f}`);
    }
  }
  return problems;
}

if (require.main === module) {
  const problems = check(fs.readFileSync(path.join(ROOT, DOC), "utf8"));
  for (const p of problems) console.error(p);
  if (problems.length) process.exit(1);
  console.log(`${DOC}: every claim's tests exist`);
}

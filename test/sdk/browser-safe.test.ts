// The SDK's core must run in a browser: walk every module reachable from sdk/index.ts through
// runtime imports (type-only imports are erased) and fail on a Node built-in or a Node-only
// package. Node-only helpers live in sdk/node/, which the core never imports.
import { expect } from "chai";
import fs from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import ts from "typescript";

const ROOT = path.resolve(__dirname, "../..");
const ENTRY = path.join(ROOT, "sdk/index.ts");
/** Packages that only run in Node (or only in a Hardhat process). */
const NODE_ONLY_PACKAGES = [
  "hardhat",
  "better-sqlite3",
  "pg",
  "pino",
  "prom-client",
  "@nomicfoundation/",
  "@lighthouse-web3/",
  "ts-node",
];

function runtimeImports(file: string): string[] {
  const sf = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && !n.importClause?.isTypeOnly) {
      const named = n.importClause?.namedBindings;
      const allTypes =
        n.importClause !== undefined &&
        !n.importClause.name &&
        named !== undefined &&
        ts.isNamedImports(named) &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly);
      if (!allTypes) out.push((n.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && !n.isTypeOnly) {
      out.push((n.moduleSpecifier as ts.StringLiteral).text);
    } else if (
      ts.isCallExpression(n) &&
      (n.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(n.expression) && n.expression.text === "require")) &&
      n.arguments.length === 1 &&
      ts.isStringLiteral(n.arguments[0])
    ) {
      out.push(n.arguments[0].text);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function resolveLocal(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [base + ".ts", path.join(base, "index.ts"), base]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  throw new Error(`cannot resolve ${spec} from ${path.relative(ROOT, from)}`);
}

/** Every module the entry reaches at run time: local files and the packages they name. */
function walk(entry: string): { files: Set<string>; violations: string[] } {
  const files = new Set<string>();
  const violations: string[] = [];
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of runtimeImports(file)) {
      const where = `${path.relative(ROOT, file)} imports '${spec}'`;
      if (spec.startsWith(".")) {
        const target = resolveLocal(file, spec);
        if (path.relative(ROOT, target).startsWith(`sdk${path.sep}node`)) violations.push(`${where} (Node-only sdk/node)`);
        queue.push(target);
      } else if (builtins.has(spec) || spec.startsWith("node:")) {
        violations.push(`${where} (a Node built-in)`);
      } else if (NODE_ONLY_PACKAGES.some((p) => spec === p || spec.startsWith(p.endsWith("/") ? p : `${p}/`))) {
        violations.push(`${where} (a Node-only package)`);
      }
    }
  }
  return { files, violations };
}

describe("sdk core is browser-safe", () => {
  it("reaches no Node built-in and no Node-only package from sdk/index.ts", () => {
    const { files, violations } = walk(ENTRY);
    const rel = [...files].map((f) => path.relative(ROOT, f));
    // The walk covers the SDK's parts, so a regression cannot hide behind an unwalked module.
    for (const part of [
      "sdk/chains.ts",
      "sdk/contracts.ts",
      "sdk/accounts.ts",
      "sdk/tx.ts",
      "sdk/actions/key.ts",
      "codec/index.ts",
    ])
      expect(rel, `${part} is not reached from sdk/index.ts`).to.include(part);
    expect(violations, violations.join("\n")).to.deep.equal([]);
  });

  it("reaches no Node built-in and no Node-only package from sdk/keys/client.ts (the key-service client the app runs)", () => {
    const { files, violations } = walk(path.join(ROOT, "sdk/keys/client.ts"));
    const rel = [...files].map((f) => path.relative(ROOT, f));
    for (const part of [
      "sdk/keys/transport.ts",
      "sdk/keys/threshold.ts",
      "sdk/keys/cid.ts",
      "sdk/keys/file-cipher.ts",
      "sdk/keys/challenge.ts",
    ])
      expect(rel, `${part} is not reached from sdk/keys/client.ts`).to.include(part);
    expect(violations, violations.join("\n")).to.deep.equal([]);
  });

  it("reaches no Node built-in and no Node-only package from sdk/keys/seal.ts (SDL validation and sealing the studio runs)", () => {
    const { files, violations } = walk(path.join(ROOT, "sdk/keys/seal.ts"));
    const rel = [...files].map((f) => path.relative(ROOT, f));
    for (const part of ["sdk/keys/client.ts", "sdk/keys/access.ts", "sdk/keys/commitment.ts"])
      expect(rel, `${part} is not reached from sdk/keys/seal.ts`).to.include(part);
    expect(rel).to.not.include("sdk/keys/sdl.ts"); // the Node wrapper (chain-sdk's CommonJS build)
    expect(violations, violations.join("\n")).to.deep.equal([]);
  });

  it("flags a Node built-in (the walk itself works)", () => {
    const { violations } = walk(path.join(ROOT, "sdk/node/deployments.ts"));
    expect(violations.some((v) => v.includes("'node:fs'"))).to.equal(true);
  });
});

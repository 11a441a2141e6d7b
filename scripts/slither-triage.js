// Compare Slither's findings with the justifications in docs/static-analysis.md.
// Every High/Medium finding must be listed there as "`<check>` `<Contract.function>`"; Low
// findings are printed for review. Exit 1 on an unjustified High/Medium finding.
const fs = require("node:fs");

const [reportPath, triagePath] = process.argv.slice(2);
const report = JSON.parse(fs.readFileSync(reportPath, "utf8"));
if (!report.success) {
  console.error(`slither failed: ${report.error}`);
  process.exit(1);
}
const triage = fs.readFileSync(triagePath, "utf8");
const justified = new Set([...triage.matchAll(/`([a-z0-9-]+)` `([A-Za-z0-9_.$]+)`/g)].map((m) => `${m[1]} ${m[2]}`));

const findings = (report.results?.detectors ?? []).map((d) => {
  const fn = d.elements.find((e) => e.type === "function") ?? d.elements[0];
  const parent = fn?.type_specific_fields?.parent?.name;
  const where = parent ? `${parent}.${fn.name}` : (fn?.name ?? "?");
  return { check: d.check, impact: d.impact, where, text: d.description.split("\n")[0] };
});

let failed = 0;
for (const f of findings) {
  const key = `${f.check} ${f.where}`;
  const serious = f.impact === "High" || f.impact === "Medium";
  const status = justified.has(key) ? "justified" : serious ? "UNJUSTIFIED" : "review";
  if (status === "UNJUSTIFIED") failed++;
  console.log(`${f.impact.padEnd(6)} ${status.padEnd(11)} ${key}`);
}
console.log(`\n${findings.length} findings, ${failed} unjustified High/Medium`);
process.exit(failed ? 1 : 0);

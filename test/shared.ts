// Reference data that lives outside this repository: ../shared/fixtures next to the checkout
// (or HEXS_SHARED_FIXTURES). Suites that compare against it run only where it is present;
// where it is missing they are skipped with a warning, never silently passed.
import fs from "node:fs";
import path from "node:path";

function locate(): string | undefined {
  const candidates = [
    process.env.HEXS_SHARED_FIXTURES,
    path.resolve(__dirname, "..", "..", "shared", "fixtures"),
    "/work/shared/fixtures",
  ];
  return candidates.find((c): c is string => !!c && fs.existsSync(path.join(c, "akash")));
}

export const SHARED_FIXTURES = locate();
/** The Akash golden data (Go-generated SDL outputs, invalid SDLs, JWT vectors), if present. */
export const AKASH_FIXTURES = SHARED_FIXTURES && path.join(SHARED_FIXTURES, "akash");

/** `describe` for suites that need the shared Akash fixtures. */
export function describeWithAkashFixtures(title: string, fn: (this: Mocha.Suite, fixtures: string) => void): void {
  if (!AKASH_FIXTURES) {
    console.warn(`[tests] shared Akash fixtures not found (set HEXS_SHARED_FIXTURES): skipping "${title}"`);
    describe.skip(title, () => undefined);
    return;
  }
  const dir = AKASH_FIXTURES;
  describe(title, function () {
    fn.call(this, dir);
  });
}

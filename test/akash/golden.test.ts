// SDL → manifest / group specs / version hash against the Go golden fixtures
// (HEXS_AKASH_FIXTURES: the Akash chain-sdk project's Go test data, see test/akash-fixtures.ts).
import fs from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import { expect } from "chai";
import { prepareSdl, requireUactPricing } from "../../sdk/akash/sdl";
import { InvalidSdlError, UnsupportedSdlError } from "../../sdk/akash/errors";
import { v1beta4 } from "../../sdk/akash/chain-sdk";
import { describeWithAkashFixtures, goSortedJson, groupSpecFromGoJson } from "./helpers/golden";

const UNSUPPORTED = new Set(["v2.1/tee-cpu", "v2.1/tee-cpu-gpu"]);

describeWithAkashFixtures("akash golden fixtures (Go reference)", (fixtures) => {
  const SDL_DIR = path.join(fixtures, "sdl");
  const cases = ["v2.0", "v2.1"].flatMap((ver) =>
    fs.readdirSync(path.join(SDL_DIR, "output-fixtures", ver)).map((name) => `${ver}/${name}`),
  );
  const supported = cases.filter((c) => !UNSUPPORTED.has(c));
  let matched = 0;

  it("has the fixtures this suite expects", () => {
    expect(cases.length).to.equal(15);
    expect(supported.length).to.equal(13);
  });

  for (const c of supported) {
    it(`${c}: manifest bytes, version hash and on-chain group specs equal Go's`, () => {
      const yaml = fs.readFileSync(path.join(SDL_DIR, "input", c, "input.yaml"), "utf8");
      const goManifest: unknown = JSON.parse(fs.readFileSync(path.join(SDL_DIR, "output-fixtures", c, "manifest.json"), "utf8"));
      const goGroups: unknown[] = JSON.parse(
        fs.readFileSync(path.join(SDL_DIR, "output-fixtures", c, "group-specs.json"), "utf8"),
      );
      const p = prepareSdl(yaml);

      const goJson = goSortedJson(goManifest);
      expect(p.manifestJson).to.equal(goJson);
      const goHash = createHash("sha256").update(goJson, "utf8").digest("hex");
      expect(p.manifestHashHex).to.equal(goHash);

      // group specs: compare the protobuf bytes that go on chain
      expect(p.groupSpecs.length).to.equal(goGroups.length);
      p.groupSpecs.forEach((g, i) => {
        const ours = Buffer.from(v1beta4.GroupSpec.encode(v1beta4.GroupSpec.fromPartial(g)).finish()).toString("hex");
        const theirs = Buffer.from(v1beta4.GroupSpec.encode(groupSpecFromGoJson(goGroups[i])).finish()).toString("hex");
        expect(ours, `group ${i}`).to.equal(theirs);
      });
      matched++;
    });
  }

  it("matched every supported fixture", () => {
    expect(matched, `${matched} of ${supported.length}`).to.equal(supported.length);
  });

  for (const c of [...UNSUPPORTED]) {
    it(`${c}: refused as unsupported, never mis-hashed`, () => {
      const yaml = fs.readFileSync(path.join(SDL_DIR, "input", c, "input.yaml"), "utf8");
      expect(() => prepareSdl(yaml)).to.throw(UnsupportedSdlError, /unsupported SDL feature.*params\.tee/);
    });
  }

  it("rejects every invalid SDL fixture with a message", () => {
    for (const dir of ["invalid", "schema-only-invalid"]) {
      for (const f of fs.readdirSync(path.join(SDL_DIR, "input", dir))) {
        const yaml = fs.readFileSync(path.join(SDL_DIR, "input", dir, f), "utf8");
        let err: unknown;
        try {
          prepareSdl(yaml);
        } catch (e) {
          err = e;
        }
        expect(err, `${dir}/${f} was accepted`).to.satisfy(
          (e: unknown) => e instanceof InvalidSdlError || e instanceof UnsupportedSdlError,
        );
      }
    }
  });

  it("requires uact pricing for a deployment (node v2), with the fix in the message", () => {
    const p = prepareSdl(fs.readFileSync(path.join(SDL_DIR, "input", "v2.0", "simple", "input.yaml"), "utf8"));
    expect(() => requireUactPricing(p)).to.throw(InvalidSdlError, /uakt.*uact only/);
  });
});

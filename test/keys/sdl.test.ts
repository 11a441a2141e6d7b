// SDL validation before encryption: every invalid Go fixture is refused with its own reason,
// confidential-compute SDLs are refused as unsupported, every supported fixture passes.
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { contentCommitment, imageDigestOf, KeyServiceError, validateSdl } from "../../sdk/keys";

import { describeWithAkashFixtures } from "../akash-fixtures";

function refusal(f: () => unknown): KeyServiceError {
  try {
    f();
  } catch (e) {
    if (e instanceof KeyServiceError) return e;
    throw e;
  }
  throw new Error("expected a refusal");
}

// What each invalid fixture must be refused for (a fragment of the message).
const EXPECTED: Record<string, RegExp> = {
  "invalid/count-zero.yaml": /\/deployment\/web\/akash\/count: .*must be at least 1/,
  "invalid/credentials-missing-host.yaml": /Missing required field: "host"/,
  "invalid/empty-image.yaml": /"image" .* must be at least 1 characters/,
  "invalid/endpoint-not-used.yaml": /Endpoint "myendpoint" declared but never used/,
  "invalid/invalid-endpoint-name.yaml": /"Invalid-Name" .* allowed patterns/,
  "invalid/invalid-port.yaml": /expose\/0\/port: .*at most 65535/,
  "invalid/invalid-protocol.yaml": /"proto" .* should be one of: TCP, UDP/,
  "invalid/ip-without-global.yaml": /Missing required field: "global"/,
  "invalid/missing-deployment.yaml": /Missing required field: "deployment"/,
  "invalid/missing-image.yaml": /Missing required field: "image"/,
  "invalid/missing-memory-size.yaml": /memory: Missing required field: "size"/,
  "invalid/missing-pricing.yaml": /Missing required field: "pricing"/,
  "invalid/missing-version.yaml": /Missing required field: "version"/,
  "invalid/negative-cpu.yaml": /cpu\/units: Invalid format/,
  "invalid/persistent-without-mount.yaml": /Persistent storage "data" requires a mount path/,
  "invalid/port-too-high.yaml": /port: .*at most 65535/,
  "invalid/port-zero.yaml": /port: .*at least 1/,
  "invalid/ram-persistent-true.yaml": /"ram" storage .* cannot be persistent/,
  "invalid/unknown-field.yaml": /Additional property "unknown_field" is not allowed/,
  "invalid/v2.1-reclamation-bad-window.yaml": /Additional property "reclamation" is not allowed/,
  "invalid/v2.1-tee-cpu-gpu-no-gpu.yaml": /confidential compute .* unsupported/,
  "schema-only-invalid/email-too-short.yaml": /"email" .* at least 5 characters/,
  "schema-only-invalid/invalid-denom.yaml": /denom: Invalid format/,
  "schema-only-invalid/invalid-gpu-vendor.yaml": /Additional property "amd" is not allowed/,
  "schema-only-invalid/invalid-version.yaml": /"version" should be one of: 2.0, 2.1/,
  "schema-only-invalid/password-too-short.yaml": /"password" .* at least 6 characters/,
  "schema-only-invalid/reclamation-compound-window.yaml": /Additional property "reclamation" is not allowed/,
};

describeWithAkashFixtures("SDL validation (chain-sdk 1.0.0-alpha.25) before encryption", (fixtures) => {
  const INPUT = join(fixtures, "sdl", "input");
  const invalid = ["invalid", "schema-only-invalid"].flatMap((d) => readdirSync(join(INPUT, d)).map((f) => `${d}/${f}`));

  it("knows every invalid fixture (none added or removed unnoticed)", () => {
    expect(invalid.sort()).to.deep.equal(Object.keys(EXPECTED).sort());
  });

  for (const name of Object.keys(EXPECTED)) {
    it(`refuses ${name} with its reason`, () => {
      const e = refusal(() => validateSdl(readFileSync(join(INPUT, name), "utf8"), "mainnet", name));
      expect(e.code).to.equal(/tee/.test(name) ? "unsupported" : "invalid_sdl");
      expect(e.message).to.match(EXPECTED[name]);
      expect(e.message).to.contain(name);
    });
  }

  for (const name of ["v2.1/tee-cpu", "v2.1/tee-cpu-gpu"]) {
    it(`refuses the confidential-compute fixture ${name} as unsupported`, () => {
      const e = refusal(() => validateSdl(readFileSync(join(INPUT, name, "input.yaml"), "utf8")));
      expect(e.code).to.equal("unsupported");
      expect(e.message).to.match(/confidential compute \(params\.tee: "(cpu|cpu-gpu)"\), which is unsupported/);
    });
  }

  it("accepts every supported fixture", () => {
    const valid = ["v2.0", "v2.1"]
      .flatMap((v) => readdirSync(join(INPUT, v)).map((c) => `${v}/${c}`))
      .filter((c) => !/tee/.test(c));
    expect(valid.length).to.equal(13);
    for (const c of valid) expect(validateSdl(readFileSync(join(INPUT, c, "input.yaml"), "utf8")).groups, c).to.be.greaterThan(0);
  });

  it("refuses YAML that does not parse, saying so", () => {
    expect(refusal(() => validateSdl("services: [unclosed", "mainnet", "x.yaml")).message).to.match(/x\.yaml is not valid YAML/);
  });

  it("image digest: explicit wins; otherwise every image must be pinned; several services are bound each to its image", () => {
    const base = readFileSync(join(INPUT, "v2.0/simple/input.yaml"), "utf8");
    const sdl = validateSdl(base);
    expect(refusal(() => imageDigestOf(sdl)).message).to.match(
      /is not pinned by digest: pin every image .* or pass the image digest/,
    );
    expect(imageDigestOf(sdl, "sha256:" + "AB".repeat(32))).to.equal("0x" + "ab".repeat(32));
    expect(refusal(() => imageDigestOf(sdl, "latest")).message).to.match(/not sha256:<64 hex>/);
    const d = "cd".repeat(32);
    const pinned = validateSdl(base.replace(/image: (\S+)/, `image: $1@sha256:${d}`));
    expect(imageDigestOf(pinned)).to.equal("0x" + d);
  });

  it("commitment refuses malformed inputs", () => {
    expect(refusal(() => contentCommitment("0x12", "0x" + "00".repeat(32))).message).to.match(/encrypted SDL hash '0x12'/);
  });
});

// The shard store seals retrieval replies with node:crypto (services/key-service/native-seal.ts);
// the client opens them with the transport's unchanged @noble/* `open`, and nothing else opens them.
import { expect } from "chai";
import { sealNative } from "../../services/key-service/native-seal";
import { newTransportKey, open, seal } from "../../sdk/keys/transport";
import { KeyServiceError } from "../../sdk/keys/errors";

describe("key service: native reply sealing", () => {
  const text = (b: Uint8Array) => Buffer.from(b).toString("utf8");

  it("a store's native seal opens with the client's open, in the transport's format", () => {
    const me = newTransportKey();
    const shard = JSON.stringify({ key: "ab".repeat(32), index: "01" });
    const sealed = sealNative(me.publicKey, shard, "hexs-shard-reply-v1|s|cid|n");
    expect(sealed).to.match(/^v1\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(text(open(me, sealed, "hexs-shard-reply-v1|s|cid|n"))).to.equal(shard);
    // each seal has its own ephemeral key and iv
    expect(sealNative(me.publicKey, shard, "i")).to.not.equal(sealNative(me.publicKey, shard, "i"));
    // and the JS seal's output is the same kind of thing (both open alike)
    expect(text(open(me, seal(me.publicKey, shard, "i"), "i"))).to.equal(shard);
  });

  it("another key, another binding (info) or a flipped byte does not open; a bad reply key is refused", () => {
    const me = newTransportKey();
    const sealed = sealNative(me.publicKey, "secret", "info-a");
    expect(() => open(newTransportKey(), sealed, "info-a")).to.throw(KeyServiceError, /does not open/);
    expect(() => open(me, sealed, "info-b")).to.throw(KeyServiceError, /does not open/);
    const parts = sealed.split(".");
    const body = Buffer.from(parts[3], "base64url");
    body[0] ^= 1;
    parts[3] = body.toString("base64url");
    expect(() => open(me, parts.join("."), "info-a")).to.throw(KeyServiceError, /does not open/);
    expect(() => sealNative("AAAA", "x", "i")).to.throw(KeyServiceError, /32 bytes/);
  });
});

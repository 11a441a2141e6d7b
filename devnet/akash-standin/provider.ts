// Stand-in provider gateway: the part of an Akash provider's HTTP API the lease pipeline uses.
//   PUT /deployment/{dseq}/manifest — Bearer JWT of the deployment owner (verified against the
//       owner's public key as recorded on the stand-in chain), scope "send-manifest" for this
//       provider, an active lease of this provider for (owner, dseq), and the manifest's sorted
//       JSON sha256 equal to the deployment version on chain.
//   GET /lease/{dseq}/{gseq}/{oseq}/status — Bearer JWT with scope "status".
import http from "node:http";
import { createHash } from "node:crypto";
import { jwtAllows, verifyJwt } from "../../sdk/akash/jwt";
import { goSortedJson } from "../../sdk/akash/sdl";
import type { StandinChain } from "./chain";

export interface ProviderBehaviour {
  /** reject every manifest with this HTTP status (e.g. 400: "cannot deploy") */
  rejectManifestStatus?: number;
}

export class StandinProviderGateway {
  /** manifests accepted, by `${owner}/${dseq}` */
  readonly manifests = new Map<string, unknown>();
  readonly requests: { method: string; path: string; status: number; error?: string }[] = [];
  constructor(
    private readonly chain: StandinChain,
    readonly address: string,
    public behaviour: ProviderBehaviour = {},
  ) {}

  handler(): http.RequestListener {
    return (req, res) => {
      const chunks: Buffer[] = [];
      req
        .on("data", (c: Buffer) => chunks.push(c))
        .on("end", () => {
          void this.handle(req.method ?? "GET", req.url ?? "/", req.headers.authorization ?? "", Buffer.concat(chunks)).then(
            ([status, body]) => {
              this.requests.push({
                method: req.method ?? "GET",
                path: req.url ?? "/",
                status,
                error: status >= 400 ? String((body as { error?: string }).error) : undefined,
              });
              res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
            },
          );
        });
    };
  }

  private async handle(method: string, path: string, authorization: string, body: Buffer): Promise<[number, unknown]> {
    if (!authorization.startsWith("Bearer "))
      return [401, { error: "missing Bearer token (the stand-in does not emulate mTLS client certificates)" }];
    const token = authorization.slice(7).trim();
    let iss: string;
    try {
      iss = String(JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")).iss);
    } catch {
      return [401, { error: "malformed JWT" }];
    }
    const pubkey = this.chain.pubkeyOf(iss);
    if (!pubkey) return [401, { error: `issuer ${iss} has no public key on chain (it never signed a transaction)` }];
    let claims: Record<string, unknown>;
    try {
      claims = await verifyJwt(token, pubkey);
    } catch (e) {
      return [401, { error: (e as Error).message }];
    }
    let m: RegExpExecArray | null;
    if (method === "PUT" && (m = /^\/deployment\/(\d+)\/manifest$/.exec(path))) {
      const dseq = m[1];
      if (!jwtAllows(claims, this.address, "send-manifest", dseq))
        return [403, { error: `token does not grant send-manifest on ${dseq} at ${this.address}` }];
      const lease = this.chain.activeLease(iss, dseq, this.address);
      if (!lease) return [404, { error: `no active lease for ${iss}/${dseq} with provider ${this.address}` }];
      const dep = this.chain.deployment(iss, dseq);
      if (!dep) return [404, { error: "deployment not found" }];
      let manifest: unknown;
      try {
        manifest = JSON.parse(body.toString("utf8"));
      } catch {
        return [400, { error: "manifest body is not JSON" }];
      }
      const got = createHash("sha256").update(goSortedJson(manifest), "utf8").digest("hex");
      const want = Buffer.from(dep.hash).toString("hex");
      if (got !== want)
        return [
          422,
          { error: `manifest version validation failed: sha256 of the manifest ${got} != deployment version ${want}` },
        ];
      if (this.behaviour.rejectManifestStatus)
        return [this.behaviour.rejectManifestStatus, { error: "provider cannot deploy this manifest (scripted rejection)" }];
      this.manifests.set(`${iss}/${dseq}`, manifest);
      return [200, {}];
    }
    if (method === "GET" && (m = /^\/lease\/(\d+)\/(\d+)\/(\d+)\/status$/.exec(path))) {
      if (!jwtAllows(claims, this.address, "status", m[1])) return [403, { error: "token does not grant status" }];
      const manifest = this.manifests.get(`${iss}/${m[1]}`) as { services?: { name: string; count: number }[] }[] | undefined;
      if (!manifest || !this.chain.activeLease(iss, m[1], this.address))
        return [404, { error: "lease not found or manifest not received" }];
      const services = Object.fromEntries(
        manifest
          .flatMap((g) => g.services ?? [])
          .map((s) => [
            s.name,
            { name: s.name, available: s.count, total: s.count, ready_replicas: s.count, uris: [`${s.name}.standin.local`] },
          ]),
      );
      return [200, { services, forwarded_ports: {} }];
    }
    return [404, { error: `no route ${method} ${path}` }];
  }
}

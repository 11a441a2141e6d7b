// Helpers for comparing with the Go golden data.
import { v1beta4, type GroupSpec } from "../../../sdk/akash/chain-sdk";

export { AKASH_FIXTURES, describeWithAkashFixtures } from "../../akash-fixtures";

export { goSortedJson } from "../../../sdk/akash/sdl";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === "object" ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const val = (v: unknown) => ({ val: new TextEncoder().encode(String(obj(v).val ?? "")) });
const attrs = (v: unknown) => arr(v).map((a) => ({ key: String(obj(a).key), value: String(obj(a).value) }));

/** Go's JSON encoding of akash.deployment.v1beta4.GroupSpec (json tags, omitempty) → the proto message. */
export function groupSpecFromGoJson(g: unknown): GroupSpec {
  const j = obj(g);
  const req = obj(j.requirements);
  const sb = obj(req.signed_by);
  return v1beta4.GroupSpec.fromPartial({
    name: String(j.name),
    requirements: {
      signedBy: { allOf: arr(sb.all_of).map(String), anyOf: arr(sb.any_of).map(String) },
      attributes: attrs(req.attributes),
    },
    resources: arr(j.resources).map((ru) => {
      const r = obj(obj(ru).resource);
      return {
        resource: {
          id: Number(r.id),
          cpu: { units: val(obj(r.cpu).units), attributes: attrs(obj(r.cpu).attributes) },
          memory: { quantity: val(obj(r.memory).size), attributes: attrs(obj(r.memory).attributes) },
          storage: arr(r.storage).map((s) => ({
            name: String(obj(s).name),
            quantity: val(obj(s).size),
            attributes: attrs(obj(s).attributes),
          })),
          gpu: { units: val(obj(r.gpu).units), attributes: attrs(obj(r.gpu).attributes) },
          endpoints: arr(r.endpoints).map((e) => ({
            kind: Number(obj(e).kind ?? 0),
            sequenceNumber: Number(obj(e).sequence_number ?? 0),
          })),
        },
        count: Number(obj(ru).count),
        price: { denom: String(obj(obj(ru).price).denom), amount: String(obj(obj(ru).price).amount) },
      };
    }),
  });
}

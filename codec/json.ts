// JSON form of messages, as used by the golden vectors (codec/vectors.json) and logs:
// uint64/uint128 as decimal strings, smaller integers as numbers, bytes as lowercase 0x hex,
// the kind by name, accounts as { family, address }.
import { getBytes, hexlify } from "ethers";
import { AccountFamily, CODEC_VERSION, CodecError, Kind, KIND_NAMES, Message } from "./messages";
import { FieldType, SCHEMA } from "./schema";

/** Field order and types of each body, exactly as encoded: the schema (codec/schema.ts). */
export const BODY_FIELDS = SCHEMA;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

function bad(detail: string): never {
  throw new CodecError("ValueOutOfRange", `json: ${detail}`);
}

function fieldToJson(t: FieldType, v: unknown): JsonValue {
  switch (t) {
    case "u16":
    case "u32":
      return v as number;
    case "u64":
    case "u128":
      return (v as bigint).toString();
    case "bool":
      return v as boolean;
    case "b32":
    case "bytes":
      return hexlify(getBytes(v as string));
    case "string":
      return v as string;
    case "account": {
      const a = v as { family: number; address: string };
      return { family: a.family, address: hexlify(getBytes(a.address)) };
    }
    case "prices":
      return (v as { currency: string; amount: bigint }[]).map((p) => ({
        currency: hexlify(getBytes(p.currency)),
        amount: p.amount.toString(),
      }));
  }
}

function fieldFromJson(t: FieldType, v: JsonValue | undefined, name: string): unknown {
  switch (t) {
    case "u16":
    case "u32":
      if (typeof v !== "number") bad(`${name} must be a number`);
      return v;
    case "u64":
    case "u128":
      if (typeof v !== "string" || !/^[0-9]+$/.test(v)) bad(`${name} must be a decimal string`);
      return BigInt(v);
    case "bool":
      if (typeof v !== "boolean") bad(`${name} must be a boolean`);
      return v;
    case "b32":
    case "bytes":
      if (typeof v !== "string") bad(`${name} must be hex`);
      return hexlify(getBytes(v));
    case "string":
      if (typeof v !== "string") bad(`${name} must be a string`);
      return v;
    case "account": {
      if (typeof v !== "object" || v === null || Array.isArray(v)) bad(`${name} must be an account object`);
      const family = v.family;
      const address = v.address;
      if (typeof family !== "number" || typeof address !== "string") bad(`${name} must have family and address`);
      return { family: family as AccountFamily, address: hexlify(getBytes(address)) };
    }
    case "prices": {
      if (!Array.isArray(v)) bad(`${name} must be an array`);
      return v.map((p, i) => {
        if (typeof p !== "object" || p === null || Array.isArray(p)) bad(`${name}[${i}] must be an object`);
        return {
          currency: fieldFromJson("bytes", p.currency, `${name}[${i}].currency`),
          amount: fieldFromJson("u128", p.amount, `${name}[${i}].amount`),
        };
      });
    }
  }
}

export function messageToJson(m: Message): JsonObject {
  const body: JsonObject = {};
  const src = m.body as unknown as Record<string, unknown>;
  for (const [name, t] of BODY_FIELDS[m.kind]) body[name] = fieldToJson(t, src[name]);
  return {
    version: m.version,
    kind: KIND_NAMES[m.kind],
    srcChain: m.srcChain,
    dstChain: m.dstChain,
    nonce: m.nonce.toString(),
    body,
  };
}

export function messageFromJson(j: JsonObject): Message {
  const kindName = j.kind;
  if (typeof kindName !== "string" || !(kindName in Kind)) bad(`unknown kind ${String(kindName)}`);
  const kind = Kind[kindName as keyof typeof Kind];
  const bodyJson = j.body;
  if (typeof bodyJson !== "object" || bodyJson === null || Array.isArray(bodyJson)) bad("body must be an object");
  const body: Record<string, unknown> = {};
  for (const [name, t] of BODY_FIELDS[kind]) body[name] = fieldFromJson(t, bodyJson[name], name);
  const version = j.version ?? CODEC_VERSION;
  if (typeof version !== "number") bad("version must be a number");
  return {
    version,
    kind,
    srcChain: fieldFromJson("u32", j.srcChain, "srcChain") as number,
    dstChain: fieldFromJson("u32", j.dstChain, "dstChain") as number,
    nonce: fieldFromJson("u64", j.nonce, "nonce") as bigint,
    body,
  } as unknown as Message;
}

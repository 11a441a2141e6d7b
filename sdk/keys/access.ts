// The access conditions a model's SDL is shared under, in Lighthouse's JSON format: the
// builders only (browser-safe; conditions.ts validates and evaluates them against the chains).
export type Comparator = "==" | "!=" | ">=" | "<=" | ">" | "<";

export interface AccessCondition {
  id: number;
  chain: string;
  method: string;
  standardContractType: string;
  contractAddress?: string;
  parameters?: Array<string | number>;
  returnValueTest: { comparator: Comparator; value: string | number };
  inputArrayType?: string[];
  outputType?: string;
}

export interface ConditionSet {
  conditions: AccessCondition[];
  aggregator?: string;
  chainType: "EVM";
}

// ------------------------------------------------------------------ builders

/** KeyNFT.hasAccess(:userAddress) == true on an EVM chain (constant gas, unexpired keys only). */
export function evmKeyCondition(id: number, chain: string, keyNft: string): AccessCondition {
  return {
    id,
    chain,
    method: "hasAccess",
    standardContractType: "Custom",
    contractAddress: keyNft,
    parameters: [":userAddress"],
    inputArrayType: ["address"],
    outputType: "bool",
    returnValueTest: { comparator: "==", value: "true" },
  };
}

/** The Hexs CosmWasm mirror's has_access { model, account } == true. */
export function cosmwasmKeyCondition(id: number, chain: string, contract: string, modelId: bigint | string): AccessCondition {
  return {
    id,
    chain,
    method: "has_access",
    standardContractType: "Custom",
    contractAddress: contract,
    parameters: [String(modelId), ":userAddress"],
    inputArrayType: ["uint64", "address"],
    outputType: "bool",
    returnValueTest: { comparator: "==", value: "true" },
  };
}

/** "Holds a live key of this model on any of these chains": the conditions or-ed together. */
export function anyOf(conditions: AccessCondition[]): Omit<ConditionSet, "chainType"> {
  const numbered = conditions.map((c, i) => ({ ...c, id: i + 1 }));
  return {
    conditions: numbered,
    aggregator: numbered.length > 1 ? "(" + numbered.map((c) => `[${c.id}]`).join(" or ") + ")" : undefined,
  };
}

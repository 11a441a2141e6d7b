// The Keplr account the Cosmos page connected, shared with the header's wallet badge (a tiny
// store: the page sets it, the badge subscribes). No cosmjs here: the header loads with every route.
import { useEffect, useState } from "react";

export interface CosmosAccount {
  address: string;
  /** The chain's label, e.g. "Devnet C". */
  chain: string;
}

let current: CosmosAccount | undefined;
const listeners = new Set<(a: CosmosAccount | undefined) => void>();

export function setCosmosAccount(a: CosmosAccount | undefined): void {
  current = a;
  for (const fn of listeners) fn(a);
}

export function useCosmosAccount(): CosmosAccount | undefined {
  const [a, setA] = useState(current);
  useEffect(() => {
    listeners.add(setA);
    setA(current);
    return () => {
      listeners.delete(setA);
    };
  }, []);
  return a;
}

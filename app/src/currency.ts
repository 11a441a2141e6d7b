// Currencies as people read them: the native coin, or an ERC-20 token's symbol and decimals read
// from its chain (cached per chain and token).
import { useEffect, useState } from "react";
import { formatUnits } from "ethers";
import * as hexs from "../../sdk";
import type { EvmChain } from "../../sdk/chains";
import { NATIVE } from "../../sdk/tx";
import { readProvider } from "./pending";

const cache = new Map<string, Promise<hexs.CurrencyInfo>>();
const keyOf = (chain: number, currency: string) => `${chain}:${currency.toLowerCase()}`;

export function currencyOf(chain: EvmChain, currency: string): Promise<hexs.CurrencyInfo> {
  const k = keyOf(chain.hexsChainId, currency);
  let p = cache.get(k);
  if (!p) {
    p = hexs.currencyInfo(hexs.connectContracts(chain, readProvider(chain)), currency);
    p.catch(() => cache.delete(k));
    cache.set(k, p);
  }
  return p;
}

/** Symbol and decimals of each (chain, currency) pair, filled in as they are read. */
export function useCurrencies(chains: EvmChain[], pairs: { hexsChain: number; currency: string }[]) {
  const [infos, setInfos] = useState<Map<string, hexs.CurrencyInfo>>(new Map());
  const want = [...new Set(pairs.filter((p) => p.currency.toLowerCase() !== NATIVE).map((p) => keyOf(p.hexsChain, p.currency)))]
    .sort()
    .join(",");
  useEffect(() => {
    let live = true;
    for (const k of want ? want.split(",") : []) {
      const [chainId, currency] = k.split(":");
      const chain = chains.find((c) => c.hexsChainId === Number(chainId));
      if (!chain) continue;
      void currencyOf(chain, currency)
        .then((info) => live && setInfos((m) => new Map(m).set(k, info)))
        .catch(() => undefined);
    }
    return () => {
      live = false;
    };
    // chains come from the runtime config and do not change
  }, [want]);
  return (hexsChain: number, currency: string) =>
    currency.toLowerCase() === NATIVE ? hexs.NATIVE_INFO : infos.get(keyOf(hexsChain, currency));
}

/** `0.02 ETH`, `3.0 TUSD`; base units and the token's address until its symbol is known. */
export function formatAmount(amount: string | bigint, currency: string, info?: hexs.CurrencyInfo): string {
  if (currency.toLowerCase() === NATIVE) return `${formatUnits(BigInt(amount), 18)} ETH`;
  if (info) return `${formatUnits(BigInt(amount), info.decimals)} ${info.symbol}`;
  return `${BigInt(amount)} of token ${currency.slice(0, 6)}…${currency.slice(-4)}`;
}

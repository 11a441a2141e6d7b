// Shell: loads the runtime config and the catalog (refreshed every few seconds), hash routes
// (#/ catalog, #/model/<id>, #/model/<id>/dao, #/keys, #/studio, #/cosmos), the wallet button, and the flows picked up again
// after a reload.
import { lazy, Suspense, useCallback, useEffect, useState } from "react";
import { loadConfig, chainLabel, type AppConfig } from "./config";
import { loadCatalog, type Catalog } from "./indexer";
import { injectedWallet, walletChainId } from "./wallet";
import { CatalogPage } from "./CatalogPage";
import { PendingPanel } from "./PendingPanel";
import { useCosmosAccount } from "./cosmosAccount";
import { LazyBurnerPage } from "./BurnerLazy";

// The catalog is the landing page and ships in the first script; the other pages (the lineage
// graph, cosmjs, the SDL tools, the studio) load when first visited.
const ModelPage = lazy(() => import("./ModelPage").then((m) => ({ default: m.ModelPage })));
const KeysPage = lazy(() => import("./KeysPage").then((m) => ({ default: m.KeysPage })));
const StudioPage = lazy(() => import("./StudioPage").then((m) => ({ default: m.StudioPage })));
const DaoPage = lazy(() => import("./DaoPage").then((m) => ({ default: m.DaoPage })));
const CosmosPage = lazy(() => import("./CosmosPage").then((m) => ({ default: m.CosmosPage })));

function useHashRoute(): string {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const on = () => setHash(window.location.hash);
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return hash.replace(/^#/, "") || "/";
}

const short = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`;

function WalletButton({ config }: { config: AppConfig }) {
  const [account, setAccount] = useState<string>();
  const [chainId, setChainId] = useState<number>();
  const [error, setError] = useState<string>();
  const cosmos = useCosmosAccount();
  const eth = injectedWallet();
  const refresh = useCallback(async () => {
    if (!eth) return;
    const accounts = (await eth.request({ method: "eth_accounts" })) as string[];
    setAccount(accounts[0]);
    setChainId(await walletChainId(eth));
  }, [eth]);
  useEffect(() => {
    void refresh().catch(() => undefined);
    const on = () => void refresh().catch(() => undefined);
    eth?.on?.("chainChanged", on);
    eth?.on?.("accountsChanged", on);
    return () => {
      eth?.removeListener?.("chainChanged", on);
      eth?.removeListener?.("accountsChanged", on);
    };
  }, [eth, refresh]);
  // the Keplr account the Cosmos page connected (it has no EIP-1193 wallet's events to follow)
  const keplr = cosmos && (
    <span className="wallet" aria-label="connected Keplr wallet" title={cosmos.address}>
      <span className="dot" aria-hidden="true" /> Keplr {short(cosmos.address)} · {cosmos.chain}
    </span>
  );
  // a person without a browser wallet can still buy, with a burner (sponsored gas)
  const burner = Object.keys(config.sponsors).length > 0 && (
    <a href="#/burner" className="button secondary">
      No wallet? Use a burner
    </a>
  );
  if (!eth)
    return (
      <span>
        {keplr || <span className="wallet muted">No wallet detected</span>} {burner}
      </span>
    );
  const chain = config.registry.chains.find((c) => c.family === "evm" && c.evmChainId === chainId);
  if (account)
    return (
      <span className="wallets">
        <span className="wallet" aria-label="connected wallet">
          <span className="dot" aria-hidden="true" /> {short(account)} ·{" "}
          {chain ? chainLabel(config.registry, chain.hexsChainId) : `chain ${chainId}`}
        </span>
        {keplr}
      </span>
    );
  return (
    <span>
      {keplr}
      <button
        className="button secondary"
        onClick={() =>
          void eth
            .request({ method: "eth_requestAccounts" })
            .then(refresh)
            .catch((e: Error) => setError(e.message))
        }
      >
        Connect wallet
      </button>{" "}
      {burner}
      {error && <span className="muted"> {error}</span>}
    </span>
  );
}

export function App() {
  const route = useHashRoute();
  const [config, setConfig] = useState<AppConfig>();
  const [catalog, setCatalog] = useState<Catalog>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    loadConfig().then(setConfig, (e: Error) => setError(e.message));
  }, []);
  const reload = useCallback(async () => {
    if (!config) return;
    try {
      setCatalog(await loadCatalog(config.indexerUrl));
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [config]);
  useEffect(() => {
    void reload();
    const t = setInterval(() => void reload(), 3000);
    return () => clearInterval(t);
  }, [reload]);

  const modelMatch = /^\/model\/(\d+)$/.exec(route);
  const daoMatch = /^\/model\/(\d+)\/dao$/.exec(route);
  return (
    <>
      <header className="top">
        <a href="#/" className="brand">
          <span className="logo" aria-hidden="true">
            ⬡
          </span>{" "}
          Hexs
        </a>
        <nav aria-label="main">
          <a href="#/" aria-current={route === "/" ? "page" : undefined}>
            Catalog
          </a>
          <a href="#/keys" aria-current={route === "/keys" ? "page" : undefined}>
            My keys
          </a>
          <a href="#/studio" aria-current={route === "/studio" ? "page" : undefined}>
            Creator studio
          </a>
          {config?.registry.chains.some((c) => c.family === "cosmos") && (
            <a href="#/cosmos" aria-current={route === "/cosmos" ? "page" : undefined}>
              Cosmos
            </a>
          )}
        </nav>
        {config && <WalletButton config={config} />}
      </header>
      <main>
        {/* the Cosmos page reads its chains directly: the EVM indexer's state does not concern it */}
        {error && route !== "/cosmos" && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        {config && <PendingPanel config={config} />}
        <Suspense fallback={<p className="muted">Loading the page…</p>}>
          {config && route === "/cosmos" ? (
            <CosmosPage config={config} catalog={catalog} />
          ) : !catalog || !config ? (
            !error && <p className="muted">Loading the catalog…</p>
          ) : daoMatch ? (
            <DaoPage config={config} catalog={catalog} id={daoMatch[1]} />
          ) : modelMatch ? (
            <ModelPage config={config} catalog={catalog} id={modelMatch[1]} onBought={reload} />
          ) : route === "/burner" ? (
            <LazyBurnerPage config={config} catalog={catalog} onBought={reload} />
          ) : route === "/keys" ? (
            <KeysPage config={config} catalog={catalog} />
          ) : route === "/studio" ? (
            <StudioPage config={config} catalog={catalog} onChanged={reload} />
          ) : (
            <CatalogPage config={config} catalog={catalog} />
          )}
        </Suspense>
      </main>
      <footer className="muted">Catalog from every chain, served by the Hexs indexer at {config?.indexerUrl ?? "…"}</footer>
    </>
  );
}

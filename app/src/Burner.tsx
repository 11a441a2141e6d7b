// Burner wallets (loaded on demand, never in the catalog's first bundle): a session key made in
// this page and kept in localStorage owns an ERC-4337 smart account; its purchases and its "move
// to my wallet" go through the chain's gas sponsor (config.json `sponsors`), so the account needs
// no native coin, only the model's ERC-20. The key never leaves the page except as the backup the
// person downloads.
import { useCallback, useEffect, useState } from "react";
import { computeAddress, Contract, JsonRpcProvider, formatUnits, isHexString } from "ethers";
import * as hexs from "../../sdk";
import type { EvmChain } from "../../sdk/chains";
import { accountOf, BundlerClient, buyKeySponsored, createBurner, transferKeySponsored, type SponsorConfig } from "../../sdk/aa";
import { chainLabel, evmChains, type AppConfig, type Sponsor } from "./config";
import { formatId, loadHoldings, metaOf, type Catalog, type HoldingRow } from "./indexer";
import { currencyOf } from "./currency";
import { NATIVE } from "../../sdk/tx";
import { useAccount, type Explained } from "./wallet";
import { BURNER_STORE as STORE } from "./BurnerLazy";

export interface StoredBurner {
  privateKey: string;
  /** the session key's own address (the smart account's owner) */
  owner: string;
  createdAt: number;
}

export function loadBurner(): StoredBurner | undefined {
  try {
    const raw = localStorage.getItem(STORE);
    if (!raw) return undefined;
    const b = JSON.parse(raw) as StoredBurner;
    return isHexString(b.privateKey, 32) ? b : undefined;
  } catch {
    return undefined;
  }
}

function saveBurner(b: StoredBurner | undefined): void {
  if (b) localStorage.setItem(STORE, JSON.stringify(b));
  else localStorage.removeItem(STORE);
}

/**
 * The chains this deployment sponsors (one sponsor per chain: its own bundler and policy signer),
 * each with its sponsor's client configuration. A purchase goes to the sponsor of the chain the
 * model is priced on. A sponsor entry that names another EVM chain than the registry's is left
 * out: its policy signer would refuse every operation.
 */
function sponsored(config: AppConfig): { chain: EvmChain; sponsor: Sponsor; cfg: SponsorConfig }[] {
  return evmChains(config.registry)
    .filter((c) => {
      const s = config.sponsors[c.hexsChainId];
      if (!s || !c.rpcUrl || !c.evmChainId) return false;
      if (s.chainId !== undefined && s.chainId !== String(c.evmChainId)) {
        console.warn(`config.json: sponsors.${c.hexsChainId} is for EVM chain ${s.chainId}, not ${c.evmChainId}: ignored`);
        return false;
      }
      return true;
    })
    .map((chain) => {
      const sponsor = config.sponsors[chain.hexsChainId];
      // no call cache: the account's nonce and code are read right before each operation
      const provider = new JsonRpcProvider(chain.rpcUrl, chain.evmChainId, { staticNetwork: true, cacheTimeout: -1 });
      return {
        chain,
        sponsor,
        cfg: {
          provider,
          bundler: new BundlerClient(sponsor.bundlerUrl, sponsor.entryPoint, { timeoutMs: 8000 }),
          policyUrl: sponsor.policyUrl,
          entryPoint: sponsor.entryPoint,
          factory: sponsor.factory,
          paymaster: sponsor.paymaster,
          chainId: BigInt(chain.evmChainId!),
          inclusionTimeoutMs: 60_000,
        },
      };
    });
}

const erc20 = ["function balanceOf(address) view returns (uint256)"];

/** What went wrong with a sponsored action, for a person: every case says whether anything was charged. */
export function explainSponsored(e: unknown, action: "purchase" | "move"): Explained {
  const code = e instanceof hexs.HexsError ? e.code : undefined;
  const again = action === "purchase" ? "Buy" : "Move to my wallet";
  switch (code) {
    case "bundler_unreachable":
      return {
        title: "The gas sponsor is unreachable",
        detail: `The bundler that submits sponsored transactions (${(e as { url?: string }).url ?? "?"}) did not answer. Nothing was submitted and nothing was charged: your tokens and keys are as they were.`,
        next: `Press ${again} again in a moment.`,
      };
    case "policy_unreachable":
      return {
        title: "The gas sponsor is unreachable",
        detail: "The sponsor's signing service did not answer. Nothing was submitted and nothing was charged.",
        next: `Press ${again} again in a moment.`,
      };
    case "policy_refused":
      return {
        title: "The gas sponsor declined",
        detail: `${(e as { reason?: string }).reason ?? "refused"}. Only Hexs actions within an hourly limit per account are sponsored. Nothing was submitted and nothing was charged.`,
        next: "Try again next hour, or move your keys to a wallet that can pay its own gas.",
      };
    case "user_op_rejected":
      return {
        title: "The bundler refused the transaction",
        detail: `${(e as { reason?: string }).reason ?? ""}. Nothing was included and nothing was charged.`,
        next: `Press ${again} again; if it keeps failing, the sponsor may be misconfigured.`,
      };
    case "user_op_reverted":
      return {
        title: `The ${action} did not go through`,
        detail:
          "The transaction was included but reverted (the price or the key's owner may have changed). The sponsor paid the gas; nothing was bought or moved.",
        next: "Reload the page and check the model or the key.",
      };
    case "user_op_timeout":
      return {
        title: "Still waiting for the transaction",
        detail: "The sponsored transaction was not included in time.",
        next: "Reload the page in a minute: My keys shows the key once it is included.",
      };
  }
  return { title: "Something went wrong", detail: hexs.messageOf(e), next: "Nothing was charged unless My keys shows a change." };
}

function ErrorBox({ error, testId }: { error: Explained; testId: string }) {
  return (
    <div role="alert" className="error" data-testid={testId}>
      <strong>{error.title}.</strong> {error.detail} <em>{error.next}</em>
    </div>
  );
}

/** The burner's smart account on each sponsored chain: its address and native balance. */
function useAccounts(config: AppConfig, burner: StoredBurner | undefined) {
  const [accounts, setAccounts] = useState<Record<number, { address: string; native: bigint }>>({});
  const [error, setError] = useState<string>();
  const refresh = useCallback(async () => {
    if (!burner) return;
    try {
      const out: Record<number, { address: string; native: bigint }> = {};
      for (const s of sponsored(config)) {
        const address = await accountOf(s.cfg, burner.owner);
        out[s.chain.hexsChainId] = { address, native: await s.cfg.provider.getBalance(address) };
      }
      setAccounts(out);
      setError(undefined);
    } catch (e) {
      setError(`cannot read the burner's account: ${hexs.messageOf(e)}`);
    }
  }, [config, burner]);
  useEffect(() => void refresh(), [refresh]);
  return { accounts, error, refresh };
}

function Backup({ burner }: { burner: StoredBurner }) {
  const [shown, setShown] = useState(false);
  const download = () => {
    const blob = new Blob([JSON.stringify({ kind: "hexs-burner", ...burner }, null, 2)], { type: "application/json" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `hexs-burner-${burner.owner.slice(2, 10).toLowerCase()}.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  };
  return (
    <div className="buy-panel" aria-labelledby="burner-backup-h">
      <h2 id="burner-backup-h">Back up the session key</h2>
      <p>
        <button className="button secondary" onClick={download}>
          Download backup
        </button>{" "}
        <button className="button secondary" onClick={() => setShown((s) => !s)} aria-expanded={shown}>
          {shown ? "Hide the key" : "Show the key"}
        </button>
      </p>
      {shown && (
        <p className="mono small" data-testid="burner-secret" style={{ wordBreak: "break-all" }}>
          {burner.privateKey}
        </p>
      )}
    </div>
  );
}

/** `#/burner`: create or restore the session key, see the account, buy keys with sponsored gas. */
export function BurnerPage({ config, catalog, onBought }: { config: AppConfig; catalog: Catalog; onBought?: () => void }) {
  const [burner, setBurner] = useState<StoredBurner | undefined>(loadBurner);
  const [restore, setRestore] = useState("");
  const [restoreError, setRestoreError] = useState<string>();
  const { accounts, error: accountError, refresh } = useAccounts(config, burner);
  const [busy, setBusy] = useState<string>();
  const [status, setStatus] = useState<string>();
  const [error, setError] = useState<Explained>();
  const [tokens, setTokens] = useState<Record<string, string>>({});
  const chains = sponsored(config);

  const offers = catalog.prices.filter(
    (p) => p.listed && p.currency.toLowerCase() !== NATIVE && chains.some((s) => s.chain.hexsChainId === p.hexsChain),
  );
  // the account's balance of each currency the offers ask for, as "1.5 TUSD"
  useEffect(() => {
    let live = true;
    void (async () => {
      const out: Record<string, string> = {};
      for (const p of offers) {
        const s = chains.find((x) => x.chain.hexsChainId === p.hexsChain)!;
        const acct = accounts[p.hexsChain]?.address;
        if (!acct) continue;
        try {
          const info = await currencyOf(s.chain, p.currency);
          const bal = (await new Contract(p.currency, erc20, s.cfg.provider).getFunction("balanceOf")(acct)) as bigint;
          out[`${p.hexsChain}:${p.modelId}`] =
            `${formatUnits(bal, info.decimals)} ${info.symbol} (price ${formatUnits(BigInt(p.keyPrice), info.decimals)} ${info.symbol})`;
        } catch {
          /* shown without a balance */
        }
      }
      if (live) setTokens(out);
    })();
    return () => {
      live = false;
    };
    // offers and chains derive from the catalog and config
  }, [catalog, accounts, status]);

  const create = () => {
    const b = createBurner();
    const stored = { privateKey: b.privateKey, owner: b.address, createdAt: Date.now() };
    saveBurner(stored);
    setBurner(stored);
  };
  const doRestore = () => {
    try {
      const text = restore.trim();
      const key = text.startsWith("{") ? (JSON.parse(text) as { privateKey?: string }).privateKey : text;
      if (!key || !isHexString(key, 32)) throw new Error("paste the backup file's content or a 0x… private key (64 hex digits)");
      const owner = computeAddress(key);
      const stored = { privateKey: key, owner, createdAt: Date.now() };
      saveBurner(stored);
      setBurner(stored);
      setRestoreError(undefined);
    } catch (e) {
      setRestoreError((e as Error).message);
    }
  };

  const buy = async (p: (typeof offers)[number]) => {
    if (!burner) return;
    const s = chains.find((x) => x.chain.hexsChainId === p.hexsChain)!;
    setBusy(`${p.hexsChain}:${p.modelId}`);
    setError(undefined);
    setStatus("Asking the gas sponsor and submitting…");
    try {
      const r = await buyKeySponsored(s.cfg, burner.privateKey, {
        market: s.chain.contracts.HexsMarket!,
        modelId: BigInt(p.modelId),
        currency: p.currency,
        price: BigInt(p.keyPrice),
      });
      setStatus(
        `Bought key ${formatId(r.keyId)} with sponsored gas (gas paid by the sponsor: ${formatUnits(r.receipt.actualGasCost, 18)} ETH). It is in My keys.`,
      );
      onBought?.();
    } catch (e) {
      console.error(e);
      setStatus(undefined);
      setError(explainSponsored(e, "purchase"));
    } finally {
      setBusy(undefined);
      void refresh();
    }
  };

  if (!chains.length)
    return (
      <section>
        <h1>Burner wallet</h1>
        <p role="alert" className="error">
          This deployment sponsors gas on no chain (config.json has no `sponsors`), so a burner could not pay for anything.
        </p>
      </section>
    );
  return (
    <section aria-labelledby="burner-h" data-testid="burner">
      <h1 id="burner-h">Burner wallet</h1>
      <p role="note" className="warning" data-testid="burner-warning">
        <strong>A burner is a key stored in this browser only.</strong> Anyone using this browser profile can spend with it, and
        clearing the site&apos;s data deletes it with everything it holds. Download the backup, and move your keys to a real
        wallet when you have one.
      </p>
      {!burner ? (
        <>
          <p>
            No wallet? Create a session key here: it owns a smart account whose gas the Hexs sponsor pays, so you only need the
            model&apos;s token to buy a key.
          </p>
          <button className="button" onClick={create}>
            Create a burner
          </button>
          <h2>Restore a burner</h2>
          <label htmlFor="burner-restore">Backup file content or private key</label>
          <textarea id="burner-restore" value={restore} onChange={(e) => setRestore(e.target.value)} rows={3} />
          <button className="button secondary" onClick={doRestore}>
            Restore
          </button>
          {restoreError && (
            <p role="alert" className="error">
              {restoreError}
            </p>
          )}
        </>
      ) : (
        <>
          <h2>Your burner&apos;s accounts</h2>
          {accountError && (
            <p role="alert" className="error">
              {accountError}
            </p>
          )}
          <ul aria-label="burner accounts">
            {chains.map((s) => {
              const a = accounts[s.chain.hexsChainId];
              return (
                <li key={s.chain.hexsChainId} data-testid={`burner-account-${s.chain.hexsChainId}`}>
                  {chainLabel(config.registry, s.chain.hexsChainId)}:{" "}
                  <span className="mono" data-testid="burner-address">
                    {a?.address ?? "…"}
                  </span>{" "}
                  · native balance <span data-testid="burner-native">{a ? `${formatUnits(a.native, 18)} ETH` : "…"}</span> (gas is
                  sponsored)
                </li>
              );
            })}
          </ul>
          <Backup burner={burner} />
          <h2>Buy a key with sponsored gas</h2>
          <p className="muted small">
            The key is paid in the model&apos;s token from the account above: send the price there first. The sponsor pays the
            gas.
          </p>
          {offers.length ? (
            <ul className="cards" aria-label="models you can buy with sponsored gas">
              {offers.map((p) => {
                const m = catalog.models.find((x) => x.id === p.modelId);
                const name = m ? metaOf(m).name : `model ${formatId(p.modelId)}`;
                const k = `${p.hexsChain}:${p.modelId}`;
                return (
                  <li key={k} className="card" data-testid="burner-offer">
                    <strong>{name}</strong> on {chainLabel(config.registry, p.hexsChain)}
                    <div className="small muted" data-testid="burner-token-balance">
                      your balance: {tokens[k] ?? "…"}
                    </div>
                    <button
                      className="button"
                      disabled={busy !== undefined}
                      onClick={() => void buy(p)}
                      aria-label={`Buy ${name} with sponsored gas`}
                    >
                      {busy === k ? "Buying…" : "Buy with sponsored gas"}
                    </button>
                  </li>
                );
              })}
            </ul>
          ) : (
            <p className="muted">No model on a sponsored chain is priced in a token.</p>
          )}
          <p role="status" data-testid="burner-status">
            {status}
          </p>
          {error && <ErrorBox error={error} testId="burner-error" />}
          <p>
            <a href="#/keys">See the burner&apos;s keys in My keys</a>
          </p>
          <button
            className="button secondary"
            onClick={() => {
              if (window.confirm("Forget this burner? Without its backup, its account and keys are lost.")) {
                saveBurner(undefined);
                setBurner(undefined);
              }
            }}
          >
            Forget this burner
          </button>
        </>
      )}
    </section>
  );
}

/** In My keys: the burner account's keys, each with "Move to my wallet" (sponsored too). */
export function BurnerKeys({ config, catalog }: { config: AppConfig; catalog: Catalog }) {
  const burner = loadBurner();
  const wallet = useAccount();
  const [held, setHeld] = useState<(HoldingRow & { account: string })[]>();
  const [busy, setBusy] = useState<string>();
  const [status, setStatus] = useState<string>();
  const [error, setError] = useState<Explained>();
  const chains = sponsored(config);
  const reload = useCallback(async () => {
    if (!burner) return;
    const out: (HoldingRow & { account: string })[] = [];
    for (const s of chains) {
      const account = await accountOf(s.cfg, burner.owner);
      const h = await loadHoldings(config.indexerUrl, account);
      out.push(...h.held.filter((x) => x.hexsChain === s.chain.hexsChainId).map((x) => ({ ...x, account })));
    }
    setHeld(out);
    // burner and chains come from storage and config
  }, [config]);
  useEffect(() => {
    void reload().catch(() => undefined);
    const t = setInterval(() => void reload().catch(() => undefined), 3000);
    return () => clearInterval(t);
  }, [reload]);
  if (!burner) return null;
  const move = async (h: HoldingRow) => {
    if (!wallet) return;
    const s = chains.find((x) => x.chain.hexsChainId === h.hexsChain)!;
    setBusy(h.keyId);
    setError(undefined);
    setStatus(`Moving key ${formatId(h.keyId)} to ${wallet} with sponsored gas…`);
    try {
      const collection = (await hexs.connectContracts(s.chain, s.cfg.provider).registry.keysOf(BigInt(h.modelId))) as string;
      await transferKeySponsored(s.cfg, burner.privateKey, { collection, keyId: BigInt(h.keyId), to: wallet });
      setStatus(`Key ${formatId(h.keyId)} is now held by your wallet ${wallet}.`);
      await reload();
    } catch (e) {
      console.error(e);
      setStatus(undefined);
      setError(explainSponsored(e, "move"));
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <section aria-labelledby="burner-keys-h" data-testid="burner-keys">
      <h2 id="burner-keys-h">Burner keys</h2>
      <p className="muted small">
        Held by your burner&apos;s smart account (this browser&apos;s session key, <a href="#/burner">manage it</a>).
      </p>
      {!held ? (
        <p className="muted">Loading the burner&apos;s keys…</p>
      ) : held.length ? (
        <ul className="cards keys" aria-label="burner keys">
          {held.map((h) => {
            const m = catalog.models.find((x) => x.id === h.modelId);
            return (
              <li key={`${h.hexsChain}-${h.keyId}`} className="card" data-testid="burner-key">
                Key {formatId(h.keyId)} · {m ? metaOf(m).name : `model ${formatId(h.modelId)}`} ·{" "}
                {chainLabel(config.registry, h.hexsChain)}{" "}
                <button
                  className="button secondary"
                  disabled={!wallet || busy !== undefined}
                  onClick={() => void move(h)}
                  aria-label={`Move key ${h.keyId} to my wallet`}
                >
                  {busy === h.keyId ? "Moving…" : "Move to my wallet"}
                </button>
                {!wallet && <span className="small muted"> Connect a wallet (top right) to move it there.</span>}
              </li>
            );
          })}
        </ul>
      ) : (
        <p className="muted">The burner holds no key.</p>
      )}
      <p role="status" data-testid="burner-move-status">
        {status}
      </p>
      {error && <ErrorBox error={error} testId="burner-move-error" />}
    </section>
  );
}

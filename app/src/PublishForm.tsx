// Creator studio → publish a model or fork one, with the wallet, through the SDK:
//   1. the SDL is validated in the page (chain-sdk's generateManifest, the check providers run);
//   2. it is encrypted in the page and uploaded (the wallet signs the key stores' requests): only
//      the ciphertext and the key's shards, each sealed to its store, leave the page;
//   3. publish / fork on the chosen chain with the content commitment and locator, the royalty
//      and DAO shares and the key plugins (soul-bound, allowlist, supply cap, expiry);
//   4. holders of a live key of the model may decrypt it (access conditions, signed by the wallet);
//   5. payout addresses on the other chains are bound (EIP-712 signature + transaction each).
// The cryptography and chain-sdk load as their own chunk when a publish starts.
import { useState } from "react";
import { isAddress, type Signer } from "ethers";
import * as hexs from "../../sdk";
import type { EvmChain } from "../../sdk/chains";
import type { Holder } from "../../sdk/keys/client";
import { chainLabel, evmChains, type AppConfig } from "./config";
import { metaOf, type Catalog } from "./indexer";
import { explainPublish } from "./explainSeal";
import { injectedWallet, NoWalletError, walletOn, type Explained } from "./wallet";

type PhaseKey = "check" | "seal" | "publish" | "grant" | "bind";
type PhaseState = "todo" | "active" | "done" | "failed" | "skipped";
interface Phase {
  key: PhaseKey;
  label: string;
  state: PhaseState;
  note?: string;
}

const PHASES: { key: PhaseKey; label: string }[] = [
  { key: "check", label: "SDL checked in this page" },
  { key: "seal", label: "SDL encrypted in this page and uploaded (sign the key stores' requests)" },
  { key: "publish", label: "Model registered on chain (sign the transaction)" },
  { key: "grant", label: "Key holders may decrypt the SDL (sign the access rule)" },
  { key: "bind", label: "Payout addresses bound on other chains" },
];

/**
 * A metadata data: URI the catalog reads the name and description from; an allowlisted model's
 * list goes in too, so buyers' pages can prove membership (hexs.allowlistFromMetadata).
 */
const metadataUri = (name: string, description: string, allowlist: string[]) =>
  `data:application/json,${encodeURIComponent(JSON.stringify({ name, description, ...(allowlist.length ? { allowlist } : {}) }))}`;

/** Percent text → basis points, or a clear refusal. */
function bps(text: string, what: string, max: number): number {
  const t = text.trim() === "" ? "0" : text.trim();
  if (!/^\d+(\.\d{1,2})?$/.test(t))
    throw new hexs.InvalidParamsError(`bad ${what} '${text}': write a percentage such as 10 or 2.5`);
  const v = Math.round(Number(t) * 100);
  if (v > max) throw new hexs.InvalidParamsError(`bad ${what} ${t}%: at most ${max / 100}%`);
  return v;
}

export function PublishForm({
  config,
  catalog,
  account,
  onDone,
}: {
  config: AppConfig;
  catalog: Catalog;
  account: string;
  onDone: () => void;
}) {
  const chains = evmChains(config.registry);
  const label = (n: number) => chainLabel(config.registry, n);
  const [mode, setMode] = useState<"publish" | "fork">("publish");
  const parents = catalog.models.filter((m) => m.forkable !== false && !m.retired);
  const [parent, setParent] = useState(parents[0]?.id ?? "");
  const [chainId, setChainId] = useState(chains[0]?.hexsChainId ?? 0);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [sdl, setSdl] = useState("");
  const [imageDigest, setImageDigest] = useState("");
  const [royalty, setRoyalty] = useState("10");
  const [dao, setDao] = useState("0");
  const [soulbound, setSoulbound] = useState(false);
  const [allowlist, setAllowlist] = useState("");
  const [supplyCap, setSupplyCap] = useState("");
  const [expiryDays, setExpiryDays] = useState("");
  const [payouts, setPayouts] = useState<Record<number, string>>({});
  const [phases, setPhases] = useState<Phase[]>();
  const [error, setError] = useState<Explained>();
  const [done, setDone] = useState<{ text: string; modelId: string }>();
  const busy = !!phases && !error && !done;

  // a fork lives where its parent has a copy
  const forkChains = chains.filter((c) => catalog.copies.some((x) => x.modelId === parent && x.hexsChain === c.hexsChainId));
  const chainChoices = mode === "fork" ? forkChains : chains;
  const chain = chainChoices.find((c) => c.hexsChainId === chainId) ?? chainChoices[0];
  const parentRow = catalog.models.find((m) => m.id === parent);

  const phase = (key: PhaseKey, state: PhaseState, note?: string) =>
    setPhases((ps) => ps?.map((p) => (p.key === key ? { ...p, state, ...(note !== undefined ? { note } : {}) } : p)));

  async function go() {
    setError(undefined);
    setDone(undefined);
    setPhases(PHASES.map((p) => ({ ...p, state: "todo" })));
    let current: PhaseKey = "check";
    const step = (k: PhaseKey) => {
      current = k;
      phase(k, "active");
    };
    try {
      if (!chain) throw new hexs.InvalidParamsError("pick a chain to publish on");
      if (!config.keyServiceUrl)
        throw new hexs.NotFoundError(
          "this deployment names no key service (keyServiceUrl in config.json): the SDL cannot be encrypted and stored",
        );
      if (name.trim() === "") throw new hexs.InvalidParamsError("give the model a name");
      if (sdl.trim() === "") throw new hexs.InvalidParamsError("paste the model's SDL (its Akash deployment file)");
      const plugins: hexs.PublishPlugins = {};
      if (soulbound) plugins.soulbound = true;
      const listed = allowlist.split(/[\s,]+/).filter(Boolean);
      if (listed.length) plugins.allowlistRoot = hexs.allowlistRoot(listed);
      if (supplyCap.trim()) {
        if (!/^\d+$/.test(supplyCap.trim()) || BigInt(supplyCap.trim()) === 0n)
          throw new hexs.InvalidParamsError(`bad supply cap '${supplyCap}': a whole number of keys, at least 1`);
        plugins.supplyCap = BigInt(supplyCap.trim());
      }
      if (expiryDays.trim()) {
        if (!/^\d+(\.\d+)?$/.test(expiryDays.trim()) || Number(expiryDays) <= 0)
          throw new hexs.InvalidParamsError(`bad expiry '${expiryDays}': a number of days, such as 30`);
        plugins.expirySeconds = BigInt(Math.round(Number(expiryDays) * 86400));
      }
      const forkRoyaltyBps = bps(royalty, "royalty share", 5000);
      const daoBps = bps(dao, "DAO share", 4000);
      const bindings: { chain: number; payout: hexs.Account; text: string }[] = [];
      for (const other of config.registry.chains) {
        if (other.hexsChainId === chain.hexsChainId) continue;
        const text = (payouts[other.hexsChainId] ?? "").trim();
        if (!text) continue;
        let payout: hexs.Account;
        try {
          payout = isAddress(text) ? hexs.evmAccount(text) : hexs.cosmosAccount(text);
        } catch {
          throw new hexs.InvalidParamsError(
            `bad payout address '${text}' for ${label(other.hexsChainId)}: an EVM address (0x…) or a bech32 address`,
          );
        }
        bindings.push({ chain: other.hexsChainId, payout, text });
      }

      // 1. validate in the page (before anything is signed or sent)
      const seal = await import("./seal");
      const valid = seal.validateInPage(sdl);
      phase(
        "check",
        "done",
        `${valid.services.length} service${valid.services.length > 1 ? "s" : ""} (${valid.services.join(", ")}), ${valid.groups} deployment group${valid.groups > 1 ? "s" : ""}`,
      );

      // 2. the wallet on the chain; encrypt here and upload
      step("seal");
      const eth = injectedWallet();
      if (!eth) throw new NoWalletError();
      const { c, signer } = await walletOn(eth, chain, () => undefined);
      const owner = holderOf(signer, account);
      const sealed = await seal.sealInPage(config.keyServiceUrl, owner, sdl, imageDigest.trim() || undefined);
      phase("seal", "done", `${sealed.upload.encryptedBytes} encrypted bytes stored as ${sealed.upload.cid.slice(0, 16)}…`);

      // 3. register on chain
      step("publish");
      const params: hexs.PublishParams = {
        contentCommitment: sealed.contentCommitment,
        sdlLocator: sealed.upload.locator,
        metadataUri: metadataUri(name.trim(), description.trim(), listed),
        forkRoyaltyBps,
        daoBps,
        plugins,
      };
      const r = mode === "fork" ? await hexs.fork(c, signer, BigInt(parent), params) : await hexs.publish(c, signer, params);
      phase("publish", "done", `model ${hexs.formatId(r.modelId)} on ${label(chain.hexsChainId)}`);

      // 4. key holders may decrypt
      step("grant");
      await seal.grantInPage(config.keyServiceUrl, owner, sealed.upload.locator, [
        { chain: hexs.keyServiceChainOf(chain), keyNft: r.keys },
      ]);
      phase("grant", "done");

      // 5. payout bindings
      if (bindings.length === 0) phase("bind", "skipped", "none asked");
      else {
        step("bind");
        for (const b of bindings) await hexs.bindPayout(c, signer, { chain: b.chain, payout: b.payout, modelId: r.modelId });
        phase("bind", "done", bindings.map((b) => `${label(b.chain)}: ${b.text}`).join("; "));
      }
      setDone({
        modelId: r.modelId.toString(),
        text: `${mode === "fork" ? "Forked" : "Published"} “${name.trim()}” as model ${hexs.formatId(r.modelId)} on ${label(chain.hexsChainId)}${r.plugins.length ? ` with ${r.plugins.length} key plugin${r.plugins.length > 1 ? "s" : ""}` : ""}. Set its price below once the catalog shows it.`,
      });
      onDone();
    } catch (e) {
      console.error(e);
      phase(current, "failed");
      setError(explainPublish(e, chain ? label(chain.hexsChainId) : "the chain"));
    }
  }

  return (
    <section className="card" aria-labelledby="publish-h">
      <h2 id="publish-h">Publish or fork a model</h2>
      <form
        className="publish-form"
        aria-label="Publish or fork a model"
        onSubmit={(e) => {
          e.preventDefault();
          void go();
        }}
      >
        <fieldset>
          <legend>What</legend>
          <label>
            <input type="radio" name="mode" checked={mode === "publish"} onChange={() => setMode("publish")} /> A new model
          </label>{" "}
          <label>
            <input type="radio" name="mode" checked={mode === "fork"} onChange={() => setMode("fork")} /> A fork of a model in the
            catalog
          </label>
        </fieldset>
        {mode === "fork" && (
          <label>
            Parent model
            <select className="input" value={parent} onChange={(e) => setParent(e.target.value)}>
              {parents.map((m) => (
                <option key={m.id} value={m.id}>
                  {metaOf(m).name} ({hexs.formatId(BigInt(m.id))})
                </option>
              ))}
            </select>
            {parentRow?.forkRoyaltyBps != null && (
              <span className="muted small"> The fork pays its parent {parentRow.forkRoyaltyBps / 100}% of every sale.</span>
            )}
          </label>
        )}
        <label>
          Chain to publish on
          <select className="input" value={chain?.hexsChainId ?? ""} onChange={(e) => setChainId(Number(e.target.value))}>
            {chainChoices.map((c: EvmChain) => (
              <option key={c.hexsChainId} value={c.hexsChainId}>
                {label(c.hexsChainId)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Model name
          <input className="input" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Description
          <input className="input" value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <label>
          SDL (the Akash deployment file, YAML; encrypted in this page before upload)
          <textarea className="input mono" rows={8} value={sdl} onChange={(e) => setSdl(e.target.value)} spellCheck={false} />
        </label>
        <label>
          Image digest (optional when every image is pinned as name@sha256:…)
          <input className="input mono" value={imageDigest} onChange={(e) => setImageDigest(e.target.value)} />
        </label>
        <label>
          Royalty share forks of this model pay it (%)
          <input className="input" inputMode="decimal" value={royalty} onChange={(e) => setRoyalty(e.target.value)} />
        </label>
        <label>
          DAO share of each sale (%)
          <input className="input" inputMode="decimal" value={dao} onChange={(e) => setDao(e.target.value)} />
        </label>
        <fieldset>
          <legend>Key plugins</legend>
          <label>
            <input type="checkbox" checked={soulbound} onChange={(e) => setSoulbound(e.target.checked)} /> Soul-bound keys (never
            transferred)
          </label>
          <label>
            Allowlist (only these addresses may receive keys; one per line)
            <textarea className="input mono" rows={2} value={allowlist} onChange={(e) => setAllowlist(e.target.value)} />
          </label>
          <label>
            Supply cap (keys)
            <input className="input" inputMode="numeric" value={supplyCap} onChange={(e) => setSupplyCap(e.target.value)} />
          </label>
          <label>
            Keys expire after (days)
            <input className="input" inputMode="decimal" value={expiryDays} onChange={(e) => setExpiryDays(e.target.value)} />
          </label>
        </fieldset>
        <fieldset>
          <legend>Payout addresses on other chains (optional)</legend>
          {config.registry.chains
            .filter((x) => x.hexsChainId !== chain?.hexsChainId)
            .map((x) => (
              <label key={x.hexsChainId}>
                Payout address on {label(x.hexsChainId)}
                <input
                  className="input mono"
                  placeholder={x.family === "evm" ? "0x…" : "bech32 address"}
                  value={payouts[x.hexsChainId] ?? ""}
                  onChange={(e) => setPayouts({ ...payouts, [x.hexsChainId]: e.target.value })}
                />
              </label>
            ))}
        </fieldset>
        <button className="button" disabled={busy}>
          {mode === "fork" ? "Fork" : "Publish"}
        </button>
      </form>
      {phases && (
        <div role="status" aria-live="polite" aria-label="publish progress">
          <ol className="steps">
            {phases.map((p) => (
              <li key={p.key} className={`step ${p.state}`} data-testid={`phase-${p.key}`}>
                <span className="tick" aria-hidden="true">
                  {{ done: "✓", active: "…", failed: "✗", todo: "○", skipped: "–" }[p.state]}
                </span>
                {p.label}
                {p.note ? `: ${p.note}` : ""}
              </li>
            ))}
          </ol>
        </div>
      )}
      {done && (
        <p role="status" data-testid="publish-done" data-model={done.modelId}>
          {done.text}
        </p>
      )}
      {error && (
        <div role="alert" className="error" data-testid="publish-error">
          <strong>{error.title}.</strong> <span className="pre">{error.detail}</span> <em>{error.next}</em>
        </div>
      )}
    </section>
  );
}

/** The wallet as the key service's holder: it signs the stores' request challenges (personal_sign). */
function holderOf(signer: Signer, account: string): Holder {
  return { family: "evm", address: account.toLowerCase(), signMessage: (m) => signer.signMessage(m) };
}

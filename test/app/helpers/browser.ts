// Headless Chromium (Debian's `chromium`, driven by playwright-core from app/node_modules) with a
// test wallet injected as window.ethereum: an EIP-1193 provider whose requests are answered in
// Node by a funded ethers Wallet over the chains' JSON-RPC (transactions are signed here, never
// by a node-unlocked account). The built app is served by a tiny static server.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { JsonRpcProvider, toBeHex, Wallet } from "ethers";
import { ROOT } from "../../../devnet/chains";
import { serveStatic } from "../../../devnet/app";
import type { EvmChain } from "../../../sdk/chains";
export { serveStatic };

let built: string | undefined;

/**
 * The app's production build (vite), made once per test process, copied to `dir` with the suite's
 * runtime `config` (chain registry, indexer and key-service URLs) and served on 127.0.0.1.
 */
export async function serveApp(dir: string, config: object, port?: number): Promise<{ url: string; close: () => Promise<void> }> {
  if (!built) {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-app-dist-"));
    execFileSync(
      path.join(ROOT, "app/node_modules/.bin/vite"),
      ["build", "--outDir", out, "--emptyOutDir", "--logLevel", "warn"],
      {
        cwd: path.join(ROOT, "app"),
        stdio: process.env.HEXS_APP_VERBOSE === "1" ? "inherit" : "pipe",
      },
    );
    process.on("exit", () => fs.rmSync(out, { recursive: true, force: true }));
    built = out;
  }
  const dist = path.join(dir, "app-dist");
  fs.cpSync(built, dist, { recursive: true });
  fs.writeFileSync(path.join(dist, "config.json"), JSON.stringify(config));
  return serveStatic(dist, port);
}

export const CHROMIUM = process.env.HEXS_CHROMIUM ?? "/usr/bin/chromium";

// The part of playwright-core's API these tests use. The app's package owns the driver (the root
// package does not depend on it, so the root type-check cannot see its types).
export interface Locator {
  waitFor(o?: { timeout?: number; state?: "attached" | "visible" | "detached" }): Promise<void>;
  innerText(): Promise<string>;
  allInnerTexts(): Promise<string[]>;
  textContent(): Promise<string | null>;
  getAttribute(name: string): Promise<string | null>;
  count(): Promise<number>;
  nth(i: number): Locator;
  first(): Locator;
  locator(selector: string): Locator;
  getByRole(role: string, o?: { name?: string | RegExp; level?: number; exact?: boolean }): Locator;
  filter(o: { hasText: string | RegExp }): Locator;
  click(): Promise<void>;
  fill(value: string): Promise<void>;
  inputValue(): Promise<string>;
  selectOption(value: string): Promise<unknown>;
  getByLabel(text: string | RegExp): Locator;
  getByTestId(id: string): Locator;
}
export interface Page {
  goto(url: string): Promise<unknown>;
  reload(): Promise<unknown>;
  route(url: string, fn: (r: { abort(code?: string): Promise<void> }) => unknown): Promise<void>;
  unroute(url: string): Promise<void>;
  screenshot(o: { path: string; fullPage?: boolean }): Promise<unknown>;
  on(event: "pageerror", fn: (e: Error) => void): void;
  on(event: "console", fn: (m: { text(): string }) => void): void;
  on(event: "request", fn: (r: { url(): string; postData(): string | null; headers(): Record<string, string> }) => void): void;
  waitForEvent(
    event: "download",
    o?: { timeout?: number },
  ): Promise<{ suggestedFilename(): string; path(): Promise<string | null> }>;
  exposeFunction(name: string, fn: (...args: never[]) => unknown): Promise<void>;
  addInitScript(fn: () => void): Promise<void>;
  getByRole(role: string, o?: { name?: string | RegExp; level?: number; exact?: boolean }): Locator;
  getByLabel(text: string | RegExp): Locator;
  getByTestId(id: string): Locator;
  locator(selector: string): Locator;
  waitForFunction(fn: () => boolean, arg?: unknown, o?: { timeout?: number }): Promise<unknown>;
  addScriptTag(o: { path: string }): Promise<unknown>;
  evaluate<T>(fn: () => Promise<T> | T): Promise<T>;
  close(): Promise<void>;
}
/** Where the browser tests' screenshots go (look at them). */
export const SHOTS = path.join(ROOT, "app/test-results");

/** A full-page screenshot of `page` in SHOTS/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** A failed test's screenshot name: `prefix` and the start of its title. */
export const failedShot = (prefix: string, title: string, length = 40): string =>
  `${prefix}${title.slice(0, length).replace(/\W+/g, "-")}`;

export interface Browser {
  newPage(o?: { viewport?: { width: number; height: number } }): Promise<Page>;
  close(): Promise<void>;
}

export function playwright(): { chromium: { launch(o: { executablePath: string; args: string[] }): Promise<Browser> } } {
  return require(path.join(ROOT, "app/node_modules/playwright-core"));
}

export async function launch(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: run scripts/app-test.sh (it installs Debian's chromium)`);
  return playwright().chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}

export interface WalletModes {
  /** Refuse every transaction signature (EIP-1193 4001). */
  rejectSign?: boolean;
  /** Refuse to switch networks (EIP-1193 4001). */
  rejectSwitch?: boolean;
}

interface RpcError {
  code: number;
  message: string;
}

/** The Node side of the injected wallet. */
export class TestWallet {
  modes: WalletModes = {};
  chainId: number;
  private readonly providers = new Map<number, JsonRpcProvider>();
  requests: string[] = [];

  constructor(
    public wallet: Wallet,
    chains: EvmChain[],
    startChain: number,
  ) {
    for (const c of chains)
      this.providers.set(c.evmChainId!, new JsonRpcProvider(c.rpcUrl, c.evmChainId, { staticNetwork: true }));
    this.chainId = startChain;
  }

  get address(): string {
    return this.wallet.address;
  }

  provider(chainId = this.chainId): JsonRpcProvider {
    return this.providers.get(chainId)!;
  }

  async handle(method: string, params: unknown[]): Promise<unknown> {
    this.requests.push(method);
    const fail = (e: RpcError) => {
      throw e;
    };
    switch (method) {
      case "eth_requestAccounts":
      case "eth_accounts":
        return [this.address];
      case "eth_chainId":
        return toBeHex(this.chainId);
      case "net_version":
        return String(this.chainId);
      case "wallet_switchEthereumChain": {
        if (this.modes.rejectSwitch) return fail({ code: 4001, message: "User rejected the request." });
        const id = Number((params[0] as { chainId: string }).chainId);
        if (!this.providers.has(id)) return fail({ code: 4902, message: `Unrecognized chain ID ${id}` });
        this.chainId = id;
        return null;
      }
      case "eth_sendTransaction": {
        if (this.modes.rejectSign) return fail({ code: 4001, message: "User rejected the request." });
        const tx = params[0] as { to?: string; data?: string; value?: string; gas?: string };
        // the nonce straight from the node: the provider's short call cache would repeat one for
        // back-to-back transactions (an ERC-20 approval, then the buy)
        const nonce = Number(await this.provider().send("eth_getTransactionCount", [this.address, "pending"]));
        const sent = await this.wallet.connect(this.provider()).sendTransaction({
          nonce,
          to: tx.to,
          data: tx.data,
          value: tx.value ? BigInt(tx.value) : 0n,
          gasLimit: tx.gas ? BigInt(tx.gas) : undefined,
          chainId: this.chainId,
        });
        return sent.hash;
      }
      case "eth_signTypedData_v4": {
        if (this.modes.rejectSign) return fail({ code: 4001, message: "User rejected the request." });
        const typed = JSON.parse(params[1] as string) as {
          domain: Record<string, unknown>;
          types: Record<string, { name: string; type: string }[]>;
          message: Record<string, unknown>;
        };
        const { EIP712Domain: _domain, ...types } = typed.types;
        void _domain;
        return this.wallet.signTypedData(typed.domain, types, typed.message);
      }
      case "personal_sign":
        if (this.modes.rejectSign) return fail({ code: 4001, message: "User rejected the request." });
        return this.wallet.signMessage(Buffer.from((params[0] as string).slice(2), "hex"));
      default:
        return this.provider().send(method, params);
    }
  }
}

/** Inject `window.ethereum` backed by `w` into every page of `page`'s context. */
export async function injectWallet(page: Page, w: () => TestWallet): Promise<void> {
  await page.exposeFunction("__hexsWalletRequest", async (method: string, params: unknown[]) => {
    try {
      return { result: await w().handle(method, params ?? []) };
    } catch (e) {
      const err = e as { code?: number; message?: string };
      return { error: { code: typeof err.code === "number" ? err.code : -32603, message: err.message ?? String(e) } };
    }
  });
  await page.addInitScript(() => {
    type Req = { method: string; params?: unknown[] };
    const listeners: Record<string, ((...a: unknown[]) => void)[]> = {};
    const call = (
      window as unknown as {
        __hexsWalletRequest: (
          m: string,
          p: unknown[],
        ) => Promise<{ result?: unknown; error?: { code: number; message: string } }>;
      }
    ).__hexsWalletRequest;
    const ethereum = {
      isHexsTestWallet: true,
      async request({ method, params }: Req) {
        const r = await call(method, params ?? []);
        if (r.error) throw Object.assign(new Error(r.error.message), { code: r.error.code });
        if (method === "wallet_switchEthereumChain") {
          const id = await call("eth_chainId", []);
          for (const fn of listeners.chainChanged ?? []) fn(id.result);
        }
        return r.result;
      },
      on(ev: string, fn: (...a: unknown[]) => void) {
        (listeners[ev] ??= []).push(fn);
      },
      removeListener(ev: string, fn: (...a: unknown[]) => void) {
        listeners[ev] = (listeners[ev] ?? []).filter((f) => f !== fn);
      },
    };
    (window as unknown as { ethereum: unknown }).ethereum = ethereum;
  });
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's WCAG 2 A and AA checks (names and labels, roles, contrast…) on the current page. */
export async function accessibilityViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: path.join(ROOT, "app/node_modules/axe-core/axe.min.js") });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: unknown) => Promise<{ violations: AxeViolation[] }> } })
      .axe;
    const r = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  });
}

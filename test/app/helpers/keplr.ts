// A Keplr-compatible wallet for the browser tests: `window.keplr` in the page (enable,
// experimentalSuggestChain, getOfflineSigner → getAccounts, signDirect) answered in Node by a real
// cosmjs DirectSecp256k1HdWallet (real SIGN_MODE_DIRECT signatures over the page's sign docs).
// Like Keplr, it knows only the chains it was told about: `enable` of an unknown chain fails until
// the page suggests it; suggestions are recorded, and can be refused. `signArbitrary` (ADR-36, what
// the key service's challenges need) signs with a cosmjs amino wallet on the same mnemonic.
import { makeSignDoc, Secp256k1HdWallet } from "@cosmjs/amino";
import { fromBase64, toBase64 } from "@cosmjs/encoding";
import type { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import type { Page } from "./browser";

/** The part of Keplr's ChainInfo the tests look at (the page sends the whole object). */
export interface SuggestedChain {
  chainId: string;
  chainName: string;
  rpc: string;
  rest: string;
  bip44: { coinType: number };
  bech32Config: { bech32PrefixAccAddr: string };
  currencies: { coinDenom: string; coinMinimalDenom: string; coinDecimals: number }[];
  feeCurrencies: { coinMinimalDenom: string; gasPriceStep?: { low: number; average: number; high: number } }[];
  stakeCurrency: { coinMinimalDenom: string };
}

/** The Node side of the injected Keplr. */
export class KeplrBackend {
  /** Refuse the next signatures ("Request rejected"). */
  reject = false;
  /** Refuse chain suggestions ("Request rejected"), as a user who declines adding the chain. */
  refuseSuggestions = false;
  signed = 0;
  /** ADR-36 messages signed (signArbitrary) */
  arbitrary = 0;
  /** Every method the page called, in order (e.g. ["suggestChain", "enable", "accounts", …]). */
  calls: string[] = [];
  /** The chain infos the page suggested. */
  suggested: SuggestedChain[] = [];
  /** Cosmos chain ids the wallet knows (`enable` of another fails, as in Keplr). */
  known: Set<string>;

  constructor(
    public wallet: DirectSecp256k1HdWallet,
    known: string[] = [],
  ) {
    this.known = new Set(known);
  }

  async handle(method: string, arg: Record<string, string>): Promise<unknown> {
    this.calls.push(method);
    switch (method) {
      case "suggestChain": {
        if (this.refuseSuggestions) throw new Error("Request rejected");
        const info = arg as unknown as SuggestedChain;
        this.suggested.push(info);
        this.known.add(info.chainId);
        return null;
      }
      case "enable":
        if (!this.known.has(arg.chainId)) throw new Error(`There is no chain info for ${arg.chainId}`);
        return null;
      case "accounts":
        return (await this.wallet.getAccounts()).map((a) => ({ address: a.address, algo: a.algo, pubkey: toBase64(a.pubkey) }));
      case "signDirect": {
        if (this.reject) throw new Error("Request rejected");
        const r = await this.wallet.signDirect(arg.signer, {
          bodyBytes: fromBase64(arg.bodyBytes),
          authInfoBytes: fromBase64(arg.authInfoBytes),
          chainId: arg.chainId,
          accountNumber: BigInt(arg.accountNumber),
        });
        this.signed++;
        return {
          signed: {
            bodyBytes: toBase64(r.signed.bodyBytes),
            authInfoBytes: toBase64(r.signed.authInfoBytes),
            chainId: r.signed.chainId,
            accountNumber: r.signed.accountNumber.toString(),
          },
          signature: r.signature,
        };
      }
      case "signArbitrary": {
        if (this.reject) throw new Error("Request rejected");
        // the bech32 prefix: what precedes the last "1" of the address
        const prefix = arg.signer.slice(0, arg.signer.lastIndexOf("1"));
        const amino = await Secp256k1HdWallet.fromMnemonic(this.wallet.mnemonic, { prefix });
        // ADR-36: one MsgSignData, empty chain id, zero fee, account number and sequence
        const doc = makeSignDoc(
          [{ type: "sign/MsgSignData", value: { signer: arg.signer, data: arg.data } }],
          { gas: "0", amount: [] },
          "",
          "",
          0,
          0,
        );
        const r = await amino.signAmino(arg.signer, doc);
        this.arbitrary++;
        return r.signature;
      }
      default:
        throw new Error(`unknown Keplr method ${method}`);
    }
  }
}

/** Inject `window.keplr` backed by `k()` (a function: a test may swap the wallet behind it). */
export async function injectKeplr(page: Page, k: () => KeplrBackend): Promise<void> {
  await page.exposeFunction("__hexsKeplr", async (method: string, arg: Record<string, string>) => {
    try {
      return { result: await k().handle(method, arg ?? {}) };
    } catch (e) {
      return { error: (e as Error).message };
    }
  });
  await page.addInitScript(() => {
    const call = async (method: string, arg?: unknown) => {
      const r = await (
        window as unknown as { __hexsKeplr: (m: string, a: unknown) => Promise<{ result?: unknown; error?: string }> }
      ).__hexsKeplr(method, arg);
      if (r.error !== undefined) throw new Error(r.error);
      return r.result as never;
    };
    const b64 = (u: Uint8Array) => btoa(String.fromCharCode(...u));
    const bytes = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
    (window as unknown as { keplr: unknown }).keplr = {
      experimentalSuggestChain: (info: unknown) => call("suggestChain", info),
      enable: (chainId: string) => call("enable", { chainId }),
      signArbitrary: (chainId: string, signer: string, data: string | Uint8Array) =>
        call("signArbitrary", { chainId, signer, data: b64(typeof data === "string" ? new TextEncoder().encode(data) : data) }),
      getOfflineSigner: () => ({
        getAccounts: async () =>
          ((await call("accounts")) as { address: string; algo: string; pubkey: string }[]).map((a) => ({
            ...a,
            pubkey: bytes(a.pubkey),
          })),
        signDirect: async (
          signer: string,
          doc: { bodyBytes: Uint8Array; authInfoBytes: Uint8Array; chainId: string; accountNumber: bigint },
        ) => {
          const r = (await call("signDirect", {
            signer,
            bodyBytes: b64(doc.bodyBytes),
            authInfoBytes: b64(doc.authInfoBytes),
            chainId: doc.chainId,
            accountNumber: doc.accountNumber.toString(),
          })) as {
            signed: { bodyBytes: string; authInfoBytes: string; chainId: string; accountNumber: string };
            signature: unknown;
          };
          return {
            signed: {
              bodyBytes: bytes(r.signed.bodyBytes),
              authInfoBytes: bytes(r.signed.authInfoBytes),
              chainId: r.signed.chainId,
              accountNumber: BigInt(r.signed.accountNumber),
            },
            signature: r.signature,
          };
        },
      }),
    };
  });
}

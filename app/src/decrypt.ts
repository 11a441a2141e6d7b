// Decrypting a model's SDL in the page: the SDK's key-service client (sdk/keys/client, the same
// code the CLI and the relayer run) asks the shard stores for the key as the connected wallet —
// the wallet signs one request challenge per store it asks (personal_sign), the stores seal their
// shards to a key made in the page for this request — and the SDL is decrypted here. Only
// signatures and public keys leave the page. Loaded on demand (a separate chunk), so the catalog's
// JavaScript does not carry the cryptography.
import { BrowserProvider } from "ethers";
import { decryptSdl, KeyServiceClient, localEndpoints, parseLocator, type Holder } from "../../sdk/keys/client";
import { KeyServiceError } from "../../sdk/keys/errors";
import { isRejection, NoWalletError, type Eip1193, type Explained } from "./wallet";

export interface Decrypted {
  bytes: Uint8Array;
  /** sha256 of the plaintext, hex: lets a person compare with what the creator published */
  sha256: string;
}

/** Whether `locator` names a file the key service holds (`ipfs://<cid>#kc=…`). */
export function decryptable(locator: string | null | undefined): boolean {
  if (!locator) return false;
  try {
    parseLocator(locator);
    return true;
  } catch {
    return false;
  }
}

export async function decryptInPage(
  eth: Eip1193 | undefined,
  keyServiceUrl: string,
  locator: string,
  onSigning: () => void,
): Promise<Decrypted> {
  if (!eth) throw new NoWalletError();
  await eth.request({ method: "eth_requestAccounts" });
  const signer = await new BrowserProvider(eth).getSigner();
  const address = (await signer.getAddress()).toLowerCase();
  const holder: Holder = {
    family: "evm",
    address,
    signMessage: (m) => {
      onSigning();
      return signer.signMessage(m);
    },
  };
  const bytes = await decryptSdl(new KeyServiceClient(localEndpoints(keyServiceUrl)), holder, locator);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes)));
  return { bytes, sha256: [...digest].map((b) => b.toString(16).padStart(2, "0")).join("") };
}

/** What went wrong with a decrypt, for a person, and what to do next. */
export function explainDecrypt(e: unknown, keyServiceUrl: string): Explained {
  if (e instanceof NoWalletError)
    return {
      title: "No wallet found",
      detail: "Decrypting needs your wallet to sign the key service's request.",
      next: "Install or unlock a wallet, then reload the page.",
    };
  if (isRejection(e))
    return {
      title: "Signature rejected",
      detail: "You declined the key service's sign-in request. Nothing was decrypted and nothing left this page.",
      next: "Press Decrypt again and sign the requests (one per key store asked; they move no funds).",
    };
  if (e instanceof KeyServiceError) {
    switch (e.code) {
      case "chain_unavailable":
        if (/unreachable|Failed to fetch|does not answer|names no shard stores/i.test(e.message))
          return {
            title: "Key service unreachable",
            detail: `The key service at ${keyServiceUrl} (or enough of its key stores) did not answer.`,
            next: "Check your connection and try again in a moment; if it persists, the key service is down.",
          };
        return {
          title: "Access could not be checked",
          detail: "The key service could not read the chains to check your key right now.",
          next: "Try again in a moment.",
        };
      case "unauthenticated":
      case "nonce_expired":
      case "nonce_replayed":
        return {
          title: "Sign-in not accepted",
          detail: `The key stores did not accept the signed request (${e.message}).`,
          next: "Press Decrypt again to sign fresh requests; check that your computer's clock is right.",
        };
      case "forbidden":
        return {
          title: "No access",
          detail:
            "The key service found no live key of this model for your account on any chain: it may have expired, been moved away or transferred, or belong to another account.",
          next: "Switch your wallet to the account that holds the key, or buy (or renew) a key, then press Decrypt again.",
        };
      case "not_found":
        return {
          title: "SDL not found",
          detail: "The key service holds no key for this model's SDL.",
          next: "Ask the model's creator to publish the SDL again.",
        };
      case "integrity":
      case "threshold":
        return {
          title: "The SDL could not be verified",
          detail: `The key or the file the key service returned did not check out (${e.message}). Nothing was saved.`,
          next: "Try again; if it persists, report it to the key service's operators.",
        };
      default:
        return { title: "Decrypt refused", detail: e.message, next: "Try again, or ask the model's creator." };
    }
  }
  return {
    title: "Something went wrong",
    detail: e instanceof Error ? e.message : String(e),
    next: "Check your wallet and try again.",
  };
}

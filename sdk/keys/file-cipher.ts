// The file encryption of the Lighthouse SDK (its uploadEncrypted encryptionNode/encryptionBrowser):
// AES-256-GCM under a key derived with PBKDF2-SHA256 (250,000 iterations, 16-byte random salt) from
// the master key's hex text; the file is salt ‖ iv (12 bytes) ‖ ciphertext ‖ tag. Written on Web
// Crypto (globalThis.crypto.subtle) so one implementation serves Node and the browser; files stay
// interchangeable with the SDK's (test/keys/browser-safe.test.ts decrypts each side's output).
import { concatBytes, randomBytes, utf8ToBytes } from "./bytes";

const ITERATIONS = 250_000;

/** A copy on its own ArrayBuffer: what Web Crypto's typings accept (never a SharedArrayBuffer view). */
const own = (u: Uint8Array) => new Uint8Array(u);

async function aesKey(masterKey: string, salt: Uint8Array, usage: "encrypt" | "decrypt"): Promise<CryptoKey> {
  const subtle = globalThis.crypto.subtle;
  const base = await subtle.importKey("raw", own(utf8ToBytes(masterKey)), "PBKDF2", false, ["deriveKey"]);
  return subtle.deriveKey(
    { name: "PBKDF2", salt: own(salt), iterations: ITERATIONS, hash: "SHA-256" },
    base,
    { name: "AES-GCM", length: 256 },
    false,
    [usage],
  );
}

export async function encryptFile(plaintext: Uint8Array, masterKey: string): Promise<Uint8Array> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const sealed = await globalThis.crypto.subtle.encrypt(
    { name: "AES-GCM", iv: own(iv) },
    await aesKey(masterKey, salt, "encrypt"),
    own(plaintext),
  );
  return concatBytes(salt, iv, new Uint8Array(sealed));
}

/** Throws (Web Crypto's OperationError) when the key is wrong or the file was changed. */
export async function decryptFile(file: Uint8Array, masterKey: string): Promise<Uint8Array> {
  if (file.length < 16 + 12 + 16) throw new Error("the encrypted file is shorter than salt, iv and tag");
  const key = await aesKey(masterKey, file.subarray(0, 16), "decrypt");
  return new Uint8Array(
    await globalThis.crypto.subtle.decrypt({ name: "AES-GCM", iv: own(file.subarray(16, 28)) }, key, own(file.subarray(28))),
  );
}

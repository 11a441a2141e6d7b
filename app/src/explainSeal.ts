// What sealing an SDL in the page refuses (the EVM studio's publish and fork, the Cosmos fork), as
// a person reads it: an invalid SDL, an unpinned image, the key service down, a declined signature.
import { KeyServiceError } from "../../sdk/keys/errors";
import { explain, isRejection, type Explained } from "./wallet";

export function explainPublish(e: unknown, chain: string, action = "publication"): Explained {
  if (e instanceof KeyServiceError && (e.code === "invalid_sdl" || e.code === "unsupported"))
    return {
      title: "The SDL is not valid",
      detail: e.message,
      next: "Fix the SDL and press the button again. Nothing was uploaded or sent.",
    };
  if (e instanceof KeyServiceError && e.code === "bad_request" && /pinned by digest|image digest/.test(e.message))
    return {
      title: "The image is not pinned",
      detail: e.message.replace(/ \(--image-digest\)/, ""),
      next: "Pin each image as name@sha256:<digest> in the SDL, or give the image digest. Nothing was uploaded or sent.",
    };
  if (e instanceof KeyServiceError && e.code === "chain_unavailable")
    return {
      title: "Key service unreachable",
      detail: `The key service did not answer: ${e.message}`,
      next: "Try again in a moment; nothing was published.",
    };
  if (isRejection(e))
    return {
      title: "Signature rejected",
      detail: "You declined a request in your wallet. Nothing more was sent.",
      next: "Press the button again when you are ready to sign.",
    };
  return explain(e, chain, action);
}

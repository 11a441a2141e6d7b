// Where the pipeline gets a model's SDL plaintext. Production: the key service, decrypting as
// the relayer's authorized key (sdk/keys). Tests and the devnet without a key service: a
// plaintext file. The plaintext is never persisted by the pipeline; it is fetched again when a
// resumed job needs the manifest.
import fs from "node:fs";
import { decryptForHolder, type Holder, type KeyServiceClient } from "../../sdk/keys";
import { AkashError } from "../../sdk/akash/errors";

export interface SdlRequest {
  purchaseChain: string;
  modelId: string;
  keyId: string;
}

export interface SdlSource {
  /** The SDL YAML for a purchase's model. Throw AkashError(permanent) when it can never be had. */
  sdlFor(req: SdlRequest): Promise<string>;
}

/** Plaintext SDL files: one for every model, or a function from model id to path. */
export class PlaintextFileSdlSource implements SdlSource {
  constructor(private readonly pathFor: string | ((modelId: string) => string)) {}
  async sdlFor(req: SdlRequest): Promise<string> {
    const file = typeof this.pathFor === "string" ? this.pathFor : this.pathFor(req.modelId);
    try {
      return await fs.promises.readFile(file, "utf8");
    } catch (e) {
      throw new AkashError(
        "sdl_unavailable",
        `cannot read the SDL for model ${req.modelId} from ${file}: ${(e as Error).message}`,
        { retryable: false },
      );
    }
  }
}

/**
 * The key service's decrypt (sdk/keys `decryptForHolder`), signing its challenge as
 * `holder` — the relayer's key, which the model's access conditions must authorize.
 * `locatorFor` returns the model's SDL locator (the registry's `sdlLocator`).
 */
export class KeyServiceSdlSource implements SdlSource {
  constructor(
    private readonly client: KeyServiceClient,
    private readonly holder: Holder,
    private readonly locatorFor: (modelId: string) => Promise<string>,
  ) {}
  async sdlFor(req: SdlRequest): Promise<string> {
    const locator = await this.locatorFor(req.modelId);
    return (await decryptForHolder(this.client, this.holder, locator)).toString("utf8");
  }
}

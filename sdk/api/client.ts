// The client side of a key holder's call: sign, send, and read the answer (JSON or SSE).
import type { Holder } from "../keys/client";
import { apiPath, ApiRefusal, isApiRefusalCode, signApiRequest, type ApiRefusalCode } from "./request";

export interface ModelApiCall {
  /** the gateway's base URL, e.g. http://127.0.0.1:18090 */
  gateway: string;
  modelId: bigint | string;
  /** the chain where the holder's key is checked, in the gateway's naming (hexs-evm-<chain id>, …) */
  chain: string;
  /** e.g. "chat/completions", "completions", "models" */
  endpoint: string;
  /** JSON body (POST); absent: GET */
  body?: Record<string, unknown>;
}

/** Sign the call as `holder` and send it; refusals (4xx/5xx JSON) become ApiRefusal with the gateway's code. */
export async function callModelApi(holder: Holder, c: ModelApiCall): Promise<Response> {
  const path = apiPath(c.modelId, c.endpoint);
  const body = c.body === undefined ? undefined : JSON.stringify(c.body);
  const method = body === undefined ? "GET" : "POST";
  const headers = await signApiRequest(holder, { modelId: c.modelId, chain: c.chain, method, path, body: body ?? "" });
  const res = await fetch(c.gateway.replace(/\/+$/, "") + path, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body,
  });
  if (!res.ok) {
    const text = await res.text();
    let code: string | undefined;
    let message = text;
    try {
      const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
      code = e?.code;
      message = e?.message ?? message;
    } catch {
      // not JSON: keep the text
    }
    // the gateway's own refusals keep their code; the upstream's errors (OpenAI-shaped) are bad_request or upstream_unreachable
    const fallback: ApiRefusalCode = res.status >= 500 ? "upstream_unreachable" : "bad_request";
    throw new ApiRefusal(isApiRefusalCode(code) ? code : fallback, `${res.status} from the gateway: ${message}`, res.status);
  }
  return res;
}

/** The `data:` payloads of an SSE answer, as they arrive (ends at `[DONE]` or the end of the stream). */
export async function* sseEvents(res: Response): AsyncGenerator<string> {
  if (!res.body) return;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buf += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buf.indexOf("\n\n")) >= 0) {
      const event = buf.slice(0, end);
      buf = buf.slice(end + 2);
      for (const line of event.split("\n")) {
        if (!line.startsWith("data: ")) continue;
        const data = line.slice(6);
        if (data === "[DONE]") return;
        yield data;
      }
    }
  }
}

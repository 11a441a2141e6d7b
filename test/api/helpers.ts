// Shared by the API tests: the port range their services use, and SSE parsing.
export const PORTS = { from: 18080, to: 18179 };

/** Parse an SSE body into its `data:` payloads. */
export function sseData(text: string): string[] {
  return text
    .split("\n\n")
    .filter((e) => e.startsWith("data: "))
    .map((e) => e.slice(6));
}

export interface Answer {
  object: string;
  choices: Array<{ text: string; message: { content: string }; finish_reason: string }>;
  usage: unknown;
  error: { type: string; message: string; param: string | null; code: string | null };
}

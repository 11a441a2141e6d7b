// js-yaml 4 ships no types (installed with @akashnetwork/chain-sdk, which depends on it).
declare module "js-yaml" {
  export function load(text: string, opts?: { json?: boolean }): unknown;
}

// Types of the @x402 subpath exports under this repo's `moduleResolution: node` (which reads no
// package `exports`): each maps to the package's CommonJS typings. Runtime imports are unchanged.
declare module "@x402/core/types" {
  export * from "@x402/core/dist/cjs/types/index";
}
declare module "@x402/core/client" {
  export * from "@x402/core/dist/cjs/client/index";
}
declare module "@x402/core/facilitator" {
  export * from "@x402/core/dist/cjs/facilitator/index";
}
declare module "@x402/core/http" {
  export * from "@x402/core/dist/cjs/http/index";
}
declare module "@x402/core/server" {
  export * from "@x402/core/dist/cjs/server/index";
}
declare module "@x402/evm/exact/client" {
  export * from "@x402/evm/dist/cjs/exact/client/index";
}
declare module "@x402/evm/exact/facilitator" {
  export * from "@x402/evm/dist/cjs/exact/facilitator/index";
}
declare module "@x402/fetch" {
  export * from "@x402/fetch/dist/cjs/index";
}

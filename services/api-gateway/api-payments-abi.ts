// The parts of HexsApiPayments the gateway calls (x402 settlement and prepaid vouchers), as a
// viem ABI: the gateway runs without the contracts' build artifacts.
export const API_PAYMENTS_ABI = [
  {
    type: "function",
    name: "apiPriceOf",
    stateMutability: "view",
    inputs: [
      { name: "modelId", type: "uint64" },
      { name: "currency", type: "address" },
    ],
    outputs: [
      {
        name: "",
        type: "tuple",
        components: [
          { name: "perCall", type: "uint96" },
          { name: "per1kOutputTokens", type: "uint96" },
          { name: "operatorBps", type: "uint16" },
          { name: "listed", type: "bool" },
        ],
      },
    ],
  },
  {
    type: "function",
    name: "sinkOf",
    stateMutability: "view",
    inputs: [{ name: "modelId", type: "uint64" }],
    outputs: [{ name: "", type: "address" }],
  },
  {
    type: "function",
    name: "sweep",
    stateMutability: "nonpayable",
    inputs: [
      { name: "modelId", type: "uint64" },
      { name: "currency", type: "address" },
    ],
    outputs: [{ name: "amount", type: "uint256" }],
  },
  {
    type: "function",
    name: "channelOf",
    stateMutability: "view",
    inputs: [
      { name: "payer", type: "address" },
      { name: "modelId", type: "uint64" },
      { name: "currency", type: "address" },
      { name: "gateway", type: "address" },
    ],
    outputs: [
      {
        name: "",
        type: "tuple",
        components: [
          { name: "deposited", type: "uint96" },
          { name: "redeemed", type: "uint96" },
          { name: "withdrawableAt", type: "uint64" },
        ],
      },
    ],
  },
  {
    type: "function",
    name: "redeemVouchers",
    stateMutability: "nonpayable",
    inputs: [
      {
        name: "vouchers",
        type: "tuple[]",
        components: [
          { name: "payer", type: "address" },
          { name: "modelId", type: "uint64" },
          { name: "currency", type: "address" },
          { name: "gateway", type: "address" },
          { name: "cumulative", type: "uint256" },
          { name: "expiry", type: "uint64" },
        ],
      },
      { name: "signatures", type: "bytes[]" },
    ],
    outputs: [],
  },
  // the reverts of redeemVouchers, so a refused batch names its bad voucher (by index)
  { type: "error", name: "ApiPaymentsPaused", inputs: [] },
  {
    type: "error",
    name: "LengthMismatch",
    inputs: [
      { name: "vouchers", type: "uint256" },
      { name: "signatures", type: "uint256" },
    ],
  },
  {
    type: "error",
    name: "NotVoucherGateway",
    inputs: [
      { name: "gateway", type: "address" },
      { name: "caller", type: "address" },
    ],
  },
  {
    type: "error",
    name: "VoucherExpired",
    inputs: [
      { name: "index", type: "uint256" },
      { name: "expiry", type: "uint64" },
    ],
  },
  {
    type: "error",
    name: "VoucherStale",
    inputs: [
      { name: "index", type: "uint256" },
      { name: "cumulative", type: "uint256" },
      { name: "redeemed", type: "uint256" },
    ],
  },
  {
    type: "error",
    name: "VoucherAboveDeposit",
    inputs: [
      { name: "index", type: "uint256" },
      { name: "cumulative", type: "uint256" },
      { name: "deposited", type: "uint256" },
    ],
  },
  {
    type: "error",
    name: "VoucherBadSignature",
    inputs: [
      { name: "index", type: "uint256" },
      { name: "payer", type: "address" },
    ],
  },
] as const;

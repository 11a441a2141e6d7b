//! The contract's JSON API. Ids travel as `Uint64` strings; account words as hex.
//!
//! The cw721 part (`transfer_nft` … `burn`, `owner_of` … `minter`) keeps cw721's message
//! and response shapes so wallets and explorers see keys resident on this chain as
//! ordinary NFTs; `token_id` is the key id in decimal.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Binary, HexBinary, Uint128, Uint64};
use cw_utils::Expiration;

use crate::account::Account;
use crate::state::{Config, Model, Policy, Royalty};

/// The whole configuration is given once; account words are family byte + address in hex
/// (family 2 + 20-byte canonical address for a Cosmos account, 3 + 32 bytes for a contract).
#[cw_serde]
pub struct InstantiateMsg {
    pub config: Config,
    /// secp256k1 public keys of the relayers (33-byte compressed or 65-byte uncompressed).
    pub relayers: Vec<HexBinary>,
    pub threshold: u32,
}

#[cw_serde]
pub struct PublishArgs {
    /// 32-byte content commitment (hash of encrypted SDL + image digest).
    pub content: HexBinary,
    pub sdl_uri: String,
    pub price: Uint128,
    pub deploy_price: Uint128,
    pub policy: Policy,
    pub royalty: Royalty,
    pub dao: Option<Account>,
}

#[cw_serde]
pub struct BatchSignature {
    /// Public key of a relayer in the current set.
    pub pubkey: HexBinary,
    /// 64-byte (r || s) or 65-byte (r || s || v) secp256k1 signature over the signed batch digest.
    pub signature: HexBinary,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Publish a new root model; the sender is its creator.
    Publish(PublishArgs),
    /// Publish a fork of `parent`; `parent_content` must equal the parent's commitment.
    Fork {
        parent: Uint64,
        parent_content: HexBinary,
        model: PublishArgs,
    },
    /// Creator (or the creator's bound payout address) changes what this chain sells.
    UpdateModel {
        model: Uint64,
        price: Option<Uint128>,
        deploy_price: Option<Uint128>,
        sdl_uri: Option<String>,
    },
    SetAllowlist {
        model: Uint64,
        add: Vec<Account>,
        remove: Vec<Account>,
    },
    /// Pay `price` (+ `deploy_price` with a deployment) in the native denom; mints a key.
    BuyKey {
        model: Uint64,
        recipient: Option<String>,
        with_deployment: bool,
    },
    /// Split one model's vault one lineage level up.
    Settle { model: Uint64 },
    /// Pay out what `payee` (default: the sender) may claim, to the payee or its bound address.
    Claim { payee: Option<Account> },
    /// Buyer takes back a deployment escrow nobody reported a lease for in time.
    ReclaimEscrow { key_id: Uint64 },
    /// The sender (a creator) names where `chain` pays it; sent to every peer chain as a
    /// PayoutAddressBound (the chain's own tx signature authenticates it), applied here when
    /// `chain` is this chain. `nonce` must grow per (creator, chain).
    BindPayout { chain: u32, payout: Account, nonce: Uint64 },
    /// Apply mirror messages signed by M of N relayers.
    ReceiveBatch {
        messages: Vec<HexBinary>,
        signatures: Vec<BatchSignature>,
    },

    // cw721
    TransferNft { recipient: String, token_id: String },
    SendNft { contract: String, token_id: String, msg: Binary },
    Approve { spender: String, token_id: String, expires: Option<Expiration> },
    Revoke { spender: String, token_id: String },
    ApproveAll { operator: String, expires: Option<Expiration> },
    RevokeAll { operator: String },
    Burn { token_id: String },

    // admin
    UpdateConfig {
        protocol_fee_bps: Option<u16>,
        fee_collector: Option<Account>,
        deploy_payee: Option<Account>,
        escrow_timeout_secs: Option<u64>,
        peers: Option<Vec<u32>>,
        max_batch: Option<u32>,
    },
    SetRelayers { relayers: Vec<HexBinary>, threshold: u32 },
    SetPaused { paused: bool },
    TransferAdmin { new_admin: String },
}

/// Migrations take no parameters (`{}`); an alias of `Empty` keeps one deserializer in the wasm.
pub type MigrateMsg = cosmwasm_std::Empty;

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    #[returns(Model)]
    Model { id: Uint64 },
    #[returns(ModelsResponse)]
    Models { start_after: Option<Uint64>, limit: Option<u32> },
    #[returns(KeyResponse)]
    Key { id: Uint64 },
    #[returns(HasAccessResponse)]
    HasAccess { model: Uint64, account: Account },
    #[returns(Uint128)]
    Vault { model: Uint64 },
    #[returns(Uint128)]
    Claimable { payee: Account },
    #[returns(Option<String>)]
    Payout { account: Account },
    #[returns(crate::state::Escrow)]
    Escrow { key_id: Uint64 },
    #[returns(LanesResponse)]
    Lanes {},

    // cw721
    #[returns(OwnerOfResponse)]
    OwnerOf { token_id: String, include_expired: Option<bool> },
    #[returns(ApprovalResponse)]
    Approval { token_id: String, spender: String, include_expired: Option<bool> },
    #[returns(ApprovalsResponse)]
    Approvals { token_id: String, include_expired: Option<bool> },
    #[returns(OperatorResponse)]
    Operator { owner: String, operator: String, include_expired: Option<bool> },
    #[returns(OperatorsResponse)]
    AllOperators {
        owner: String,
        include_expired: Option<bool>,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(NumTokensResponse)]
    NumTokens {},
    #[returns(ContractInfoResponse)]
    ContractInfo {},
    #[returns(NftInfoResponse)]
    NftInfo { token_id: String },
    #[returns(AllNftInfoResponse)]
    AllNftInfo { token_id: String, include_expired: Option<bool> },
    #[returns(TokensResponse)]
    Tokens { owner: String, start_after: Option<String>, limit: Option<u32> },
    #[returns(TokensResponse)]
    AllTokens { start_after: Option<String>, limit: Option<u32> },
    #[returns(MinterResponse)]
    Minter {},
}

#[cw_serde]
pub struct ConfigResponse {
    pub config: Config,
    pub relayers: Vec<HexBinary>,
    pub threshold: u32,
}

#[cw_serde]
pub struct ModelsResponse {
    pub models: Vec<Model>,
}

#[cw_serde]
pub struct KeyResponse {
    pub id: Uint64,
    pub model: Uint64,
    /// Account word of the holder.
    pub owner: HexBinary,
    /// Hexs chain the key lives on (read-only here unless it is this chain).
    pub resident_chain: u32,
    pub expires_at: Option<u64>,
    pub locked: bool,
}

#[cw_serde]
pub struct HasAccessResponse {
    pub access: bool,
    /// A key that grants it, if any.
    pub key_id: Option<Uint64>,
}

#[cw_serde]
pub struct LaneNonce {
    pub chain: u32,
    pub nonce: u64,
}

#[cw_serde]
pub struct LanesResponse {
    /// Last applied nonce per source chain.
    pub inbound: Vec<LaneNonce>,
    /// Last emitted nonce per destination chain.
    pub outbound: Vec<LaneNonce>,
}

// cw721 shapes

#[cw_serde]
pub struct Approval {
    pub spender: String,
    pub expires: Expiration,
}

#[cw_serde]
pub struct OwnerOfResponse {
    pub owner: String,
    pub approvals: Vec<Approval>,
}

#[cw_serde]
pub struct ApprovalResponse {
    pub approval: Approval,
}

#[cw_serde]
pub struct ApprovalsResponse {
    pub approvals: Vec<Approval>,
}

#[cw_serde]
pub struct OperatorResponse {
    pub approval: Approval,
}

#[cw_serde]
pub struct OperatorsResponse {
    pub operators: Vec<Approval>,
}

#[cw_serde]
pub struct NumTokensResponse {
    pub count: u64,
}

#[cw_serde]
pub struct ContractInfoResponse {
    pub name: String,
    pub symbol: String,
}

/// The `extension` of a key's `nft_info`.
#[cw_serde]
pub struct KeyExtension {
    pub model: Uint64,
    pub expires_at: Option<u64>,
    pub locked: bool,
}

#[cw_serde]
pub struct NftInfoResponse {
    pub token_uri: Option<String>,
    pub extension: KeyExtension,
}

#[cw_serde]
pub struct AllNftInfoResponse {
    pub access: OwnerOfResponse,
    pub info: NftInfoResponse,
}

#[cw_serde]
pub struct TokensResponse {
    pub tokens: Vec<String>,
}

#[cw_serde]
pub struct MinterResponse {
    pub minter: Option<String>,
}

/// What `send_nft` delivers to the receiving contract, as `{"receive_nft": {...}}`.
#[cw_serde]
pub struct Cw721ReceiveMsg {
    pub sender: String,
    pub token_id: String,
    pub msg: Binary,
}

#[cw_serde]
pub enum ReceiverExecuteMsg {
    ReceiveNft(Cw721ReceiveMsg),
}

use cosmwasm_std::{StdError, Uint128};
use cw_utils::PaymentError;
use hexs_codec::CodecError;
use thiserror::Error;

#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("payment: {0}")]
    Payment(#[from] PaymentError),

    #[error("unauthorized: only {role} may do this")]
    Unauthorized { role: String },

    #[error("contract is paused")]
    Paused,

    #[error("invalid config: {reason}")]
    InvalidConfig { reason: String },

    #[error(
        "invalid account word {word}: expected family 1 or 2 with 20 bytes, or 3 with 32 bytes"
    )]
    InvalidAccountWord { word: String },

    #[error("invalid EVM address {address:?}: expected 0x followed by 40 hex digits")]
    InvalidEvmAddress { address: String },

    #[error("unsupported address length {len}: expected 20 (account) or 32 (contract)")]
    UnsupportedAddressLength { len: usize },

    #[error("invalid model: {reason}")]
    InvalidModel { reason: String },

    #[error("royalty too high: {field} {bps} bps exceeds the cap of {max}")]
    RoyaltyTooHigh { field: String, bps: u16, max: u16 },

    #[error("unknown model {id}")]
    UnknownModel { id: u64 },

    #[error("only model {model}'s DAO may spend for its infrastructure, not {sender}")]
    NotModelDao { model: u64, sender: String },

    #[error("invalid purpose: {reason}")]
    InvalidPurpose { reason: String },

    #[error("model {id} already exists")]
    ModelExists { id: u64 },

    #[error("model {id} does not allow forks")]
    NotForkable { id: u64 },

    #[error("parent content mismatch for model {parent}: the fork must commit to {expected}")]
    ParentContentMismatch { parent: u64, expected: String },

    #[error("serial counter exhausted on this chain")]
    SerialOverflow,

    #[error("model {id} is not for sale on this chain")]
    NotForSale { id: u64 },

    #[error("model {id} offers no deployment on this chain")]
    NoDeployment { id: u64 },

    #[error("wrong payment: expected {expected}{denom}, got {got}{denom}")]
    WrongAmount {
        expected: Uint128,
        got: Uint128,
        denom: String,
    },

    #[error("model {id} sold out: supply cap {cap}")]
    SoldOut { id: u64, cap: u64 },

    #[error("{account} is not on the allowlist of model {id}")]
    NotAllowlisted { id: u64, account: String },

    #[error("invalid token id {token_id:?}: expected a decimal key id")]
    InvalidTokenId { token_id: String },

    #[error("unknown key {id}")]
    UnknownKey { id: u64 },

    #[error("key {id} is resident on chain {chain} and read-only here")]
    MirroredKeyReadOnly { id: u64, chain: u32 },

    #[error("key {id} is soul-bound and cannot be transferred")]
    Soulbound { id: u64 },

    #[error("key {id} expired at {expired_at} (seconds since epoch): an expired key cannot be listed or sold")]
    KeyExpired { id: u64, expired_at: u64 },

    #[error("resale is priced in {expected} on this chain, not {denom:?}: list in {expected}")]
    ResaleDenomUnsupported { denom: String, expected: String },

    #[error("a listing price must be above zero (key {id})")]
    ZeroListingPrice { id: u64 },

    #[error("model {model} sets no resale royalty on this chain, so key {id} cannot be listed: its creator sets one with update_model's resale_bps (on the model's home chain)")]
    ResaleRoyaltyUnset { model: u64, id: u64 },

    #[error("key {id} is not listed")]
    NotListed { id: u64 },

    #[error("the listing of key {id} is void: its seller {seller} no longer holds it (now: {holder}); the holder can list it again")]
    ListingStale {
        id: u64,
        seller: String,
        holder: String,
    },

    #[error("{bidder} already has an offer for key {id}: cancel it before making another")]
    OfferExists { id: u64, bidder: String },

    #[error("{bidder} has no offer for key {id}")]
    NoOffer { id: u64, bidder: String },

    #[error("the offer of {bidder} for key {id} expired at {expired_at} (seconds since epoch): it cannot be accepted, only cancelled by its bidder")]
    OfferExpired {
        id: u64,
        bidder: String,
        expired_at: u64,
    },

    #[error("the holder of key {id} cannot buy its own key or offer for it")]
    OwnKey { id: u64 },

    #[error("no approval for {spender} on key {id}")]
    ApprovalNotFound { id: u64, spender: String },

    #[error("expiration is already in the past")]
    Expired,

    #[error("nothing to settle for model {id}")]
    NothingToSettle { id: u64 },

    #[error("nothing to claim for {payee}")]
    NothingToClaim { payee: String },

    #[error("no payout address bound on this chain for {payee}")]
    NoPayoutAddress { payee: String },

    #[error("payout bind nonce {nonce} for chain {chain} is not the next one: the last one used is {last}")]
    BindNonceNotNext { chain: u32, nonce: u64, last: u64 },

    #[error("payout binding refused: {reason}")]
    InvalidBindingSignature { reason: String },

    #[error(
        "model {id}'s creator is not an EVM account: a local creator prices it with update_model"
    )]
    NotAnEvmCreatorsModel { id: u64 },

    #[error("price order nonce {nonce} is not the next one: the last one applied is {last}")]
    PriceOrderNonceNotNext { nonce: u64, last: u64 },

    #[error("price order refused: {reason}")]
    PriceOrderRefused { reason: String },

    #[error("{account} has published no model on this chain, so it cannot bind a payout address")]
    NotACreator { account: String },

    #[error("chain {chain} is neither this chain nor one of its peers")]
    UnknownChain { chain: u32 },

    #[error("no escrow for key {id}")]
    UnknownEscrow { id: u64 },

    #[error("escrow of key {id} is already {status}")]
    EscrowClosed { id: u64, status: String },

    #[error("escrow of key {id} can be reclaimed from {at} (seconds since epoch)")]
    EscrowNotExpired { id: u64, at: u64 },

    #[error("empty batch")]
    EmptyBatch,

    #[error("batch of {len} messages exceeds the limit of {max}")]
    BatchTooLarge { len: usize, max: u32 },

    #[error("malformed message {index}: {error}")]
    MalformedMessage {
        index: usize,
        #[source]
        error: Malformed,
    },

    #[error("message {index} is for chain {dst}, this is chain {ours}")]
    WrongDestination { index: usize, dst: u32, ours: u32 },

    #[error("message {index} on lane from chain {src}: nonce {got}, expected {expected} (replay or gap)")]
    LaneNonce {
        index: usize,
        src: u32,
        got: u64,
        expected: u64,
    },

    #[error("message {index}: {error}")]
    InvalidMirror {
        index: usize,
        #[source]
        error: MirrorError,
    },

    #[error(
        "chain {src} is not an inbound lane of this chain (neither a peer nor the Akash lane)"
    )]
    UnknownLane { src: u32 },

    #[error("the lane from chain {src} is paused: deliver again once governance resumes it")]
    LanePaused { src: u32 },

    #[error("the lane from chain {src} took {used} of its {rate_per_hour} messages this hour: {len} more must wait for the next window")]
    LaneRateLimited {
        src: u32,
        rate_per_hour: u32,
        used: u32,
        len: usize,
    },

    #[error("no refused message at nonce {nonce} of the lane from chain {src}")]
    NotRefused { src: u32, nonce: u64 },

    #[error("the message refused at nonce {nonce} of the lane from chain {src} was signed by relayer set {epoch}, the current set is {current}: only governance can drop it")]
    StaleRefusal {
        src: u32,
        nonce: u64,
        epoch: u64,
        current: u64,
    },

    #[error("malformed signature {index}: {reason}")]
    MalformedSignature { index: usize, reason: String },

    #[error("signature {index} is by {pubkey}, not a current relayer")]
    UnknownRelayer { index: usize, pubkey: String },

    #[error("relayer {pubkey} signed twice")]
    DuplicateSigner { pubkey: String },

    #[error("signature {index} does not verify for relayer {pubkey}")]
    BadSignature { index: usize, pubkey: String },

    #[error("{got} valid relayer signatures, threshold is {threshold}")]
    BelowThreshold { got: u32, threshold: u32 },

    #[error("cannot migrate from {from_name} {from_version} to {to_name} {to_version}")]
    CannotMigrate {
        from_name: String,
        from_version: String,
        to_name: String,
        to_version: String,
    },

    #[error(
        "chain {chain} is not a peer of this chain: remote prices are for the peers in the config"
    )]
    NotResalePeer { chain: u32 },

    #[error("a remote currency is 1 to 128 bytes (an EVM token address, or 20 zero bytes for the native coin), got {len}")]
    BadRemoteCurrency { len: usize },
}

/// Why a message of a batch is not one message of one lane into this chain
/// (`ContractError::MalformedMessage` adds its index in the batch).
#[derive(Error, Debug, PartialEq)]
pub enum Malformed {
    #[error("{0}")]
    Codec(#[from] CodecError),

    #[error("source chain {src} cannot send to this chain")]
    ForbiddenSource { src: u32 },

    #[error("lane mismatch: source {src} in a batch from {lane}")]
    LaneMismatch { src: u32, lane: u32 },
}

/// Why `receive_batch` refuses a decoded mirror message (`ContractError::InvalidMirror` adds
/// its index in the batch). Account words are in hex; chains are Hexs chain ids.
#[derive(Error, Debug, PartialEq)]
pub enum MirrorError {
    #[error("storage: {0}")]
    Std(#[from] StdError),

    /// A rule of this contract's own, met while applying the message.
    #[error("{0}")]
    Contract(Box<ContractError>),

    #[error("model {id} originates on chain {origin}, not on the lane's source chain {src}")]
    ModelNotFromSource { id: u64, origin: u32, src: u32 },

    #[error("model {id} already exists")]
    ModelExists { id: u64 },

    #[error(
        "royalty above caps: upstream {upstream_bps} bps, fork {fork_royalty_bps} bps, dao {dao_bps} bps, resale {resale_bps} bps"
    )]
    RoyaltyAboveCaps {
        upstream_bps: u16,
        fork_royalty_bps: u16,
        dao_bps: u16,
        resale_bps: u16,
    },

    #[error("parent commitment {got} does not match model {parent}'s {expected}")]
    ParentCommitmentMismatch {
        parent: u64,
        expected: String,
        got: String,
    },

    #[error("unknown model {id}")]
    UnknownModel { id: u64 },

    #[error("update of model {id} has an empty content commitment")]
    EmptyCommitment { id: u64 },

    #[error("key {id} originates on chain {origin}, not on the lane's source chain {src}")]
    KeyNotFromSource { id: u64, origin: u32, src: u32 },

    #[error("key {id} already exists")]
    KeyExists { id: u64 },

    #[error("unknown mirrored key {id}")]
    UnknownMirroredKey { id: u64 },

    #[error("key {id} is resident on chain {resident}, not on the lane's source chain {src}")]
    KeyNotResidentOnSource { id: u64, resident: u32, src: u32 },

    #[error("key {id} is resident on this chain")]
    KeyResidentHere { id: u64 },

    #[error("key {id} is held by {holder}, not by {from} that transfers it")]
    TransferFromNonHolder {
        id: u64,
        holder: String,
        from: String,
    },

    #[error("key {id} belongs to model {model}, the message names model {named}")]
    KeyModelMismatch { id: u64, model: u64, named: u64 },

    #[error("key {id} moves from chain {from_chain}, reported by the lane's source chain {src}")]
    MoveNotFromLeavingChain { id: u64, from_chain: u32, src: u32 },

    #[error("key {id} (model {model}, held by {holder}) moved as model {named_model} held by {named_holder}")]
    MoveMismatch {
        id: u64,
        model: u64,
        holder: String,
        named_model: u64,
        named_holder: String,
    },

    #[error("key {id} is locked (soul-bound): its holder {holder} cannot change to {to}")]
    LockedKeyHolderChange { id: u64, holder: String, to: String },

    #[error("key {id} moved here for {owner}, not an address of this chain")]
    NonLocalOwner { id: u64, owner: String },

    #[error("key {id} (model {model}, held by {holder}) burnt as model {named_model} held by {named_holder}")]
    BurnMismatch {
        id: u64,
        model: u64,
        holder: String,
        named_model: u64,
        named_holder: String,
    },

    #[error("purchase {id} originates on chain {origin}, not on the lane's source chain {src}")]
    PurchaseNotFromSource { id: u64, origin: u32, src: u32 },

    #[error("lease report from chain {src}, not from the Akash lane ({akash_lane}; 0 = none)")]
    NotAkashLane { src: u32, akash_lane: u32 },

    #[error("the Akash lane {src} carries lease reports only, not {kind}")]
    OnlyLeaseReports { src: u32, kind: String },

    #[error("lease report for purchase {id}, made on chain {origin}, not on this chain")]
    ForeignPurchase { id: u64, origin: u32 },

    #[error("no escrow for purchase {id}")]
    UnknownEscrow { id: u64 },

    #[error("escrow of purchase {id} is already {status}")]
    EscrowClosed { id: u64, status: String },

    #[error("deployment {dseq} was already reported for purchase {id}")]
    DseqReused { dseq: u64, id: u64 },

    #[error("a lease for purchase {id} must name its deployment (dseq 0)")]
    LeaseWithoutDeployment { id: u64 },

    #[error("payout binding is for chain {chain}, this is chain {ours}")]
    PayoutForAnotherChain { chain: u32, ours: u32 },

    #[error("payout {payout} is not an address of this chain")]
    NonLocalPayout { payout: String },

    #[error("payout bind nonce {nonce} of {creator} is not the next one: the last one applied is {last}")]
    PayoutNonceNotNext {
        creator: String,
        nonce: u64,
        last: u64,
    },

    #[error("resale order {id} was placed on chain {origin}, not on the lane's chain {src}")]
    OrderNotFromSource { id: u64, origin: u32, src: u32 },
}

impl MirrorError {
    /// The variant's name (`UnknownModel`, ...), recorded with a refusal; a rule of the
    /// contract's own names its `ContractError` variant instead.
    pub fn code(&self) -> String {
        let debug = match self {
            MirrorError::Contract(e) => format!("{e:?}"),
            other => format!("{other:?}"),
        };
        debug
            .split(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .unwrap_or_default()
            .to_string()
    }
}

impl From<ContractError> for MirrorError {
    fn from(e: ContractError) -> Self {
        match e {
            ContractError::Std(e) => MirrorError::Std(e),
            other => MirrorError::Contract(Box::new(other)),
        }
    }
}

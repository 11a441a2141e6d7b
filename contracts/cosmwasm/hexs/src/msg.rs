//! The contract's JSON API. Ids travel as `Uint64` strings; account words as hex.
//!
//! The cw721 part (`transfer_nft` … `burn`, `owner_of` … `minter`) keeps cw721's message
//! and response shapes so wallets and explorers see keys resident on this chain as
//! ordinary NFTs; `token_id` is the key id in decimal.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Binary, Coin, HexBinary, Uint128, Uint64};
use cw_utils::Expiration;

use crate::account::Account;
use crate::state::{Config, Model, PeerBinding, Policy, Royalty};

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
    /// The creator (only; a bound payout address has no say) changes what this chain sells; on the
    /// model's home chain also its content (a new encrypted SDL: its 32-byte commitment and
    /// locator), sent to every peer as a numbered ModelUpdated, and its resale royalty
    /// (`resale_bps`, at most 2500; this chain's resales only, not sent to peers).
    UpdateModel {
        model: Uint64,
        price: Option<Uint128>,
        deploy_price: Option<Uint128>,
        content: Option<HexBinary>,
        sdl_uri: Option<String>,
        #[serde(default)]
        resale_bps: Option<u16>,
    },
    /// Price a model whose creator is an EVM account (it has no account here to send
    /// UpdateModel with) from the creator's signed price order; anyone may submit it. The order
    /// (docs/messages.md, signed price orders) names this chain, the model, the prices in this
    /// chain's denom (the zero-address currency; `listed` false: not for sale) and the creator's
    /// next order nonce; `signature` is its EIP-712 blob (scheme 1, 94 bytes) made for the
    /// PayoutBindings of the model's home chain.
    SetPriceSigned {
        model: Uint64,
        price: Uint128,
        deploy_price: Uint128,
        listed: bool,
        nonce: Uint64,
        signature: HexBinary,
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
    Settle {
        model: Uint64,
    },
    /// Pay out what `payee` (default: the sender) may claim: its creator earnings to its bound
    /// payout address (else to itself), everything else (refunds, DAO and fee credit, released
    /// escrows) to the payee's own account only.
    Claim {
        payee: Option<Account>,
    },
    /// Buyer takes back a deployment escrow nobody reported a lease for in time.
    ReclaimEscrow {
        key_id: Uint64,
    },
    /// The model's DAO pays for its infrastructure: the coin sent with the message (this
    /// chain's denom) goes to `to` (e.g. the relayer operator running the model's deployment)
    /// in this transaction, and the `hexs_infrastructure_funded` event says what for
    /// (`purpose`, e.g. `akash-escrow:<owner>/<dseq>`, at most 128 bytes).
    FundInfrastructure {
        model: Uint64,
        to: String,
        purpose: String,
    },
    /// The sender, creator of a model published here, names where `chain` (this chain or a
    /// peer) pays its creator earnings (nothing else: no refunds, no model rights); sent to
    /// every peer chain as a PayoutAddressBound, applied here when `chain` is this chain.
    /// `nonce` is the last one for (creator, chain) plus 1 (the first is 1).
    BindPayout {
        chain: u32,
        payout: Account,
        nonce: Uint64,
        /// Scheme 2 (ADR-36), 130 bytes: 0x02 ‖ pubkey x ‖ y ‖ r ‖ s (low-s) ‖ recovery id, the
        /// sender's `signArbitrary` of the binding's 32-byte struct hash (docs/messages.md).
        signature: HexBinary,
    },
    /// Apply mirror messages signed by M of N relayers.
    ReceiveBatch {
        messages: Vec<HexBinary>,
        signatures: Vec<BatchSignature>,
    },
    /// Apply again the message refused at `nonce` of the lane from `src` (see the `refusals`
    /// query), once its cause is gone. Anyone may ask; it succeeds at most once, and only
    /// while the lane is configured, not paused and within its rate, and the relayer set
    /// that signed the message is still the current one.
    Reapply {
        src: u32,
        nonce: Uint64,
    },

    // Resale of keys resident on this chain (docs/resale.md, "Resale on the CosmWasm chain").
    /// The holder of key `token_id` (or its approved spender or operator, for the holder)
    /// offers it at `price`, which must be in this chain's denom. The holder keeps the key; a
    /// new listing of the key replaces the previous one.
    ListKey {
        token_id: String,
        price: Coin,
    },
    /// The seller, or whoever may transfer the key now, withdraws its listing.
    CancelListing {
        token_id: String,
    },
    /// Pay exactly the listing's price in its denom: the royalty goes into the model's vault,
    /// the rest is credited to the seller (`claim`), and the key moves to the sender.
    BuyListing {
        token_id: String,
    },
    /// Escrow the funds sent (this chain's denom) as an offer for key `token_id`; a second
    /// offer by the same bidder for the same key is refused (cancel it first). From
    /// `expires_at` (seconds since the epoch, in the future; none: no expiry) on, the offer can
    /// no longer be accepted; the bidder can still cancel it.
    MakeOffer {
        token_id: String,
        #[serde(default)]
        expires_at: Option<u64>,
    },
    /// The holder (or whoever may transfer the key) takes `bidder`'s offer: as a purchase of
    /// a listing at the offer's amount; the key's listing, if any, is removed.
    AcceptOffer {
        token_id: String,
        bidder: String,
    },
    /// The bidder takes its offer back: the escrowed funds are sent to it.
    CancelOffer {
        token_id: String,
    },

    // cw721
    TransferNft {
        recipient: String,
        token_id: String,
    },
    SendNft {
        contract: String,
        token_id: String,
        msg: Binary,
    },
    Approve {
        spender: String,
        token_id: String,
        expires: Option<Expiration>,
    },
    Revoke {
        spender: String,
        token_id: String,
    },
    ApproveAll {
        operator: String,
        expires: Option<Expiration>,
    },
    RevokeAll {
        operator: String,
    },
    Burn {
        token_id: String,
    },

    // admin
    UpdateConfig {
        protocol_fee_bps: Option<u16>,
        fee_collector: Option<Account>,
        deploy_payee: Option<Account>,
        escrow_timeout_secs: Option<u64>,
        peers: Option<Vec<u32>>,
        max_batch: Option<u32>,
        /// 0 = no Akash lane.
        akash_lane: Option<u32>,
        /// Replaces how payout bindings from each peer chain are verified on receipt.
        peer_bindings: Option<Vec<PeerBinding>>,
    },
    SetRelayers {
        relayers: Vec<HexBinary>,
        threshold: u32,
    },
    SetPaused {
        paused: bool,
    },
    /// Pause or resume the inbound lane from `chain`, and limit the messages it delivers (and
    /// re-applies) per rolling hour (0 = unlimited; otherwise at least `max_batch`).
    SetLane {
        chain: u32,
        paused: bool,
        rate_per_hour: u32,
    },
    /// Forget refused messages of the lane from `src` (at most 100 per call).
    DropRefusals {
        src: u32,
        nonces: Vec<Uint64>,
    },
    TransferAdmin {
        new_admin: String,
    },

    /// The seller of key `token_id`'s listing states what a buyer paying on peer `chain`
    /// pays (docs/resale.md, "Cross-chain fills from the CosmWasm chain"): `price` in
    /// `currency` (that chain's token address, 20 zero bytes for its native coin), credited
    /// there to `payout` (an account on that chain, which the buyer's order must name as the
    /// seller). Price 0 withdraws it.
    SetRemotePrice {
        token_id: String,
        chain: u32,
        currency: HexBinary,
        price: Uint128,
        payout: Account,
    },
}

/// Migrations take no parameters: `{}`.
#[cw_serde]
pub struct MigrateMsg {}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    #[returns(Model)]
    Model { id: Uint64 },
    #[returns(ModelsResponse)]
    Models {
        start_after: Option<Uint64>,
        limit: Option<u32>,
    },
    #[returns(KeyResponse)]
    Key { id: Uint64 },
    #[returns(HasAccessResponse)]
    HasAccess { model: Uint64, account: Account },
    #[returns(Uint128)]
    Vault { model: Uint64 },
    /// Everything `payee` may claim here: creator earnings plus other credit.
    #[returns(Uint128)]
    Claimable { payee: Account },
    /// Where the account's creator earnings are paid here: its bound payout address, else
    /// itself when it is an account of this chain.
    #[returns(Option<String>)]
    Payout { account: Account },
    /// The last signed price order nonce applied here for an EVM creator (`SetPriceSigned`);
    /// its next order carries this plus one.
    #[returns(Uint64)]
    PriceOrderNonce { creator: Account },
    #[returns(crate::state::Escrow)]
    Escrow { key_id: Uint64 },
    #[returns(LanesResponse)]
    Lanes {},
    /// Inbound messages refused on the lane from `src` and not re-applied yet, by nonce.
    #[returns(RefusalsResponse)]
    Refusals {
        src: u32,
        start_after: Option<Uint64>,
        limit: Option<u32>,
    },

    /// The listing of key `token_id` (null when there is none) and whether it can be bought now.
    #[returns(Option<ListingResponse>)]
    Listing { token_id: String },
    /// Listings of `model`'s keys, by key id, void ones included (see `fillable`).
    #[returns(ListingsResponse)]
    Listings {
        model: Uint64,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// Offers for key `token_id`, by bidder address.
    #[returns(OffersResponse)]
    Offers {
        token_id: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },

    // cw721
    #[returns(OwnerOfResponse)]
    OwnerOf {
        token_id: String,
        include_expired: Option<bool>,
    },
    #[returns(ApprovalResponse)]
    Approval {
        token_id: String,
        spender: String,
        include_expired: Option<bool>,
    },
    #[returns(ApprovalsResponse)]
    Approvals {
        token_id: String,
        include_expired: Option<bool>,
    },
    #[returns(OperatorResponse)]
    Operator {
        owner: String,
        operator: String,
        include_expired: Option<bool>,
    },
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
    AllNftInfo {
        token_id: String,
        include_expired: Option<bool>,
    },
    #[returns(TokensResponse)]
    Tokens {
        owner: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(TokensResponse)]
    AllTokens {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(MinterResponse)]
    Minter {},

    /// The remote price the seller of key `token_id`'s listing set for buyers paying on
    /// `chain` (null: none). It applies only while that seller's listing is live.
    #[returns(Option<crate::state::RemotePrice>)]
    RemotePrice { token_id: String, chain: u32 },
}

#[cw_serde]
pub struct ListingResponse {
    pub token_id: String,
    pub model: Uint64,
    pub seller: String,
    pub price: Coin,
    pub listed_at: u64,
    /// The seller still holds the key here, it has not expired and the model sets its resale
    /// royalty: a `buy_listing` paying `price` would succeed (unless paused).
    pub fillable: bool,
}

#[cw_serde]
pub struct ListingsResponse {
    pub listings: Vec<ListingResponse>,
}

#[cw_serde]
pub struct OfferResponse {
    pub token_id: String,
    pub bidder: String,
    pub amount: Coin,
    pub made_at: u64,
    /// Seconds since the epoch from which the offer can no longer be accepted (none: never).
    pub expires_at: Option<u64>,
}

#[cw_serde]
pub struct OffersResponse {
    pub offers: Vec<OfferResponse>,
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
pub struct RefusalsResponse {
    pub refusals: Vec<crate::state::Refusal>,
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

#[cfg(test)]
mod tests {
    use cosmwasm_std::{from_json, to_json_string, Addr, Binary, HexBinary, Uint128, Uint64};
    use cw_utils::Expiration;
    use serde::{de::DeserializeOwned, Serialize};

    use super::*;
    use crate::state::{Config, Policy, Royalty};

    /// `value` is sent as exactly `json`, and `json` reads back as `value`.
    #[track_caller]
    fn pin<T: Serialize + DeserializeOwned + PartialEq + core::fmt::Debug>(value: T, json: &str) {
        assert_eq!(to_json_string(&value).unwrap(), json);
        assert_eq!(from_json::<T>(json).unwrap(), value);
    }

    fn publish_args() -> PublishArgs {
        PublishArgs {
            content: HexBinary::from(&[0xab; 2]),
            sdl_uri: "ipfs://x".into(),
            price: Uint128::new(10),
            deploy_price: Uint128::zero(),
            policy: Policy {
                soulbound: true,
                key_lifetime_secs: Some(60),
                max_supply: None,
                allowlist_only: false,
                forkable: true,
            },
            royalty: Royalty {
                fork_royalty_bps: 100,
                dao_bps: 0,
                resale_bps: Some(500),
            },
            dao: Some(Account::Evm("0x01".into())),
        }
    }

    const PUBLISH_ARGS: &str = r#"{"content":"abab","sdl_uri":"ipfs://x","price":"10","deploy_price":"0","policy":{"soulbound":true,"key_lifetime_secs":60,"max_supply":null,"allowlist_only":false,"forkable":true},"royalty":{"fork_royalty_bps":100,"dao_bps":0,"resale_bps":500},"dao":{"evm":"0x01"}}"#;

    /// Resale messages' wire JSON; a client that leaves `resale_bps` out still publishes.
    #[test]
    fn resale_messages_keep_their_wire_json() {
        let t = || "7".to_string();
        pin(
            ExecuteMsg::ListKey {
                token_id: t(),
                price: Coin::new(5u128, "ucosm"),
            },
            r#"{"list_key":{"token_id":"7","price":{"denom":"ucosm","amount":"5"}}}"#,
        );
        pin(
            ExecuteMsg::BuyListing { token_id: t() },
            r#"{"buy_listing":{"token_id":"7"}}"#,
        );
        pin(
            ExecuteMsg::AcceptOffer {
                token_id: t(),
                bidder: "b".into(),
            },
            r#"{"accept_offer":{"token_id":"7","bidder":"b"}}"#,
        );
        pin(
            QueryMsg::Listings {
                model: Uint64::new(7),
                start_after: None,
                limit: Some(2),
            },
            r#"{"listings":{"model":"7","start_after":null,"limit":2}}"#,
        );
        pin(
            ExecuteMsg::MakeOffer {
                token_id: t(),
                expires_at: Some(1_700_000_000),
            },
            r#"{"make_offer":{"token_id":"7","expires_at":1700000000}}"#,
        );
        let old = PUBLISH_ARGS.replace(r#","resale_bps":500"#, "");
        let args: PublishArgs = from_json(old).unwrap();
        assert_eq!(args.royalty.resale_bps, None);
        // Clients written before offer expiry and update_model's resale_bps still send these.
        let old: ExecuteMsg = from_json(r#"{"make_offer":{"token_id":"7"}}"#).unwrap();
        assert_eq!(
            old,
            ExecuteMsg::MakeOffer {
                token_id: t(),
                expires_at: None
            }
        );
        let old: ExecuteMsg = from_json(r#"{"update_model":{"model":"7","price":"5"}}"#).unwrap();
        assert!(matches!(
            old,
            ExecuteMsg::UpdateModel {
                resale_bps: None,
                ..
            }
        ));
    }

    /// The JSON of every message kind, as the TypeScript client, the relayer and wallets send
    /// it: ids as decimal strings, bytes as hex (`Binary` as base64), `None` as `null`,
    /// accounts as `{"family": value}`.
    #[test]
    fn execute_messages_keep_their_wire_json() {
        let id = Uint64::new(7);
        let s = |v: &str| v.to_string();
        pin(
            ExecuteMsg::Publish(publish_args()),
            &format!(r#"{{"publish":{PUBLISH_ARGS}}}"#),
        );
        pin(
            ExecuteMsg::Fork {
                parent: id,
                parent_content: HexBinary::from(&[1, 2]),
                model: publish_args(),
            },
            &format!(
                r#"{{"fork":{{"parent":"7","parent_content":"0102","model":{PUBLISH_ARGS}}}}}"#
            ),
        );
        pin(
            ExecuteMsg::UpdateModel {
                model: id,
                price: Some(Uint128::new(5)),
                deploy_price: None,
                content: Some(HexBinary::from(&[9])),
                sdl_uri: Some(s("u")),
                resale_bps: Some(300),
            },
            r#"{"update_model":{"model":"7","price":"5","deploy_price":null,"content":"09","sdl_uri":"u","resale_bps":300}}"#,
        );
        pin(
            ExecuteMsg::SetAllowlist {
                model: id,
                add: vec![
                    Account::Cosmos(s("c")),
                    Account::Word(HexBinary::from(&[2, 1])),
                ],
                remove: vec![],
            },
            r#"{"set_allowlist":{"model":"7","add":[{"cosmos":"c"},{"word":"0201"}],"remove":[]}}"#,
        );
        pin(
            ExecuteMsg::BuyKey {
                model: id,
                recipient: None,
                with_deployment: true,
            },
            r#"{"buy_key":{"model":"7","recipient":null,"with_deployment":true}}"#,
        );
        pin(
            ExecuteMsg::Settle { model: id },
            r#"{"settle":{"model":"7"}}"#,
        );
        pin(
            ExecuteMsg::Claim { payee: None },
            r#"{"claim":{"payee":null}}"#,
        );
        pin(
            ExecuteMsg::ReclaimEscrow { key_id: id },
            r#"{"reclaim_escrow":{"key_id":"7"}}"#,
        );
        pin(
            ExecuteMsg::BindPayout {
                chain: 3,
                payout: Account::Evm(s("0x02")),
                nonce: id,
                signature: HexBinary::from(&[2, 0xab]),
            },
            r#"{"bind_payout":{"chain":3,"payout":{"evm":"0x02"},"nonce":"7","signature":"02ab"}}"#,
        );
        pin(
            ExecuteMsg::ReceiveBatch {
                messages: vec![HexBinary::from(&[1, 0xff])],
                signatures: vec![BatchSignature {
                    pubkey: HexBinary::from(&[3]),
                    signature: HexBinary::from(&[4]),
                }],
            },
            r#"{"receive_batch":{"messages":["01ff"],"signatures":[{"pubkey":"03","signature":"04"}]}}"#,
        );
        pin(
            ExecuteMsg::Reapply {
                src: 1,
                nonce: Uint64::new(7),
            },
            r#"{"reapply":{"src":1,"nonce":"7"}}"#,
        );
        pin(
            ExecuteMsg::SendNft {
                contract: s("c"),
                token_id: s("1"),
                msg: Binary::from(b"{}"),
            },
            r#"{"send_nft":{"contract":"c","token_id":"1","msg":"e30="}}"#,
        );
        pin(
            ExecuteMsg::Approve {
                spender: s("s"),
                token_id: s("1"),
                expires: Some(Expiration::AtHeight(9)),
            },
            r#"{"approve":{"spender":"s","token_id":"1","expires":{"at_height":9}}}"#,
        );
        pin(
            ExecuteMsg::Burn { token_id: s("1") },
            r#"{"burn":{"token_id":"1"}}"#,
        );
        pin(
            ExecuteMsg::UpdateConfig {
                protocol_fee_bps: Some(5),
                fee_collector: None,
                deploy_payee: Some(Account::Cosmos(s("d"))),
                escrow_timeout_secs: Some(60),
                peers: Some(vec![1, 2]),
                max_batch: None,
                akash_lane: Some(900),
                peer_bindings: None,
            },
            r#"{"update_config":{"protocol_fee_bps":5,"fee_collector":null,"deploy_payee":{"cosmos":"d"},"escrow_timeout_secs":60,"peers":[1,2],"max_batch":null,"akash_lane":900,"peer_bindings":null}}"#,
        );
        pin(
            ExecuteMsg::SetRelayers {
                relayers: vec![HexBinary::from(&[2, 3])],
                threshold: 1,
            },
            r#"{"set_relayers":{"relayers":["0203"],"threshold":1}}"#,
        );
        pin(
            ExecuteMsg::SetPaused { paused: true },
            r#"{"set_paused":{"paused":true}}"#,
        );
        pin(
            ExecuteMsg::Claim {
                payee: Some(Account::Word(HexBinary::from(&[1, 0xcd]))),
            },
            r#"{"claim":{"payee":{"word":"01cd"}}}"#,
        );
        pin(
            ExecuteMsg::TransferNft {
                recipient: s("r"),
                token_id: s("1"),
            },
            r#"{"transfer_nft":{"recipient":"r","token_id":"1"}}"#,
        );
        pin(
            ExecuteMsg::Revoke {
                spender: s("s"),
                token_id: s("1"),
            },
            r#"{"revoke":{"spender":"s","token_id":"1"}}"#,
        );
        pin(
            ExecuteMsg::ApproveAll {
                operator: s("o"),
                expires: None,
            },
            r#"{"approve_all":{"operator":"o","expires":null}}"#,
        );
        pin(
            ExecuteMsg::RevokeAll { operator: s("o") },
            r#"{"revoke_all":{"operator":"o"}}"#,
        );
        pin(
            ExecuteMsg::TransferAdmin { new_admin: s("a") },
            r#"{"transfer_admin":{"new_admin":"a"}}"#,
        );
        pin(MigrateMsg {}, "{}");
    }

    #[test]
    fn query_messages_keep_their_wire_json() {
        let id = Uint64::new(7);
        let s = |v: &str| v.to_string();
        pin(QueryMsg::Config {}, r#"{"config":{}}"#);
        pin(QueryMsg::Model { id }, r#"{"model":{"id":"7"}}"#);
        pin(
            QueryMsg::Models {
                start_after: Some(id),
                limit: None,
            },
            r#"{"models":{"start_after":"7","limit":null}}"#,
        );
        pin(
            QueryMsg::HasAccess {
                model: id,
                account: Account::Word(HexBinary::from(&[2, 0xaa])),
            },
            r#"{"has_access":{"model":"7","account":{"word":"02aa"}}}"#,
        );
        pin(
            QueryMsg::Claimable {
                payee: Account::Cosmos(s("cosmos1x")),
            },
            r#"{"claimable":{"payee":{"cosmos":"cosmos1x"}}}"#,
        );
        pin(QueryMsg::Lanes {}, r#"{"lanes":{}}"#);
        pin(
            QueryMsg::Refusals {
                src: 1,
                start_after: None,
                limit: Some(5),
            },
            r#"{"refusals":{"src":1,"start_after":null,"limit":5}}"#,
        );
        pin(QueryMsg::Key { id }, r#"{"key":{"id":"7"}}"#);
        pin(QueryMsg::Vault { model: id }, r#"{"vault":{"model":"7"}}"#);
        pin(
            QueryMsg::Payout {
                account: Account::Evm(s("0x03")),
            },
            r#"{"payout":{"account":{"evm":"0x03"}}}"#,
        );
        pin(
            QueryMsg::Escrow { key_id: id },
            r#"{"escrow":{"key_id":"7"}}"#,
        );
        pin(
            QueryMsg::OwnerOf {
                token_id: s("1"),
                include_expired: Some(true),
            },
            r#"{"owner_of":{"token_id":"1","include_expired":true}}"#,
        );
        pin(
            QueryMsg::Approval {
                token_id: s("1"),
                spender: s("a"),
                include_expired: None,
            },
            r#"{"approval":{"token_id":"1","spender":"a","include_expired":null}}"#,
        );
        pin(
            QueryMsg::Approvals {
                token_id: s("1"),
                include_expired: Some(false),
            },
            r#"{"approvals":{"token_id":"1","include_expired":false}}"#,
        );
        pin(
            QueryMsg::Operator {
                owner: s("o"),
                operator: s("p"),
                include_expired: None,
            },
            r#"{"operator":{"owner":"o","operator":"p","include_expired":null}}"#,
        );
        pin(QueryMsg::NumTokens {}, r#"{"num_tokens":{}}"#);
        pin(QueryMsg::ContractInfo {}, r#"{"contract_info":{}}"#);
        pin(
            QueryMsg::AllNftInfo {
                token_id: s("9"),
                include_expired: None,
            },
            r#"{"all_nft_info":{"token_id":"9","include_expired":null}}"#,
        );
        pin(
            QueryMsg::Tokens {
                owner: s("o"),
                start_after: None,
                limit: Some(1),
            },
            r#"{"tokens":{"owner":"o","start_after":null,"limit":1}}"#,
        );
        pin(
            QueryMsg::AllTokens {
                start_after: Some(s("4")),
                limit: None,
            },
            r#"{"all_tokens":{"start_after":"4","limit":null}}"#,
        );
        pin(QueryMsg::Minter {}, r#"{"minter":{}}"#);
        pin(
            QueryMsg::AllOperators {
                owner: s("o"),
                include_expired: None,
                start_after: Some(s("p")),
                limit: Some(2),
            },
            r#"{"all_operators":{"owner":"o","include_expired":null,"start_after":"p","limit":2}}"#,
        );
        pin(
            QueryMsg::NftInfo { token_id: s("9") },
            r#"{"nft_info":{"token_id":"9"}}"#,
        );
        // What clients send: optional fields left out, unknown fields ignored.
        assert_eq!(
            from_json::<QueryMsg>(r#"{"models":{}}"#).unwrap(),
            QueryMsg::Models {
                start_after: None,
                limit: None
            }
        );
        assert_eq!(
            from_json::<QueryMsg>(r#"{"owner_of":{"token_id":"1","x":[1]}}"#).unwrap(),
            QueryMsg::OwnerOf {
                token_id: s("1"),
                include_expired: None
            }
        );
        assert!(from_json::<QueryMsg>(r#"{"model":{"id":5}}"#).is_err());
        assert!(from_json::<ExecuteMsg>(r#"{"burn":{}}"#).is_err());
    }

    #[test]
    fn responses_keep_their_wire_json() {
        pin(
            ConfigResponse {
                config: Config {
                    chain_id: 2,
                    admin: Addr::unchecked("admin"),
                    denom: "ucosm".into(),
                    protocol_fee_bps: 100,
                    fee_collector: HexBinary::from(&[2, 1]),
                    deploy_payee: HexBinary::from(&[2, 2]),
                    escrow_timeout_secs: 60,
                    peers: vec![1],
                    max_batch: 16,
                    akash_lane: 900,
                    paused: false,
                    devnet: false,
                    peer_bindings: vec![PeerBinding {
                        chain: 1,
                        verifying_contract: Some(HexBinary::from(&[0x4b; 20])),
                        bech32_prefix: None,
                    }],
                    name: "Hexs keys".into(),
                    symbol: "HEXK".into(),
                },
                relayers: vec![HexBinary::from(&[3])],
                threshold: 1,
            },
            r#"{"config":{"chain_id":2,"admin":"admin","denom":"ucosm","protocol_fee_bps":100,"fee_collector":"0201","deploy_payee":"0202","escrow_timeout_secs":60,"peers":[1],"max_batch":16,"akash_lane":900,"paused":false,"devnet":false,"peer_bindings":[{"chain":1,"verifying_contract":"4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b","bech32_prefix":null}],"name":"Hexs keys","symbol":"HEXK"},"relayers":["03"],"threshold":1}"#,
        );
        pin(
            KeyResponse {
                id: Uint64::new(9),
                model: Uint64::new(7),
                owner: HexBinary::from(&[1, 0xee]),
                resident_chain: 1,
                expires_at: None,
                locked: true,
            },
            r#"{"id":"9","model":"7","owner":"01ee","resident_chain":1,"expires_at":null,"locked":true}"#,
        );
        pin(
            LanesResponse {
                inbound: vec![LaneNonce { chain: 1, nonce: 4 }],
                outbound: vec![],
            },
            r#"{"inbound":[{"chain":1,"nonce":4}],"outbound":[]}"#,
        );
        pin(
            OwnerOfResponse {
                owner: "o".into(),
                approvals: vec![Approval {
                    spender: "s".into(),
                    expires: Expiration::Never {},
                }],
            },
            r#"{"owner":"o","approvals":[{"spender":"s","expires":{"never":{}}}]}"#,
        );
        pin(
            ReceiverExecuteMsg::ReceiveNft(Cw721ReceiveMsg {
                sender: "a".into(),
                token_id: "1".into(),
                msg: Binary::from(b"{}"),
            }),
            r#"{"receive_nft":{"sender":"a","token_id":"1","msg":"e30="}}"#,
        );
    }

    /// The committed schema (`cargo run --bin schema`) is what these types generate: the
    /// TypeScript types in sdk/cosmwasm are generated from it.
    #[test]
    fn committed_schema_is_current() {
        let api = cosmwasm_schema::generate_api! {
            instantiate: InstantiateMsg,
            execute: ExecuteMsg,
            query: QueryMsg,
            migrate: MigrateMsg,
        }
        .render();
        let committed = include_str!("../schema/hexs.json");
        assert!(
            api.to_string().unwrap().trim_end() == committed.trim_end(),
            "schema/hexs.json is stale: run `cargo run --bin schema` in contracts/cosmwasm/hexs"
        );
    }
}

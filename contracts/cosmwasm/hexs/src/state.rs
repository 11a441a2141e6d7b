//! Every storage item of the contract, in one place.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{
    Addr, Api, Binary, Empty, HexBinary, Order, StdError, StdResult, Storage, Uint128,
};
use cw_storage_plus::{Bound, Item, Map};
use cw_utils::Expiration;
use serde::{Deserialize, Serialize};

use crate::account::{local_addr, word_of_addr};

#[cw_serde]
pub struct Config {
    /// Hexs chain identifier of this chain (not the Cosmos chain id string).
    pub chain_id: u32,
    /// Governs relayers, fees, pause and peers (a DAO or multisig address).
    pub admin: Addr,
    /// Native denom purchases are paid in.
    pub denom: String,
    /// Protocol fee taken on every settle, in basis points of the settled amount.
    pub protocol_fee_bps: u16,
    /// Account word (family byte + address, hex) credited with protocol fees.
    pub fee_collector: HexBinary,
    /// Account word credited with deployment escrows once a lease is reported.
    pub deploy_payee: HexBinary,
    /// After this many seconds without a lease report the buyer may reclaim the escrow.
    pub escrow_timeout_secs: u64,
    /// Hexs chain identifiers that receive this chain's outbound messages (one lane each).
    pub peers: Vec<u32>,
    /// Largest batch `receive_batch` accepts (bounds the damage of a compromised quorum).
    pub max_batch: u32,
    /// Hexs chain id of the Akash lane: the only inbound lane besides `peers`, and the only
    /// one whose `LeaseReported` messages resolve escrows here (it carries nothing else).
    /// 0 = no Akash lane (lease reports are refused).
    #[serde(default)]
    pub akash_lane: u32,
    /// Must be false at instantiation.
    pub paused: bool,
    /// A development chain: only there may one relayer alone (1-of-1) sign batches. Set at
    /// instantiation only (false when left out).
    #[serde(default)]
    pub devnet: bool,
    /// How payout bindings made on each peer chain are verified when they arrive here.
    #[serde(default)]
    pub peer_bindings: Vec<PeerBinding>,
    /// cw721 collection name and symbol shown by wallets.
    pub name: String,
    pub symbol: String,
}

/// A peer chain's payout bindings: an EVM peer's are EIP-712 signatures for its contract, a
/// Cosmos peer's ADR-36 signatures by addresses with its bech32 prefix.
#[cw_serde]
pub struct PeerBinding {
    pub chain: u32,
    /// EVM peer: the 20-byte contract that accepts bindings there (the EIP-712 verifyingContract).
    pub verifying_contract: Option<HexBinary>,
    /// Cosmos peer: the bech32 prefix of its accounts (the ADR-36 signer's address).
    pub bech32_prefix: Option<String>,
}

#[cw_serde]
pub struct RelayerSet {
    /// secp256k1 public keys (33-byte compressed or 65-byte uncompressed), distinct.
    pub pubkeys: Vec<Binary>,
    pub threshold: u32,
    /// Generation of the set: 1 at instantiation, one more at every `set_relayers`.
    #[serde(default)]
    pub epoch: u64,
}

#[cw_serde]
pub struct Policy {
    /// Keys cannot be transferred once minted (ERC-5192 `locked`).
    pub soulbound: bool,
    /// Keys grant access for this many seconds after purchase (ERC-4907-style expiry).
    pub key_lifetime_secs: Option<u64>,
    /// At most this many keys, counting keys minted on every chain that this chain knows of.
    pub max_supply: Option<u64>,
    /// Only accounts on the model's allowlist may buy here.
    pub allowlist_only: bool,
    /// Others may fork this model.
    pub forkable: bool,
}

#[cw_serde]
pub struct Royalty {
    /// Share of each settle that every direct fork of this model owes it (at most 5000).
    pub fork_royalty_bps: u16,
    /// Share of each settle credited to the model's DAO treasury (at most 4000; ignored without a DAO).
    pub dao_bps: u16,
    /// Share of each resale of a key on this chain paid into the model's vault (at most 2500,
    /// the EVM registry's cap on `secondaryRoyaltyBps`). Unset (a model mirrored from another
    /// chain, whose message does not carry it, or one published before resale): its keys
    /// cannot be listed here.
    #[serde(default)]
    pub resale_bps: Option<u16>,
}

#[cw_serde]
pub struct Model {
    pub id: u64,
    /// Hexs chain the model was published or forked on.
    pub origin_chain: u32,
    /// Account word of the creator.
    pub creator: Binary,
    pub parent: Option<u64>,
    /// Share of each settle credited to the parent's vault: the parent's `fork_royalty_bps`
    /// when the fork was made (zero for a root model, whose creator keeps that share).
    pub upstream_bps: u16,
    /// Content commitment: hash of the encrypted SDL and the image digest.
    pub content: Binary,
    pub sdl_uri: String,
    /// Price of a key on this chain, in `Config::denom`; zero means not for sale here.
    pub price: Uint128,
    /// Extra price of a purchase that asks the relayer for a deployment; zero means unavailable.
    pub deploy_price: Uint128,
    pub policy: Policy,
    pub royalty: Royalty,
    /// Account word of the model's DAO treasury.
    pub dao: Option<Binary>,
    /// Keys minted for this model on every chain this chain has heard of, as queries report
    /// it. The live count is the model's `Tally` (a mint writes the tally, not the whole
    /// record); a stored record carries 0, or its count from before the tally until `migrate`
    /// moves it.
    pub minted: u64,
    /// Retired by its home chain: no more sales or forks.
    pub retired: bool,
    /// Updates of the model's content, locator or retirement made on its home chain (on a
    /// mirror: the last one applied); `ModelUpdated` carries it and only a newer one applies.
    #[serde(default)]
    pub sequence: u64,
}

/// A key resident on this chain: a cw721 token of this contract. Stored as a `KeyRecord`
/// through `LOCAL_KEYS`.
#[cw_serde]
pub struct LocalKey {
    pub model: u64,
    pub owner: Addr,
    /// Seconds since the epoch after which the key no longer grants access.
    pub expires_at: Option<u64>,
    pub locked: bool,
    pub approvals: Vec<KeyApproval>,
}

/// A local key as stored: one-letter field names, defaults left out, and the owner as its
/// account word (base64 of family byte + canonical address, 28 characters instead of a
/// 43-character bech32 string; wasmd charges 30 gas per written byte): a purchase writes
/// `{"m":..,"w":".."}`. Records written before keep their owner's bech32 string under `o`
/// (or `owner`) and still read: the aliases read the full names of the oldest ones.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyRecord {
    #[serde(rename = "m", alias = "model")]
    model: u64,
    #[serde(rename = "w", default, skip_serializing_if = "Option::is_none")]
    owner_word: Option<Binary>,
    #[serde(
        rename = "o",
        alias = "owner",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    owner: Option<Addr>,
    #[serde(
        rename = "e",
        alias = "expires_at",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    expires_at: Option<u64>,
    #[serde(
        rename = "l",
        alias = "locked",
        default,
        skip_serializing_if = "is_false"
    )]
    locked: bool,
    #[serde(
        rename = "a",
        alias = "approvals",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    approvals: Vec<KeyApproval>,
}

/// The local keys by id. Loading and saving take the chain's `Api`: the owner is stored as
/// its account word and named by its bech32 address in memory.
pub const LOCAL_KEYS: KeyStore = KeyStore(Map::new("keys"));

pub struct KeyStore(Map<u64, KeyRecord>);

impl KeyStore {
    pub fn may_load(
        &self,
        api: &dyn Api,
        storage: &dyn Storage,
        id: u64,
    ) -> StdResult<Option<LocalKey>> {
        let Some(r) = self.0.may_load(storage, id)? else {
            return Ok(None);
        };
        let owner = match (r.owner_word, r.owner) {
            (Some(w), _) => local_addr(api, w.as_slice()).ok_or_else(|| {
                StdError::generic_err(format!("key {id}: stored owner word is not local"))
            })?,
            (None, Some(a)) => a,
            (None, None) => {
                return Err(StdError::generic_err(format!("key {id}: no stored owner")))
            }
        };
        Ok(Some(LocalKey {
            model: r.model,
            owner,
            expires_at: r.expires_at,
            locked: r.locked,
            approvals: r.approvals,
        }))
    }

    pub fn load(&self, api: &dyn Api, storage: &dyn Storage, id: u64) -> StdResult<LocalKey> {
        self.may_load(api, storage, id)?
            .ok_or_else(|| StdError::not_found(format!("key {id}")))
    }

    /// The key's expiry without naming its owner (`None` when there is no such key).
    pub fn expiry(&self, storage: &dyn Storage, id: u64) -> StdResult<Option<Option<u64>>> {
        Ok(self.0.may_load(storage, id)?.map(|r| r.expires_at))
    }

    pub fn has(&self, storage: &dyn Storage, id: u64) -> bool {
        self.0.has(storage, id)
    }

    pub fn remove(&self, storage: &mut dyn Storage, id: u64) {
        self.0.remove(storage, id)
    }

    pub fn save(
        &self,
        api: &dyn Api,
        storage: &mut dyn Storage,
        id: u64,
        key: &LocalKey,
    ) -> StdResult<()> {
        let word =
            word_of_addr(api, &key.owner).map_err(|e| StdError::generic_err(e.to_string()))?;
        let record = KeyRecord {
            model: key.model,
            owner_word: Some(word.into()),
            owner: None,
            expires_at: key.expires_at,
            locked: key.locked,
            approvals: key.approvals.clone(),
        };
        self.0.save(storage, id, &record)
    }

    pub fn keys<'c>(
        &self,
        storage: &'c dyn Storage,
        min: Option<Bound<'c, u64>>,
        max: Option<Bound<'c, u64>>,
        order: Order,
    ) -> impl Iterator<Item = StdResult<u64>> + 'c {
        self.0.keys(storage, min, max, order)
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[cw_serde]
pub struct KeyApproval {
    pub spender: Addr,
    pub expires: Expiration,
}

/// A key resident on another chain, mirrored read-only.
#[cw_serde]
pub struct MirroredKey {
    pub model: u64,
    pub owner: Binary,
    pub resident_chain: u32,
    pub expires_at: Option<u64>,
    pub locked: bool,
}

#[cw_serde]
pub enum EscrowStatus {
    Pending,
    Released,
    Refunded,
}

impl EscrowStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            EscrowStatus::Pending => "pending",
            EscrowStatus::Released => "released",
            EscrowStatus::Refunded => "refunded",
        }
    }
}

/// The deployment part of one purchase, held until the relayer reports the lease.
#[cw_serde]
pub struct Escrow {
    pub key_id: u64,
    pub model: u64,
    pub buyer: Addr,
    pub amount: Uint128,
    pub created_at: u64,
    pub status: EscrowStatus,
}

/// The configuration, read by every execute: stored as a `ConfigRecord` (one-letter names,
/// defaults left out; wasmd charges 3 gas per byte read), which also reads a record written
/// under the full names before.
pub const CONFIG: ConfigStore = ConfigStore(Item::new("config"));

pub struct ConfigStore(Item<ConfigRecord>);

impl ConfigStore {
    pub fn load(&self, storage: &dyn Storage) -> StdResult<Config> {
        self.0.load(storage)?.into_config()
    }

    pub fn save(&self, storage: &mut dyn Storage, cfg: &Config) -> StdResult<()> {
        self.0.save(storage, &ConfigRecord::from(cfg))
    }
}

fn is_zero_u16(n: &u16) -> bool {
    *n == 0
}

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

fn is_zero_u64(n: &u64) -> bool {
    *n == 0
}

/// `Config` as stored; the aliases read the full names of records written before.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigRecord {
    #[serde(rename = "i", alias = "chain_id")]
    chain_id: u32,
    #[serde(rename = "a", alias = "admin")]
    admin: Addr,
    #[serde(rename = "d", alias = "denom")]
    denom: String,
    #[serde(
        rename = "f",
        alias = "protocol_fee_bps",
        default,
        skip_serializing_if = "is_zero_u16"
    )]
    protocol_fee_bps: u16,
    /// The account words in base64 (28 characters for 21 bytes, 42 in hex); a record written
    /// before holds them in hex under their full names.
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    fee_collector: Option<Binary>,
    #[serde(rename = "fee_collector", default, skip_serializing)]
    fee_collector_hex: Option<HexBinary>,
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    deploy_payee: Option<Binary>,
    #[serde(rename = "deploy_payee", default, skip_serializing)]
    deploy_payee_hex: Option<HexBinary>,
    #[serde(rename = "t", alias = "escrow_timeout_secs")]
    escrow_timeout_secs: u64,
    #[serde(
        rename = "n",
        alias = "peers",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    peers: Vec<u32>,
    #[serde(rename = "b", alias = "max_batch")]
    max_batch: u32,
    #[serde(
        rename = "k",
        alias = "akash_lane",
        default,
        skip_serializing_if = "is_zero_u32"
    )]
    akash_lane: u32,
    #[serde(
        rename = "z",
        alias = "paused",
        default,
        skip_serializing_if = "is_false"
    )]
    paused: bool,
    #[serde(
        rename = "v",
        alias = "devnet",
        default,
        skip_serializing_if = "is_false"
    )]
    devnet: bool,
    #[serde(
        rename = "g",
        alias = "peer_bindings",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    peer_bindings: Vec<PeerBinding>,
    #[serde(rename = "m", alias = "name")]
    name: String,
    #[serde(rename = "s", alias = "symbol")]
    symbol: String,
}

impl From<&Config> for ConfigRecord {
    fn from(c: &Config) -> Self {
        let c = c.clone();
        ConfigRecord {
            chain_id: c.chain_id,
            admin: c.admin,
            denom: c.denom,
            protocol_fee_bps: c.protocol_fee_bps,
            fee_collector: Some(c.fee_collector.to_vec().into()),
            fee_collector_hex: None,
            deploy_payee: Some(c.deploy_payee.to_vec().into()),
            deploy_payee_hex: None,
            escrow_timeout_secs: c.escrow_timeout_secs,
            peers: c.peers,
            max_batch: c.max_batch,
            akash_lane: c.akash_lane,
            paused: c.paused,
            devnet: c.devnet,
            peer_bindings: c.peer_bindings,
            name: c.name,
            symbol: c.symbol,
        }
    }
}

fn stored_word(b64: Option<Binary>, hex: Option<HexBinary>, field: &str) -> StdResult<HexBinary> {
    match (b64, hex) {
        (Some(w), _) => Ok(w.to_vec().into()),
        (None, Some(w)) => Ok(w),
        (None, None) => Err(StdError::generic_err(format!(
            "stored config has no {field}"
        ))),
    }
}

impl ConfigRecord {
    fn into_config(self) -> StdResult<Config> {
        let c = self;
        Ok(Config {
            chain_id: c.chain_id,
            admin: c.admin,
            denom: c.denom,
            protocol_fee_bps: c.protocol_fee_bps,
            fee_collector: stored_word(c.fee_collector, c.fee_collector_hex, "fee_collector")?,
            deploy_payee: stored_word(c.deploy_payee, c.deploy_payee_hex, "deploy_payee")?,
            escrow_timeout_secs: c.escrow_timeout_secs,
            peers: c.peers,
            max_batch: c.max_batch,
            akash_lane: c.akash_lane,
            paused: c.paused,
            devnet: c.devnet,
            peer_bindings: c.peer_bindings,
            name: c.name,
            symbol: c.symbol,
        })
    }
}
pub const RELAYERS: Item<RelayerSet> = Item::new("relayers");

/// The chain-wide counters, in one small record. A purchase bumps the key serial, the count
/// of local keys and each outbound lane's nonce: one read and one write of this record
/// instead of one of each per counter (a wasmd write costs 2,000 gas plus 30 per byte of
/// key and value, the contract's 33-byte store prefix included). Stored as a JSON array,
/// `[model_serial, key_serial, local_keys, [[chain, nonce], ..]]`, to keep that write short.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(from = "CountersRecord", into = "CountersRecord")]
pub struct Counters {
    /// Last local serial used for models on this chain.
    pub model_serial: u32,
    /// Last local serial used for keys on this chain.
    pub key_serial: u32,
    /// Keys resident here (the cw721 `num_tokens`).
    pub local_keys: u64,
    /// Last emitted nonce of each outbound lane: (destination chain, nonce), ascending by
    /// chain. A lane stays listed once used, so a peer removed and added again continues
    /// its numbering.
    pub outbound: Vec<(u32, u64)>,
}

type CountersRecord = (u32, u32, u64, Vec<(u32, u64)>);

impl From<CountersRecord> for Counters {
    fn from((model_serial, key_serial, local_keys, outbound): CountersRecord) -> Self {
        Counters {
            model_serial,
            key_serial,
            local_keys,
            outbound,
        }
    }
}

impl From<Counters> for CountersRecord {
    fn from(c: Counters) -> Self {
        (c.model_serial, c.key_serial, c.local_keys, c.outbound)
    }
}

impl Counters {
    /// Last emitted nonce of the lane to `dst` (0 before its first message).
    pub fn outbound_nonce(&self, dst: u32) -> u64 {
        match self.outbound.binary_search_by_key(&dst, |&(c, _)| c) {
            Ok(i) => self.outbound[i].1,
            Err(_) => 0,
        }
    }

    pub fn set_outbound_nonce(&mut self, dst: u32, nonce: u64) {
        match self.outbound.binary_search_by_key(&dst, |&(c, _)| c) {
            Ok(i) => self.outbound[i].1 = nonce,
            Err(i) => self.outbound.insert(i, (dst, nonce)),
        }
    }
}

pub const COUNTERS: Item<Counters> = Item::new("c");

/// Every model this chain knows, read by every purchase: stored as a `ModelRecord` (one-letter
/// names, defaults left out), which also reads a record written under the full names before.
pub const MODELS: ModelStore = ModelStore(Map::new("models"));

pub struct ModelStore(Map<u64, ModelRecord>);

impl ModelStore {
    pub fn load(&self, storage: &dyn Storage, id: u64) -> StdResult<Model> {
        self.0.load(storage, id).map(|m| m.into_model(id))
    }

    pub fn may_load(&self, storage: &dyn Storage, id: u64) -> StdResult<Option<Model>> {
        Ok(self.0.may_load(storage, id)?.map(|m| m.into_model(id)))
    }

    pub fn has(&self, storage: &dyn Storage, id: u64) -> bool {
        self.0.has(storage, id)
    }

    pub fn save(&self, storage: &mut dyn Storage, id: u64, m: &Model) -> StdResult<()> {
        self.0.save(storage, id, &ModelRecord::from(m))
    }

    pub fn range<'c>(
        &self,
        storage: &'c dyn Storage,
        min: Option<Bound<'c, u64>>,
        max: Option<Bound<'c, u64>>,
        order: Order,
    ) -> impl Iterator<Item = StdResult<(u64, Model)>> + 'c {
        self.0
            .range(storage, min, max, order)
            .map(|r| r.map(|(id, m)| (id, m.into_model(id))))
    }
}

/// `Policy` as stored in a `ModelRecord`.
#[derive(Serialize, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields)]
struct PolicyRecord {
    #[serde(
        rename = "s",
        alias = "soulbound",
        default,
        skip_serializing_if = "is_false"
    )]
    soulbound: bool,
    #[serde(
        rename = "k",
        alias = "key_lifetime_secs",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    key_lifetime_secs: Option<u64>,
    #[serde(
        rename = "m",
        alias = "max_supply",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    max_supply: Option<u64>,
    #[serde(
        rename = "a",
        alias = "allowlist_only",
        default,
        skip_serializing_if = "is_false"
    )]
    allowlist_only: bool,
    #[serde(
        rename = "f",
        alias = "forkable",
        default,
        skip_serializing_if = "is_false"
    )]
    forkable: bool,
}

impl PolicyRecord {
    fn is_default(&self) -> bool {
        *self == PolicyRecord::default()
    }
}

/// `Royalty` as stored in a `ModelRecord`.
#[derive(Serialize, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields)]
struct RoyaltyRecord {
    #[serde(
        rename = "f",
        alias = "fork_royalty_bps",
        default,
        skip_serializing_if = "is_zero_u16"
    )]
    fork_royalty_bps: u16,
    #[serde(
        rename = "d",
        alias = "dao_bps",
        default,
        skip_serializing_if = "is_zero_u16"
    )]
    dao_bps: u16,
    #[serde(
        rename = "s",
        alias = "resale_bps",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    resale_bps: Option<u16>,
}

impl RoyaltyRecord {
    fn is_default(&self) -> bool {
        *self == RoyaltyRecord::default()
    }
}

/// `Model` as stored. The id is the record's key: a record written before carries it too.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelRecord {
    /// Only in records written before (read, then ignored for the key).
    #[allow(dead_code)]
    #[serde(rename = "id", default, skip_serializing)]
    id: u64,
    #[serde(rename = "o", alias = "origin_chain")]
    origin_chain: u32,
    #[serde(rename = "c", alias = "creator")]
    creator: Binary,
    #[serde(
        rename = "p",
        alias = "parent",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    parent: Option<u64>,
    #[serde(
        rename = "u",
        alias = "upstream_bps",
        default,
        skip_serializing_if = "is_zero_u16"
    )]
    upstream_bps: u16,
    #[serde(rename = "h", alias = "content")]
    content: Binary,
    #[serde(rename = "s", alias = "sdl_uri")]
    sdl_uri: String,
    #[serde(
        rename = "x",
        alias = "price",
        default,
        skip_serializing_if = "Uint128::is_zero"
    )]
    price: Uint128,
    #[serde(
        rename = "d",
        alias = "deploy_price",
        default,
        skip_serializing_if = "Uint128::is_zero"
    )]
    deploy_price: Uint128,
    #[serde(
        rename = "y",
        alias = "policy",
        default,
        skip_serializing_if = "PolicyRecord::is_default"
    )]
    policy: PolicyRecord,
    #[serde(
        rename = "r",
        alias = "royalty",
        default,
        skip_serializing_if = "RoyaltyRecord::is_default"
    )]
    royalty: RoyaltyRecord,
    #[serde(
        rename = "a",
        alias = "dao",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    dao: Option<Binary>,
    #[serde(
        rename = "n",
        alias = "minted",
        default,
        skip_serializing_if = "is_zero_u64"
    )]
    minted: u64,
    #[serde(
        rename = "z",
        alias = "retired",
        default,
        skip_serializing_if = "is_false"
    )]
    retired: bool,
    #[serde(
        rename = "q",
        alias = "sequence",
        default,
        skip_serializing_if = "is_zero_u64"
    )]
    sequence: u64,
}

impl From<&Model> for ModelRecord {
    fn from(m: &Model) -> Self {
        let m = m.clone();
        ModelRecord {
            id: m.id,
            origin_chain: m.origin_chain,
            creator: m.creator,
            parent: m.parent,
            upstream_bps: m.upstream_bps,
            content: m.content,
            sdl_uri: m.sdl_uri,
            price: m.price,
            deploy_price: m.deploy_price,
            policy: PolicyRecord {
                soulbound: m.policy.soulbound,
                key_lifetime_secs: m.policy.key_lifetime_secs,
                max_supply: m.policy.max_supply,
                allowlist_only: m.policy.allowlist_only,
                forkable: m.policy.forkable,
            },
            royalty: RoyaltyRecord {
                fork_royalty_bps: m.royalty.fork_royalty_bps,
                dao_bps: m.royalty.dao_bps,
                resale_bps: m.royalty.resale_bps,
            },
            dao: m.dao,
            minted: m.minted,
            retired: m.retired,
            sequence: m.sequence,
        }
    }
}

impl ModelRecord {
    fn into_model(self, id: u64) -> Model {
        let m = self;
        Model {
            id,
            origin_chain: m.origin_chain,
            creator: m.creator,
            parent: m.parent,
            upstream_bps: m.upstream_bps,
            content: m.content,
            sdl_uri: m.sdl_uri,
            price: m.price,
            deploy_price: m.deploy_price,
            policy: Policy {
                soulbound: m.policy.soulbound,
                key_lifetime_secs: m.policy.key_lifetime_secs,
                max_supply: m.policy.max_supply,
                allowlist_only: m.policy.allowlist_only,
                forkable: m.policy.forkable,
            },
            royalty: Royalty {
                fork_royalty_bps: m.royalty.fork_royalty_bps,
                dao_bps: m.royalty.dao_bps,
                resale_bps: m.royalty.resale_bps,
            },
            dao: m.dao,
            minted: m.minted,
            retired: m.retired,
            sequence: m.sequence,
        }
    }
}

/// What a sale changes on a model, apart from its record: one write per purchase. Stored as
/// the JSON array `[minted, "vault"]`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(from = "(u64, Uint128)", into = "(u64, Uint128)")]
pub struct Tally {
    /// Keys minted for the model on every chain this chain has heard of (the supply-cap count).
    pub minted: u64,
    /// Unsettled revenue of the model, in `Config::denom`.
    pub vault: Uint128,
}

impl From<(u64, Uint128)> for Tally {
    fn from((minted, vault): (u64, Uint128)) -> Self {
        Tally { minted, vault }
    }
}

impl From<Tally> for (u64, Uint128) {
    fn from(t: Tally) -> Self {
        (t.minted, t.vault)
    }
}

/// Each model's tally (absent = nothing minted, nothing to settle).
pub const TALLIES: Map<u64, Tally> = Map::new("t");

pub fn tally_of(storage: &dyn Storage, model: u64) -> StdResult<Tally> {
    Ok(TALLIES.may_load(storage, model)?.unwrap_or_default())
}

pub fn minted_of(storage: &dyn Storage, model: u64) -> StdResult<u64> {
    Ok(tally_of(storage, model)?.minted)
}
/// (model, account word) -> present when the account may buy an allowlist-only model.
pub const ALLOWLIST: Map<(u64, &[u8]), Empty> = Map::new("allow");

pub const MIRRORED_KEYS: Map<u64, MirroredKey> = Map::new("mkeys");
/// (owner word, key) for local keys: the cw721 `tokens` index. Keyed by the 21- or 33-byte
/// word rather than the bech32 string, under a one-letter namespace: every byte of a key
/// costs 30 gas when a purchase writes it.
pub const OWNED: Map<(&[u8], u64), Empty> = Map::new("o");
/// (owner word, model, expiry rank, key) for every key on any chain: the `has_access` index.
/// The rank is the key's expiry (`NEVER` for a key that does not expire), so the holder's
/// longest-lived key of a model is the last entry of its prefix: `has_access` reads one entry
/// however many expired keys the holder keeps. Written only through `hold` / `release`. A
/// one-letter namespace: a purchase writes one entry, and wasmd charges 30 gas per key byte.
pub const HOLDINGS: Map<(Holder, u64, u64), Empty> = Map::new("h");

/// (owner word, model): the prefix of one holder's keys of one model in `HOLDINGS`.
pub type Holder<'a> = (&'a [u8], u64);

/// Expiry rank of a key that never expires.
pub const NEVER: u64 = u64::MAX;

fn rank(expires_at: Option<u64>) -> u64 {
    expires_at.unwrap_or(NEVER)
}

/// Indexes key `key` of `model` as held by `owner` until `expires_at`.
pub fn hold(
    storage: &mut dyn Storage,
    owner: &[u8],
    model: u64,
    key: u64,
    expires_at: Option<u64>,
) -> StdResult<()> {
    HOLDINGS.save(storage, ((owner, model), rank(expires_at), key), &Empty {})
}

/// Removes the entry `hold` made.
pub fn release(
    storage: &mut dyn Storage,
    owner: &[u8],
    model: u64,
    key: u64,
    expires_at: Option<u64>,
) {
    HOLDINGS.remove(storage, ((owner, model), rank(expires_at), key))
}
/// (owner, operator) -> expiry of a cw721 approve_all.
pub const OPERATORS: Map<(&Addr, &Addr), Expiration> = Map::new("ops");

/// What each payee (account word) may claim on this chain besides its creator earnings
/// (protocol fees, DAO shares, released escrows, buyer refunds): paid to the account itself only.
pub const CLAIMABLE: Map<&[u8], Uint128> = Map::new("claim");
/// Creator earnings (creator shares of settles, which include royalties from forks) of each
/// creator word: the only credit a bound payout address receives.
pub const EARNINGS: Map<&[u8], Uint128> = Map::new("earned");
/// Creators (account words) of at least one model published on this chain: the only
/// accounts that may bind payouts here.
pub const CREATORS: Map<&[u8], Empty> = Map::new("creators");
/// Payout address on this chain bound to a creator word: receives its earnings only.
pub const PAYOUTS: Map<&[u8], Addr> = Map::new("payout");
/// Last accepted bind nonce of each creator's payout binding for this chain.
pub const PAYOUT_NONCES: Map<&[u8], u64> = Map::new("payout_nonce");
/// Last bind nonce each local creator used for its payout on each chain (`BindPayout`), keyed
/// by the creator's word followed by the chain id (big-endian).
pub const BIND_NONCES: Map<&[u8], u64> = Map::new("bind_nonce");
/// Last signed price order applied here per creator word (EVM creators of mirrored models).
pub const PRICE_ORDER_NONCES: Map<&[u8], u64> = Map::new("price_nonce");
pub const ESCROWS: Map<u64, Escrow> = Map::new("escrow");
/// Akash deployment (dseq) -> the purchase whose lease report named it: one deployment serves
/// one purchase, so one lease cannot release several escrows.
pub const LEASE_DSEQS: Map<u64, u64> = Map::new("lease_dseq");

/// Last applied nonce of each inbound lane, by source chain.
pub const INBOUND_NONCE: Map<u32, u64> = Map::new("in_nonce");

/// Governance's controls of one inbound lane (absent = running, unlimited).
#[cw_serde]
#[derive(Default)]
pub struct LaneControl {
    /// A paused lane refuses whole batches (and re-applications): nothing is lost, the
    /// relayers deliver again once it is resumed.
    pub paused: bool,
    /// Messages (delivered or re-applied) accepted per rolling hour; 0 = unlimited.
    pub rate_per_hour: u32,
}

/// The current rate window of a rate-limited lane.
#[cw_serde]
#[derive(Default)]
pub struct LaneWindow {
    /// Seconds since the epoch at which the window opened.
    pub start: u64,
    /// Messages counted in it.
    pub used: u32,
}

pub const LANE_CONTROLS: Map<u32, LaneControl> = Map::new("lane_ctl");
pub const LANE_WINDOWS: Map<u32, LaneWindow> = Map::new("lane_win");

/// An inbound message this contract refused: the lane moved past it, and `reapply` applies
/// it once its cause is gone (e.g. its model arrived later over another lane).
#[cw_serde]
pub struct Refusal {
    /// Source chain of the lane.
    pub src: u32,
    pub nonce: u64,
    /// Message kind (codec name, e.g. `KeyMinted`).
    pub kind: String,
    /// The refusal's `MirrorError` variant, e.g. `UnknownModel`.
    pub code: String,
    /// The refusal in words.
    pub reason: String,
    /// Block height at which it was refused.
    pub height: u64,
    /// Relayer-set generation (`RelayerSet::epoch`) whose quorum signed it: it can be
    /// re-applied only while that set is current (a rotated-out quorum's message is only
    /// dropped by governance).
    #[serde(default)]
    pub epoch: u64,
    /// The message as signed by the relayers (the codec encoding).
    pub message: HexBinary,
}

/// Refused inbound messages, by (source chain, lane nonce); removed once re-applied.
pub const REFUSALS: Map<(u32, u64), Refusal> = Map::new("refused");

/// A key listed for resale on this chain. The seller keeps the key until a buyer takes it; a
/// listing whose seller no longer holds the key (moved, transferred, burned) is void and a
/// purchase of it is refused.
#[cw_serde]
pub struct Listing {
    pub key_id: u64,
    pub model: u64,
    /// Holder of the key when it was listed: credited the proceeds.
    pub seller: Addr,
    /// In `Config::denom`: the royalty goes into the model's vault, which holds that denom only.
    pub denom: String,
    pub price: Uint128,
    /// Seconds since the epoch.
    pub listed_at: u64,
}

/// Funds a bidder escrowed here for a key: returned when cancelled, paid on acceptance.
#[cw_serde]
pub struct Offer {
    pub key_id: u64,
    pub bidder: Addr,
    pub denom: String,
    pub amount: Uint128,
    pub made_at: u64,
    /// Seconds since the epoch from which it can no longer be accepted (none: never). Offers
    /// stored before expiry existed read as none.
    #[serde(default)]
    pub expires_at: Option<u64>,
}

/// Listings by key id (one per key: a new listing of the key replaces the previous one).
pub const LISTINGS: Map<u64, Listing> = Map::new("listing");
/// (model, key) for every listing: the `listings` query by model.
pub const LISTINGS_BY_MODEL: Map<(u64, u64), Empty> = Map::new("listing_m");
/// Offers by (key, bidder): one offer per bidder and key, escrowed until accepted or cancelled.
pub const OFFERS: Map<(u64, &Addr), Offer> = Map::new("offer");

/// What the seller of a listing here accepts from a buyer paying on another chain (an order
/// that chain journals): void once the listing is someone else's.
#[cw_serde]
pub struct RemotePrice {
    pub seller: Addr,
    /// The paying chain's currency as its orders name it (20 bytes on an EVM chain, zero for
    /// its native coin).
    pub currency: HexBinary,
    pub price: Uint128,
    /// Account word (family byte + address) the order must name as the seller: the paying
    /// chain credits it the proceeds.
    pub payout: Binary,
}

/// Remote prices by (key, paying chain).
pub const REMOTE_PRICES: Map<(u64, u32), RemotePrice> = Map::new("remote_price");

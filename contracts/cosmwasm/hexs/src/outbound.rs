//! Outbound mirror messages: every local fact becomes one codec message per peer lane,
//! emitted as a `wasm-hexs_outbound` event that the relayer signs and delivers.

use cosmwasm_std::{Event, HexBinary, Storage, Uint128};
use hexs_codec as codec;

use crate::error::ContractError;
use crate::state::{Config, Counters, Model, COUNTERS};

pub const EVENT_TYPE: &str = "hexs_outbound";

pub enum Fact<'a> {
    ModelRegistered(&'a Model),
    ModelUpdated(&'a Model),
    KeyMinted {
        model: u64,
        key: u64,
        owner: &'a [u8],
        expires_at: Option<u64>,
        locked: bool,
    },
    KeyTransferred {
        key: u64,
        model: u64,
        from: &'a [u8],
        to: &'a [u8],
    },
    KeyBurned {
        key: u64,
        model: u64,
        owner: &'a [u8],
    },
    PayoutAddressBound {
        creator: &'a [u8],
        chain: u32,
        payout: &'a [u8],
        nonce: u64,
        signature: &'a [u8],
    },
    PurchaseSettled {
        purchase: u64,
        model: u64,
        key: u64,
        buyer: &'a [u8],
        denom: &'a str,
        amount: Uint128,
        with_deployment: bool,
    },
    /// A body its caller built (the resale of a key to another chain: KeyMoved, ResaleResult).
    Ready(codec::Body),
}

/// Account word (family byte + address) to the codec's account.
pub fn to_codec_account(word: &[u8]) -> Result<codec::Account, ContractError> {
    let (family, address) =
        word.split_first()
            .ok_or_else(|| ContractError::InvalidAccountWord {
                word: String::new(),
            })?;
    codec::Account::from_parts(*family, address).map_err(|_| ContractError::InvalidAccountWord {
        word: HexBinary::from(word).to_hex(),
    })
}

pub fn from_codec_account(a: &codec::Account) -> Vec<u8> {
    let mut w = Vec::with_capacity(1 + a.address().len());
    w.push(a.family());
    w.extend_from_slice(a.address());
    w
}

fn bytes32(b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    if b.len() == 32 {
        out.copy_from_slice(b);
    }
    out
}

fn body(storage: &dyn Storage, cfg: &Config, fact: &Fact) -> Result<codec::Body, ContractError> {
    Ok(match fact {
        Fact::ModelRegistered(m) => {
            let parent_commitment = match m.parent {
                Some(p) => crate::state::MODELS
                    .may_load(storage, p)?
                    .map(|pm| bytes32(&pm.content))
                    .unwrap_or_default(),
                None => [0u8; 32],
            };
            let dao_bps = if m.dao.is_some() {
                m.royalty.dao_bps
            } else {
                0
            };
            codec::Body::ModelRegistered(codec::ModelRegistered {
                model_id: m.id,
                parent_id: m.parent.unwrap_or(0),
                creator: to_codec_account(&m.creator)?,
                content_commitment: bytes32(&m.content),
                parent_commitment,
                soulbound: m.policy.soulbound,
                forkable: m.policy.forkable,
                key_duration: m.policy.key_lifetime_secs.unwrap_or(0),
                upstream_bps: m.upstream_bps,
                dao_bps,
                fork_royalty_bps: m.royalty.fork_royalty_bps,
                // A model published before `resale_bps` existed is announced royalty-free.
                resale_royalty_bps: m.royalty.resale_bps.unwrap_or(0),
                sdl_locator: m.sdl_uri.clone(),
                metadata_uri: String::new(),
            })
        }
        Fact::ModelUpdated(m) => codec::Body::ModelUpdated(codec::ModelUpdated {
            model_id: m.id,
            sequence: m.sequence,
            retired: m.retired,
            content_commitment: bytes32(&m.content),
            sdl_locator: m.sdl_uri.clone(),
            metadata_uri: String::new(),
            prices: vec![codec::Price {
                currency: cfg.denom.as_bytes().to_vec(),
                amount: m.price.u128(),
            }],
        }),
        Fact::KeyMinted {
            model,
            key,
            owner,
            expires_at,
            locked,
        } => codec::Body::KeyMinted(codec::KeyMinted {
            model_id: *model,
            key_id: *key,
            owner: to_codec_account(owner)?,
            expires_at: expires_at.unwrap_or(0),
            locked: *locked,
        }),
        Fact::KeyTransferred {
            key,
            model,
            from,
            to,
        } => codec::Body::KeyTransferred(codec::KeyTransferred {
            key_id: *key,
            model_id: *model,
            from: to_codec_account(from)?,
            to: to_codec_account(to)?,
        }),
        Fact::KeyBurned { key, model, owner } => codec::Body::KeyBurned(codec::KeyBurned {
            key_id: *key,
            model_id: *model,
            owner: to_codec_account(owner)?,
        }),
        // The creator's signature travels along: every destination checks it again.
        Fact::PayoutAddressBound {
            creator,
            chain,
            payout,
            nonce,
            signature,
        } => codec::Body::PayoutAddressBound(codec::PayoutAddressBound {
            creator: to_codec_account(creator)?,
            chain: *chain,
            payout: to_codec_account(payout)?,
            bind_nonce: *nonce,
            signature: signature.to_vec(),
        }),
        Fact::PurchaseSettled {
            purchase,
            model,
            key,
            buyer,
            denom,
            amount,
            with_deployment,
        } => codec::Body::PurchaseSettled(codec::PurchaseSettled {
            purchase_id: *purchase,
            model_id: *model,
            key_id: *key,
            buyer: to_codec_account(buyer)?,
            currency: denom.as_bytes().to_vec(),
            amount: amount.u128(),
            deployment_requested: *with_deployment,
            deployment_params: vec![],
        }),
        Fact::Ready(b) => b.clone(),
    })
}

/// Encodes `facts` once per peer lane, in order, and returns their events; reads and writes
/// the chain's counters once.
pub fn emit(
    storage: &mut dyn Storage,
    cfg: &Config,
    facts: &[Fact],
) -> Result<Vec<Event>, ContractError> {
    if cfg.peers.is_empty() || facts.is_empty() {
        return Ok(vec![]);
    }
    let mut counters = COUNTERS.load(storage)?;
    let events = emit_counted(storage, cfg, &mut counters, facts)?;
    COUNTERS.save(storage, &counters)?;
    Ok(events)
}

/// `emit` for a caller that holds the chain's counters itself and saves them afterwards (a
/// purchase bumps its key serial in the same record): each lane's nonce advances once per
/// fact in `counters`.
pub fn emit_counted(
    storage: &dyn Storage,
    cfg: &Config,
    counters: &mut Counters,
    facts: &[Fact],
) -> Result<Vec<Event>, ContractError> {
    let mut events = Vec::with_capacity(cfg.peers.len() * facts.len());
    for fact in facts {
        let body = body(storage, cfg, fact)?;
        for &dst in &cfg.peers {
            let nonce = counters.outbound_nonce(dst) + 1;
            counters.set_outbound_nonce(dst, nonce);
            let msg = codec::Message {
                src_chain: cfg.chain_id,
                dst_chain: dst,
                nonce,
                body: body.clone(),
            };
            let bytes = codec::encode(&msg).map_err(|e| ContractError::InvalidModel {
                reason: format!("cannot encode outbound {}: {e}", msg.kind().name()),
            })?;
            let digest = codec::digest(&bytes);
            events.push(
                Event::new(EVENT_TYPE)
                    .add_attribute("kind", msg.kind().name())
                    .add_attribute("src", cfg.chain_id.to_string())
                    .add_attribute("dst", dst.to_string())
                    .add_attribute("nonce", nonce.to_string())
                    .add_attribute("message", HexBinary::from(bytes).to_hex())
                    .add_attribute("digest", HexBinary::from(digest).to_hex()),
            );
        }
    }
    Ok(events)
}

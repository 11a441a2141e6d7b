//! Inbound mirror batches: M-of-N relayer signatures over the codec batch root, applied
//! strictly in lane order. A batch that is not one signed, contiguous piece of one lane is
//! rejected whole; inside an accepted batch each message is applied in isolation (its writes
//! are staged and kept only when it applies): a refused message is recorded in `REFUSALS`
//! with its reason, the lane moves past it, and `reapply` applies it once its cause is gone.
//! So no single message can stop a lane.

use cosmwasm_std::{Api, Binary, DepsMut, Empty, Env, Event, HexBinary, Response, Storage};
use hexs_codec as codec;

use crate::account::{hex, local_addr, word_of_addr};
use crate::binding;
use crate::error::{ContractError, Malformed, MirrorError};
use crate::models::origin_of;
use crate::msg::BatchSignature;
use crate::outbound::from_codec_account;
use crate::royalties::resolve_escrow;
use crate::stage::{commit, Staged};
use crate::state::{
    hold, release, tally_of, Config, LaneWindow, LocalKey, MirroredKey, Model, Policy, Refusal,
    Royalty, COUNTERS, INBOUND_NONCE, LANE_CONTROLS, LANE_WINDOWS, LOCAL_KEYS, MIRRORED_KEYS,
    MODELS, OWNED, PAYOUTS, PAYOUT_NONCES, REFUSALS, RELAYERS, TALLIES,
};

/// Length of a lane's rate window.
pub const RATE_WINDOW_SECS: u64 = 3_600;

/// Lets `len` messages of the lane from `src` in (a delivered batch or one re-application):
/// the lane must be configured (a peer or the Akash lane) and not paused, and `len` must fit
/// in its rate window, which it then spends. A refusal rejects the whole call, so nothing is
/// lost: the relayers deliver (or anyone re-applies) again later.
pub fn admit(
    storage: &mut dyn Storage,
    env: &Env,
    cfg: &Config,
    src: u32,
    len: usize,
) -> Result<(), ContractError> {
    if !cfg.peers.contains(&src) && (src != cfg.akash_lane || src == 0) {
        return Err(ContractError::UnknownLane { src });
    }
    let control = LANE_CONTROLS.may_load(storage, src)?.unwrap_or_default();
    if control.paused {
        return Err(ContractError::LanePaused { src });
    }
    if control.rate_per_hour == 0 {
        return Ok(());
    }
    let now = env.block.time.seconds();
    let mut window = LANE_WINDOWS.may_load(storage, src)?.unwrap_or_default();
    if now >= window.start.saturating_add(RATE_WINDOW_SECS) {
        window = LaneWindow {
            start: now,
            used: 0,
        };
    }
    let used = u64::from(window.used) + len as u64;
    if used > u64::from(control.rate_per_hour) {
        return Err(ContractError::LaneRateLimited {
            src,
            rate_per_hour: control.rate_per_hour,
            used: window.used,
            len,
        });
    }
    window.used = used as u32;
    Ok(LANE_WINDOWS.save(storage, src, &window)?)
}

/// The 32-byte hash relayers sign: the batch root itself (no prefix), so the same
/// signature verifies with `ecrecover` on EVM and `secp256k1_verify` here.
pub fn signed_digest(root: &[u8; 32]) -> [u8; 32] {
    *root
}

pub fn verify_signatures(
    api: &dyn Api,
    storage: &dyn Storage,
    digest: &[u8; 32],
    signatures: &[BatchSignature],
) -> Result<u32, ContractError> {
    let set = RELAYERS.load(storage)?;
    let mut seen: Vec<usize> = Vec::with_capacity(signatures.len());
    for (i, s) in signatures.iter().enumerate() {
        let pk = s.pubkey.as_slice();
        let who = set
            .pubkeys
            .iter()
            .position(|k| k.as_slice() == pk)
            .ok_or_else(|| ContractError::UnknownRelayer {
                index: i,
                pubkey: s.pubkey.to_hex(),
            })?;
        if seen.contains(&who) {
            return Err(ContractError::DuplicateSigner {
                pubkey: s.pubkey.to_hex(),
            });
        }
        let sig = s.signature.as_slice();
        if sig.len() != 64 && sig.len() != 65 {
            return Err(ContractError::MalformedSignature {
                index: i,
                reason: format!("expected 64 or 65 bytes, got {}", sig.len()),
            });
        }
        let ok = api.secp256k1_verify(digest, &sig[..64], pk).map_err(|e| {
            ContractError::MalformedSignature {
                index: i,
                reason: e.to_string(),
            }
        })?;
        if !ok {
            return Err(ContractError::BadSignature {
                index: i,
                pubkey: s.pubkey.to_hex(),
            });
        }
        seen.push(who);
    }
    let got = seen.len() as u32;
    if got < set.threshold {
        return Err(ContractError::BelowThreshold {
            got,
            threshold: set.threshold,
        });
    }
    Ok(got)
}

/// A decoded batch: one lane into this chain, contiguous nonces, and its root.
pub struct Prepared {
    pub src: u32,
    pub first_nonce: u64,
    pub messages: Vec<codec::Message>,
    pub root: [u8; 32],
}

/// Decodes every message, checks they form one lane into `chain_id` with contiguous nonces,
/// and computes the codec batch root that the relayers sign.
pub fn prepare_batch(chain_id: u32, messages: &[HexBinary]) -> Result<Prepared, ContractError> {
    if messages.is_empty() {
        return Err(ContractError::EmptyBatch);
    }
    let mut decoded: Vec<codec::Message> = Vec::with_capacity(messages.len());
    let mut digests = Vec::with_capacity(messages.len());
    for (i, raw) in messages.iter().enumerate() {
        let m = codec::decode(raw.as_slice()).map_err(|e| ContractError::MalformedMessage {
            index: i,
            error: e.into(),
        })?;
        if m.dst_chain != chain_id {
            return Err(ContractError::WrongDestination {
                index: i,
                dst: m.dst_chain,
                ours: chain_id,
            });
        }
        match decoded.first() {
            None if m.src_chain == chain_id || m.src_chain == 0 => {
                return Err(ContractError::MalformedMessage {
                    index: i,
                    error: Malformed::ForbiddenSource { src: m.src_chain },
                });
            }
            Some(first) if m.src_chain != first.src_chain => {
                return Err(ContractError::MalformedMessage {
                    index: i,
                    error: Malformed::LaneMismatch {
                        src: m.src_chain,
                        lane: first.src_chain,
                    },
                });
            }
            Some(first) if first.nonce.checked_add(i as u64) != Some(m.nonce) => {
                return Err(ContractError::LaneNonce {
                    index: i,
                    src: m.src_chain,
                    got: m.nonce,
                    expected: first.nonce.wrapping_add(i as u64),
                });
            }
            _ => {}
        }
        digests.push(codec::digest(raw.as_slice()));
        decoded.push(m);
    }
    let (src, first_nonce) = (decoded[0].src_chain, decoded[0].nonce);
    let root = codec::batch_root(src, chain_id, first_nonce, &digests).map_err(|e| {
        ContractError::MalformedMessage {
            index: 0,
            error: e.into(),
        }
    })?;
    Ok(Prepared {
        src,
        first_nonce,
        messages: decoded,
        root,
    })
}

pub fn execute_receive_batch(
    deps: DepsMut,
    env: Env,
    cfg: &Config,
    messages: Vec<HexBinary>,
    signatures: Vec<BatchSignature>,
) -> Result<Response, ContractError> {
    if messages.is_empty() {
        return Err(ContractError::EmptyBatch);
    }
    if messages.len() > cfg.max_batch as usize {
        return Err(ContractError::BatchTooLarge {
            len: messages.len(),
            max: cfg.max_batch,
        });
    }
    let Prepared {
        src,
        first_nonce,
        messages: decoded,
        root,
    } = prepare_batch(cfg.chain_id, &messages)?;
    let expected = INBOUND_NONCE.may_load(deps.storage, src)?.unwrap_or(0) + 1;
    if first_nonce != expected {
        return Err(ContractError::LaneNonce {
            index: 0,
            src,
            got: first_nonce,
            expected,
        });
    }
    let last_nonce = first_nonce + decoded.len() as u64 - 1;
    let signers = verify_signatures(deps.api, deps.storage, &signed_digest(&root), &signatures)?;
    let epoch = RELAYERS.load(deps.storage)?.epoch;
    admit(deps.storage, &env, cfg, src, decoded.len())?;

    let mut events = Vec::with_capacity(decoded.len());
    let mut refused: Vec<String> = vec![];
    for (m, raw) in decoded.into_iter().zip(messages) {
        let kind = m.kind().name();
        let nonce = m.nonce;
        match apply_isolated(deps.api, deps.storage, &env, cfg, src, m.body) {
            Ok(outbound) => {
                events.push(
                    Event::new("hexs_inbound")
                        .add_attribute("kind", kind)
                        .add_attribute("src", src.to_string())
                        .add_attribute("nonce", nonce.to_string()),
                );
                events.extend(outbound);
            }
            Err(error) => {
                let refusal = Refusal {
                    src,
                    nonce,
                    kind: kind.to_string(),
                    code: error.code(),
                    reason: error.to_string(),
                    height: env.block.height,
                    epoch,
                    message: raw,
                };
                REFUSALS.save(deps.storage, (src, nonce), &refusal)?;
                refused.push(nonce.to_string());
                events.push(
                    Event::new("hexs_inbound_refused")
                        .add_attribute("kind", kind)
                        .add_attribute("src", src.to_string())
                        .add_attribute("nonce", nonce.to_string())
                        .add_attribute("code", refusal.code)
                        .add_attribute("reason", refusal.reason),
                );
            }
        }
    }
    INBOUND_NONCE.save(deps.storage, src, &last_nonce)?;
    Ok(Response::new()
        .add_attribute("action", "receive_batch")
        .add_attribute("src", src.to_string())
        .add_attribute("first_nonce", first_nonce.to_string())
        .add_attribute("last_nonce", last_nonce.to_string())
        .add_attribute("root", HexBinary::from(root).to_hex())
        .add_attribute("signers", signers.to_string())
        .add_attribute("refused", refused.join(","))
        .add_events(events))
}

/// Applies one message with its writes staged: storage changes only when it applies whole.
/// Returns the outbound events it journals (a resale order answered here).
fn apply_isolated(
    api: &dyn Api,
    storage: &mut dyn Storage,
    env: &Env,
    cfg: &Config,
    src: u32,
    body: codec::Body,
) -> Result<Vec<Event>, MirrorError> {
    let mut staged = Staged::new(storage);
    let events = match body {
        codec::Body::ResaleOrder(o) if o.listing_chain == cfg.chain_id && src != cfg.akash_lane => {
            crate::resale::apply_order(api, &mut staged, env, cfg, src, o)?
        }
        body => {
            apply(api, &mut staged, cfg, src, body)?;
            vec![]
        }
    };
    let writes = staged.into_writes();
    commit(storage, writes);
    Ok(events)
}

/// Applies again a message refused earlier (anyone may ask, as on the EVM hub: the message
/// was signed by the relayer quorum when it arrived). It succeeds at most once; while its
/// cause remains it fails with the reason and stays recorded.
pub fn execute_reapply(
    deps: DepsMut,
    env: Env,
    cfg: &Config,
    src: u32,
    nonce: u64,
) -> Result<Response, ContractError> {
    let refusal = REFUSALS
        .may_load(deps.storage, (src, nonce))?
        .ok_or(ContractError::NotRefused { src, nonce })?;
    let current = RELAYERS.load(deps.storage)?.epoch;
    if refusal.epoch != current {
        return Err(ContractError::StaleRefusal {
            src,
            nonce,
            epoch: refusal.epoch,
            current,
        });
    }
    // The same gates as a delivery: a re-application is one more message of the lane.
    admit(deps.storage, &env, cfg, src, 1)?;
    let m =
        codec::decode(refusal.message.as_slice()).map_err(|e| ContractError::MalformedMessage {
            index: 0,
            error: e.into(),
        })?;
    let outbound = apply_isolated(deps.api, deps.storage, &env, cfg, src, m.body)
        .map_err(|error| ContractError::InvalidMirror { index: 0, error })?;
    REFUSALS.remove(deps.storage, (src, nonce));
    Ok(Response::new()
        .add_events(outbound)
        .add_attribute("action", "reapply")
        .add_event(
            Event::new("hexs_inbound")
                .add_attribute("kind", refusal.kind)
                .add_attribute("src", src.to_string())
                .add_attribute("nonce", nonce.to_string())
                .add_attribute("reapplied", "true"),
        ))
}

type ApplyResult = Result<(), MirrorError>;

/// Applies one decoded message; the lane source is the only chain trusted to speak for
/// the models and keys that live there.
fn apply(
    api: &dyn Api,
    storage: &mut dyn Storage,
    cfg: &Config,
    src: u32,
    body: codec::Body,
) -> ApplyResult {
    use codec::Body as B;
    let akash = cfg.akash_lane != 0 && src == cfg.akash_lane;
    if akash != matches!(body, B::LeaseReported(_) | B::LeaseHandedOver(_)) {
        return Err(if akash {
            MirrorError::OnlyLeaseReports {
                src,
                kind: body.kind().name().to_string(),
            }
        } else {
            MirrorError::NotAkashLane {
                src,
                akash_lane: cfg.akash_lane,
            }
        });
    }
    match body {
        B::ModelRegistered(r) => {
            let (id, origin) = (r.model_id, origin_of(r.model_id));
            if origin != src {
                return Err(MirrorError::ModelNotFromSource { id, origin, src });
            }
            if MODELS.has(storage, id) {
                return Err(MirrorError::ModelExists { id });
            }
            if r.upstream_bps > crate::models::MAX_FORK_ROYALTY_BPS
                || r.fork_royalty_bps > crate::models::MAX_FORK_ROYALTY_BPS
                || r.dao_bps > crate::models::MAX_DAO_BPS
                || r.resale_royalty_bps > crate::models::MAX_RESALE_BPS
            {
                return Err(MirrorError::RoyaltyAboveCaps {
                    upstream_bps: r.upstream_bps,
                    fork_royalty_bps: r.fork_royalty_bps,
                    dao_bps: r.dao_bps,
                    resale_bps: r.resale_royalty_bps,
                });
            }
            let parent = if r.parent_id == 0 {
                None
            } else {
                Some(r.parent_id)
            };
            if let Some(p) = parent {
                if let Some(pm) = MODELS.may_load(storage, p)? {
                    if pm.content.as_slice() != r.parent_commitment {
                        return Err(MirrorError::ParentCommitmentMismatch {
                            parent: p,
                            expected: hex(pm.content.as_slice()),
                            got: hex(&r.parent_commitment),
                        });
                    }
                }
            }
            let model = Model {
                id,
                origin_chain: src,
                creator: Binary::from(from_codec_account(&r.creator)),
                parent,
                upstream_bps: if parent.is_some() { r.upstream_bps } else { 0 },
                content: Binary::from(r.content_commitment.to_vec()),
                sdl_uri: r.sdl_locator,
                price: Default::default(),
                deploy_price: Default::default(),
                policy: Policy {
                    soulbound: r.soulbound,
                    key_lifetime_secs: if r.key_duration == 0 {
                        None
                    } else {
                        Some(r.key_duration)
                    },
                    max_supply: None,
                    allowlist_only: false,
                    forkable: r.forkable,
                },
                // The codec does not carry the DAO address: the DAO share stays with the creator.
                royalty: Royalty {
                    fork_royalty_bps: r.fork_royalty_bps,
                    dao_bps: r.dao_bps,
                    // The home chain's resale royalty (EVM `secondaryRoyaltyBps`), so keys of
                    // this model can be listed here and their lineage earns as at home.
                    resale_bps: Some(r.resale_royalty_bps),
                },
                dao: None,
                minted: 0,
                retired: false,
                sequence: 0,
            };
            Ok(MODELS.save(storage, id, &model)?)
        }
        B::ModelUpdated(u) => {
            // Every chain announces its own price list (nothing to keep here: this chain sells
            // at its own prices); only the model's home chain changes the model itself.
            if origin_of(u.model_id) != src {
                return Ok(());
            }
            let mut m = MODELS
                .may_load(storage, u.model_id)?
                .ok_or(MirrorError::UnknownModel { id: u.model_id })?;
            // Only a newer update applies: a re-applied or late one never rolls the model back.
            if u.sequence <= m.sequence {
                return Ok(());
            }
            if u.content_commitment == [0u8; 32] {
                return Err(MirrorError::EmptyCommitment { id: u.model_id });
            }
            m.sequence = u.sequence;
            m.retired = u.retired;
            m.content = Binary::from(u.content_commitment.to_vec());
            m.sdl_uri = u.sdl_locator;
            Ok(MODELS.save(storage, u.model_id, &m)?)
        }
        B::KeyMinted(k) => {
            let (id, origin) = (k.key_id, origin_of(k.key_id));
            if origin != src {
                return Err(MirrorError::KeyNotFromSource { id, origin, src });
            }
            if MIRRORED_KEYS.has(storage, id) || LOCAL_KEYS.has(storage, id) {
                return Err(MirrorError::KeyExists { id });
            }
            // Counted apart from the model record (which may still be in flight on its home
            // lane), so a mirrored key does not re-save the whole model.
            let mut tally = tally_of(storage, k.model_id)?;
            tally.minted += 1;
            TALLIES.save(storage, k.model_id, &tally)?;
            let owner = from_codec_account(&k.owner);
            let key = MirroredKey {
                model: k.model_id,
                owner: owner.clone().into(),
                resident_chain: src,
                expires_at: if k.expires_at == 0 {
                    None
                } else {
                    Some(k.expires_at)
                },
                locked: k.locked,
            };
            hold(storage, &owner, k.model_id, id, key.expires_at)?;
            Ok(MIRRORED_KEYS.save(storage, id, &key)?)
        }
        B::KeyTransferred(t) => {
            let mut key = mirrored_on(storage, t.key_id, src)?;
            let from = from_codec_account(&t.from);
            if from.as_slice() != key.owner.as_slice() {
                return Err(MirrorError::TransferFromNonHolder {
                    id: t.key_id,
                    holder: hex(key.owner.as_slice()),
                    from: hex(&from),
                });
            }
            if t.model_id != key.model {
                return Err(MirrorError::KeyModelMismatch {
                    id: t.key_id,
                    model: key.model,
                    named: t.model_id,
                });
            }
            let to = from_codec_account(&t.to);
            // The mirror honours the lock too: a locked key's holder never changes.
            if key.locked {
                return Err(MirrorError::LockedKeyHolderChange {
                    id: t.key_id,
                    holder: hex(&from),
                    to: hex(&to),
                });
            }
            release(storage, &from, key.model, t.key_id, key.expires_at);
            hold(storage, &to, key.model, t.key_id, key.expires_at)?;
            key.owner = to.into();
            Ok(MIRRORED_KEYS.save(storage, t.key_id, &key)?)
        }
        B::KeyMoved(mv) => {
            let id = mv.key_id;
            if mv.from_chain != src {
                return Err(MirrorError::MoveNotFromLeavingChain {
                    id,
                    from_chain: mv.from_chain,
                    src,
                });
            }
            let owner = from_codec_account(&mv.owner);
            let from = from_codec_account(&mv.from);
            // A locked key keeps its lock wherever it goes and only moves to its own holder.
            let mut locked = mv.locked;
            if let Some(old) = MIRRORED_KEYS.may_load(storage, id)? {
                locked |= old.locked;
                if old.resident_chain != src {
                    return Err(MirrorError::KeyNotResidentOnSource {
                        id,
                        resident: old.resident_chain,
                        src,
                    });
                }
                if old.owner.as_slice() != from.as_slice() || old.model != mv.model_id {
                    return Err(MirrorError::MoveMismatch {
                        id,
                        model: old.model,
                        holder: hex(old.owner.as_slice()),
                        named_model: mv.model_id,
                        named_holder: hex(&from),
                    });
                }
                release(storage, old.owner.as_slice(), old.model, id, old.expires_at);
            } else if LOCAL_KEYS.has(storage, id) {
                return Err(MirrorError::KeyResidentHere { id });
            }
            if locked && owner != from {
                return Err(MirrorError::LockedKeyHolderChange {
                    id,
                    holder: hex(&from),
                    to: hex(&owner),
                });
            }
            let expires_at = if mv.expires_at == 0 {
                None
            } else {
                Some(mv.expires_at)
            };
            hold(storage, &owner, mv.model_id, id, expires_at)?;
            if mv.to_chain == cfg.chain_id {
                // Arrives here: it becomes an ordinary cw721 token of this contract.
                let addr = local_addr(api, &owner).ok_or_else(|| MirrorError::NonLocalOwner {
                    id,
                    owner: hex(&owner),
                })?;
                // Holders of a key of a model whose home chain checks transfers with plugins
                // change there only (this chain cannot run them): the key arrives locked.
                let holder_fixed = MODELS
                    .may_load(storage, mv.model_id)?
                    .is_some_and(|m| m.policy.soulbound && origin_of(m.id) != cfg.chain_id);
                MIRRORED_KEYS.remove(storage, id);
                // The word of the address, as purchases and transfers key the index.
                let addr_word =
                    word_of_addr(api, &addr).map_err(|_| MirrorError::NonLocalOwner {
                        id,
                        owner: hex(&owner),
                    })?;
                OWNED.save(storage, (&addr_word, id), &Empty {})?;
                let mut counters = COUNTERS.load(storage)?;
                counters.local_keys += 1;
                COUNTERS.save(storage, &counters)?;
                let key = LocalKey {
                    model: mv.model_id,
                    owner: addr,
                    expires_at,
                    locked: locked || holder_fixed,
                    approvals: vec![],
                };
                Ok(LOCAL_KEYS.save(api, storage, id, &key)?)
            } else {
                let key = MirroredKey {
                    model: mv.model_id,
                    owner: owner.into(),
                    resident_chain: mv.to_chain,
                    expires_at,
                    locked,
                };
                Ok(MIRRORED_KEYS.save(storage, id, &key)?)
            }
        }
        B::KeyPolicySet(p) => {
            // Only the model's home chain sets its key policy; it applies to keys minted from
            // now on (each key keeps the expiry and lock it was minted with). This chain cannot
            // run the home chain's transfer plugins, so keys it sells of a model whose transfers
            // are checked are soul-bound here.
            let (id, origin) = (p.model_id, origin_of(p.model_id));
            if origin != src {
                return Err(MirrorError::ModelNotFromSource { id, origin, src });
            }
            let mut m = MODELS
                .may_load(storage, id)?
                .ok_or(MirrorError::UnknownModel { id })?;
            m.policy.soulbound = p.soulbound || p.transfer_checked;
            m.policy.key_lifetime_secs = (p.key_duration != 0).then_some(p.key_duration);
            Ok(MODELS.save(storage, id, &m)?)
        }
        B::KeyBurned(b) => {
            let key = mirrored_on(storage, b.key_id, src)?;
            let owner = from_codec_account(&b.owner);
            if key.owner.as_slice() != owner.as_slice() || key.model != b.model_id {
                return Err(MirrorError::BurnMismatch {
                    id: b.key_id,
                    model: key.model,
                    holder: hex(key.owner.as_slice()),
                    named_model: b.model_id,
                    named_holder: hex(&owner),
                });
            }
            release(
                storage,
                key.owner.as_slice(),
                key.model,
                b.key_id,
                key.expires_at,
            );
            MIRRORED_KEYS.remove(storage, b.key_id);
            Ok(())
        }
        B::PurchaseSettled(p) => {
            // Revenue stays where it was earned; the key itself arrives as KeyMinted.
            let (id, origin) = (p.purchase_id, origin_of(p.purchase_id));
            if origin != src {
                return Err(MirrorError::PurchaseNotFromSource { id, origin, src });
            }
            Ok(())
        }
        B::LeaseReported(l) => {
            let (id, origin) = (l.purchase_id, origin_of(l.purchase_id));
            if origin != cfg.chain_id {
                return Err(MirrorError::ForeignPurchase { id, origin });
            }
            resolve_escrow(api, storage, cfg, id, l.ok, l.dseq)
        }
        B::LeaseHandedOver(h) => {
            // A record (the co-signers checked it on Akash and against the key's holder): applied,
            // it shows as the `hexs_inbound` event of kind LeaseHandedOver; nothing is stored.
            let (id, origin) = (h.key_id, origin_of(h.key_id));
            if origin != cfg.chain_id {
                return Err(MirrorError::ForeignPurchase { id, origin });
            }
            Ok(())
        }
        B::PayoutAddressBound(b) => {
            if b.chain != cfg.chain_id {
                return Err(MirrorError::PayoutForAnotherChain {
                    chain: b.chain,
                    ours: cfg.chain_id,
                });
            }
            let creator = from_codec_account(&b.creator);
            let payout = from_codec_account(&b.payout);
            let addr = local_addr(api, &payout).ok_or_else(|| MirrorError::NonLocalPayout {
                payout: hex(&payout),
            })?;
            // Only the successor of the last applied nonce: a skip (or u64::MAX) would burn
            // the creator's future bindings.
            let last = PAYOUT_NONCES.may_load(storage, &creator)?.unwrap_or(0);
            if last.checked_add(1) != Some(b.bind_nonce) {
                return Err(MirrorError::PayoutNonceNotNext {
                    creator: hex(&creator),
                    nonce: b.bind_nonce,
                    last,
                });
            }
            // The relayers' quorum does not speak for the creator: its own signature must.
            binding::verify_received(api, cfg, src, &b)?;
            PAYOUT_NONCES.save(storage, &creator, &b.bind_nonce)?;
            Ok(PAYOUTS.save(storage, &creator, &addr)?)
        }
        // Orders for this chain are answered in `apply_isolated`; every journal entry reaches
        // every peer, so others' orders and results arrive here too and are acknowledged.
        B::ResaleOrder(_) | B::ResaleResult(_) => Ok(()),
    }
}

fn mirrored_on(storage: &dyn Storage, id: u64, src: u32) -> Result<MirroredKey, MirrorError> {
    let key = MIRRORED_KEYS
        .may_load(storage, id)?
        .ok_or(MirrorError::UnknownMirroredKey { id })?;
    if key.resident_chain != src {
        return Err(MirrorError::KeyNotResidentOnSource {
            id,
            resident: key.resident_chain,
            src,
        });
    }
    Ok(key)
}

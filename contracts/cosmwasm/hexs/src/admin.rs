//! Governance: relayer set and threshold, fees, peers, pause, admin hand-over.

use cosmwasm_std::{Binary, DepsMut, HexBinary, MessageInfo, Response, Storage};

use crate::account::{hex, Account};
use crate::error::ContractError;
use crate::msg::ExecuteMsg;
use crate::state::{
    Config, LaneControl, PeerBinding, RelayerSet, CONFIG, LANE_CONTROLS, REFUSALS, RELAYERS,
};

pub const MAX_RELAYERS: usize = 32;
pub const MAX_BATCH_LIMIT: u32 = 200;

pub fn is_admin_msg(msg: &ExecuteMsg) -> bool {
    matches!(
        msg,
        ExecuteMsg::UpdateConfig { .. }
            | ExecuteMsg::SetRelayers { .. }
            | ExecuteMsg::SetPaused { .. }
            | ExecuteMsg::SetLane { .. }
            | ExecuteMsg::DropRefusals { .. }
            | ExecuteMsg::TransferAdmin { .. }
    )
}

pub fn ensure_admin(cfg: &Config, info: &MessageInfo) -> Result<(), ContractError> {
    if info.sender != cfg.admin {
        return Err(ContractError::Unauthorized {
            role: "the admin".into(),
        });
    }
    Ok(())
}

pub fn check_fee(bps: u16) -> Result<(), ContractError> {
    if bps > crate::models::MAX_PROTOCOL_FEE_BPS {
        return Err(ContractError::InvalidConfig {
            reason: format!(
                "protocol_fee_bps {bps} exceeds {}",
                crate::models::MAX_PROTOCOL_FEE_BPS
            ),
        });
    }
    Ok(())
}

pub fn check_peers(ours: u32, peers: &[u32]) -> Result<(), ContractError> {
    for (i, p) in peers.iter().enumerate() {
        if *p == 0 || *p == ours || peers[..i].contains(p) {
            return Err(ContractError::InvalidConfig {
                reason: format!("peer {p} must be non-zero, distinct and not this chain ({ours})"),
            });
        }
    }
    Ok(())
}

/// One entry per chain; an EVM contract is 20 bytes, a bech32 prefix is lowercase (1..=83).
pub fn check_peer_bindings(entries: &[PeerBinding]) -> Result<(), ContractError> {
    for (i, e) in entries.iter().enumerate() {
        let contract_ok = e.verifying_contract.as_ref().is_none_or(|c| c.len() == 20);
        let prefix_ok = e.bech32_prefix.as_deref().is_none_or(|p| {
            (1..=83).contains(&p.len())
                && p.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
        if e.chain == 0
            || entries[..i].iter().any(|o| o.chain == e.chain)
            || !contract_ok
            || !prefix_ok
        {
            return Err(ContractError::InvalidConfig {
                reason: format!(
                    "peer_bindings of chain {}: distinct non-zero chains, 20-byte contracts, lowercase bech32 prefixes",
                    e.chain
                ),
            });
        }
    }
    Ok(())
}

/// The Akash lane (0 = none) is inbound only: not this chain and not an outbound peer.
pub fn check_akash_lane(ours: u32, peers: &[u32], lane: u32) -> Result<(), ContractError> {
    if lane != 0 && (lane == ours || peers.contains(&lane)) {
        return Err(ContractError::InvalidConfig {
            reason: format!("akash_lane {lane} must be neither this chain nor a peer"),
        });
    }
    Ok(())
}

/// A limited lane must let the largest batch through, or one full batch would stop it.
fn check_rate(rate_per_hour: u32, max_batch: u32) -> Result<(), ContractError> {
    if rate_per_hour != 0 && rate_per_hour < max_batch {
        return Err(ContractError::InvalidConfig {
            reason: format!(
                "rate_per_hour {rate_per_hour} is below max_batch {max_batch}: use 0 (unlimited) or at least {max_batch}"
            ),
        });
    }
    Ok(())
}

pub fn check_max_batch(storage: &dyn Storage, max: u32) -> Result<(), ContractError> {
    if max == 0 || max > MAX_BATCH_LIMIT {
        return Err(ContractError::InvalidConfig {
            reason: format!("max_batch {max} must be within 1..={MAX_BATCH_LIMIT}"),
        });
    }
    for lane in LANE_CONTROLS.range(storage, None, None, cosmwasm_std::Order::Ascending) {
        check_rate(lane?.1.rate_per_hour, max)?;
    }
    Ok(())
}

fn check_pubkey(pk: &[u8]) -> bool {
    matches!((pk.len(), pk.first()), (33, Some(2 | 3)) | (65, Some(4)))
}

pub fn save_relayers(
    storage: &mut dyn Storage,
    relayers: Vec<HexBinary>,
    threshold: u32,
    devnet: bool,
) -> Result<(), ContractError> {
    if relayers.len() > MAX_RELAYERS {
        return Err(ContractError::InvalidConfig {
            reason: format!(
                "{} relayers exceed the limit of {MAX_RELAYERS}",
                relayers.len()
            ),
        });
    }
    for (i, pk) in relayers.iter().enumerate() {
        if !check_pubkey(pk.as_slice()) {
            return Err(ContractError::InvalidConfig {
                reason: format!("relayer {i} ({pk}) is not a 33- or 65-byte secp256k1 public key"),
            });
        }
        if relayers[..i].contains(pk) {
            return Err(ContractError::InvalidConfig {
                reason: format!("relayer {pk} listed twice"),
            });
        }
    }
    let n = relayers.len();
    // A majority: two disjoint quorums can never both sign (so no minority of the set can).
    if threshold as usize > n || (threshold as usize) * 2 <= n {
        return Err(ContractError::InvalidConfig {
            reason: format!(
                "threshold {threshold} of {n} relayers must be a majority: within {}..={n}",
                n / 2 + 1
            ),
        });
    }
    if threshold == 1 && !devnet {
        return Err(ContractError::InvalidConfig {
            reason: "one relayer alone (1-of-1) may sign only on a devnet: add relayers".into(),
        });
    }
    let pubkeys = relayers
        .into_iter()
        .map(|k| Binary::from(k.to_vec()))
        .collect();
    let epoch = RELAYERS.may_load(storage)?.map_or(0, |s| s.epoch) + 1;
    RELAYERS.save(
        storage,
        &RelayerSet {
            pubkeys,
            threshold,
            epoch,
        },
    )?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn execute_update_config(
    deps: DepsMut,
    info: MessageInfo,
    mut cfg: Config,
    protocol_fee_bps: Option<u16>,
    fee_collector: Option<Account>,
    deploy_payee: Option<Account>,
    escrow_timeout_secs: Option<u64>,
    peers: Option<Vec<u32>>,
    max_batch: Option<u32>,
    akash_lane: Option<u32>,
    peer_bindings: Option<Vec<PeerBinding>>,
) -> Result<Response, ContractError> {
    ensure_admin(&cfg, &info)?;
    if let Some(bps) = protocol_fee_bps {
        check_fee(bps)?;
        cfg.protocol_fee_bps = bps;
    }
    if let Some(a) = fee_collector {
        cfg.fee_collector = a.to_word(deps.api)?.into();
    }
    if let Some(a) = deploy_payee {
        cfg.deploy_payee = a.to_word(deps.api)?.into();
    }
    if let Some(t) = escrow_timeout_secs {
        cfg.escrow_timeout_secs = t;
    }
    if let Some(p) = peers {
        check_peers(cfg.chain_id, &p)?;
        cfg.peers = p;
    }
    if let Some(m) = max_batch {
        check_max_batch(deps.storage, m)?;
        cfg.max_batch = m;
    }
    if let Some(l) = akash_lane {
        cfg.akash_lane = l;
    }
    if let Some(b) = peer_bindings {
        check_peer_bindings(&b)?;
        cfg.peer_bindings = b;
    }
    check_akash_lane(cfg.chain_id, &cfg.peers, cfg.akash_lane)?;
    CONFIG.save(deps.storage, &cfg)?;
    Ok(Response::new()
        .add_attribute("action", "update_config")
        .add_attribute("protocol_fee_bps", cfg.protocol_fee_bps.to_string())
        .add_attribute("fee_collector", hex(&cfg.fee_collector))
        .add_attribute("deploy_payee", hex(&cfg.deploy_payee)))
}

pub fn execute_set_relayers(
    deps: DepsMut,
    info: MessageInfo,
    cfg: &Config,
    relayers: Vec<HexBinary>,
    threshold: u32,
) -> Result<Response, ContractError> {
    ensure_admin(cfg, &info)?;
    let n = relayers.len();
    save_relayers(deps.storage, relayers, threshold, cfg.devnet)?;
    Ok(Response::new()
        .add_attribute("action", "set_relayers")
        .add_attribute("relayers", n.to_string())
        .add_attribute("threshold", threshold.to_string()))
}

pub fn execute_set_paused(
    deps: DepsMut,
    info: MessageInfo,
    mut cfg: Config,
    paused: bool,
) -> Result<Response, ContractError> {
    ensure_admin(&cfg, &info)?;
    cfg.paused = paused;
    CONFIG.save(deps.storage, &cfg)?;
    Ok(Response::new()
        .add_attribute("action", "set_paused")
        .add_attribute("paused", paused.to_string()))
}

/// Pauses or resumes the inbound lane from `chain` and sets its rate limit.
pub fn execute_set_lane(
    deps: DepsMut,
    info: MessageInfo,
    cfg: &Config,
    chain: u32,
    paused: bool,
    rate_per_hour: u32,
) -> Result<Response, ContractError> {
    ensure_admin(cfg, &info)?;
    if chain == 0 || chain == cfg.chain_id {
        return Err(ContractError::InvalidConfig {
            reason: format!("lane {chain} must be non-zero and not this chain"),
        });
    }
    check_rate(rate_per_hour, cfg.max_batch)?;
    let control = LaneControl {
        paused,
        rate_per_hour,
    };
    if control == LaneControl::default() {
        LANE_CONTROLS.remove(deps.storage, chain);
    } else {
        LANE_CONTROLS.save(deps.storage, chain, &control)?;
    }
    Ok(Response::new()
        .add_attribute("action", "set_lane")
        .add_attribute("chain", chain.to_string())
        .add_attribute("paused", paused.to_string())
        .add_attribute("rate_per_hour", rate_per_hour.to_string()))
}

pub const MAX_DROP: usize = 100;

/// Governance forgets refused messages (e.g. signed by a rotated-out relayer set, or whose
/// cause will never go): they can no longer be re-applied.
pub fn execute_drop_refusals(
    deps: DepsMut,
    info: MessageInfo,
    cfg: &Config,
    src: u32,
    nonces: Vec<u64>,
) -> Result<Response, ContractError> {
    ensure_admin(cfg, &info)?;
    if nonces.len() > MAX_DROP {
        return Err(ContractError::InvalidConfig {
            reason: format!("at most {MAX_DROP} refusals per call"),
        });
    }
    for &nonce in &nonces {
        if !REFUSALS.has(deps.storage, (src, nonce)) {
            return Err(ContractError::NotRefused { src, nonce });
        }
        REFUSALS.remove(deps.storage, (src, nonce));
    }
    let dropped: Vec<String> = nonces.iter().map(u64::to_string).collect();
    Ok(Response::new()
        .add_attribute("action", "drop_refusals")
        .add_attribute("src", src.to_string())
        .add_attribute("nonces", dropped.join(",")))
}

pub fn execute_transfer_admin(
    deps: DepsMut,
    info: MessageInfo,
    mut cfg: Config,
    new_admin: String,
) -> Result<Response, ContractError> {
    ensure_admin(&cfg, &info)?;
    cfg.admin = deps.api.addr_validate(&new_admin)?;
    CONFIG.save(deps.storage, &cfg)?;
    Ok(Response::new()
        .add_attribute("action", "transfer_admin")
        .add_attribute("admin", cfg.admin))
}

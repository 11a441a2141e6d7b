//! Governance: relayer set and threshold, fees, peers, pause, admin hand-over.

use cosmwasm_std::{Binary, DepsMut, HexBinary, MessageInfo, Response, Storage};

use crate::account::{hex, Account};
use crate::error::ContractError;
use crate::msg::ExecuteMsg;
use crate::state::{Config, RelayerSet, CONFIG, RELAYERS};

pub const MAX_RELAYERS: usize = 32;
pub const MAX_BATCH_LIMIT: u32 = 200;

pub fn is_admin_msg(msg: &ExecuteMsg) -> bool {
    matches!(
        msg,
        ExecuteMsg::UpdateConfig { .. }
            | ExecuteMsg::SetRelayers { .. }
            | ExecuteMsg::SetPaused { .. }
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

pub fn check_max_batch(max: u32) -> Result<(), ContractError> {
    if max == 0 || max > MAX_BATCH_LIMIT {
        return Err(ContractError::InvalidConfig {
            reason: format!("max_batch {max} must be within 1..={MAX_BATCH_LIMIT}"),
        });
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
    if threshold == 0 || threshold as usize > relayers.len() {
        return Err(ContractError::InvalidConfig {
            reason: format!(
                "threshold {threshold} must be within 1..={}",
                relayers.len()
            ),
        });
    }
    let pubkeys = relayers
        .into_iter()
        .map(|k| Binary::from(k.to_vec()))
        .collect();
    RELAYERS.save(storage, &RelayerSet { pubkeys, threshold })?;
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
        check_max_batch(m)?;
        cfg.max_batch = m;
    }
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
    save_relayers(deps.storage, relayers, threshold)?;
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

//! Keys resident on this chain: buying (mint) and the cw721 execute messages.

use cosmwasm_std::{
    to_json_binary, Addr, Api, Binary, DepsMut, Empty, Env, Event, MessageInfo, Response, Storage,
    Uint128, WasmMsg,
};
use cw_utils::Expiration;

use crate::account::{hex, word_of_addr};
use crate::error::ContractError;
use crate::models::{make_id, next_serial};
use crate::msg::{Cw721ReceiveMsg, ReceiverExecuteMsg};
use crate::outbound::{self, Fact};
use crate::state::{
    hold, release, tally_of, Config, Escrow, EscrowStatus, KeyApproval, LocalKey, Model, Tally,
    ALLOWLIST, COUNTERS, ESCROWS, LOCAL_KEYS, MIRRORED_KEYS, MODELS, OPERATORS, OWNED, TALLIES,
};

/// A cw721 token id is the key id in canonical decimal.
pub fn parse_token_id(token_id: &str) -> Result<u64, ContractError> {
    let bad = || ContractError::InvalidTokenId {
        token_id: token_id.to_string(),
    };
    if token_id.is_empty() || !token_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if token_id.len() > 1 && token_id.starts_with('0') {
        return Err(bad());
    }
    token_id.parse::<u64>().map_err(|_| bad())
}

/// Loads a key resident here; a mirrored key is reported as read-only.
pub fn load_local(
    api: &dyn Api,
    storage: &dyn Storage,
    id: u64,
) -> Result<LocalKey, ContractError> {
    if let Some(k) = LOCAL_KEYS.may_load(api, storage, id)? {
        return Ok(k);
    }
    match MIRRORED_KEYS.may_load(storage, id)? {
        Some(m) => Err(ContractError::MirroredKeyReadOnly {
            id,
            chain: m.resident_chain,
        }),
        None => Err(ContractError::UnknownKey { id }),
    }
}

/// Counts a new key against the model's supply cap; the caller saves the tally.
pub fn count_mint(model: &Model, tally: &mut Tally) -> Result<(), ContractError> {
    if let Some(cap) = model.policy.max_supply {
        if tally.minted >= cap {
            return Err(ContractError::SoldOut { id: model.id, cap });
        }
    }
    tally.minted += 1;
    Ok(())
}

pub fn execute_buy(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    cfg: &Config,
    model_id: u64,
    recipient: Option<String>,
    with_deployment: bool,
) -> Result<Response, ContractError> {
    let model = MODELS
        .may_load(deps.storage, model_id)?
        .ok_or(ContractError::UnknownModel { id: model_id })?;
    if model.price.is_zero() || model.retired {
        return Err(ContractError::NotForSale { id: model_id });
    }
    let buyer_word = word_of_addr(deps.api, &info.sender)?;
    if model.policy.allowlist_only
        && !ALLOWLIST.has(deps.storage, (model_id, buyer_word.as_slice()))
    {
        return Err(ContractError::NotAllowlisted {
            id: model_id,
            account: info.sender.to_string(),
        });
    }
    let deploy = if with_deployment {
        if model.deploy_price.is_zero() {
            return Err(ContractError::NoDeployment { id: model_id });
        }
        model.deploy_price
    } else {
        Uint128::zero()
    };
    let expected = model
        .price
        .checked_add(deploy)
        .map_err(cosmwasm_std::StdError::from)?;
    let paid = cw_utils::must_pay(&info, &cfg.denom)?;
    if paid != expected {
        return Err(ContractError::WrongAmount {
            expected,
            got: paid,
            denom: cfg.denom.clone(),
        });
    }
    let owner = match recipient {
        Some(r) => deps.api.addr_validate(&r)?,
        None => info.sender.clone(),
    };
    let owner_word = word_of_addr(deps.api, &owner)?;

    // The model's tally and the chain's counters are read and written once each.
    let mut tally = tally_of(deps.storage, model_id)?;
    count_mint(&model, &mut tally)?;
    tally.vault += model.price;
    TALLIES.save(deps.storage, model_id, &tally)?;
    let mut counters = COUNTERS.load(deps.storage)?;
    let now = env.block.time.seconds();
    let key_id = make_id(cfg.chain_id, next_serial(&mut counters.key_serial)?);
    counters.local_keys += 1;
    let key = LocalKey {
        model: model_id,
        owner: owner.clone(),
        expires_at: model
            .policy
            .key_lifetime_secs
            .map(|l| now.saturating_add(l)),
        locked: model.policy.soulbound,
        approvals: vec![],
    };
    LOCAL_KEYS.save(deps.api, deps.storage, key_id, &key)?;
    OWNED.save(deps.storage, (&owner_word, key_id), &Empty {})?;
    hold(deps.storage, &owner_word, model_id, key_id, key.expires_at)?;
    if with_deployment {
        ESCROWS.save(
            deps.storage,
            key_id,
            &Escrow {
                key_id,
                model: model_id,
                buyer: info.sender.clone(),
                amount: deploy,
                created_at: now,
                status: EscrowStatus::Pending,
            },
        )?;
    }

    let events = outbound::emit_counted(
        deps.storage,
        cfg,
        &mut counters,
        &[
            Fact::KeyMinted {
                model: model_id,
                key: key_id,
                owner: &owner_word,
                expires_at: key.expires_at,
                locked: key.locked,
            },
            Fact::PurchaseSettled {
                purchase: key_id,
                model: model_id,
                key: key_id,
                buyer: &buyer_word,
                denom: &cfg.denom,
                amount: expected,
                with_deployment,
            },
        ],
    )?;
    COUNTERS.save(deps.storage, &counters)?;
    Ok(Response::new()
        .add_attribute("action", "buy_key")
        .add_attribute("model", model_id.to_string())
        .add_attribute("token_id", key_id.to_string())
        .add_attribute("owner", owner)
        .add_attribute("price", model.price)
        .add_attribute("escrow", deploy)
        .add_events(events))
}

pub fn can_send(
    storage: &dyn Storage,
    env: &Env,
    sender: &Addr,
    key: &LocalKey,
) -> Result<bool, ContractError> {
    if key.owner == *sender {
        return Ok(true);
    }
    if key
        .approvals
        .iter()
        .any(|a| a.spender == *sender && !a.expires.is_expired(&env.block))
    {
        return Ok(true);
    }
    Ok(match OPERATORS.may_load(storage, (&key.owner, sender))? {
        Some(exp) => !exp.is_expired(&env.block),
        None => false,
    })
}

fn can_approve(
    storage: &dyn Storage,
    env: &Env,
    sender: &Addr,
    key: &LocalKey,
) -> Result<bool, ContractError> {
    if key.owner == *sender {
        return Ok(true);
    }
    Ok(match OPERATORS.may_load(storage, (&key.owner, sender))? {
        Some(exp) => !exp.is_expired(&env.block),
        None => false,
    })
}

pub fn unauthorized_key(id: u64) -> ContractError {
    ContractError::Unauthorized {
        role: format!("the owner of key {id} or an approved spender"),
    }
}

/// Moves a local key to `to`; returns the outbound events.
fn move_key(
    deps: &mut DepsMut,
    env: &Env,
    info: &MessageInfo,
    cfg: &Config,
    token_id: &str,
    to: &Addr,
) -> Result<(u64, Vec<Event>), ContractError> {
    let id = parse_token_id(token_id)?;
    let key = load_local(deps.api, deps.storage, id)?;
    if !can_send(deps.storage, env, &info.sender, &key)? {
        return Err(unauthorized_key(id));
    }
    let events = transfer_key(deps, cfg, id, key, to)?;
    Ok((id, events))
}

/// The one path a local key changes holder (cw721 transfer or send, resale fill): the
/// holder indexes, the key record (approvals cleared) and the `KeyTransferred` journal entry
/// peers and the lease service act on. The caller has checked the sender's right.
pub fn transfer_key(
    deps: &mut DepsMut,
    cfg: &Config,
    id: u64,
    mut key: LocalKey,
    to: &Addr,
) -> Result<Vec<Event>, ContractError> {
    if key.locked {
        return Err(ContractError::Soulbound { id });
    }
    let from = key.owner.clone();
    let from_word = word_of_addr(deps.api, &from)?;
    let to_word = word_of_addr(deps.api, to)?;
    OWNED.remove(deps.storage, (&from_word, id));
    OWNED.save(deps.storage, (&to_word, id), &Empty {})?;
    release(deps.storage, &from_word, key.model, id, key.expires_at);
    hold(deps.storage, &to_word, key.model, id, key.expires_at)?;
    key.owner = to.clone();
    key.approvals.clear();
    LOCAL_KEYS.save(deps.api, deps.storage, id, &key)?;
    let events = outbound::emit(
        deps.storage,
        cfg,
        &[Fact::KeyTransferred {
            key: id,
            model: key.model,
            from: &from_word,
            to: &to_word,
        }],
    )?;
    Ok(events)
}

pub fn execute_transfer(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    cfg: &Config,
    recipient: String,
    token_id: String,
) -> Result<Response, ContractError> {
    let to = deps.api.addr_validate(&recipient)?;
    let (_, events) = move_key(&mut deps, &env, &info, cfg, &token_id, &to)?;
    Ok(Response::new()
        .add_attribute("action", "transfer_nft")
        .add_attribute("sender", info.sender)
        .add_attribute("recipient", to)
        .add_attribute("token_id", token_id)
        .add_events(events))
}

pub fn execute_send(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    cfg: &Config,
    contract: String,
    token_id: String,
    msg: Binary,
) -> Result<Response, ContractError> {
    let to = deps.api.addr_validate(&contract)?;
    let (_, events) = move_key(&mut deps, &env, &info, cfg, &token_id, &to)?;
    let receive = ReceiverExecuteMsg::ReceiveNft(Cw721ReceiveMsg {
        sender: info.sender.to_string(),
        token_id: token_id.clone(),
        msg,
    });
    Ok(Response::new()
        .add_message(WasmMsg::Execute {
            contract_addr: to.to_string(),
            msg: to_json_binary(&receive)?,
            funds: vec![],
        })
        .add_attribute("action", "send_nft")
        .add_attribute("sender", info.sender)
        .add_attribute("recipient", to)
        .add_attribute("token_id", token_id)
        .add_events(events))
}

pub fn execute_approve(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    spender: String,
    token_id: String,
    expires: Option<Expiration>,
) -> Result<Response, ContractError> {
    let id = parse_token_id(&token_id)?;
    let mut key = load_local(deps.api, deps.storage, id)?;
    if !can_approve(deps.storage, &env, &info.sender, &key)? {
        return Err(ContractError::Unauthorized {
            role: format!("the owner of key {id} or its operator"),
        });
    }
    if key.locked {
        return Err(ContractError::Soulbound { id });
    }
    let spender = deps.api.addr_validate(&spender)?;
    let expires = expires.unwrap_or_default();
    if expires.is_expired(&env.block) {
        return Err(ContractError::Expired);
    }
    key.approvals.retain(|a| a.spender != spender);
    key.approvals.push(KeyApproval {
        spender: spender.clone(),
        expires,
    });
    LOCAL_KEYS.save(deps.api, deps.storage, id, &key)?;
    Ok(Response::new()
        .add_attribute("action", "approve")
        .add_attribute("sender", info.sender)
        .add_attribute("spender", spender)
        .add_attribute("token_id", token_id))
}

pub fn execute_revoke(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    spender: String,
    token_id: String,
) -> Result<Response, ContractError> {
    let id = parse_token_id(&token_id)?;
    let mut key = load_local(deps.api, deps.storage, id)?;
    if !can_approve(deps.storage, &env, &info.sender, &key)? {
        return Err(ContractError::Unauthorized {
            role: format!("the owner of key {id} or its operator"),
        });
    }
    let spender = deps.api.addr_validate(&spender)?;
    let before = key.approvals.len();
    key.approvals.retain(|a| a.spender != spender);
    if key.approvals.len() == before {
        return Err(ContractError::ApprovalNotFound {
            id,
            spender: spender.to_string(),
        });
    }
    LOCAL_KEYS.save(deps.api, deps.storage, id, &key)?;
    Ok(Response::new()
        .add_attribute("action", "revoke")
        .add_attribute("sender", info.sender)
        .add_attribute("spender", spender)
        .add_attribute("token_id", token_id))
}

pub fn execute_approve_all(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    operator: String,
    expires: Option<Expiration>,
) -> Result<Response, ContractError> {
    let operator = deps.api.addr_validate(&operator)?;
    let expires = expires.unwrap_or_default();
    if expires.is_expired(&env.block) {
        return Err(ContractError::Expired);
    }
    OPERATORS.save(deps.storage, (&info.sender, &operator), &expires)?;
    Ok(Response::new()
        .add_attribute("action", "approve_all")
        .add_attribute("sender", info.sender)
        .add_attribute("operator", operator))
}

pub fn execute_revoke_all(
    deps: DepsMut,
    info: MessageInfo,
    operator: String,
) -> Result<Response, ContractError> {
    let operator = deps.api.addr_validate(&operator)?;
    OPERATORS.remove(deps.storage, (&info.sender, &operator));
    Ok(Response::new()
        .add_attribute("action", "revoke_all")
        .add_attribute("sender", info.sender)
        .add_attribute("operator", operator))
}

pub fn execute_burn(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    cfg: &Config,
    token_id: String,
) -> Result<Response, ContractError> {
    let id = parse_token_id(&token_id)?;
    let key = load_local(deps.api, deps.storage, id)?;
    if !can_send(deps.storage, &env, &info.sender, &key)? {
        return Err(unauthorized_key(id));
    }
    let owner_word = word_of_addr(deps.api, &key.owner)?;
    LOCAL_KEYS.remove(deps.storage, id);
    OWNED.remove(deps.storage, (&owner_word, id));
    release(deps.storage, &owner_word, key.model, id, key.expires_at);
    let mut counters = COUNTERS.load(deps.storage)?;
    counters.local_keys = counters.local_keys.saturating_sub(1);
    let events = outbound::emit_counted(
        deps.storage,
        cfg,
        &mut counters,
        &[Fact::KeyBurned {
            key: id,
            model: key.model,
            owner: &owner_word,
        }],
    )?;
    COUNTERS.save(deps.storage, &counters)?;
    Ok(Response::new()
        .add_attribute("action", "burn")
        .add_attribute("sender", info.sender)
        .add_attribute("token_id", token_id)
        .add_attribute("owner_word", hex(&owner_word))
        .add_events(events))
}

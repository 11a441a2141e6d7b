//! Publishing, forking and updating models on this chain.

use cosmwasm_std::{Binary, DepsMut, Empty, Env, HexBinary, MessageInfo, Response, Uint128};

use crate::account::{hex, word_of_addr, Account, FAMILY_EVM};
use crate::binding;
use crate::error::ContractError;
use crate::msg::PublishArgs;
use crate::outbound::{self, Fact};
use crate::state::{
    Config, Model, Royalty, ALLOWLIST, COUNTERS, CREATORS, MODELS, PRICE_ORDER_NONCES,
};

pub const MAX_URI_LEN: usize = 512;
pub const MAX_ALLOWLIST_CHANGE: usize = 100;

/// Global id from the origin chain and a local serial.
pub fn make_id(chain: u32, serial: u32) -> u64 {
    ((chain as u64) << 32) | serial as u64
}

pub fn origin_of(id: u64) -> u32 {
    (id >> 32) as u32
}

/// Advances a local serial (one of `Counters`) and returns the new one.
pub fn next_serial(serial: &mut u32) -> Result<u32, ContractError> {
    *serial = serial.checked_add(1).ok_or(ContractError::SerialOverflow)?;
    Ok(*serial)
}

pub const MAX_FORK_ROYALTY_BPS: u16 = 5_000;
pub const MAX_DAO_BPS: u16 = 4_000;
pub const MAX_PROTOCOL_FEE_BPS: u16 = 1_000;
/// The EVM registry's `MAX_SECONDARY_ROYALTY_BPS`.
pub const MAX_RESALE_BPS: u16 = 2_500;

/// Same caps as the EVM registry, so upstream + dao + protocol never exceed 100 %.
pub fn check_royalty(r: &Royalty) -> Result<(), ContractError> {
    if r.fork_royalty_bps > MAX_FORK_ROYALTY_BPS {
        return Err(ContractError::RoyaltyTooHigh {
            field: "fork_royalty_bps".into(),
            bps: r.fork_royalty_bps,
            max: MAX_FORK_ROYALTY_BPS,
        });
    }
    if r.dao_bps > MAX_DAO_BPS {
        return Err(ContractError::RoyaltyTooHigh {
            field: "dao_bps".into(),
            bps: r.dao_bps,
            max: MAX_DAO_BPS,
        });
    }
    if let Some(bps) = r.resale_bps.filter(|&b| b > MAX_RESALE_BPS) {
        return Err(ContractError::RoyaltyTooHigh {
            field: "resale_bps".into(),
            bps,
            max: MAX_RESALE_BPS,
        });
    }
    Ok(())
}

pub fn check_content(content: &[u8]) -> Result<(), ContractError> {
    if content.len() != 32 {
        return Err(ContractError::InvalidModel {
            reason: format!("content commitment must be 32 bytes, got {}", content.len()),
        });
    }
    Ok(())
}

pub fn check_uri(uri: &str) -> Result<(), ContractError> {
    if uri.is_empty() || uri.len() > MAX_URI_LEN {
        return Err(ContractError::InvalidModel {
            reason: format!("sdl_uri must be 1..={MAX_URI_LEN} bytes, got {}", uri.len()),
        });
    }
    Ok(())
}

pub fn execute_publish(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    cfg: &Config,
    parent: Option<(u64, HexBinary)>,
    args: PublishArgs,
) -> Result<Response, ContractError> {
    check_content(args.content.as_slice())?;
    check_uri(&args.sdl_uri)?;
    check_royalty(&args.royalty)?;
    if let Some(key_lifetime) = args.policy.key_lifetime_secs {
        if key_lifetime == 0 {
            return Err(ContractError::InvalidModel {
                reason: "key_lifetime_secs must be > 0".into(),
            });
        }
    }
    let dao = args.dao.map(|d| d.to_word(deps.api)).transpose()?;
    let (parent_id, upstream_bps) = match parent {
        None => (None, 0),
        Some((pid, parent_content)) => {
            let p = MODELS
                .may_load(deps.storage, pid)?
                .ok_or(ContractError::UnknownModel { id: pid })?;
            if !p.policy.forkable || p.retired {
                return Err(ContractError::NotForkable { id: pid });
            }
            if parent_content.as_slice() != p.content.as_slice() {
                return Err(ContractError::ParentContentMismatch {
                    parent: pid,
                    expected: hex(&p.content),
                });
            }
            (Some(pid), p.royalty.fork_royalty_bps)
        }
    };
    let creator = word_of_addr(deps.api, &info.sender)?;
    let mut counters = COUNTERS.load(deps.storage)?;
    let id = make_id(cfg.chain_id, next_serial(&mut counters.model_serial)?);
    let model = Model {
        id,
        origin_chain: cfg.chain_id,
        creator: creator.into(),
        parent: parent_id,
        upstream_bps,
        content: Binary::from(args.content.to_vec()),
        sdl_uri: args.sdl_uri,
        price: args.price,
        deploy_price: args.deploy_price,
        policy: args.policy,
        royalty: args.royalty,
        dao: dao.map(Binary::from),
        minted: 0,
        retired: false,
        sequence: 0,
    };
    MODELS.save(deps.storage, id, &model)?;
    CREATORS.save(deps.storage, &model.creator, &Empty {})?;
    let events = outbound::emit_counted(
        deps.storage,
        cfg,
        &mut counters,
        &[Fact::ModelRegistered(&model)],
    )?;
    COUNTERS.save(deps.storage, &counters)?;
    Ok(Response::new()
        .add_attribute(
            "action",
            if parent_id.is_some() {
                "fork"
            } else {
                "publish"
            },
        )
        .add_attribute("model", id.to_string())
        .add_attribute("creator", info.sender)
        .add_attribute(
            "parent",
            parent_id.map(|p| p.to_string()).unwrap_or_default(),
        )
        .add_events(events))
}

/// The creator itself, when it is an account of this chain. A bound payout address only
/// receives the creator's earnings: it has no say over the creator's models.
pub fn ensure_creator(
    deps: &DepsMut,
    info: &MessageInfo,
    model: &Model,
) -> Result<(), ContractError> {
    let sender = word_of_addr(deps.api, &info.sender)?;
    if sender.as_slice() == model.creator.as_slice() {
        return Ok(());
    }
    Err(ContractError::Unauthorized {
        role: format!("the creator of model {}", model.id),
    })
}

#[allow(clippy::too_many_arguments)]
pub fn execute_update(
    deps: DepsMut,
    info: MessageInfo,
    cfg: &Config,
    id: u64,
    price: Option<Uint128>,
    deploy_price: Option<Uint128>,
    content: Option<HexBinary>,
    sdl_uri: Option<String>,
    resale_bps: Option<u16>,
) -> Result<Response, ContractError> {
    let mut model = MODELS
        .may_load(deps.storage, id)?
        .ok_or(ContractError::UnknownModel { id })?;
    ensure_creator(&deps, &info, &model)?;
    if let Some(p) = price {
        model.price = p;
    }
    if let Some(bps) = resale_bps {
        // A mirror's rate would not be the home chain's (ModelRegistered does not carry it).
        if model.origin_chain != cfg.chain_id {
            return Err(ContractError::InvalidModel {
                reason: format!(
                    "resale_bps of model {id} can only be set on its home chain {}",
                    model.origin_chain
                ),
            });
        }
        let royalty = Royalty {
            resale_bps: Some(bps),
            ..model.royalty
        };
        check_royalty(&royalty)?;
        model.royalty = royalty;
    }
    if let Some(p) = deploy_price {
        model.deploy_price = p;
    }
    let mut events = vec![];
    if content.is_some() || sdl_uri.is_some() {
        // The content and its locator are global: only the home chain changes them, and
        // numbers each change so that every mirror applies the latest one only.
        if model.origin_chain != cfg.chain_id {
            return Err(ContractError::InvalidModel {
                reason: format!(
                    "content and sdl_uri of model {id} can only change on chain {}",
                    model.origin_chain
                ),
            });
        }
        if let Some(c) = content {
            check_content(c.as_slice())?;
            model.content = Binary::from(c.to_vec());
        }
        if let Some(uri) = sdl_uri {
            check_uri(&uri)?;
            model.sdl_uri = uri;
        }
        model.sequence += 1;
        events = outbound::emit(deps.storage, cfg, &[Fact::ModelUpdated(&model)])?;
    }
    MODELS.save(deps.storage, id, &model)?;
    Ok(Response::new()
        .add_attribute("action", "update_model")
        .add_attribute("model", id.to_string())
        .add_attribute("price", model.price)
        .add_attribute("deploy_price", model.deploy_price)
        .add_attributes(resale_bps.map(|b| ("resale_bps", b.to_string())))
        .add_events(events))
}

/// An EVM creator's signed price order for its mirrored model (`SetPriceSigned`): anyone may
/// submit it; the signature, not the sender, is the authority.
pub fn execute_set_price_signed(
    deps: DepsMut,
    cfg: &Config,
    id: u64,
    (price, deploy_price, listed): (Uint128, Uint128, bool),
    nonce: u64,
    signature: &[u8],
) -> Result<Response, ContractError> {
    let mut model = MODELS
        .may_load(deps.storage, id)?
        .ok_or(ContractError::UnknownModel { id })?;
    let creator = model.creator.to_vec();
    if creator.first() != Some(&FAMILY_EVM) {
        return Err(ContractError::NotAnEvmCreatorsModel { id });
    }
    // The order's deploymentPrice is a uint120 (as on EVM), so a larger value has no signature.
    if deploy_price.u128() >> 120 != 0 {
        return Err(ContractError::PriceOrderRefused {
            reason: format!("deploy_price {deploy_price} does not fit the order's uint120"),
        });
    }
    let last = PRICE_ORDER_NONCES
        .may_load(deps.storage, &creator)?
        .unwrap_or(0);
    if nonce != last + 1 {
        return Err(ContractError::PriceOrderNonceNotNext { nonce, last });
    }
    let hash = binding::price_order_hash(
        &creator,
        cfg.chain_id,
        id,
        price.u128(),
        deploy_price.u128(),
        listed,
        nonce,
    );
    binding::verify_from_home(
        deps.api,
        cfg,
        model.origin_chain,
        &creator,
        signature,
        &hash,
    )
    .map_err(|e| match e {
        ContractError::InvalidBindingSignature { reason } => {
            ContractError::PriceOrderRefused { reason }
        }
        e => e,
    })?;
    PRICE_ORDER_NONCES.save(deps.storage, &creator, &nonce)?;
    (model.price, model.deploy_price) = if listed {
        (price, deploy_price)
    } else {
        (Uint128::zero(), Uint128::zero())
    };
    MODELS.save(deps.storage, id, &model)?;
    Ok(Response::new()
        .add_attribute("action", "set_price_signed")
        .add_attribute("model", id.to_string())
        .add_attribute("nonce", nonce.to_string())
        .add_attribute("price", model.price)
        .add_attribute("deploy_price", model.deploy_price))
}

pub fn execute_set_allowlist(
    deps: DepsMut,
    info: MessageInfo,
    id: u64,
    add: Vec<Account>,
    remove: Vec<Account>,
) -> Result<Response, ContractError> {
    let model = MODELS
        .may_load(deps.storage, id)?
        .ok_or(ContractError::UnknownModel { id })?;
    ensure_creator(&deps, &info, &model)?;
    if add.len() + remove.len() > MAX_ALLOWLIST_CHANGE {
        return Err(ContractError::InvalidModel {
            reason: format!("at most {MAX_ALLOWLIST_CHANGE} allowlist changes per call"),
        });
    }
    let add: Vec<Vec<u8>> = add
        .iter()
        .map(|a| a.to_word(deps.api))
        .collect::<Result<_, _>>()?;
    let remove: Vec<Vec<u8>> = remove
        .iter()
        .map(|a| a.to_word(deps.api))
        .collect::<Result<_, _>>()?;
    for w in &add {
        ALLOWLIST.save(deps.storage, (id, w), &Empty {})?;
    }
    for w in &remove {
        ALLOWLIST.remove(deps.storage, (id, w));
    }
    Ok(Response::new()
        .add_attribute("action", "set_allowlist")
        .add_attribute("model", id.to_string())
        .add_attribute("added", add.len().to_string())
        .add_attribute("removed", remove.len().to_string()))
}

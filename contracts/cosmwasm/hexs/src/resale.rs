//! Resale of keys resident on this chain: listings, escrowed offers and their fills.
//!
//! A fill pays the model's resale royalty into its vault (settled up the lineage like a
//! primary sale's revenue), credits the rest to the seller (`claim`), and moves the key through
//! `keys::transfer_key`, the path every transfer takes, so peers and the lease service see a
//! `KeyTransferred`.

use cosmwasm_std::{
    coins, Addr, Api, BankMsg, Coin, DepsMut, Empty, Env, Event, MessageInfo, Response, Storage,
    Uint128,
};

use crate::account::word_of_addr;
use crate::error::ContractError;
use crate::keys::{can_send, load_local, parse_token_id, transfer_key, unauthorized_key};
use crate::royalties::{bps, credit};
use crate::state::{
    tally_of, Config, Listing, LocalKey, Model, Offer, LISTINGS, LISTINGS_BY_MODEL, LOCAL_KEYS,
    MIRRORED_KEYS, MODELS, OFFERS, TALLIES,
};

/// The model's resale royalty rate; a model without one cannot have its keys resold here.
pub fn resale_bps(model: &Model, id: u64) -> Result<u16, ContractError> {
    model
        .royalty
        .resale_bps
        .ok_or(ContractError::ResaleRoyaltyUnset {
            model: model.id,
            id,
        })
}

fn check_not_expired(env: &Env, id: u64, key: &LocalKey) -> Result<(), ContractError> {
    match key.expires_at {
        Some(at) if at <= env.block.time.seconds() => {
            Err(ContractError::KeyExpired { id, expired_at: at })
        }
        _ => Ok(()),
    }
}

/// The listed key, if its seller still holds it here and it has not expired.
fn live_key(
    api: &dyn Api,
    storage: &dyn Storage,
    env: &Env,
    listing: &Listing,
) -> Result<LocalKey, ContractError> {
    let id = listing.key_id;
    let stale = |holder: String| ContractError::ListingStale {
        id,
        seller: listing.seller.to_string(),
        holder,
    };
    let key = match LOCAL_KEYS.may_load(api, storage, id)? {
        Some(k) => k,
        None => {
            return Err(stale(match MIRRORED_KEYS.may_load(storage, id)? {
                Some(m) => format!("moved to chain {}", m.resident_chain),
                None => "burned".into(),
            }))
        }
    };
    if key.owner != listing.seller {
        return Err(stale(key.owner.to_string()));
    }
    check_not_expired(env, id, &key)?;
    Ok(key)
}

fn remove_listing(storage: &mut dyn Storage, id: u64, model: u64) {
    LISTINGS.remove(storage, id);
    LISTINGS_BY_MODEL.remove(storage, (model, id));
}

/// Pays for key `id` at `price` (in `cfg.denom`, already received): royalty into the model's
/// vault, the rest credited to `seller`, the key to `buyer`. Returns the royalty and the
/// transfer's outbound events.
fn fill(
    deps: &mut DepsMut,
    cfg: &Config,
    id: u64,
    key: LocalKey,
    seller: &Addr,
    buyer: &Addr,
    price: Uint128,
) -> Result<(Uint128, Vec<Event>), ContractError> {
    let model_id = key.model;
    let model = MODELS
        .may_load(deps.storage, model_id)?
        .ok_or(ContractError::UnknownModel { id: model_id })?;
    let royalty = bps(price, resale_bps(&model, id)?);
    if !royalty.is_zero() {
        let mut tally = tally_of(deps.storage, model_id)?;
        tally.vault += royalty;
        TALLIES.save(deps.storage, model_id, &tally)?;
    }
    let seller_word = word_of_addr(deps.api, seller)?;
    credit(deps.storage, &seller_word, price - royalty)?;
    let events = transfer_key(deps, cfg, id, key, buyer)?;
    Ok((royalty, events))
}

fn filled_event(
    id: u64,
    model: u64,
    seller: &Addr,
    buyer: &Addr,
    price: &Coin,
    royalty: Uint128,
    via: &str,
) -> Event {
    Event::new("hexs_resale_filled")
        .add_attribute("token_id", id.to_string())
        .add_attribute("model", model.to_string())
        .add_attribute("seller", seller.to_string())
        .add_attribute("buyer", buyer.to_string())
        .add_attribute("denom", &price.denom)
        .add_attribute("price", price.amount)
        .add_attribute("royalty", royalty)
        .add_attribute("via", via)
}

pub fn execute_list(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    cfg: &Config,
    token_id: String,
    price: Coin,
) -> Result<Response, ContractError> {
    let id = parse_token_id(&token_id)?;
    let key = load_local(deps.api, deps.storage, id)?;
    if !can_send(deps.storage, &env, &info.sender, &key)? {
        return Err(unauthorized_key(id));
    }
    if key.locked {
        return Err(ContractError::Soulbound { id });
    }
    check_not_expired(&env, id, &key)?;
    if price.denom != cfg.denom {
        return Err(ContractError::ResaleDenomUnsupported {
            denom: price.denom,
            expected: cfg.denom.clone(),
        });
    }
    if price.amount.is_zero() {
        return Err(ContractError::ZeroListingPrice { id });
    }
    let model = MODELS.load(deps.storage, key.model)?;
    resale_bps(&model, id)?;
    let listing = Listing {
        key_id: id,
        model: key.model,
        seller: key.owner,
        denom: price.denom,
        price: price.amount,
        listed_at: env.block.time.seconds(),
    };
    LISTINGS.save(deps.storage, id, &listing)?;
    LISTINGS_BY_MODEL.save(deps.storage, (listing.model, id), &Empty {})?;
    Ok(Response::new()
        .add_attribute("action", "list_key")
        .add_attribute("token_id", token_id)
        .add_event(
            Event::new("hexs_listed")
                .add_attribute("token_id", id.to_string())
                .add_attribute("model", listing.model.to_string())
                .add_attribute("seller", listing.seller.to_string())
                .add_attribute("denom", &listing.denom)
                .add_attribute("price", listing.price),
        ))
}

pub fn execute_cancel_listing(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    token_id: String,
) -> Result<Response, ContractError> {
    let id = parse_token_id(&token_id)?;
    let listing = LISTINGS
        .may_load(deps.storage, id)?
        .ok_or(ContractError::NotListed { id })?;
    if info.sender != listing.seller {
        // Whoever may transfer the key now may clear a void listing of it.
        let allowed = match LOCAL_KEYS.may_load(deps.api, deps.storage, id)? {
            Some(key) => can_send(deps.storage, &env, &info.sender, &key)?,
            None => false,
        };
        if !allowed {
            return Err(ContractError::Unauthorized {
                role: format!("the seller of key {id} or whoever may transfer it"),
            });
        }
    }
    remove_listing(deps.storage, id, listing.model);
    Ok(Response::new()
        .add_attribute("action", "cancel_listing")
        .add_attribute("token_id", token_id)
        .add_event(
            Event::new("hexs_listing_cancelled")
                .add_attribute("token_id", id.to_string())
                .add_attribute("model", listing.model.to_string())
                .add_attribute("seller", listing.seller.to_string()),
        ))
}

pub fn execute_buy_listing(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    cfg: &Config,
    token_id: String,
) -> Result<Response, ContractError> {
    let id = parse_token_id(&token_id)?;
    let listing = LISTINGS
        .may_load(deps.storage, id)?
        .ok_or(ContractError::NotListed { id })?;
    let key = live_key(deps.api, deps.storage, &env, &listing)?;
    if info.sender == listing.seller {
        return Err(ContractError::OwnKey { id });
    }
    let paid = cw_utils::must_pay(&info, &listing.denom)?;
    if paid != listing.price {
        return Err(ContractError::WrongAmount {
            expected: listing.price,
            got: paid,
            denom: listing.denom,
        });
    }
    remove_listing(deps.storage, id, listing.model);
    let (royalty, events) = fill(
        &mut deps,
        cfg,
        id,
        key,
        &listing.seller,
        &info.sender,
        listing.price,
    )?;
    let price = Coin::new(listing.price, listing.denom);
    Ok(Response::new()
        .add_attribute("action", "buy_listing")
        .add_attribute("token_id", token_id)
        .add_event(filled_event(
            id,
            listing.model,
            &listing.seller,
            &info.sender,
            &price,
            royalty,
            "listing",
        ))
        .add_events(events))
}

pub fn execute_make_offer(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    cfg: &Config,
    token_id: String,
    expires_at: Option<u64>,
) -> Result<Response, ContractError> {
    let id = parse_token_id(&token_id)?;
    if expires_at.is_some_and(|at| at <= env.block.time.seconds()) {
        return Err(ContractError::Expired);
    }
    let key = load_local(deps.api, deps.storage, id)?;
    if key.locked {
        return Err(ContractError::Soulbound { id });
    }
    check_not_expired(&env, id, &key)?;
    if key.owner == info.sender {
        return Err(ContractError::OwnKey { id });
    }
    resale_bps(&MODELS.load(deps.storage, key.model)?, id)?;
    let amount = cw_utils::must_pay(&info, &cfg.denom)?;
    if OFFERS.has(deps.storage, (id, &info.sender)) {
        return Err(ContractError::OfferExists {
            id,
            bidder: info.sender.to_string(),
        });
    }
    let offer = Offer {
        key_id: id,
        bidder: info.sender.clone(),
        denom: cfg.denom.clone(),
        amount,
        made_at: env.block.time.seconds(),
        expires_at,
    };
    OFFERS.save(deps.storage, (id, &info.sender), &offer)?;
    Ok(Response::new()
        .add_attribute("action", "make_offer")
        .add_attribute("token_id", token_id)
        .add_event(
            Event::new("hexs_offer_made")
                .add_attribute("token_id", id.to_string())
                .add_attribute("model", key.model.to_string())
                .add_attribute("bidder", info.sender.to_string())
                .add_attribute("denom", &offer.denom)
                .add_attribute("amount", amount)
                .add_attributes(expires_at.map(|at| ("expires_at", at.to_string()))),
        ))
}

pub fn execute_accept_offer(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    cfg: &Config,
    token_id: String,
    bidder: String,
) -> Result<Response, ContractError> {
    let id = parse_token_id(&token_id)?;
    let bidder = deps.api.addr_validate(&bidder)?;
    let offer = OFFERS
        .may_load(deps.storage, (id, &bidder))?
        .ok_or_else(|| ContractError::NoOffer {
            id,
            bidder: bidder.to_string(),
        })?;
    if let Some(at) = offer
        .expires_at
        .filter(|&at| at <= env.block.time.seconds())
    {
        return Err(ContractError::OfferExpired {
            id,
            bidder: bidder.to_string(),
            expired_at: at,
        });
    }
    let key = load_local(deps.api, deps.storage, id)?;
    if !can_send(deps.storage, &env, &info.sender, &key)? {
        return Err(unauthorized_key(id));
    }
    check_not_expired(&env, id, &key)?;
    if key.owner == bidder {
        return Err(ContractError::OwnKey { id });
    }
    let seller = key.owner.clone();
    let model = key.model;
    OFFERS.remove(deps.storage, (id, &bidder));
    remove_listing(deps.storage, id, model);
    let (royalty, events) = fill(&mut deps, cfg, id, key, &seller, &bidder, offer.amount)?;
    let price = Coin::new(offer.amount, offer.denom);
    Ok(Response::new()
        .add_attribute("action", "accept_offer")
        .add_attribute("token_id", token_id)
        .add_event(filled_event(
            id, model, &seller, &bidder, &price, royalty, "offer",
        ))
        .add_events(events))
}

pub fn execute_cancel_offer(
    deps: DepsMut,
    info: MessageInfo,
    token_id: String,
) -> Result<Response, ContractError> {
    let id = parse_token_id(&token_id)?;
    let offer = OFFERS
        .may_load(deps.storage, (id, &info.sender))?
        .ok_or_else(|| ContractError::NoOffer {
            id,
            bidder: info.sender.to_string(),
        })?;
    OFFERS.remove(deps.storage, (id, &info.sender));
    Ok(Response::new()
        .add_message(BankMsg::Send {
            to_address: offer.bidder.to_string(),
            amount: coins(offer.amount.u128(), &offer.denom),
        })
        .add_attribute("action", "cancel_offer")
        .add_attribute("token_id", token_id)
        .add_event(
            Event::new("hexs_offer_cancelled")
                .add_attribute("token_id", id.to_string())
                .add_attribute("bidder", offer.bidder.to_string())
                .add_attribute("denom", &offer.denom)
                .add_attribute("amount", offer.amount),
        ))
}

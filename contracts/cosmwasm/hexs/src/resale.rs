//! Resale of keys resident on this chain: listings, escrowed offers and their fills.
//!
//! A fill pays the model's resale royalty into its vault (settled up the lineage like a
//! primary sale's revenue), credits the rest to the seller (`claim`), and moves the key through
//! `keys::transfer_key`, the path every transfer takes, so peers and the lease service see a
//! `KeyTransferred`.

use cosmwasm_std::{
    coins, Addr, Api, BankMsg, Coin, DepsMut, Empty, Env, Event, HexBinary, MessageInfo, Response,
    Storage, Uint128,
};
use hexs_codec as codec;

use crate::account::{hex, word_of_addr, Account};
use crate::error::{ContractError, MirrorError};
use crate::keys::{can_send, load_local, parse_token_id, transfer_key, unauthorized_key};
use crate::models::origin_of;
use crate::outbound::{self, from_codec_account, to_codec_account, Fact};
use crate::royalties::{bps, credit};
use crate::state::{
    hold, release, tally_of, Config, Listing, LocalKey, MirroredKey, Model, Offer, RemotePrice,
    COUNTERS, LISTINGS, LISTINGS_BY_MODEL, LOCAL_KEYS, MIRRORED_KEYS, MODELS, OFFERS, OWNED,
    REMOTE_PRICES, TALLIES,
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

/// A resale event: `ty` with the key's `token_id` first, then `attrs` in order (one builder
/// for all of them keeps the wasm small).
fn resale_event(ty: &str, id: u64, attrs: Vec<(&str, String)>) -> Event {
    Event::new(ty)
        .add_attribute("token_id", id.to_string())
        .add_attributes(attrs)
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
    resale_event(
        "hexs_resale_filled",
        id,
        vec![
            ("model", model.to_string()),
            ("seller", seller.to_string()),
            ("buyer", buyer.to_string()),
            ("denom", price.denom.clone()),
            ("price", price.amount.to_string()),
            ("royalty", royalty.to_string()),
            ("via", via.to_string()),
        ],
    )
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
        .add_event(resale_event(
            "hexs_listed",
            id,
            vec![
                ("model", listing.model.to_string()),
                ("seller", listing.seller.to_string()),
                ("denom", listing.denom),
                ("price", listing.price.to_string()),
            ],
        )))
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
        .add_event(resale_event(
            "hexs_listing_cancelled",
            id,
            vec![
                ("model", listing.model.to_string()),
                ("seller", listing.seller.to_string()),
            ],
        )))
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
            resale_event(
                "hexs_offer_made",
                id,
                vec![
                    ("model", key.model.to_string()),
                    ("bidder", info.sender.to_string()),
                    ("denom", offer.denom),
                    ("amount", amount.to_string()),
                ],
            )
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
        .add_event(resale_event(
            "hexs_offer_cancelled",
            id,
            vec![
                ("bidder", offer.bidder.to_string()),
                ("denom", offer.denom.clone()),
                ("amount", offer.amount.to_string()),
            ],
        )))
}

// Cross-chain fills from this chain (docs/resale.md, "Cross-chain fills from the CosmWasm
// chain"): a buyer on a peer chain escrows the remote price there and that chain journals a
// ResaleOrder; applied here, a fill moves the key to the buyer's chain (KeyMoved) and answers
// with a ResaleResult after it, so the paying chain sees the key arrive before it pays.

#[allow(clippy::too_many_arguments)]
pub fn execute_set_remote_price(
    deps: DepsMut,
    info: MessageInfo,
    cfg: &Config,
    token_id: String,
    chain: u32,
    currency: HexBinary,
    price: Uint128,
    payout: Account,
) -> Result<Response, ContractError> {
    let id = parse_token_id(&token_id)?;
    let listing = LISTINGS
        .may_load(deps.storage, id)?
        .ok_or(ContractError::NotListed { id })?;
    if info.sender != listing.seller {
        return Err(ContractError::Unauthorized {
            role: format!("the seller of key {id}'s listing"),
        });
    }
    if !cfg.peers.contains(&chain) || chain == cfg.akash_lane {
        return Err(ContractError::NotResalePeer { chain });
    }
    let mut attrs = vec![("chain", chain.to_string()), ("price", price.to_string())];
    if price.is_zero() {
        REMOTE_PRICES.remove(deps.storage, (id, chain));
    } else {
        if currency.is_empty() || currency.len() > codec::MAX_CURRENCY_LENGTH {
            return Err(ContractError::BadRemoteCurrency {
                len: currency.len(),
            });
        }
        let payout = payout.to_word(deps.api)?;
        attrs.push(("currency", currency.to_hex()));
        attrs.push(("payout", hex(&payout)));
        let rp = RemotePrice {
            seller: listing.seller,
            currency,
            price,
            payout: payout.into(),
        };
        REMOTE_PRICES.save(deps.storage, (id, chain), &rp)?;
    }
    Ok(Response::new()
        .add_attribute("action", "set_remote_price")
        .add_event(resale_event("hexs_remote_price_set", id, attrs)))
}

/// What an order from `src` fills, or why it is refused: the listing chain's rules of a
/// local purchase (listing live, key not expired) plus the seller's remote price for `src`
/// matching the order (currency, price, and the payout account named as its seller).
fn order_terms(
    api: &dyn Api,
    storage: &dyn Storage,
    env: &Env,
    src: u32,
    o: &codec::ResaleOrder,
) -> Result<(Listing, LocalKey, u16), String> {
    if o.deadline < env.block.time.seconds() {
        return Err(format!("expired at {}", o.deadline));
    }
    let err = |e: cosmwasm_std::StdError| e.to_string();
    let listing = LISTINGS
        .may_load(storage, o.key_id)
        .map_err(err)?
        .filter(|l| l.model == o.model_id)
        .ok_or("not listed")?;
    let key = live_key(api, storage, env, &listing).map_err(|e| e.to_string())?;
    if key.locked {
        return Err("soul-bound".into());
    }
    let rp = REMOTE_PRICES
        .may_load(storage, (o.key_id, src))
        .map_err(err)?
        .filter(|rp| rp.seller == listing.seller)
        .ok_or("no remote price for the paying chain")?;
    if rp.currency.as_slice() != o.currency.as_slice()
        || rp.price.u128() != o.price
        || rp.payout.as_slice() != from_codec_account(&o.seller).as_slice()
    {
        return Err("not the seller's remote price".into());
    }
    let model = MODELS.load(storage, key.model).map_err(err)?;
    let bps = resale_bps(&model, o.key_id).map_err(|e| e.to_string())?;
    Ok((listing, key, bps))
}

/// Applies a ResaleOrder addressed to this chain, arrived on the lane from `src` (the paying
/// chain): fills it or refuses it, and journals the ResaleResult either way (after the key's
/// KeyMoved for a fill). Only an order not placed on `src` is refused as a message.
pub fn apply_order(
    api: &dyn Api,
    storage: &mut dyn Storage,
    env: &Env,
    cfg: &Config,
    src: u32,
    o: codec::ResaleOrder,
) -> Result<Vec<Event>, MirrorError> {
    let origin = origin_of(o.order_id);
    if origin != src {
        return Err(MirrorError::OrderNotFromSource {
            id: o.order_id,
            origin,
            src,
        });
    }
    let id = o.key_id;
    let mut counters = COUNTERS.load(storage)?;
    let mut facts = vec![];
    let mut attrs = vec![
        ("order_id", o.order_id.to_string()),
        ("src", src.to_string()),
    ];
    let (filled, royalty) = match order_terms(api, storage, env, src, &o) {
        Ok((listing, key, rate)) => {
            let royalty = bps(Uint128::new(o.price), rate);
            remove_listing(storage, id, listing.model);
            REMOTE_PRICES.remove(storage, (id, src));
            // The key leaves: this chain mirrors it at the buyer's chain from now on.
            let seller = word_of_addr(api, &key.owner)?;
            let buyer = from_codec_account(&o.buyer);
            LOCAL_KEYS.remove(storage, id);
            OWNED.remove(storage, (&seller, id));
            release(storage, &seller, key.model, id, key.expires_at);
            hold(storage, &buyer, key.model, id, key.expires_at)?;
            let mirrored = MirroredKey {
                model: key.model,
                owner: buyer.into(),
                resident_chain: src,
                expires_at: key.expires_at,
                locked: key.locked,
            };
            MIRRORED_KEYS.save(storage, id, &mirrored)?;
            counters.local_keys = counters.local_keys.saturating_sub(1);
            facts.push(Fact::Ready(codec::Body::KeyMoved(codec::KeyMoved {
                key_id: id,
                model_id: key.model,
                from_chain: cfg.chain_id,
                to_chain: src,
                from: to_codec_account(&seller)?,
                owner: o.buyer,
                expires_at: key.expires_at.unwrap_or(0),
                locked: key.locked,
            })));
            attrs.push(("seller", listing.seller.to_string()));
            attrs.push(("royalty", royalty.to_string()));
            (true, royalty)
        }
        Err(reason) => {
            attrs.push(("reason", reason));
            (false, Uint128::zero())
        }
    };
    facts.push(Fact::Ready(codec::Body::ResaleResult(
        codec::ResaleResult {
            order_id: o.order_id,
            key_id: id,
            filled,
            lease_escrow: 0,
            royalty: royalty.u128(),
        },
    )));
    attrs.push(("filled", filled.to_string()));
    let mut events = vec![resale_event("hexs_remote_order", id, attrs)];
    events.extend(outbound::emit_counted(storage, cfg, &mut counters, &facts)?);
    COUNTERS.save(storage, &counters)?;
    Ok(events)
}

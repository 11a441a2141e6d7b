//! Read side: Hexs queries and the cw721 query shapes.

use cosmwasm_std::{
    Coin, Deps, Env, HexBinary, Order, StdError, StdResult, Storage, Uint128, Uint64,
};
use cw_storage_plus::Bound;

use crate::account::{local_addr, word_of_addr, Account};
use crate::keys::{load_local, parse_token_id};
use crate::msg::{
    AllNftInfoResponse, Approval, ApprovalResponse, ApprovalsResponse, ConfigResponse,
    ContractInfoResponse, HasAccessResponse, KeyExtension, KeyResponse, LaneNonce, LanesResponse,
    ListingResponse, ListingsResponse, MinterResponse, ModelsResponse, NftInfoResponse,
    NumTokensResponse, OfferResponse, OffersResponse, OperatorResponse, OperatorsResponse,
    OwnerOfResponse, RefusalsResponse, TokensResponse,
};
use crate::state::{
    minted_of, tally_of, Escrow, Listing, LocalKey, Model, CLAIMABLE, CONFIG, COUNTERS, EARNINGS,
    ESCROWS, HOLDINGS, INBOUND_NONCE, LISTINGS, LISTINGS_BY_MODEL, LOCAL_KEYS, MIRRORED_KEYS,
    MODELS, NEVER, OFFERS, OPERATORS, OWNED, PAYOUTS, PRICE_ORDER_NONCES, REFUSALS, RELAYERS,
};

const DEFAULT_LIMIT: u32 = 30;
const MAX_LIMIT: u32 = 100;

fn limit(l: Option<u32>) -> usize {
    l.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT) as usize
}

fn std(e: crate::error::ContractError) -> StdError {
    match e {
        crate::error::ContractError::Std(s) => s,
        other => StdError::generic_err(other.to_string()),
    }
}

pub fn config(deps: Deps) -> StdResult<ConfigResponse> {
    let r = RELAYERS.load(deps.storage)?;
    Ok(ConfigResponse {
        config: CONFIG.load(deps.storage)?,
        relayers: r
            .pubkeys
            .into_iter()
            .map(|k| HexBinary::from(k.to_vec()))
            .collect(),
        threshold: r.threshold,
    })
}

/// A stored model with its live key count.
fn with_minted(storage: &dyn Storage, mut m: Model) -> StdResult<Model> {
    m.minted = minted_of(storage, m.id)?;
    Ok(m)
}

pub fn model(deps: Deps, id: u64) -> StdResult<Model> {
    let m = MODELS
        .may_load(deps.storage, id)?
        .ok_or_else(|| StdError::not_found(format!("model {id}")))?;
    with_minted(deps.storage, m)
}

pub fn models(deps: Deps, start_after: Option<u64>, lim: Option<u32>) -> StdResult<ModelsResponse> {
    let models = MODELS
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(limit(lim))
        .map(|r| r.and_then(|(_, m)| with_minted(deps.storage, m)))
        .collect::<StdResult<_>>()?;
    Ok(ModelsResponse { models })
}

pub fn key(deps: Deps, id: u64) -> StdResult<KeyResponse> {
    let chain = CONFIG.load(deps.storage)?.chain_id;
    if let Some(k) = LOCAL_KEYS.may_load(deps.api, deps.storage, id)? {
        let owner = crate::account::word_of_addr(deps.api, &k.owner).map_err(std)?;
        return Ok(KeyResponse {
            id: Uint64::new(id),
            model: Uint64::new(k.model),
            owner: owner.into(),
            resident_chain: chain,
            expires_at: k.expires_at,
            locked: k.locked,
        });
    }
    let k = MIRRORED_KEYS
        .may_load(deps.storage, id)?
        .ok_or_else(|| StdError::not_found(format!("key {id}")))?;
    Ok(KeyResponse {
        id: Uint64::new(id),
        model: Uint64::new(k.model),
        owner: k.owner.to_vec().into(),
        resident_chain: k.resident_chain,
        expires_at: k.expires_at,
        locked: k.locked,
    })
}

/// True when `account` holds an unexpired key of `model` on any chain this chain mirrors.
/// One index entry is read: the holder's longest-lived key of the model (see `HOLDINGS`).
pub fn has_access(
    deps: Deps,
    env: &Env,
    model: u64,
    account: Account,
) -> StdResult<HasAccessResponse> {
    let word = account.to_word(deps.api).map_err(std)?;
    let now = env.block.time.seconds();
    let best = HOLDINGS
        .sub_prefix((&word, model))
        .keys(deps.storage, None, None, Order::Descending)
        .next()
        .transpose()?;
    let key_id = match best {
        Some((expiry, id)) if expiry == NEVER || now < expiry => Some(Uint64::new(id)),
        _ => None,
    };
    Ok(HasAccessResponse {
        access: key_id.is_some(),
        key_id,
    })
}

pub fn vault(deps: Deps, model: u64) -> StdResult<Uint128> {
    Ok(tally_of(deps.storage, model)?.vault)
}

pub fn claimable(deps: Deps, payee: Account) -> StdResult<Uint128> {
    let word = payee.to_word(deps.api).map_err(std)?;
    // Earnings (paid to the bound payout address) plus other credit (paid to the account).
    let earned = EARNINGS.may_load(deps.storage, &word)?.unwrap_or_default();
    Ok(earned + CLAIMABLE.may_load(deps.storage, &word)?.unwrap_or_default())
}

pub fn payout(deps: Deps, account: Account) -> StdResult<Option<String>> {
    let word = account.to_word(deps.api).map_err(std)?;
    if let Some(a) = PAYOUTS.may_load(deps.storage, &word)? {
        return Ok(Some(a.to_string()));
    }
    Ok(local_addr(deps.api, &word).map(|a| a.to_string()))
}

pub fn price_order_nonce(deps: Deps, creator: Account) -> StdResult<Uint64> {
    let word = creator.to_word(deps.api).map_err(std)?;
    Ok(PRICE_ORDER_NONCES
        .may_load(deps.storage, &word)?
        .unwrap_or(0)
        .into())
}

pub fn escrow(deps: Deps, key_id: u64) -> StdResult<Escrow> {
    ESCROWS
        .may_load(deps.storage, key_id)?
        .ok_or_else(|| StdError::not_found(format!("escrow of key {key_id}")))
}

pub fn lanes(deps: Deps) -> StdResult<LanesResponse> {
    let inbound = INBOUND_NONCE
        .range(deps.storage, None, None, Order::Ascending)
        .map(|r| r.map(|(chain, nonce)| LaneNonce { chain, nonce }))
        .collect::<StdResult<_>>()?;
    let outbound = COUNTERS
        .load(deps.storage)?
        .outbound
        .into_iter()
        .map(|(chain, nonce)| LaneNonce { chain, nonce })
        .collect();
    Ok(LanesResponse { inbound, outbound })
}

pub fn refusals(
    deps: Deps,
    src: u32,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<RefusalsResponse> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT) as usize;
    let refusals = REFUSALS
        .prefix(src)
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(limit)
        .map(|r| r.map(|(_, v)| v))
        .collect::<StdResult<Vec<_>>>()?;
    Ok(RefusalsResponse { refusals })
}

// ---------------------------------------------------------------- cw721

fn token(deps: Deps, token_id: &str) -> StdResult<(u64, LocalKey)> {
    let id = parse_token_id(token_id).map_err(std)?;
    let k = load_local(deps.api, deps.storage, id).map_err(std)?;
    Ok((id, k))
}

fn approvals_of(env: &Env, k: &LocalKey, include_expired: bool) -> Vec<Approval> {
    k.approvals
        .iter()
        .filter(|a| include_expired || !a.expires.is_expired(&env.block))
        .map(|a| Approval {
            spender: a.spender.to_string(),
            expires: a.expires,
        })
        .collect()
}

pub fn owner_of(
    deps: Deps,
    env: &Env,
    token_id: &str,
    include_expired: Option<bool>,
) -> StdResult<OwnerOfResponse> {
    let (_, k) = token(deps, token_id)?;
    Ok(OwnerOfResponse {
        owner: k.owner.to_string(),
        approvals: approvals_of(env, &k, include_expired.unwrap_or(false)),
    })
}

pub fn approval(
    deps: Deps,
    env: &Env,
    token_id: &str,
    spender: String,
    include_expired: Option<bool>,
) -> StdResult<ApprovalResponse> {
    let (_, k) = token(deps, token_id)?;
    if k.owner.as_str() == spender {
        return Ok(ApprovalResponse {
            approval: Approval {
                spender,
                expires: cw_utils::Expiration::Never {},
            },
        });
    }
    approvals_of(env, &k, include_expired.unwrap_or(false))
        .into_iter()
        .find(|a| a.spender == spender)
        .map(|approval| ApprovalResponse { approval })
        .ok_or_else(|| StdError::not_found("Approval not found"))
}

pub fn approvals(
    deps: Deps,
    env: &Env,
    token_id: &str,
    include_expired: Option<bool>,
) -> StdResult<ApprovalsResponse> {
    let (_, k) = token(deps, token_id)?;
    Ok(ApprovalsResponse {
        approvals: approvals_of(env, &k, include_expired.unwrap_or(false)),
    })
}

pub fn operator(
    deps: Deps,
    env: &Env,
    owner: String,
    operator: String,
    include_expired: Option<bool>,
) -> StdResult<OperatorResponse> {
    let owner = deps.api.addr_validate(&owner)?;
    let op = deps.api.addr_validate(&operator)?;
    match OPERATORS.may_load(deps.storage, (&owner, &op))? {
        Some(exp) if include_expired.unwrap_or(false) || !exp.is_expired(&env.block) => {
            Ok(OperatorResponse {
                approval: Approval {
                    spender: operator,
                    expires: exp,
                },
            })
        }
        _ => Err(StdError::not_found("Approval not found")),
    }
}

pub fn all_operators(
    deps: Deps,
    env: &Env,
    owner: String,
    include_expired: Option<bool>,
    start_after: Option<String>,
    lim: Option<u32>,
) -> StdResult<OperatorsResponse> {
    let owner = deps.api.addr_validate(&owner)?;
    let start = start_after
        .map(|s| deps.api.addr_validate(&s))
        .transpose()?;
    let include_expired = include_expired.unwrap_or(false);
    let operators = OPERATORS
        .prefix(&owner)
        .range(
            deps.storage,
            start.as_ref().map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .filter(|r| match r {
            Ok((_, exp)) => include_expired || !exp.is_expired(&env.block),
            Err(_) => true,
        })
        .take(limit(lim))
        .map(|r| {
            r.map(|(spender, expires)| Approval {
                spender: spender.to_string(),
                expires,
            })
        })
        .collect::<StdResult<_>>()?;
    Ok(OperatorsResponse { operators })
}

pub fn num_tokens(deps: Deps) -> StdResult<NumTokensResponse> {
    Ok(NumTokensResponse {
        count: COUNTERS.load(deps.storage)?.local_keys,
    })
}

pub fn contract_info(deps: Deps) -> StdResult<ContractInfoResponse> {
    let c = CONFIG.load(deps.storage)?;
    Ok(ContractInfoResponse {
        name: c.name,
        symbol: c.symbol,
    })
}

fn nft_info_of(deps: Deps, k: &LocalKey) -> StdResult<NftInfoResponse> {
    let m = MODELS.may_load(deps.storage, k.model)?;
    Ok(NftInfoResponse {
        token_uri: m.map(|m| m.sdl_uri),
        extension: KeyExtension {
            model: Uint64::new(k.model),
            expires_at: k.expires_at,
            locked: k.locked,
        },
    })
}

pub fn nft_info(deps: Deps, token_id: &str) -> StdResult<NftInfoResponse> {
    let (_, k) = token(deps, token_id)?;
    nft_info_of(deps, &k)
}

pub fn all_nft_info(
    deps: Deps,
    env: &Env,
    token_id: &str,
    include_expired: Option<bool>,
) -> StdResult<AllNftInfoResponse> {
    let (_, k) = token(deps, token_id)?;
    Ok(AllNftInfoResponse {
        access: OwnerOfResponse {
            owner: k.owner.to_string(),
            approvals: approvals_of(env, &k, include_expired.unwrap_or(false)),
        },
        info: nft_info_of(deps, &k)?,
    })
}

fn start_key(start_after: Option<String>) -> StdResult<Option<u64>> {
    start_after
        .map(|s| parse_token_id(&s).map_err(std))
        .transpose()
}

pub fn tokens(
    deps: Deps,
    owner: String,
    start_after: Option<String>,
    lim: Option<u32>,
) -> StdResult<TokensResponse> {
    let owner = deps.api.addr_validate(&owner)?;
    let word = word_of_addr(deps.api, &owner).map_err(std)?;
    let start = start_key(start_after)?;
    let tokens = OWNED
        .prefix(&word)
        .keys(
            deps.storage,
            start.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(limit(lim))
        .map(|r| r.map(|id| id.to_string()))
        .collect::<StdResult<_>>()?;
    Ok(TokensResponse { tokens })
}

pub fn all_tokens(
    deps: Deps,
    start_after: Option<String>,
    lim: Option<u32>,
) -> StdResult<TokensResponse> {
    let start = start_key(start_after)?;
    let tokens = LOCAL_KEYS
        .keys(
            deps.storage,
            start.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(limit(lim))
        .map(|r| r.map(|id| id.to_string()))
        .collect::<StdResult<_>>()?;
    Ok(TokensResponse { tokens })
}

/// Keys are minted only by purchases: there is no minter account.
pub fn minter() -> MinterResponse {
    MinterResponse { minter: None }
}

fn listing_response(deps: Deps, env: &Env, l: Listing) -> StdResult<ListingResponse> {
    let fillable = match LOCAL_KEYS.may_load(deps.api, deps.storage, l.key_id)? {
        Some(k) => {
            k.owner == l.seller
                && k.expires_at.is_none_or(|at| at > env.block.time.seconds())
                && MODELS
                    .may_load(deps.storage, l.model)?
                    .is_some_and(|m| m.royalty.resale_bps.is_some())
        }
        None => false,
    };
    Ok(ListingResponse {
        token_id: l.key_id.to_string(),
        model: Uint64::new(l.model),
        seller: l.seller.to_string(),
        price: Coin::new(l.price, l.denom),
        listed_at: l.listed_at,
        fillable,
    })
}

pub fn listing(deps: Deps, env: &Env, token_id: &str) -> StdResult<Option<ListingResponse>> {
    let id = parse_token_id(token_id).map_err(std)?;
    LISTINGS
        .may_load(deps.storage, id)?
        .map(|l| listing_response(deps, env, l))
        .transpose()
}

pub fn listings(
    deps: Deps,
    env: &Env,
    model: u64,
    start_after: Option<String>,
    limit: Option<u32>,
) -> StdResult<ListingsResponse> {
    let start = match start_after {
        Some(t) => Some(Bound::exclusive(parse_token_id(&t).map_err(std)?)),
        None => None,
    };
    let listings = LISTINGS_BY_MODEL
        .prefix(model)
        .keys(deps.storage, start, None, Order::Ascending)
        .take(self::limit(limit))
        .map(|id| listing_response(deps, env, LISTINGS.load(deps.storage, id?)?))
        .collect::<StdResult<_>>()?;
    Ok(ListingsResponse { listings })
}

pub fn offers(
    deps: Deps,
    token_id: &str,
    start_after: Option<String>,
    limit: Option<u32>,
) -> StdResult<OffersResponse> {
    let id = parse_token_id(token_id).map_err(std)?;
    let after = start_after
        .map(|a| deps.api.addr_validate(&a))
        .transpose()?;
    let start = after.as_ref().map(Bound::exclusive);
    let offers = OFFERS
        .prefix(id)
        .range(deps.storage, start, None, Order::Ascending)
        .take(self::limit(limit))
        .map(|r| {
            let (_, o) = r?;
            Ok(OfferResponse {
                token_id: o.key_id.to_string(),
                bidder: o.bidder.to_string(),
                amount: Coin::new(o.amount, o.denom),
                made_at: o.made_at,
                expires_at: o.expires_at,
            })
        })
        .collect::<StdResult<_>>()?;
    Ok(OffersResponse { offers })
}

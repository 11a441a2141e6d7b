//! Migrations, gated by cw2: same contract name, never a downgrade.

use cosmwasm_std::{Api, DepsMut, Empty, Order, Response, StdResult, Storage, Uint128};
use cw_storage_plus::{Item, Map};

use crate::account::local_addr;
use crate::contract::{CONTRACT_NAME, CONTRACT_VERSION};
use crate::error::ContractError;
use crate::state::{
    hold, Model, CLAIMABLE, CONFIG, CREATORS, EARNINGS, LOCAL_KEYS, MINTED, MIRRORED_KEYS, MODELS,
    PAYOUTS,
};

/// Present once creator earnings are kept apart from other credit (set at instantiation, or
/// by the migration that split them).
pub const EARNINGS_SPLIT: Item<Empty> = Item::new("earned_split");

/// Before earnings were split out, a bound payout address received all of a creator's credit
/// and any sender of a model of this chain could bind. Once: index the creators of the models
/// published here (`CREATORS`), and move the credit of foreign bound accounts (which cannot
/// claim here themselves, so it holds their earnings) to `EARNINGS`, where it stays payable
/// to the bound address as before. A local account keeps its credit: it claims it itself.
fn split_earnings(api: &dyn Api, storage: &mut dyn Storage) -> StdResult<(usize, usize)> {
    if EARNINGS_SPLIT.exists(storage) {
        return Ok((0, 0));
    }
    let chain = CONFIG.load(storage)?.chain_id;
    let creators: Vec<Vec<u8>> = MODELS
        .range(storage, None, None, Order::Ascending)
        .filter_map(|r| match r {
            Ok((_, m)) if m.origin_chain == chain => Some(Ok(m.creator.to_vec())),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<StdResult<_>>()?;
    for c in &creators {
        CREATORS.save(storage, c, &Empty {})?;
    }
    let bound: Vec<Vec<u8>> = PAYOUTS
        .keys(storage, None, None, Order::Ascending)
        .collect::<StdResult<_>>()?;
    let mut moved = 0;
    for w in bound.iter().filter(|w| local_addr(api, w).is_none()) {
        if let Some(amount) = CLAIMABLE.may_load(storage, w)? {
            CLAIMABLE.remove(storage, w);
            EARNINGS.update(storage, w, |v| -> StdResult<Uint128> {
                Ok(v.unwrap_or_default() + amount)
            })?;
            moved += 1;
        }
    }
    EARNINGS_SPLIT.save(storage, &Empty {})?;
    Ok((creators.len(), moved))
}

/// The `has_access` index before it was ranked by expiry: (owner word, model, key).
const UNRANKED_HOLDINGS: Map<(&[u8], u64, u64), Empty> = Map::new("hold");

/// Moves every entry of the unranked index into `HOLDINGS` (a no-op once done). One pass
/// over the holdings, run once by governance's migration.
fn rank_holdings(storage: &mut dyn Storage) -> StdResult<usize> {
    let old: Vec<(Vec<u8>, u64, u64)> = UNRANKED_HOLDINGS
        .keys(storage, None, None, Order::Ascending)
        .collect::<StdResult<_>>()?;
    for (owner, model, key) in &old {
        // An entry whose key is gone granted nothing: it is dropped.
        let expires_at = match LOCAL_KEYS.may_load(storage, *key)? {
            Some(k) => Some(k.expires_at),
            None => MIRRORED_KEYS.may_load(storage, *key)?.map(|k| k.expires_at),
        };
        if let Some(expires_at) = expires_at {
            hold(storage, owner, *model, *key, expires_at)?;
        }
        UNRANKED_HOLDINGS.remove(storage, (owner, *model, *key));
    }
    Ok(old.len())
}

/// Moves each model's key count out of its record into `MINTED` (a no-op once done), so later
/// mints write one counter instead of re-saving the model.
fn move_minted(storage: &mut dyn Storage) -> StdResult<usize> {
    let counted: Vec<(u64, Model)> = MODELS
        .range(storage, None, None, Order::Ascending)
        .filter(|r| r.as_ref().map_or(true, |(_, m)| m.minted > 0))
        .collect::<StdResult<_>>()?;
    for (id, mut m) in counted.iter().cloned() {
        MINTED.update(storage, id, |n| -> StdResult<u64> {
            Ok(n.unwrap_or(0) + m.minted)
        })?;
        m.minted = 0;
        MODELS.save(storage, id, &m)?;
    }
    Ok(counted.len())
}

/// Parses "MAJOR.MINOR.PATCH" (pre-release suffixes ignored) for ordering.
fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let core = v.split(['-', '+']).next()?;
    let mut it = core.split('.').map(|p| p.parse::<u64>().ok());
    let v = (it.next()??, it.next()??, it.next()??);
    if it.next().is_some() {
        return None;
    }
    Some(v)
}

pub fn migrate(deps: DepsMut) -> Result<Response, ContractError> {
    let stored = cw2::get_contract_version(deps.storage)?;
    let refuse = || ContractError::CannotMigrate {
        from_name: stored.contract.clone(),
        from_version: stored.version.clone(),
        to_name: CONTRACT_NAME.to_string(),
        to_version: CONTRACT_VERSION.to_string(),
    };
    if stored.contract != CONTRACT_NAME {
        return Err(refuse());
    }
    let (from, to) = match (
        parse_version(&stored.version),
        parse_version(CONTRACT_VERSION),
    ) {
        (Some(f), Some(t)) => (f, t),
        _ => return Err(refuse()),
    };
    if from > to {
        return Err(refuse());
    }
    let ranked = rank_holdings(deps.storage)?;
    let (creators, moved) = split_earnings(deps.api, deps.storage)?;
    let counted = move_minted(deps.storage)?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("ranked_holdings", ranked.to_string())
        .add_attribute("indexed_creators", creators.to_string())
        .add_attribute("moved_earnings", moved.to_string())
        .add_attribute("moved_key_counts", counted.to_string())
        .add_attribute("from_version", stored.version)
        .add_attribute("to_version", CONTRACT_VERSION))
}

#[cfg(test)]
mod tests {
    use super::parse_version;

    #[test]
    fn versions_parse_and_order() {
        assert_eq!(parse_version("0.1.0"), Some((0, 1, 0)));
        assert_eq!(parse_version("1.2.3-rc1"), Some((1, 2, 3)));
        assert_eq!(parse_version("1.2"), None);
        assert_eq!(parse_version("1.2.x"), None);
        assert!(parse_version("0.10.0") > parse_version("0.9.9"));
    }
}

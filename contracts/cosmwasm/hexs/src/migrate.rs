//! Migrations, gated by cw2: same contract name, never a downgrade.

use cosmwasm_std::{DepsMut, Empty, Order, Response, StdResult, Storage};
use cw_storage_plus::Map;

use crate::contract::{CONTRACT_NAME, CONTRACT_VERSION};
use crate::error::ContractError;
use crate::state::{hold, LOCAL_KEYS, MIRRORED_KEYS};

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
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("ranked_holdings", ranked.to_string())
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

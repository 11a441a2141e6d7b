//! Migrations, gated by cw2: same contract name, never a downgrade.

use cosmwasm_std::{
    Addr, Api, DepsMut, Empty, Order, Response, StdError, StdResult, Storage, Uint128,
};
use cw_storage_plus::{Item, Map};

use crate::account::{local_addr, word_of_addr};
use crate::contract::{CONTRACT_NAME, CONTRACT_VERSION};
use crate::error::ContractError;
use crate::state::{
    hold, tally_of, Counters, Holder, Model, CLAIMABLE, CONFIG, COUNTERS, CREATORS, EARNINGS,
    HOLDINGS, LOCAL_KEYS, MIRRORED_KEYS, MODELS, OWNED, PAYOUTS, TALLIES,
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
        let expires_at = match LOCAL_KEYS.expiry(storage, *key)? {
            Some(e) => Some(e),
            None => MIRRORED_KEYS.may_load(storage, *key)?.map(|k| k.expires_at),
        };
        if let Some(expires_at) = expires_at {
            hold(storage, owner, *model, *key, expires_at)?;
        }
        UNRANKED_HOLDINGS.remove(storage, (owner, *model, *key));
    }
    Ok(old.len())
}

/// The ranked `has_access` index under its former namespace (before the one-letter one).
const LONG_HOLDINGS: Map<(Holder, u64, u64), Empty> = Map::new("holdings");

/// Moves every ranked holding from the former `holdings` namespace to `HOLDINGS` (a no-op
/// once done); returns how many entries it moved.
fn rename_holdings(storage: &mut dyn Storage) -> StdResult<usize> {
    let old: Vec<((Vec<u8>, u64), u64, u64)> = LONG_HOLDINGS
        .keys(storage, None, None, Order::Ascending)
        .collect::<StdResult<_>>()?;
    for ((owner, model), rank, key) in &old {
        let entry = ((owner.as_slice(), *model), *rank, *key);
        HOLDINGS.save(storage, entry, &Empty {})?;
        LONG_HOLDINGS.remove(storage, entry);
    }
    Ok(old.len())
}

/// The chain's counters before they shared one record (`COUNTERS`).
const OLD_MODEL_SERIAL: Item<u32> = Item::new("model_serial");
const OLD_KEY_SERIAL: Item<u32> = Item::new("key_serial");
const OLD_NUM_LOCAL_KEYS: Item<u64> = Item::new("num_keys");
const OLD_OUTBOUND_NONCE: Map<u32, u64> = Map::new("out_nonce");

/// Gathers the separate serials, local key count and outbound lane nonces into `COUNTERS`
/// (a no-op once done); returns whether it did.
fn gather_counters(storage: &mut dyn Storage) -> StdResult<bool> {
    if COUNTERS.exists(storage) {
        return Ok(false);
    }
    // Ascending by chain, as `Counters::outbound` keeps them.
    let outbound: Vec<(u32, u64)> = OLD_OUTBOUND_NONCE
        .range(storage, None, None, Order::Ascending)
        .collect::<StdResult<_>>()?;
    let counters = Counters {
        model_serial: OLD_MODEL_SERIAL.may_load(storage)?.unwrap_or(0),
        key_serial: OLD_KEY_SERIAL.may_load(storage)?.unwrap_or(0),
        local_keys: OLD_NUM_LOCAL_KEYS.may_load(storage)?.unwrap_or(0),
        outbound,
    };
    for (dst, _) in &counters.outbound {
        OLD_OUTBOUND_NONCE.remove(storage, *dst);
    }
    OLD_MODEL_SERIAL.remove(storage);
    OLD_KEY_SERIAL.remove(storage);
    OLD_NUM_LOCAL_KEYS.remove(storage);
    COUNTERS.save(storage, &counters)?;
    Ok(true)
}

/// Each model's key count and vault before they shared one tally (`TALLIES`).
const OLD_MINTED: Map<u64, u64> = Map::new("minted");
const OLD_VAULTS: Map<u64, Uint128> = Map::new("vaults");

/// Moves the separate key counts and vaults into the models' tallies (a no-op once done);
/// returns how many entries it moved.
fn gather_tallies(storage: &mut dyn Storage) -> StdResult<usize> {
    let minted: Vec<(u64, u64)> = OLD_MINTED
        .range(storage, None, None, Order::Ascending)
        .collect::<StdResult<_>>()?;
    let vaults: Vec<(u64, Uint128)> = OLD_VAULTS
        .range(storage, None, None, Order::Ascending)
        .collect::<StdResult<_>>()?;
    for &(id, n) in &minted {
        let mut t = tally_of(storage, id)?;
        t.minted += n;
        TALLIES.save(storage, id, &t)?;
        OLD_MINTED.remove(storage, id);
    }
    for &(id, v) in &vaults {
        let mut t = tally_of(storage, id)?;
        t.vault += v;
        TALLIES.save(storage, id, &t)?;
        OLD_VAULTS.remove(storage, id);
    }
    Ok(minted.len() + vaults.len())
}

/// Moves each model's key count out of its record into its tally (a no-op once done), so
/// later mints write the tally instead of re-saving the model.
fn move_minted(storage: &mut dyn Storage) -> StdResult<usize> {
    let counted: Vec<(u64, Model)> = MODELS
        .range(storage, None, None, Order::Ascending)
        .filter(|r| r.as_ref().map_or(true, |(_, m)| m.minted > 0))
        .collect::<StdResult<_>>()?;
    for (id, mut m) in counted.iter().cloned() {
        let mut t = tally_of(storage, id)?;
        t.minted += m.minted;
        TALLIES.save(storage, id, &t)?;
        m.minted = 0;
        MODELS.save(storage, id, &m)?;
    }
    Ok(counted.len())
}

/// The cw721 `tokens` index before it was keyed by owner word: (bech32 owner, key).
const OLD_OWNED: Map<(&Addr, u64), Empty> = Map::new("owned");

/// Re-keys the `tokens` index by owner word (a no-op once done); returns how many entries
/// it moved.
fn rekey_owned(api: &dyn Api, storage: &mut dyn Storage) -> StdResult<usize> {
    let old: Vec<(Addr, u64)> = OLD_OWNED
        .keys(storage, None, None, Order::Ascending)
        .collect::<StdResult<_>>()?;
    for (owner, key) in &old {
        let word = word_of_addr(api, owner).map_err(|e| StdError::generic_err(e.to_string()))?;
        OWNED.save(storage, (&word, *key), &Empty {})?;
        OLD_OWNED.remove(storage, (owner, *key));
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
    let renamed = rename_holdings(deps.storage)?;
    let ranked = rank_holdings(deps.storage)?;
    let (creators, moved) = split_earnings(deps.api, deps.storage)?;
    let gathered = gather_counters(deps.storage)?;
    let tallied = gather_tallies(deps.storage)?;
    let rekeyed = rekey_owned(deps.api, deps.storage)?;
    let counted = move_minted(deps.storage)?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("ranked_holdings", ranked.to_string())
        .add_attribute("renamed_holdings", renamed.to_string())
        .add_attribute("indexed_creators", creators.to_string())
        .add_attribute("moved_earnings", moved.to_string())
        .add_attribute("moved_key_counts", counted.to_string())
        .add_attribute("gathered_counters", gathered.to_string())
        .add_attribute("moved_tallies", tallied.to_string())
        .add_attribute("rekeyed_owned", rekeyed.to_string())
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

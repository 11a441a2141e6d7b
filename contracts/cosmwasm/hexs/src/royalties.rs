//! Lazy lineage royalties: settle one level per call, payees pull their credit.

use cosmwasm_std::{
    coins, Addr, Api, BankMsg, DepsMut, Env, MessageInfo, Response, Storage, Uint128,
};

use crate::account::{hex, local_addr, word_of_addr, Account};
use crate::binding;
use crate::error::{ContractError, MirrorError};
use crate::outbound::{self, Fact};
use crate::state::{
    tally_of, Config, EscrowStatus, BIND_NONCES, CLAIMABLE, CREATORS, EARNINGS, ESCROWS,
    LEASE_DSEQS, MODELS, PAYOUTS, PAYOUT_NONCES, TALLIES,
};

/// Credit other than creator earnings: claimable by the payee's own account only.
pub fn credit(
    storage: &mut dyn Storage,
    payee: &[u8],
    amount: Uint128,
) -> Result<(), ContractError> {
    add_to(storage, &CLAIMABLE, payee, amount)
}

/// A creator's earnings: paid to its bound payout address when it has one.
fn credit_earnings(
    storage: &mut dyn Storage,
    creator: &[u8],
    amount: Uint128,
) -> Result<(), ContractError> {
    add_to(storage, &EARNINGS, creator, amount)
}

fn add_to(
    storage: &mut dyn Storage,
    map: &cw_storage_plus::Map<&[u8], Uint128>,
    payee: &[u8],
    amount: Uint128,
) -> Result<(), ContractError> {
    if amount.is_zero() {
        return Ok(());
    }
    map.update(storage, payee, |v| -> Result<Uint128, ContractError> {
        Ok(v.unwrap_or_default() + amount)
    })?;
    Ok(())
}

/// `floor(amount * bps / 10_000)`, what `amount.multiply_ratio(bps, 10_000)` returns, without
/// its 256-bit intermediate (which cost ~5 KB of wasm): with `amount = q * 10_000 + r`, the
/// result is `q * bps + r * bps / 10_000`, and `r * bps < 10_000 * 2^16` cannot overflow.
/// `q * bps` overflows (a trap: overflow checks are on) exactly when the result does not fit
/// a `Uint128`, where `multiply_ratio` panics as well.
pub fn bps(amount: Uint128, bps: u16) -> Uint128 {
    let (a, b) = (amount.u128(), u128::from(bps));
    Uint128::new(a / 10_000 * b + a % 10_000 * b / 10_000)
}

/// Splits the model's whole vault: protocol fee, parent share (into the parent's vault,
/// or nothing for a root model), DAO share (when the model has a DAO), creator the rest.
pub fn execute_settle(deps: DepsMut, cfg: &Config, id: u64) -> Result<Response, ContractError> {
    let model = MODELS
        .may_load(deps.storage, id)?
        .ok_or(ContractError::UnknownModel { id })?;
    let mut tally = tally_of(deps.storage, id)?;
    let amount = tally.vault;
    if amount.is_zero() {
        return Err(ContractError::NothingToSettle { id });
    }
    tally.vault = Uint128::zero();
    TALLIES.save(deps.storage, id, &tally)?;
    let fee = bps(amount, cfg.protocol_fee_bps);
    let parent_share = match model.parent {
        Some(_) => bps(amount, model.upstream_bps),
        None => Uint128::zero(),
    };
    let dao_share = match model.dao {
        Some(_) => bps(amount, model.royalty.dao_bps),
        None => Uint128::zero(),
    };
    // The caps keep fee + parent + dao <= 100 %; saturate anyway so a bad mirror cannot underflow.
    let creator_share = amount
        .saturating_sub(fee)
        .saturating_sub(parent_share)
        .saturating_sub(dao_share);
    if let Some(parent) = model.parent {
        if !parent_share.is_zero() {
            let mut t = tally_of(deps.storage, parent)?;
            t.vault += parent_share;
            TALLIES.save(deps.storage, parent, &t)?;
        }
    }
    if let Some(dao) = &model.dao {
        credit(deps.storage, dao, dao_share)?;
    }
    credit(deps.storage, &cfg.fee_collector, fee)?;
    credit_earnings(deps.storage, &model.creator, creator_share)?;
    Ok(Response::new()
        .add_attribute("action", "settle")
        .add_attribute("model", id.to_string())
        .add_attribute("amount", amount)
        .add_attribute(
            "parent",
            model.parent.map(|p| p.to_string()).unwrap_or_default(),
        )
        .add_attribute("parent_share", parent_share)
        .add_attribute("dao_share", dao_share)
        .add_attribute("protocol_fee", fee)
        .add_attribute("creator_share", creator_share))
}

/// Where a creator's earnings are paid on this chain: the payout address bound to it, else
/// itself when it is a local account.
pub fn payout_addr(
    api: &dyn Api,
    storage: &dyn Storage,
    payee: &[u8],
) -> Result<cosmwasm_std::Addr, ContractError> {
    if let Some(a) = PAYOUTS.may_load(storage, payee)? {
        return Ok(a);
    }
    local_addr(api, payee).ok_or_else(|| ContractError::NoPayoutAddress { payee: hex(payee) })
}

/// The sender, a creator of a model published here, binds where `chain` (this chain or a
/// peer) pays its earnings, with its ADR-36 signature (checked again by every destination).
/// Every peer receives the binding (each applies the one for itself); a binding for this
/// chain applies here at once. `nonce` must be the previous one for (creator, chain) plus 1.
pub fn execute_bind_payout(
    deps: DepsMut,
    info: MessageInfo,
    cfg: &Config,
    chain: u32,
    payout: Account,
    nonce: u64,
    signature: &[u8],
) -> Result<Response, ContractError> {
    let creator = word_of_addr(deps.api, &info.sender)?;
    if !CREATORS.has(deps.storage, &creator) {
        return Err(ContractError::NotACreator {
            account: info.sender.to_string(),
        });
    }
    if chain != cfg.chain_id && !cfg.peers.contains(&chain) {
        return Err(ContractError::UnknownChain { chain });
    }
    let payout = payout.to_word(deps.api)?;
    let key = [creator.as_slice(), &chain.to_be_bytes()].concat();
    let last = BIND_NONCES.may_load(deps.storage, &key)?.unwrap_or(0);
    if last.checked_add(1) != Some(nonce) {
        return Err(ContractError::BindNonceNotNext { chain, nonce, last });
    }
    // The sender's bech32 address is the ADR-36 signer: the same doc the creator's wallet signs.
    let hash = binding::struct_hash(&creator, chain, &payout, nonce);
    binding::verify_adr36(deps.api, signature, &creator, info.sender.as_str(), &hash)?;
    if chain == cfg.chain_id {
        let addr = local_addr(deps.api, &payout)
            .ok_or_else(|| ContractError::InvalidAccountWord { word: hex(&payout) })?;
        PAYOUTS.save(deps.storage, &creator, &addr)?;
        PAYOUT_NONCES.save(deps.storage, &creator, &nonce)?;
    }
    BIND_NONCES.save(deps.storage, &key, &nonce)?;
    let fact = Fact::PayoutAddressBound {
        creator: &creator,
        chain,
        payout: &payout,
        nonce,
        signature,
    };
    let events = outbound::emit(deps.storage, cfg, &[fact])?;
    Ok(Response::new()
        .add_attribute("action", "bind_payout")
        .add_attribute("creator", hex(&creator))
        .add_attribute("chain", chain.to_string())
        .add_attribute("payout", hex(&payout))
        .add_attribute("nonce", nonce.to_string())
        .add_events(events))
}

/// Anyone may trigger a claim: the money only ever goes to the payee's own address, except
/// its creator earnings, which go to its bound payout address when it has one.
pub fn execute_claim(
    deps: DepsMut,
    info: MessageInfo,
    cfg: &Config,
    payee: Option<Account>,
) -> Result<Response, ContractError> {
    let word = match payee {
        Some(a) => a.to_word(deps.api)?,
        None => word_of_addr(deps.api, &info.sender)?,
    };
    let earned = EARNINGS.may_load(deps.storage, &word)?.unwrap_or_default();
    let other = CLAIMABLE.may_load(deps.storage, &word)?.unwrap_or_default();
    if earned.is_zero() && other.is_zero() {
        return Err(ContractError::NothingToClaim { payee: hex(&word) });
    }
    // Earnings go to the bound payout address (else the account itself); other credit only
    // to the account itself: a foreign account's stays until it can be paid to it here.
    let mut sends: Vec<(Addr, Uint128)> = vec![];
    let mut other_paid = Uint128::zero();
    if !earned.is_zero() {
        sends.push((payout_addr(deps.api, deps.storage, &word)?, earned));
        EARNINGS.remove(deps.storage, &word);
    }
    if !other.is_zero() {
        match local_addr(deps.api, &word) {
            Some(to) => {
                CLAIMABLE.remove(deps.storage, &word);
                other_paid = other;
                match sends.first_mut() {
                    Some((a, amount)) if *a == to => *amount += other,
                    _ => sends.push((to, other)),
                }
            }
            None if sends.is_empty() => {
                return Err(ContractError::NoPayoutAddress { payee: hex(&word) })
            }
            None => {}
        }
    }
    let mut res = Response::new()
        .add_attribute("action", "claim")
        .add_attribute("payee", hex(&word))
        .add_attribute("earnings", earned)
        .add_attribute("other", other_paid);
    for (to, amount) in sends {
        res = res
            .add_message(BankMsg::Send {
                to_address: to.to_string(),
                amount: coins(amount.u128(), &cfg.denom),
            })
            .add_attribute("to", to)
            .add_attribute("amount", amount);
    }
    Ok(res)
}

/// Closes a pending deployment escrow after a lease report: the operator is paid when the
/// lease opened, otherwise the buyer is credited back. Only mirror application calls it.
/// `dseq` is the reported Akash deployment (0: none was created); a lease naming a deployment
/// an earlier lease named is refused (a failure refunds whatever dseq its job had reserved).
pub fn resolve_escrow(
    api: &dyn Api,
    storage: &mut dyn Storage,
    cfg: &Config,
    key_id: u64,
    leased: bool,
    dseq: u64,
) -> Result<(), MirrorError> {
    let mut e = ESCROWS
        .may_load(storage, key_id)?
        .ok_or(MirrorError::UnknownEscrow { id: key_id })?;
    if e.status != EscrowStatus::Pending {
        return Err(MirrorError::EscrowClosed {
            id: key_id,
            status: e.status.as_str().to_string(),
        });
    }
    if leased {
        if dseq == 0 {
            return Err(MirrorError::LeaseWithoutDeployment { id: key_id });
        }
        if let Some(id) = LEASE_DSEQS.may_load(storage, dseq)? {
            return Err(MirrorError::DseqReused { dseq, id });
        }
    }
    if leased {
        credit(storage, &cfg.deploy_payee, e.amount)?;
        e.status = EscrowStatus::Released;
    } else {
        credit(storage, &word_of_addr(api, &e.buyer)?, e.amount)?;
        e.status = EscrowStatus::Refunded;
    }
    ESCROWS.save(storage, key_id, &e)?;
    if leased {
        LEASE_DSEQS.save(storage, dseq, &key_id)?;
    }
    Ok(())
}

/// Longest `purpose` of an infrastructure spend (an Akash escrow reference fits with room).
pub const MAX_PURPOSE_LEN: usize = 128;

/// A model's DAO pays `to` for the model's infrastructure with the coin it sends. The check
/// that the sender is the model's DAO and the payment are one transaction, so the event is
/// evidence of both for whoever acts on it (the lease service tops up the named deployment).
pub fn execute_fund_infrastructure(
    deps: DepsMut,
    info: MessageInfo,
    cfg: &Config,
    model: u64,
    to: String,
    purpose: String,
) -> Result<Response, ContractError> {
    let m = MODELS
        .may_load(deps.storage, model)?
        .ok_or(ContractError::UnknownModel { id: model })?;
    let sender = word_of_addr(deps.api, &info.sender)?;
    if m.dao.as_ref().map(|d| d.as_slice()) != Some(sender.as_slice()) {
        return Err(ContractError::NotModelDao {
            model,
            sender: info.sender.to_string(),
        });
    }
    if purpose.is_empty() || purpose.len() > MAX_PURPOSE_LEN {
        return Err(ContractError::InvalidPurpose {
            reason: format!(
                "expected 1 to {MAX_PURPOSE_LEN} bytes, got {}",
                purpose.len()
            ),
        });
    }
    let to = deps.api.addr_validate(&to)?;
    let amount = cw_utils::must_pay(&info, &cfg.denom)?;
    Ok(Response::new()
        .add_message(BankMsg::Send {
            to_address: to.to_string(),
            amount: coins(amount.u128(), &cfg.denom),
        })
        .add_event(
            cosmwasm_std::Event::new("hexs_infrastructure_funded")
                .add_attribute("model", model.to_string())
                .add_attribute("dao", info.sender.to_string())
                .add_attribute("to", to.to_string())
                .add_attribute("denom", &cfg.denom)
                .add_attribute("amount", amount)
                .add_attribute("purpose", purpose),
        ))
}

pub fn execute_reclaim_escrow(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    cfg: &Config,
    key_id: u64,
) -> Result<Response, ContractError> {
    let mut e = ESCROWS
        .may_load(deps.storage, key_id)?
        .ok_or(ContractError::UnknownEscrow { id: key_id })?;
    if info.sender != e.buyer {
        return Err(ContractError::Unauthorized {
            role: format!("the buyer of key {key_id}"),
        });
    }
    if e.status != EscrowStatus::Pending {
        return Err(ContractError::EscrowClosed {
            id: key_id,
            status: e.status.as_str().to_string(),
        });
    }
    let at = e.created_at.saturating_add(cfg.escrow_timeout_secs);
    if env.block.time.seconds() < at {
        return Err(ContractError::EscrowNotExpired { id: key_id, at });
    }
    e.status = EscrowStatus::Refunded;
    ESCROWS.save(deps.storage, key_id, &e)?;
    Ok(Response::new()
        .add_message(BankMsg::Send {
            to_address: e.buyer.to_string(),
            amount: coins(e.amount.u128(), &cfg.denom),
        })
        .add_attribute("action", "reclaim_escrow")
        .add_attribute("token_id", key_id.to_string())
        .add_attribute("amount", e.amount))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bps_matches_multiply_ratio() {
        let amounts = [
            0u128,
            1,
            9_999,
            10_000,
            10_001,
            123_456_789,
            u64::MAX as u128,
            u128::MAX / 65_535,
            u128::MAX / 10_000,
            u128::MAX - 1,
            u128::MAX,
        ];
        let rates = [0u16, 1, 30, 250, 4_000, 5_000, 9_999, 10_000];
        for &a in &amounts {
            for &r in &rates {
                let a = Uint128::new(a);
                assert_eq!(
                    bps(a, r),
                    a.multiply_ratio(r as u128, 10_000u128),
                    "{a} at {r} bps"
                );
            }
        }
        // Above 100 % the result can exceed u128: both panic there.
        let big = Uint128::new(u128::MAX / 2);
        assert!(std::panic::catch_unwind(|| bps(big, 65_535)).is_err());
        assert!(std::panic::catch_unwind(|| big.multiply_ratio(65_535u128, 10_000u128)).is_err());
        assert_eq!(
            bps(Uint128::new(u128::MAX / 65_535), 65_535),
            Uint128::new(u128::MAX / 65_535).multiply_ratio(65_535u128, 10_000u128)
        );
    }
}

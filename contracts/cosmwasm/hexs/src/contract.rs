//! Entry points: each `match` arm hands over to a small `execute_*` / `query_*` function.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response, StdResult};

use crate::account::{validate_word, word_of_addr};
use crate::admin;
use crate::error::ContractError;
use crate::keys;
use crate::mirror;
use crate::models;
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use crate::query;
use crate::resale;
use crate::royalties;
use crate::state::{Counters, CONFIG, COUNTERS};

pub const CONTRACT_NAME: &str = "crates.io:hexs";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let mut cfg = msg.config;
    cfg.admin = deps.api.addr_validate(cfg.admin.as_str())?;
    if cfg.chain_id == 0 {
        return Err(ContractError::InvalidConfig {
            reason: "chain_id must be non-zero".into(),
        });
    }
    if cfg.denom.is_empty() {
        return Err(ContractError::InvalidConfig {
            reason: "denom must not be empty".into(),
        });
    }
    if cfg.paused {
        return Err(ContractError::InvalidConfig {
            reason: "cannot start paused".into(),
        });
    }
    validate_word(cfg.fee_collector.as_slice())?;
    validate_word(cfg.deploy_payee.as_slice())?;
    admin::check_fee(cfg.protocol_fee_bps)?;
    admin::check_peers(cfg.chain_id, &cfg.peers)?;
    admin::check_max_batch(deps.storage, cfg.max_batch)?;
    admin::check_akash_lane(cfg.chain_id, &cfg.peers, cfg.akash_lane)?;
    admin::check_peer_bindings(&cfg.peer_bindings)?;
    let admin = cfg.admin.clone();
    CONFIG.save(deps.storage, &cfg)?;
    admin::save_relayers(deps.storage, msg.relayers, msg.threshold, cfg.devnet)?;
    COUNTERS.save(deps.storage, &Counters::default())?;
    crate::migrate::EARNINGS_SPLIT.save(deps.storage, &cosmwasm_std::Empty {})?;
    // Make sure the admin is an address this chain can name as an account word.
    word_of_addr(deps.api, &admin)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("chain_id", cfg.chain_id.to_string())
        .add_attribute("admin", admin))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    // Withdrawing a listing or an offer stays open while paused: nothing is filled by it.
    if cfg.paused
        && !admin::is_admin_msg(&msg)
        && !matches!(
            msg,
            ExecuteMsg::CancelListing { .. } | ExecuteMsg::CancelOffer { .. }
        )
    {
        return Err(ContractError::Paused);
    }
    // Only a purchase or a DAO's spend takes funds: anything sent with another message would be stuck here.
    if !matches!(
        msg,
        ExecuteMsg::BuyKey { .. }
            | ExecuteMsg::FundInfrastructure { .. }
            | ExecuteMsg::BuyListing { .. }
            | ExecuteMsg::MakeOffer { .. }
    ) {
        cw_utils::nonpayable(&info)?;
    }
    match msg {
        ExecuteMsg::Publish(args) => models::execute_publish(deps, env, info, &cfg, None, args),
        ExecuteMsg::Fork {
            parent,
            parent_content,
            model,
        } => models::execute_publish(
            deps,
            env,
            info,
            &cfg,
            Some((parent.u64(), parent_content)),
            model,
        ),
        ExecuteMsg::UpdateModel {
            model,
            price,
            deploy_price,
            content,
            sdl_uri,
            resale_bps,
        } => models::execute_update(
            deps,
            info,
            &cfg,
            model.u64(),
            price,
            deploy_price,
            content,
            sdl_uri,
            resale_bps,
        ),
        ExecuteMsg::SetPriceSigned {
            model,
            price,
            deploy_price,
            listed,
            nonce,
            signature,
        } => models::execute_set_price_signed(
            deps,
            &cfg,
            model.u64(),
            (price, deploy_price, listed),
            nonce.u64(),
            signature.as_slice(),
        ),
        ExecuteMsg::SetAllowlist { model, add, remove } => {
            models::execute_set_allowlist(deps, info, model.u64(), add, remove)
        }
        ExecuteMsg::BuyKey {
            model,
            recipient,
            with_deployment,
        } => keys::execute_buy(
            deps,
            env,
            info,
            &cfg,
            model.u64(),
            recipient,
            with_deployment,
        ),
        ExecuteMsg::Settle { model } => royalties::execute_settle(deps, &cfg, model.u64()),
        ExecuteMsg::Claim { payee } => royalties::execute_claim(deps, info, &cfg, payee),
        ExecuteMsg::ReclaimEscrow { key_id } => {
            royalties::execute_reclaim_escrow(deps, env, info, &cfg, key_id.u64())
        }
        ExecuteMsg::FundInfrastructure { model, to, purpose } => {
            royalties::execute_fund_infrastructure(deps, info, &cfg, model.u64(), to, purpose)
        }
        ExecuteMsg::BindPayout {
            chain,
            payout,
            nonce,
            signature,
        } => royalties::execute_bind_payout(
            deps,
            info,
            &cfg,
            chain,
            payout,
            nonce.u64(),
            signature.as_slice(),
        ),
        ExecuteMsg::ReceiveBatch {
            messages,
            signatures,
        } => mirror::execute_receive_batch(deps, env, &cfg, messages, signatures),
        ExecuteMsg::Reapply { src, nonce } => {
            mirror::execute_reapply(deps, env, &cfg, src, nonce.u64())
        }
        ExecuteMsg::DropRefusals { src, nonces } => admin::execute_drop_refusals(
            deps,
            info,
            &cfg,
            src,
            nonces.iter().map(|n| n.u64()).collect(),
        ),
        ExecuteMsg::ListKey { token_id, price } => {
            resale::execute_list(deps, env, info, &cfg, token_id, price)
        }
        ExecuteMsg::CancelListing { token_id } => {
            resale::execute_cancel_listing(deps, env, info, token_id)
        }
        ExecuteMsg::BuyListing { token_id } => {
            resale::execute_buy_listing(deps, env, info, &cfg, token_id)
        }
        ExecuteMsg::MakeOffer {
            token_id,
            expires_at,
        } => resale::execute_make_offer(deps, env, info, &cfg, token_id, expires_at),
        ExecuteMsg::AcceptOffer { token_id, bidder } => {
            resale::execute_accept_offer(deps, env, info, &cfg, token_id, bidder)
        }
        ExecuteMsg::CancelOffer { token_id } => resale::execute_cancel_offer(deps, info, token_id),
        ExecuteMsg::SetRemotePrice {
            token_id,
            chain,
            currency,
            price,
            payout,
        } => resale::execute_set_remote_price(
            deps, info, &cfg, token_id, chain, currency, price, payout,
        ),
        ExecuteMsg::TransferNft {
            recipient,
            token_id,
        } => keys::execute_transfer(deps, env, info, &cfg, recipient, token_id),
        ExecuteMsg::SendNft {
            contract,
            token_id,
            msg,
        } => keys::execute_send(deps, env, info, &cfg, contract, token_id, msg),
        ExecuteMsg::Approve {
            spender,
            token_id,
            expires,
        } => keys::execute_approve(deps, env, info, spender, token_id, expires),
        ExecuteMsg::Revoke { spender, token_id } => {
            keys::execute_revoke(deps, env, info, spender, token_id)
        }
        ExecuteMsg::ApproveAll { operator, expires } => {
            keys::execute_approve_all(deps, env, info, operator, expires)
        }
        ExecuteMsg::RevokeAll { operator } => keys::execute_revoke_all(deps, info, operator),
        ExecuteMsg::Burn { token_id } => keys::execute_burn(deps, env, info, &cfg, token_id),
        ExecuteMsg::UpdateConfig {
            protocol_fee_bps,
            fee_collector,
            deploy_payee,
            escrow_timeout_secs,
            peers,
            max_batch,
            akash_lane,
            peer_bindings,
        } => admin::execute_update_config(
            deps,
            info,
            cfg,
            protocol_fee_bps,
            fee_collector,
            deploy_payee,
            escrow_timeout_secs,
            peers,
            max_batch,
            akash_lane,
            peer_bindings,
        ),
        ExecuteMsg::SetRelayers {
            relayers,
            threshold,
        } => admin::execute_set_relayers(deps, info, &cfg, relayers, threshold),
        ExecuteMsg::SetPaused { paused } => admin::execute_set_paused(deps, info, cfg, paused),
        ExecuteMsg::SetLane {
            chain,
            paused,
            rate_per_hour,
        } => admin::execute_set_lane(deps, info, &cfg, chain, paused, rate_per_hour),
        ExecuteMsg::TransferAdmin { new_admin } => {
            admin::execute_transfer_admin(deps, info, cfg, new_admin)
        }
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?),
        QueryMsg::Model { id } => to_json_binary(&query::model(deps, id.u64())?),
        QueryMsg::Models { start_after, limit } => {
            to_json_binary(&query::models(deps, start_after.map(|x| x.u64()), limit)?)
        }
        QueryMsg::Key { id } => to_json_binary(&query::key(deps, id.u64())?),
        QueryMsg::HasAccess { model, account } => {
            to_json_binary(&query::has_access(deps, &env, model.u64(), account)?)
        }
        QueryMsg::Vault { model } => to_json_binary(&query::vault(deps, model.u64())?),
        QueryMsg::Claimable { payee } => to_json_binary(&query::claimable(deps, payee)?),
        QueryMsg::Payout { account } => to_json_binary(&query::payout(deps, account)?),
        QueryMsg::PriceOrderNonce { creator } => {
            to_json_binary(&query::price_order_nonce(deps, creator)?)
        }
        QueryMsg::Escrow { key_id } => to_json_binary(&query::escrow(deps, key_id.u64())?),
        QueryMsg::Lanes {} => to_json_binary(&query::lanes(deps)?),
        QueryMsg::Refusals {
            src,
            start_after,
            limit,
        } => to_json_binary(&query::refusals(
            deps,
            src,
            start_after.map(|n| n.u64()),
            limit,
        )?),
        QueryMsg::Listing { token_id } => to_json_binary(&query::listing(deps, &env, &token_id)?),
        QueryMsg::Listings {
            model,
            start_after,
            limit,
        } => to_json_binary(&query::listings(
            deps,
            &env,
            model.u64(),
            start_after,
            limit,
        )?),
        QueryMsg::Offers {
            token_id,
            start_after,
            limit,
        } => to_json_binary(&query::offers(deps, &token_id, start_after, limit)?),
        QueryMsg::RemotePrice { token_id, chain } => {
            let id = keys::parse_token_id(&token_id)
                .map_err(|e| cosmwasm_std::StdError::generic_err(e.to_string()))?;
            to_json_binary(&crate::state::REMOTE_PRICES.may_load(deps.storage, (id, chain))?)
        }
        QueryMsg::OwnerOf {
            token_id,
            include_expired,
        } => to_json_binary(&query::owner_of(deps, &env, &token_id, include_expired)?),
        QueryMsg::Approval {
            token_id,
            spender,
            include_expired,
        } => to_json_binary(&query::approval(
            deps,
            &env,
            &token_id,
            spender,
            include_expired,
        )?),
        QueryMsg::Approvals {
            token_id,
            include_expired,
        } => to_json_binary(&query::approvals(deps, &env, &token_id, include_expired)?),
        QueryMsg::Operator {
            owner,
            operator,
            include_expired,
        } => to_json_binary(&query::operator(
            deps,
            &env,
            owner,
            operator,
            include_expired,
        )?),
        QueryMsg::AllOperators {
            owner,
            include_expired,
            start_after,
            limit,
        } => to_json_binary(&query::all_operators(
            deps,
            &env,
            owner,
            include_expired,
            start_after,
            limit,
        )?),
        QueryMsg::NumTokens {} => to_json_binary(&query::num_tokens(deps)?),
        QueryMsg::ContractInfo {} => to_json_binary(&query::contract_info(deps)?),
        QueryMsg::NftInfo { token_id } => to_json_binary(&query::nft_info(deps, &token_id)?),
        QueryMsg::AllNftInfo {
            token_id,
            include_expired,
        } => to_json_binary(&query::all_nft_info(
            deps,
            &env,
            &token_id,
            include_expired,
        )?),
        QueryMsg::Tokens {
            owner,
            start_after,
            limit,
        } => to_json_binary(&query::tokens(deps, owner, start_after, limit)?),
        QueryMsg::AllTokens { start_after, limit } => {
            to_json_binary(&query::all_tokens(deps, start_after, limit)?)
        }
        QueryMsg::Minter {} => to_json_binary(&query::minter()),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    crate::migrate::migrate(deps)
}

//! Signed price orders: an EVM creator prices its mirrored model here with an EIP-712 order made
//! for its home chain's PayoutBindings; anyone submits it, and only the creator's next order for
//! this chain, this model and these prices verifies.

use cosmwasm_std::{HexBinary, Uint128, Uint64};
use k256::ecdsa::SigningKey;

use super::binding_tests::{account, eip712, evm_wallet};
use super::*;
use crate::account::Account;
use crate::binding::price_order_hash;
use crate::msg::{ExecuteMsg, QueryMsg};
use crate::state::Model;

const MODEL: u64 = ((EVM_CHAIN as u64) << 32) | 1;

/// A suite with one model mirrored from the EVM chain, created by the returned EVM key.
fn with_evm_model() -> (Suite, SigningKey, Vec<u8>) {
    let mut s = Suite::new();
    let (key, a) = evm_wallet(0x41);
    let creator = [&[1u8][..], &a].concat();
    s.receive(
        &[inbound(
            EVM_CHAIN,
            1,
            model_registered(MODEL, 0, account(&creator)),
        )],
        &[0, 1],
    )
    .unwrap();
    (s, key, creator)
}

struct Order {
    chain: u32,
    price: u128,
    deploy: u128,
    listed: bool,
    nonce: u64,
}

const ORDER: Order = Order {
    chain: CHAIN,
    price: 5_000,
    deploy: 700,
    listed: true,
    nonce: 1,
};

fn sign(key: &SigningKey, creator: &[u8], o: &Order, contract: &[u8; 20]) -> Vec<u8> {
    let hash = price_order_hash(
        creator, o.chain, MODEL, o.price, o.deploy, o.listed, o.nonce,
    );
    eip712(key, EVM_CHAIN_ID, contract, &hash)
}

/// The message as submitted here (always for this chain): the order's prices, with `signature`.
fn msg(o: &Order, signature: Vec<u8>) -> ExecuteMsg {
    ExecuteMsg::SetPriceSigned {
        model: Uint64::new(MODEL),
        price: Uint128::new(o.price),
        deploy_price: Uint128::new(o.deploy),
        listed: o.listed,
        nonce: Uint64::new(o.nonce),
        signature: HexBinary::from(signature),
    }
}

fn model(s: &Suite) -> Model {
    s.q(&QueryMsg::Model {
        id: Uint64::new(MODEL),
    })
    .unwrap()
}

fn nonce(s: &Suite, creator: &[u8]) -> u64 {
    s.q::<Uint64>(&QueryMsg::PriceOrderNonce {
        creator: Account::Word(creator.to_vec().into()),
    })
    .unwrap()
    .u64()
}

fn refused(reason: &str) -> ContractError {
    ContractError::PriceOrderRefused {
        reason: reason.into(),
    }
}

#[test]
fn an_evm_creators_signed_order_prices_its_mirrored_model_and_anyone_submits_it() {
    let (mut s, key, creator) = with_evm_model();
    let dave = s.dave.clone();
    assert_eq!(
        s.err(&dave, &buy_msg(), &cosmwasm_std::coins(5_000, DENOM)),
        ContractError::NotForSale { id: MODEL }
    );

    let carol = s.carol.clone();
    s.ok(
        &carol,
        &msg(&ORDER, sign(&key, &creator, &ORDER, &EVM_HUB)),
        &[],
    );
    let m = model(&s);
    assert_eq!(
        (m.price.u128(), m.deploy_price.u128()),
        (ORDER.price, ORDER.deploy)
    );
    assert_eq!(nonce(&s, &creator), 1);
    let key_id = s.buy(&dave, MODEL, 5_000, false);
    assert!(key_id > 0);
    assert_eq!(s.vault(MODEL), 5_000);
}

#[test]
fn an_unlisted_order_takes_the_model_off_sale() {
    let (mut s, key, creator) = with_evm_model();
    let carol = s.carol.clone();
    s.ok(
        &carol,
        &msg(&ORDER, sign(&key, &creator, &ORDER, &EVM_HUB)),
        &[],
    );
    let off = Order {
        listed: false,
        nonce: 2,
        ..ORDER
    };
    s.ok(
        &carol,
        &msg(&off, sign(&key, &creator, &off, &EVM_HUB)),
        &[],
    );
    assert_eq!(model(&s).price, Uint128::zero());
    let dave = s.dave.clone();
    assert_eq!(
        s.err(&dave, &buy_msg(), &cosmwasm_std::coins(5_000, DENOM)),
        ContractError::NotForSale { id: MODEL }
    );
}

#[test]
fn forged_altered_replayed_skipped_and_misdirected_orders_are_refused() {
    let (mut s, key, creator) = with_evm_model();
    let carol = s.carol.clone();
    let (other, _) = evm_wallet(0x42);

    // another key's signature
    let forged = sign(&other, &creator, &ORDER, &EVM_HUB);
    assert!(matches!(
        s.err(&carol, &msg(&ORDER, forged), &[]),
        ContractError::PriceOrderRefused { .. }
    ));
    // the creator's signature over other prices, or for another chain, or another contract
    let cheaper = Order { price: 1, ..ORDER };
    let for_cheaper = sign(&key, &creator, &cheaper, &EVM_HUB);
    let other_chain = sign(&key, &creator, &Order { chain: 7, ..ORDER }, &EVM_HUB);
    let other_contract = sign(&key, &creator, &ORDER, &[0x99; 20]);
    for blob in [for_cheaper.clone(), other_chain] {
        assert!(matches!(
            s.err(&carol, &msg(&ORDER, blob), &[]),
            ContractError::PriceOrderRefused { .. }
        ));
    }
    assert!(matches!(
        s.err(&carol, &msg(&ORDER, other_contract), &[]),
        ContractError::PriceOrderRefused { reason } if reason.contains("verifyingContract")
    ));
    assert_eq!(model(&s).price, Uint128::zero());
    assert_eq!(nonce(&s, &creator), 0);

    // a skipped nonce, then the valid order, then its replay
    let skipped = Order { nonce: 2, ..ORDER };
    assert_eq!(
        s.err(
            &carol,
            &msg(&skipped, sign(&key, &creator, &skipped, &EVM_HUB)),
            &[]
        ),
        ContractError::PriceOrderNonceNotNext { nonce: 2, last: 0 }
    );
    let good = sign(&key, &creator, &ORDER, &EVM_HUB);
    s.ok(&carol, &msg(&ORDER, good.clone()), &[]);
    assert_eq!(
        s.err(&carol, &msg(&ORDER, good), &[]),
        ContractError::PriceOrderNonceNotNext { nonce: 1, last: 1 }
    );

    // a deployment price no uint120 order can carry
    let huge = Order {
        deploy: 1 << 120,
        nonce: 2,
        ..ORDER
    };
    assert_eq!(
        s.err(
            &carol,
            &msg(&huge, sign(&key, &creator, &huge, &EVM_HUB)),
            &[]
        ),
        refused(&format!(
            "deploy_price {} does not fit the order's uint120",
            1u128 << 120
        ))
    );
    assert_eq!(model(&s).price.u128(), ORDER.price);
}

#[test]
fn only_models_of_evm_creators_take_orders_and_only_through_a_configured_peer_contract() {
    let (mut s, key, creator) = with_evm_model();
    let carol = s.carol.clone();
    let bob = s.bob.clone();
    let local = s.publish(&bob, publish_args(10, 0, policy()));
    let mut for_local = msg(&ORDER, sign(&key, &creator, &ORDER, &EVM_HUB));
    if let ExecuteMsg::SetPriceSigned { model, .. } = &mut for_local {
        *model = Uint64::new(local);
    }
    assert_eq!(
        s.err(&carol, &for_local, &[]),
        ContractError::NotAnEvmCreatorsModel { id: local }
    );
    let mut unknown = msg(&ORDER, vec![]);
    if let ExecuteMsg::SetPriceSigned { model, .. } = &mut unknown {
        *model = Uint64::new(MODEL + 1);
    }
    assert_eq!(
        s.err(&carol, &unknown, &[]),
        ContractError::UnknownModel { id: MODEL + 1 }
    );

    s.set_peer_bindings(vec![]);
    assert_eq!(
        s.err(
            &carol,
            &msg(&ORDER, sign(&key, &creator, &ORDER, &EVM_HUB)),
            &[]
        ),
        refused(&format!(
            "no peer contract configured for chain {EVM_CHAIN}"
        ))
    );
}

fn buy_msg() -> ExecuteMsg {
    ExecuteMsg::BuyKey {
        model: Uint64::new(MODEL),
        recipient: None,
        with_deployment: false,
    }
}

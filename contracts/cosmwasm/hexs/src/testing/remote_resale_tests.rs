//! The resale royalty on the wire (ModelRegistered) and keys listed here bought from a peer
//! chain (ResaleOrder in, KeyMoved + ResaleResult out).

use cosmwasm_std::{coin, HexBinary, Uint128, Uint64};

use super::*;
use crate::account::Account;
use crate::error::MirrorError;
use crate::msg::{KeyResponse, ListingResponse, OwnerOfResponse, QueryMsg};
use crate::state::{Model, RemotePrice};

const M1: u64 = ((EVM_CHAIN as u64) << 32) | 1;
const K1: u64 = ((EVM_CHAIN as u64) << 32) | 10;
const PRICE: u128 = 1_000;
const NATIVE: [u8; 20] = [0; 20];

/// Outbound messages of a response, decoded, in order.
fn outbound(r: &AppResponse) -> Vec<codec::Message> {
    r.events
        .iter()
        .filter(|e| e.ty == "wasm-hexs_outbound")
        .map(|e| {
            let hex = &e
                .attributes
                .iter()
                .find(|a| a.key == "message")
                .unwrap()
                .value;
            codec::decode(HexBinary::from_hex(hex).unwrap().as_slice()).unwrap()
        })
        .collect()
}

/// An EVM model (resale royalty 3%) mirrored here, its key K1 moved here to dave, who lists it.
fn listed(s: &mut Suite) {
    let mv = codec::Body::KeyMoved(codec::KeyMoved {
        key_id: K1,
        model_id: M1,
        from_chain: EVM_CHAIN,
        to_chain: CHAIN,
        from: evm(0xbb),
        owner: codec::Account::Cosmos(s.word(&s.dave.clone())[1..].try_into().unwrap()),
        expires_at: 0,
        locked: false,
    });
    s.receive(
        &[
            inbound(EVM_CHAIN, 1, model_registered(M1, 0, evm(0xaa))),
            inbound(EVM_CHAIN, 2, key_minted(M1, K1, evm(0xbb), 0)),
            inbound(EVM_CHAIN, 3, mv),
        ],
        &[0, 1],
    )
    .unwrap();
    let dave = s.dave.clone();
    s.ok(
        &dave,
        &ExecuteMsg::ListKey {
            token_id: K1.to_string(),
            price: coin(5_000, DENOM),
        },
        &[],
    );
}

fn set_remote(price: u128) -> ExecuteMsg {
    ExecuteMsg::SetRemotePrice {
        token_id: K1.to_string(),
        chain: EVM_CHAIN,
        currency: HexBinary::from(NATIVE.to_vec()),
        price: Uint128::new(price),
        payout: Account::Evm(format!("0x{}", "ee".repeat(20))),
    }
}

fn order(serial: u64, price: u128, deadline: u64) -> codec::Body {
    codec::Body::ResaleOrder(codec::ResaleOrder {
        order_id: ((EVM_CHAIN as u64) << 32) | serial,
        listing_chain: CHAIN,
        model_id: M1,
        key_id: K1,
        seller: evm(0xee),
        buyer: evm(0xcc),
        currency: NATIVE.to_vec(),
        price,
        deadline,
    })
}

fn now(s: &Suite) -> u64 {
    s.app.block_info().time.seconds()
}

fn key(s: &Suite) -> KeyResponse {
    s.q(&QueryMsg::Key {
        id: Uint64::new(K1),
    })
    .unwrap()
}

fn result_of(msgs: &[codec::Message]) -> codec::ResaleResult {
    match &msgs.last().unwrap().body {
        codec::Body::ResaleResult(r) => r.clone(),
        other => panic!("expected a ResaleResult last, got {other:?}"),
    }
}

#[test]
fn a_mirrored_model_carries_its_resale_royalty_and_its_keys_can_be_listed_here() {
    let mut s = Suite::new();
    listed(&mut s);
    let m: Model = s
        .q(&QueryMsg::Model {
            id: Uint64::new(M1),
        })
        .unwrap();
    assert_eq!(m.royalty.resale_bps, Some(300));
    let l: Option<ListingResponse> = s
        .q(&QueryMsg::Listing {
            token_id: K1.to_string(),
        })
        .unwrap();
    assert!(l.unwrap().fillable);
    // A rate above the cap is refused as the other royalties are, and nothing is mirrored.
    let mut high = model_registered(M1 + 1, 0, evm(0xaa));
    if let codec::Body::ModelRegistered(r) = &mut high {
        r.resale_royalty_bps = 2_501;
    }
    let refused = s.receive_refused(&[inbound(EVM_CHAIN, 4, high)], &[0, 1]);
    assert_eq!(
        refused,
        vec![(
            0,
            MirrorError::RoyaltyAboveCaps {
                upstream_bps: 0,
                fork_royalty_bps: 2_000,
                dao_bps: 0,
                resale_bps: 2_501
            }
            .to_string()
        )]
    );
    assert!(s
        .q::<Model>(&QueryMsg::Model {
            id: Uint64::new(M1 + 1)
        })
        .is_err());
}

#[test]
fn a_model_published_here_announces_its_resale_royalty() {
    let mut s = Suite::new();
    let mut args = publish_args(100, 0, policy());
    args.royalty.resale_bps = Some(450);
    let alice = s.alice.clone();
    let r = s.ok(&alice, &ExecuteMsg::Publish(args), &[]);
    let msgs = outbound(&r);
    match &msgs[0].body {
        codec::Body::ModelRegistered(m) => assert_eq!(m.resale_royalty_bps, 450),
        other => panic!("expected ModelRegistered, got {other:?}"),
    }
    // Published without one: announced as 0 (royalty-free), and still not listable here.
    let r = s.ok(
        &alice,
        &ExecuteMsg::Publish(publish_args(100, 0, policy())),
        &[],
    );
    match &outbound(&r)[0].body {
        codec::Body::ModelRegistered(m) => assert_eq!(m.resale_royalty_bps, 0),
        other => panic!("expected ModelRegistered, got {other:?}"),
    }
}

#[test]
fn only_the_seller_sets_a_remote_price_for_a_peer() {
    let mut s = Suite::new();
    listed(&mut s);
    let (dave, bob) = (s.dave.clone(), s.bob.clone());
    assert!(matches!(
        s.err(&bob, &set_remote(PRICE), &[]),
        ContractError::Unauthorized { .. }
    ));
    let mut other = set_remote(PRICE);
    if let ExecuteMsg::SetRemotePrice { chain, .. } = &mut other {
        *chain = 7;
    }
    assert_eq!(
        s.err(&dave, &other, &[]),
        ContractError::NotResalePeer { chain: 7 }
    );
    let mut empty = set_remote(PRICE);
    if let ExecuteMsg::SetRemotePrice { currency, .. } = &mut empty {
        *currency = HexBinary::default();
    }
    assert_eq!(
        s.err(&dave, &empty, &[]),
        ContractError::BadRemoteCurrency { len: 0 }
    );
    let q = QueryMsg::RemotePrice {
        token_id: K1.to_string(),
        chain: EVM_CHAIN,
    };
    assert_eq!(s.q::<Option<RemotePrice>>(&q).unwrap(), None);
    s.ok(&dave, &set_remote(PRICE), &[]);
    let rp = s.q::<Option<RemotePrice>>(&q).unwrap().unwrap();
    assert_eq!(
        (rp.seller, rp.price.u128(), rp.payout.to_vec()),
        (dave.clone(), PRICE, evm_word(0xee))
    );
    s.ok(&dave, &set_remote(0), &[]);
    assert_eq!(s.q::<Option<RemotePrice>>(&q).unwrap(), None);
}

#[test]
fn an_order_from_a_peer_fills_moves_the_key_and_answers_after_the_move() {
    let mut s = Suite::new();
    listed(&mut s);
    let dave = s.dave.clone();
    s.ok(&dave, &set_remote(PRICE), &[]);
    let dave_word = s.word(&dave);
    let deadline = now(&s) + 3_600;
    let r = s
        .receive(&[inbound(EVM_CHAIN, 4, order(1, PRICE, deadline))], &[0, 2])
        .unwrap();
    let msgs = outbound(&r);
    assert_eq!(
        msgs.len(),
        2,
        "KeyMoved then ResaleResult, on the one peer lane"
    );
    match &msgs[0].body {
        codec::Body::KeyMoved(m) => {
            assert_eq!(
                (m.key_id, m.model_id, m.from_chain, m.to_chain),
                (K1, M1, CHAIN, EVM_CHAIN)
            );
            assert_eq!(crate::outbound::from_codec_account(&m.from), dave_word);
            assert_eq!(m.owner, evm(0xcc));
        }
        other => panic!("expected KeyMoved first, got {other:?}"),
    }
    assert_eq!(
        result_of(&msgs),
        codec::ResaleResult {
            order_id: (1u64 << 32) | 1,
            key_id: K1,
            filled: true,
            lease_escrow: 0,
            royalty: 30, // 3% of 1,000, paid into the model's vault on the paying chain
        }
    );
    // The key left: mirrored at the buyer's chain for the buyer, no longer dave's here.
    let k = key(&s);
    assert_eq!(
        (k.resident_chain, k.owner.to_vec()),
        (EVM_CHAIN, evm_word(0xcc))
    );
    assert!(s
        .q::<OwnerOfResponse>(&QueryMsg::OwnerOf {
            token_id: K1.to_string(),
            include_expired: None,
        })
        .is_err());
    let l: Option<ListingResponse> = s
        .q(&QueryMsg::Listing {
            token_id: K1.to_string(),
        })
        .unwrap();
    assert!(l.is_none());
    let rp: Option<RemotePrice> = s
        .q(&QueryMsg::RemotePrice {
            token_id: K1.to_string(),
            chain: EVM_CHAIN,
        })
        .unwrap();
    assert!(rp.is_none());
    // Nothing was paid here: the price is escrowed and paid on the buyer's chain.
    assert_eq!(s.claimable(&dave_word), 0);
}

#[test]
fn orders_that_do_not_match_are_answered_refused_and_the_key_stays() {
    let mut s = Suite::new();
    listed(&mut s);
    let dave = s.dave.clone();
    s.ok(&dave, &set_remote(PRICE), &[]);
    let t = now(&s);
    let mut wrong_seller = order(4, PRICE, t + 60);
    if let codec::Body::ResaleOrder(o) = &mut wrong_seller {
        o.seller = evm(0xef);
    }
    let r = s
        .receive(
            &[
                inbound(EVM_CHAIN, 4, order(1, PRICE + 1, t + 60)), // not the remote price
                inbound(EVM_CHAIN, 5, order(2, PRICE, t - 1)),      // past its deadline
                inbound(EVM_CHAIN, 6, wrong_seller),                // not the payout named
            ],
            &[0, 1],
        )
        .unwrap();
    let msgs = outbound(&r);
    assert_eq!(msgs.len(), 3);
    for (m, serial) in msgs.iter().zip([1u64, 2, 4]) {
        match &m.body {
            codec::Body::ResaleResult(res) => assert_eq!(
                (res.order_id, res.filled, res.royalty),
                ((1u64 << 32) | serial, false, 0)
            ),
            other => panic!("expected a refused ResaleResult, got {other:?}"),
        }
    }
    assert_eq!(key(&s).resident_chain, CHAIN);
    // The seller cancels while an order is in flight: the order is refused, nothing moves.
    s.ok(
        &dave,
        &ExecuteMsg::CancelListing {
            token_id: K1.to_string(),
        },
        &[],
    );
    let r = s
        .receive(&[inbound(EVM_CHAIN, 7, order(5, PRICE, t + 60))], &[0, 1])
        .unwrap();
    assert!(!result_of(&outbound(&r)).filled);
    let owner: OwnerOfResponse = s
        .q(&QueryMsg::OwnerOf {
            token_id: K1.to_string(),
            include_expired: None,
        })
        .unwrap();
    assert_eq!(owner.owner, dave.to_string());
    // An order claiming to come from another chain than its lane is refused as a message.
    let mut forged = order(6, PRICE, t + 60);
    if let codec::Body::ResaleOrder(o) = &mut forged {
        o.order_id = (2u64 << 32) | 6;
    }
    assert_eq!(
        s.receive_refused(&[inbound(EVM_CHAIN, 8, forged)], &[0, 1]),
        vec![(
            0,
            MirrorError::OrderNotFromSource {
                id: (2u64 << 32) | 6,
                origin: 2,
                src: EVM_CHAIN
            }
            .to_string()
        )]
    );
}

use cosmwasm_std::{HexBinary, Uint128, Uint64};

use super::*;
use crate::account::Account;
use crate::msg::{ExecuteMsg, ModelsResponse, QueryMsg};
use crate::state::Model;

#[test]
fn publish_assigns_global_id_and_emits_codec_message() {
    let mut s = Suite::new();
    let alice = s.alice.clone();
    let r = s.ok(
        &alice,
        &ExecuteMsg::Publish(publish_args(100, 0, policy())),
        &[],
    );
    let id: u64 = attr(&r, "model").parse().unwrap();
    assert_eq!(id, ((CHAIN as u64) << 32) | 1);
    let m: Model = s
        .q(&QueryMsg::Model {
            id: Uint64::new(id),
        })
        .unwrap();
    assert_eq!(m.creator.as_slice(), s.word(&alice).as_slice());
    assert_eq!(m.origin_chain, CHAIN);
    assert_eq!(m.parent, None);

    let out = outbound(&r);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, "ModelRegistered");
    assert_eq!(out[0].1, 1);
    let decoded = codec::decode(&out[0].2).unwrap();
    assert_eq!(
        (decoded.src_chain, decoded.dst_chain, decoded.nonce),
        (CHAIN, PEER, 1)
    );
    match decoded.body {
        codec::Body::ModelRegistered(b) => {
            assert_eq!(b.model_id, id);
            assert_eq!(b.content_commitment, [7u8; 32]);
            assert_eq!(b.fork_royalty_bps, 1_000);
            assert_eq!(b.creator.address(), &s.word(&alice)[1..]);
        }
        other => panic!("unexpected body {other:?}"),
    }
    // The serial counter is per chain: the next model gets serial 2.
    let bob = s.bob.clone();
    let second = s.publish(&bob, publish_args(1, 0, policy()));
    assert_eq!(second, ((CHAIN as u64) << 32) | 2);
}

#[test]
fn fork_records_parent_and_upstream_share() {
    let mut s = Suite::new();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let root = s.publish(&alice, publish_args(100, 0, policy()));
    let fork = s.fork(&bob, root, publish_args(50, 0, policy()));
    let m: Model = s
        .q(&QueryMsg::Model {
            id: Uint64::new(fork),
        })
        .unwrap();
    assert_eq!(m.parent, Some(root));
    assert_eq!(m.upstream_bps, 1_000, "the parent's fork_royalty_bps");
    let all: ModelsResponse = s
        .q(&QueryMsg::Models {
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(all.models.len(), 2);
    let after: ModelsResponse = s
        .q(&QueryMsg::Models {
            start_after: Some(Uint64::new(root)),
            limit: None,
        })
        .unwrap();
    assert_eq!(
        after.models.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![fork]
    );
}

#[test]
fn fork_refusals() {
    let mut s = Suite::new();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let mut closed = policy();
    closed.forkable = false;
    let root = s.publish(&alice, publish_args(100, 0, closed));
    let open = s.publish(&alice, publish_args(100, 0, policy()));

    let unknown = ExecuteMsg::Fork {
        parent: Uint64::new(999),
        parent_content: HexBinary::from([7u8; 32].to_vec()),
        model: publish_args(1, 0, policy()),
    };
    assert_eq!(
        s.err(&bob, &unknown, &[]),
        ContractError::UnknownModel { id: 999 }
    );

    let not_forkable = ExecuteMsg::Fork {
        parent: Uint64::new(root),
        parent_content: HexBinary::from([7u8; 32].to_vec()),
        model: publish_args(1, 0, policy()),
    };
    assert_eq!(
        s.err(&bob, &not_forkable, &[]),
        ContractError::NotForkable { id: root }
    );

    let wrong_content = ExecuteMsg::Fork {
        parent: Uint64::new(open),
        parent_content: HexBinary::from([8u8; 32].to_vec()),
        model: publish_args(1, 0, policy()),
    };
    assert!(
        matches!(s.err(&bob, &wrong_content, &[]), ContractError::ParentContentMismatch { parent, .. } if parent == open)
    );
    let all: ModelsResponse = s
        .q(&QueryMsg::Models {
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(
        all.models.len(),
        2,
        "no model was added by the refused forks"
    );
}

#[test]
fn publish_validates_input() {
    let mut s = Suite::new();
    let alice = s.alice.clone();
    let mut short = publish_args(1, 0, policy());
    short.content = HexBinary::from(vec![1u8; 31]);
    assert!(matches!(
        s.err(&alice, &ExecuteMsg::Publish(short), &[]),
        ContractError::InvalidModel { .. }
    ));

    let mut empty_uri = publish_args(1, 0, policy());
    empty_uri.sdl_uri = String::new();
    assert!(matches!(
        s.err(&alice, &ExecuteMsg::Publish(empty_uri), &[]),
        ContractError::InvalidModel { .. }
    ));

    let mut greedy = publish_args(1, 0, policy());
    greedy.royalty.fork_royalty_bps = 5_001;
    assert_eq!(
        s.err(&alice, &ExecuteMsg::Publish(greedy), &[]),
        ContractError::RoyaltyTooHigh {
            field: "fork_royalty_bps".into(),
            bps: 5_001,
            max: 5_000
        }
    );
    let mut dao = publish_args(1, 0, policy());
    dao.royalty.dao_bps = 4_001;
    assert!(matches!(
        s.err(&alice, &ExecuteMsg::Publish(dao), &[]),
        ContractError::RoyaltyTooHigh { .. }
    ));

    let mut bad_dao = publish_args(1, 0, policy());
    bad_dao.dao = Some(Account::Evm("0x1234".into()));
    assert!(matches!(
        s.err(&alice, &ExecuteMsg::Publish(bad_dao), &[]),
        ContractError::InvalidEvmAddress { .. }
    ));

    let mut bad_word = publish_args(1, 0, policy());
    bad_word.dao = Some(Account::Word(HexBinary::from(vec![9u8; 21])));
    assert!(matches!(
        s.err(&alice, &ExecuteMsg::Publish(bad_word), &[]),
        ContractError::InvalidAccountWord { .. }
    ));

    let mut zero_life = policy();
    zero_life.key_lifetime_secs = Some(0);
    assert!(matches!(
        s.err(
            &alice,
            &ExecuteMsg::Publish(publish_args(1, 0, zero_life)),
            &[]
        ),
        ContractError::InvalidModel { .. }
    ));
}

#[test]
fn malformed_json_is_refused() {
    let s = Suite::new();
    let bad = s
        .app
        .wrap()
        .query_wasm_smart::<Model>(s.contract.clone(), &serde_json::json!({"model": {"id": 5}}));
    assert!(bad.is_err(), "a number where a Uint64 string is expected");
    let unknown = s
        .app
        .wrap()
        .query_wasm_smart::<Model>(s.contract.clone(), &serde_json::json!({"nope": {}}));
    assert!(unknown.is_err());
    let mut s = s;
    let bob = s.bob.clone();
    let contract = s.contract.clone();
    let bad_exec = s.app.execute_contract(
        bob.clone(),
        contract.clone(),
        &serde_json::json!({"buy_key": {"model": 1}}),
        &[],
    );
    assert!(bad_exec
        .unwrap_err()
        .root_cause()
        .to_string()
        .contains("Error parsing"));
    let extra_field = serde_json::json!({"settle": {"model": "1", "extra": true}});
    assert!(
        s.app
            .execute_contract(bob, contract, &extra_field, &[])
            .is_err(),
        "unknown fields are refused"
    );
}

#[test]
fn update_model_only_by_creator() {
    let mut s = Suite::new();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let id = s.publish(&alice, publish_args(100, 0, policy()));
    let upd = ExecuteMsg::UpdateModel {
        model: Uint64::new(id),
        price: Some(Uint128::new(250)),
        deploy_price: Some(Uint128::new(40)),
        content: None,
        sdl_uri: Some("ipfs://v2".into()),
        resale_bps: None,
    };
    assert!(matches!(
        s.err(&bob, &upd, &[]),
        ContractError::Unauthorized { .. }
    ));
    let r = s.ok(&alice, &upd, &[]);
    assert_eq!(outbound(&r)[0].0, "ModelUpdated");
    let m: Model = s
        .q(&QueryMsg::Model {
            id: Uint64::new(id),
        })
        .unwrap();
    assert_eq!(
        (m.price.u128(), m.deploy_price.u128(), m.sdl_uri.as_str()),
        (250, 40, "ipfs://v2")
    );
    let missing = ExecuteMsg::UpdateModel {
        model: Uint64::new(77),
        price: None,
        deploy_price: None,
        content: None,
        sdl_uri: None,
        resale_bps: None,
    };
    assert_eq!(
        s.err(&alice, &missing, &[]),
        ContractError::UnknownModel { id: 77 }
    );
}

#[test]
fn allowlist_gates_purchases() {
    let mut s = Suite::new();
    let (alice, bob, carol) = (s.alice.clone(), s.bob.clone(), s.carol.clone());
    let mut p = policy();
    p.allowlist_only = true;
    let id = s.publish(&alice, publish_args(100, 0, p));
    let buy = ExecuteMsg::BuyKey {
        model: Uint64::new(id),
        recipient: None,
        with_deployment: false,
    };
    assert!(matches!(
        s.err(&bob, &buy, &coins(100, DENOM)),
        ContractError::NotAllowlisted { .. }
    ));
    let add = ExecuteMsg::SetAllowlist {
        model: Uint64::new(id),
        add: vec![Account::Cosmos(bob.to_string())],
        remove: vec![],
    };
    assert!(matches!(
        s.err(&carol, &add, &[]),
        ContractError::Unauthorized { .. }
    ));
    s.ok(&alice, &add, &[]);
    s.buy(&bob, id, 100, false);
    let remove = ExecuteMsg::SetAllowlist {
        model: Uint64::new(id),
        add: vec![],
        remove: vec![Account::Cosmos(bob.to_string())],
    };
    s.ok(&alice, &remove, &[]);
    assert!(matches!(
        s.err(&bob, &buy, &coins(100, DENOM)),
        ContractError::NotAllowlisted { .. }
    ));
}

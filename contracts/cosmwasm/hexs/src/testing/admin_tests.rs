use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env};
use cosmwasm_std::{coins, HexBinary, Uint64};
use cw_multi_test::Executor;

use super::*;
use crate::msg::{ConfigResponse, ExecuteMsg, MigrateMsg, QueryMsg};

fn instantiate_err(s: &mut Suite, msg: &InstantiateMsg) -> ContractError {
    let admin = s.admin.clone();
    s.app
        .instantiate_contract(s.code_id, admin, msg, &[], "x", None)
        .unwrap_err()
        .downcast()
        .unwrap()
}

#[test]
fn instantiate_validates_the_config() {
    let mut s = Suite::new();
    let cfg: ConfigResponse = s.q(&QueryMsg::Config {}).unwrap();
    assert_eq!(
        (cfg.config.chain_id, cfg.threshold, cfg.relayers.len()),
        (CHAIN, 2, 3)
    );

    type Edit = Box<dyn Fn(&mut InstantiateMsg)>;
    let cases: Vec<(Edit, &str)> = vec![
        (Box::new(|m| m.config.chain_id = 0), "chain_id"),
        (Box::new(|m| m.config.denom = String::new()), "denom"),
        (Box::new(|m| m.config.paused = true), "paused"),
        (
            Box::new(|m| m.config.protocol_fee_bps = 1_001),
            "protocol_fee_bps",
        ),
        (Box::new(|m| m.config.peers = vec![CHAIN]), "peer"),
        (Box::new(|m| m.config.peers = vec![1, 1]), "peer"),
        (Box::new(|m| m.config.max_batch = 0), "max_batch"),
        (Box::new(|m| m.threshold = 0), "threshold"),
        (Box::new(|m| m.threshold = 4), "threshold"),
        (Box::new(|m| m.relayers[1] = m.relayers[0].clone()), "twice"),
        (
            Box::new(|m| m.relayers[0] = HexBinary::from(vec![2u8; 32])),
            "public key",
        ),
    ];
    for (edit, needle) in cases {
        let mut msg = s.instantiate_msg();
        edit(&mut msg);
        match instantiate_err(&mut s, &msg) {
            ContractError::InvalidConfig { reason } => {
                assert!(reason.contains(needle), "{reason} lacks {needle}")
            }
            other => panic!("{needle}: unexpected {other:?}"),
        }
    }
    let mut msg = s.instantiate_msg();
    msg.config.fee_collector = HexBinary::from(vec![2u8; 5]);
    assert!(matches!(
        instantiate_err(&mut s, &msg),
        ContractError::InvalidAccountWord { .. }
    ));
}

#[test]
fn relayer_set_changes_only_by_admin_and_takes_effect() {
    let mut s = Suite::new();
    let (admin, bob) = (s.admin.clone(), s.bob.clone());
    let fresh: Vec<SigningKey> = (10..13).map(relayer_key).collect();
    let set = ExecuteMsg::SetRelayers {
        relayers: fresh.iter().map(pubkey).collect(),
        threshold: 3,
    };
    assert!(matches!(
        s.err(&bob, &set, &[]),
        ContractError::Unauthorized { .. }
    ));
    s.ok(&admin, &set, &[]);
    let batch = vec![inbound(
        EVM_CHAIN,
        1,
        codec::Body::PurchaseSettled(codec::PurchaseSettled {
            purchase_id: ((EVM_CHAIN as u64) << 32) | 1,
            model_id: 1,
            key_id: 1,
            buyer: evm(1),
            currency: vec![],
            amount: 5,
            deployment_requested: false,
            deployment_params: vec![],
        }),
    )];
    // The old relayers are strangers now.
    assert!(matches!(
        s.receive_err(&batch, &[0, 1]),
        ContractError::UnknownRelayer { .. }
    ));
    s.relayers = fresh;
    assert_eq!(
        s.receive_err(&batch, &[0, 1]),
        ContractError::BelowThreshold {
            got: 2,
            threshold: 3
        }
    );
    s.receive(&batch, &[0, 1, 2]).unwrap();
    let bad = ExecuteMsg::SetRelayers {
        relayers: vec![],
        threshold: 1,
    };
    assert!(matches!(
        s.err(&admin, &bad, &[]),
        ContractError::InvalidConfig { .. }
    ));
}

#[test]
fn pause_stops_everything_but_governance() {
    let mut s = Suite::new();
    let (admin, alice, bob) = (s.admin.clone(), s.alice.clone(), s.bob.clone());
    let model = s.publish(&alice, publish_args(10, 0, policy()));
    let key = s.buy(&bob, model, 10, false);
    assert!(matches!(
        s.err(&bob, &ExecuteMsg::SetPaused { paused: true }, &[]),
        ContractError::Unauthorized { .. }
    ));
    s.ok(&admin, &ExecuteMsg::SetPaused { paused: true }, &[]);
    let blocked = [
        ExecuteMsg::Publish(publish_args(1, 0, policy())),
        ExecuteMsg::BuyKey {
            model: Uint64::new(model),
            recipient: None,
            with_deployment: false,
        },
        ExecuteMsg::Settle {
            model: Uint64::new(model),
        },
        ExecuteMsg::Claim { payee: None },
        ExecuteMsg::TransferNft {
            recipient: alice.to_string(),
            token_id: key.to_string(),
        },
        ExecuteMsg::ReceiveBatch {
            messages: vec![],
            signatures: vec![],
        },
    ];
    for msg in &blocked {
        assert_eq!(
            s.err(&bob, msg, &coins(10, DENOM)),
            ContractError::Paused,
            "{msg:?}"
        );
    }
    s.ok(&admin, &ExecuteMsg::SetPaused { paused: false }, &[]);
    s.buy(&bob, model, 10, false);
}

#[test]
fn admin_hand_over_and_config_updates() {
    let mut s = Suite::new();
    let (admin, bob) = (s.admin.clone(), s.bob.clone());
    let upd = ExecuteMsg::UpdateConfig {
        protocol_fee_bps: Some(250),
        fee_collector: None,
        deploy_payee: None,
        escrow_timeout_secs: Some(60),
        peers: Some(vec![1, 2]),
        max_batch: Some(50),
        akash_lane: None,
        peer_bindings: None,
    };
    assert!(matches!(
        s.err(&bob, &upd, &[]),
        ContractError::Unauthorized { .. }
    ));
    s.ok(&admin, &upd, &[]);
    let cfg: ConfigResponse = s.q(&QueryMsg::Config {}).unwrap();
    assert_eq!(
        (
            cfg.config.protocol_fee_bps,
            cfg.config.max_batch,
            cfg.config.peers.clone()
        ),
        (250, 50, vec![1, 2])
    );
    let too_high = ExecuteMsg::UpdateConfig {
        protocol_fee_bps: Some(2_000),
        fee_collector: None,
        deploy_payee: None,
        escrow_timeout_secs: None,
        peers: None,
        max_batch: None,
        akash_lane: None,
        peer_bindings: None,
    };
    assert!(matches!(
        s.err(&admin, &too_high, &[]),
        ContractError::InvalidConfig { .. }
    ));
    // Two peers: every local fact is emitted once per lane.
    let alice = s.alice.clone();
    let r = s.ok(
        &alice,
        &ExecuteMsg::Publish(publish_args(1, 0, policy())),
        &[],
    );
    let dsts: Vec<u32> = outbound(&r)
        .iter()
        .map(|(_, _, m)| codec::decode(m).unwrap().dst_chain)
        .collect();
    assert_eq!(dsts, vec![1, 2]);

    s.ok(
        &admin,
        &ExecuteMsg::TransferAdmin {
            new_admin: bob.to_string(),
        },
        &[],
    );
    assert!(matches!(
        s.err(&admin, &ExecuteMsg::SetPaused { paused: true }, &[]),
        ContractError::Unauthorized { .. }
    ));
    s.ok(&bob, &ExecuteMsg::SetPaused { paused: true }, &[]);
}

#[test]
fn migrate_checks_name_and_version() {
    let mut s = Suite::new();
    let admin = s.admin.clone();
    let contract = s.contract.clone();
    s.app
        .migrate_contract(admin, contract, &MigrateMsg {}, s.code_id)
        .unwrap();

    let mut deps = mock_dependencies();
    let creator = deps.api.addr_make("creator");
    let mut msg = s.instantiate_msg();
    msg.config.admin = creator.clone();
    msg.config.fee_collector = crate::account::word_of_addr(&deps.api, &creator)
        .unwrap()
        .into();
    msg.config.deploy_payee = msg.config.fee_collector.clone();
    instantiate(deps.as_mut(), mock_env(), message_info(&creator, &[]), msg).unwrap();

    cw2::set_contract_version(deps.as_mut().storage, "crates.io:hexs", "0.0.9").unwrap();
    migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
    assert_eq!(
        cw2::get_contract_version(&deps.storage).unwrap().version,
        env!("CARGO_PKG_VERSION")
    );

    cw2::set_contract_version(deps.as_mut().storage, "crates.io:hexs", "99.0.0").unwrap();
    assert!(matches!(
        migrate(deps.as_mut(), mock_env(), MigrateMsg {}),
        Err(ContractError::CannotMigrate { .. })
    ));
    cw2::set_contract_version(deps.as_mut().storage, "crates.io:cw20-base", "0.0.1").unwrap();
    assert!(matches!(
        migrate(deps.as_mut(), mock_env(), MigrateMsg {}),
        Err(ContractError::CannotMigrate { .. })
    ));
}

use cosmwasm_std::Uint64;

use super::*;
use crate::account::Account;
use crate::error::MirrorError;
use crate::msg::{ExecuteMsg, QueryMsg};
use crate::state::{Escrow, EscrowStatus};

fn settle(s: &mut Suite, model: u64) -> anyhow::Result<cw_multi_test::AppResponse> {
    let c = s.carol.clone();
    s.exec(
        &c,
        &ExecuteMsg::Settle {
            model: Uint64::new(model),
        },
        &[],
    )
}

#[test]
fn purchases_only_credit_the_buying_model() {
    let mut s = Suite::new();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let root = s.publish(&alice, publish_args(1_000, 0, policy()));
    let mut parent = root;
    for _ in 0..3 {
        parent = s.fork(&alice, parent, publish_args(1_000, 0, policy()));
    }
    s.buy(&bob, parent, 1_000, false);
    assert_eq!(s.vault(parent), 1_000);
    assert_eq!(s.vault(root), 0, "ancestors are paid lazily, by settle");
}

#[test]
fn settle_root_pays_fee_and_creator() {
    let mut s = Suite::new();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let root = s.publish(&alice, publish_args(10_000, 0, policy()));
    s.buy(&bob, root, 10_000, false);
    let r = settle(&mut s, root).unwrap();
    assert_eq!(attr(&r, "protocol_fee"), "100");
    assert_eq!(attr(&r, "parent_share"), "0");
    assert_eq!(attr(&r, "creator_share"), "9900");
    assert_eq!(s.vault(root), 0);
    assert_eq!(s.claimable(&s.word(&alice)), 9_900);
    assert_eq!(s.claimable(&s.word(&s.treasury.clone())), 100);
    assert_eq!(
        settle(&mut s, root)
            .unwrap_err()
            .downcast::<ContractError>()
            .unwrap(),
        ContractError::NothingToSettle { id: root }
    );
    assert_eq!(
        settle(&mut s, 4242)
            .unwrap_err()
            .downcast::<ContractError>()
            .unwrap(),
        ContractError::UnknownModel { id: 4242 }
    );
}

#[test]
fn settle_fork_moves_one_level_up_and_pays_the_dao() {
    let mut s = Suite::new();
    let (alice, bob, carol) = (s.alice.clone(), s.bob.clone(), s.carol.clone());
    let root = s.publish(&alice, publish_args(1, 0, policy()));
    let mut args = publish_args(10_000, 0, policy());
    args.royalty.dao_bps = 500;
    args.dao = Some(Account::Cosmos(carol.to_string()));
    let fork = s.fork(&bob, root, args);
    s.buy(&carol, fork, 10_000, false);
    let r = settle(&mut s, fork).unwrap();
    // fee 1 % = 100, upstream 10 % = 1000, dao 5 % = 500, creator the rest.
    assert_eq!(attr(&r, "parent_share"), "1000");
    assert_eq!(attr(&r, "dao_share"), "500");
    assert_eq!(attr(&r, "creator_share"), "8400");
    assert_eq!(
        s.vault(root),
        1_000,
        "the parent's share waits in the parent's vault"
    );
    assert_eq!(s.claimable(&s.word(&carol)), 500);
    assert_eq!(s.claimable(&s.word(&bob)), 8_400);
    assert_eq!(s.claimable(&s.word(&alice)), 0);
    settle(&mut s, root).unwrap();
    assert_eq!(s.claimable(&s.word(&alice)), 990);
    assert_eq!(s.claimable(&s.word(&s.treasury.clone())), 110);
}

#[test]
fn claim_pays_local_payees_and_needs_a_binding_for_foreign_ones() {
    let mut s = Suite::new();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let root = s.publish(&alice, publish_args(1_000, 0, policy()));
    s.buy(&bob, root, 1_000, false);
    settle(&mut s, root).unwrap();
    let before = s.balance(&alice);
    s.ok(
        &bob,
        &ExecuteMsg::Claim {
            payee: Some(Account::Cosmos(alice.to_string())),
        },
        &[],
    );
    assert_eq!(
        s.balance(&alice),
        before + 990,
        "anyone may trigger, the payee is paid"
    );
    assert_eq!(
        s.err(&alice, &ExecuteMsg::Claim { payee: None }, &[]),
        ContractError::NothingToClaim {
            payee: crate::account::hex(&s.word(&alice))
        }
    );

    // A foreign payee without a binding cannot be paid.
    let fee_word = evm_word(0xee);
    s.ok(
        &s.admin.clone(),
        &ExecuteMsg::UpdateConfig {
            protocol_fee_bps: None,
            fee_collector: Some(Account::Word(fee_word.clone().into())),
            deploy_payee: None,
            escrow_timeout_secs: None,
            peers: None,
            max_batch: None,
            akash_lane: None,
            peer_bindings: None,
        },
        &[],
    );
    s.buy(&bob, root, 1_000, false);
    settle(&mut s, root).unwrap();
    assert_eq!(
        s.err(
            &bob,
            &ExecuteMsg::Claim {
                payee: Some(Account::Word(fee_word.clone().into()))
            },
            &[]
        ),
        ContractError::NoPayoutAddress {
            payee: crate::account::hex(&fee_word)
        }
    );
    assert_eq!(
        s.claimable(&fee_word),
        10,
        "credit stays until it can be paid"
    );
}

fn lease(purchase: u64, ok: bool) -> codec::Body {
    lease_at(purchase, ok, purchase & 0xffff_ffff)
}

/// A lease report naming deployment `dseq`.
fn lease_at(purchase: u64, ok: bool, dseq: u64) -> codec::Body {
    codec::Body::LeaseReported(codec::LeaseReported {
        purchase_id: purchase,
        ok,
        dseq,
        gseq: 1,
        oseq: 1,
        provider: "akash1provider".into(),
        reason: if ok { String::new() } else { "no bids".into() },
    })
}

#[test]
fn lease_reports_release_or_refund_the_escrow() {
    let mut s = Suite::new();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let model = s.publish(&alice, publish_args(100, 40, policy()));
    let k1 = s.buy(&bob, model, 140, true);
    let k2 = s.buy(&bob, model, 140, true);
    s.receive(
        &[
            inbound(AKASH, 1, lease(k1, true)),
            inbound(AKASH, 2, lease(k2, false)),
        ],
        &[0, 2],
    )
    .unwrap();
    assert_eq!(s.claimable(&s.word(&s.operator.clone())), 40);
    assert_eq!(s.claimable(&s.word(&bob)), 40);
    let e: Escrow = s
        .q(&QueryMsg::Escrow {
            key_id: Uint64::new(k1),
        })
        .unwrap();
    assert_eq!(e.status, EscrowStatus::Released);
    let e: Escrow = s
        .q(&QueryMsg::Escrow {
            key_id: Uint64::new(k2),
        })
        .unwrap();
    assert_eq!(e.status, EscrowStatus::Refunded);
    // A second report for the same purchase is refused (recorded; the lane moves on).
    let e = s.receive_refused(&[inbound(AKASH, 3, lease(k1, false))], &[0, 1]);
    assert_eq!(
        e,
        vec![(
            0,
            MirrorError::EscrowClosed {
                id: k1,
                status: "released".into()
            }
            .to_string()
        )]
    );
    assert_eq!(s.claimable(&s.word(&bob)), 40);
    // The vault never saw the deployment part.
    assert_eq!(s.vault(model), 200);
}

#[test]
fn one_deployment_releases_one_escrow_only() {
    let mut s = Suite::new();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let model = s.publish(&alice, publish_args(100, 40, policy()));
    let k1 = s.buy(&bob, model, 140, true);
    let k2 = s.buy(&bob, model, 140, true);
    s.receive(&[inbound(AKASH, 1, lease_at(k1, true, 77))], &[0, 1])
        .unwrap();
    // The same deployment reported as another purchase's lease, or a lease without a
    // deployment: refused (recorded; the lane moves on), k2's escrow stays open.
    let e = s.receive_refused(
        &[
            inbound(AKASH, 2, lease_at(k2, true, 77)),
            inbound(AKASH, 3, lease_at(k2, true, 0)),
        ],
        &[0, 1],
    );
    assert_eq!(
        e,
        vec![
            (0, MirrorError::DseqReused { dseq: 77, id: k1 }.to_string()),
            (
                1,
                MirrorError::LeaseWithoutDeployment { id: k2 }.to_string()
            ),
        ]
    );
    assert_eq!(s.claimable(&s.word(&s.operator.clone())), 40);
    let e: Escrow = s
        .q(&QueryMsg::Escrow {
            key_id: Uint64::new(k2),
        })
        .unwrap();
    assert_eq!(e.status, EscrowStatus::Pending);
    // its own deployment releases it
    s.receive(&[inbound(AKASH, 4, lease_at(k2, true, 78))], &[0, 1])
        .unwrap();
    assert_eq!(s.claimable(&s.word(&s.operator.clone())), 80);
}

#[test]
fn buyer_reclaims_an_unreported_escrow_after_the_timeout() {
    let mut s = Suite::new();
    let (alice, bob, carol) = (s.alice.clone(), s.bob.clone(), s.carol.clone());
    let model = s.publish(&alice, publish_args(100, 40, policy()));
    let key = s.buy(&bob, model, 140, true);
    let reclaim = ExecuteMsg::ReclaimEscrow {
        key_id: Uint64::new(key),
    };
    let at = s.app.block_info().time.seconds() + 3_600;
    assert_eq!(
        s.err(&bob, &reclaim, &[]),
        ContractError::EscrowNotExpired { id: key, at }
    );
    s.app.update_block(|b| b.time = b.time.plus_seconds(3_600));
    assert!(matches!(
        s.err(&carol, &reclaim, &[]),
        ContractError::Unauthorized { .. }
    ));
    let before = s.balance(&bob);
    s.ok(&bob, &reclaim, &[]);
    assert_eq!(s.balance(&bob), before + 40);
    assert_eq!(
        s.err(&bob, &reclaim, &[]),
        ContractError::EscrowClosed {
            id: key,
            status: "refunded".into()
        }
    );
    let no_escrow = ExecuteMsg::ReclaimEscrow {
        key_id: Uint64::new(999),
    };
    assert_eq!(
        s.err(&bob, &no_escrow, &[]),
        ContractError::UnknownEscrow { id: 999 }
    );
    // A late lease report can no longer pay the operator.
    let e = s.receive_refused(&[inbound(AKASH, 1, lease(key, true))], &[0, 1]);
    assert_eq!(
        e,
        vec![(
            0,
            MirrorError::EscrowClosed {
                id: key,
                status: "refunded".into()
            }
            .to_string()
        )]
    );
}

fn fund(model: u64, to: &Addr, purpose: &str) -> ExecuteMsg {
    ExecuteMsg::FundInfrastructure {
        model: Uint64::new(model),
        to: to.to_string(),
        purpose: purpose.into(),
    }
}

#[test]
fn the_models_dao_pays_for_infrastructure_in_one_transaction_with_its_event() {
    let mut s = Suite::new();
    let (alice, carol, operator) = (s.alice.clone(), s.carol.clone(), s.operator.clone());
    let mut args = publish_args(1_000, 0, policy());
    args.royalty.dao_bps = 500;
    args.dao = Some(Account::Cosmos(carol.to_string()));
    let model = s.publish(&alice, args);
    let (dao_before, op_before) = (s.balance(&carol), s.balance(&operator));
    let purpose = "akash-escrow:akash1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu/42";
    let r = s.ok(&carol, &fund(model, &operator, purpose), &coins(700, DENOM));
    assert_eq!(s.balance(&carol), dao_before - 700);
    assert_eq!(s.balance(&operator), op_before + 700);
    assert_eq!(
        s.balance(&s.contract.clone()),
        0,
        "nothing stays in the contract"
    );
    let ev = r
        .events
        .iter()
        .find(|e| e.ty == "wasm-hexs_infrastructure_funded")
        .expect("the spend's event");
    let get = |k: &str| {
        ev.attributes
            .iter()
            .find(|a| a.key == k)
            .map(|a| a.value.clone())
            .unwrap()
    };
    assert_eq!(get("model"), model.to_string());
    assert_eq!(get("dao"), carol.to_string());
    assert_eq!(get("to"), operator.to_string());
    assert_eq!(
        (get("denom"), get("amount")),
        (DENOM.to_string(), "700".to_string())
    );
    assert_eq!(get("purpose"), purpose);
}

#[test]
fn only_the_models_dao_funds_infrastructure_with_a_bounded_purpose_and_this_chains_coin() {
    let mut s = Suite::new();
    let (alice, bob, carol, operator) = (
        s.alice.clone(),
        s.bob.clone(),
        s.carol.clone(),
        s.operator.clone(),
    );
    let no_dao = s.publish(&alice, publish_args(1_000, 0, policy()));
    let mut args = publish_args(1_000, 0, policy());
    args.dao = Some(Account::Cosmos(carol.to_string()));
    let model = s.publish(&alice, args);
    let (bob_before, op_before) = (s.balance(&bob), s.balance(&operator));
    let pay = coins(100, DENOM);
    assert!(matches!(
        s.err(&bob, &fund(model, &operator, "x"), &pay),
        ContractError::NotModelDao { model: m, .. } if m == model
    ));
    assert!(matches!(
        s.err(&alice, &fund(model, &operator, "x"), &pay),
        ContractError::NotModelDao { .. }
    ));
    assert!(matches!(
        s.err(&carol, &fund(no_dao, &operator, "x"), &pay),
        ContractError::NotModelDao { .. }
    ));
    assert!(matches!(
        s.err(&carol, &fund(999, &operator, "x"), &pay),
        ContractError::UnknownModel { id: 999 }
    ));
    assert!(matches!(
        s.err(&carol, &fund(model, &operator, ""), &pay),
        ContractError::InvalidPurpose { .. }
    ));
    assert!(matches!(
        s.err(&carol, &fund(model, &operator, &"p".repeat(129)), &pay),
        ContractError::InvalidPurpose { .. }
    ));
    assert!(matches!(
        s.err(&carol, &fund(model, &operator, "x"), &[]),
        ContractError::Payment(_)
    ));
    assert_eq!(s.balance(&bob), bob_before, "a refused spend moves nothing");
    assert_eq!(s.balance(&operator), op_before);
}

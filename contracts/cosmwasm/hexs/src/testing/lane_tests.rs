//! Governance of inbound lanes (issue 11 items 7, 11, 12, 21): which lanes exist and what
//! each may carry, per-lane pause and rate limit (also on `reapply`), refusals tied to the
//! relayer set that signed them, a majority relayer threshold, funds refused where none are
//! due, and a `has_access` that does not grow with a holder's expired keys.

use std::cell::Cell;

use cosmwasm_std::testing::{mock_env, MockQuerier};
use cosmwasm_std::{coins, Deps, Order, QuerierWrapper, Record, Storage, Uint64};
use cw_multi_test::Executor;
use cw_utils::PaymentError;

use super::*;
use crate::account::Account;
use crate::error::MirrorError;
use crate::msg::{ConfigResponse, HasAccessResponse, LanesResponse, QueryMsg, RefusalsResponse};
use crate::state::{Escrow, EscrowStatus, Refusal};

const M1: u64 = ((EVM_CHAIN as u64) << 32) | 1;

fn lease(purchase: u64, ok: bool) -> codec::Body {
    codec::Body::LeaseReported(codec::LeaseReported {
        purchase_id: purchase,
        ok,
        dseq: 7,
        gseq: 1,
        oseq: 1,
        provider: "akash1provider".into(),
        reason: String::new(),
    })
}

fn inbound_nonce(s: &Suite, src: u32) -> u64 {
    let l: LanesResponse = s.q(&QueryMsg::Lanes {}).unwrap();
    l.inbound
        .iter()
        .find(|l| l.chain == src)
        .map_or(0, |l| l.nonce)
}

fn refusals(s: &Suite, src: u32) -> Vec<Refusal> {
    s.q::<RefusalsResponse>(&QueryMsg::Refusals {
        src,
        start_after: None,
        limit: None,
    })
    .unwrap()
    .refusals
}

fn escrow_status(s: &Suite, key: u64) -> EscrowStatus {
    s.q::<Escrow>(&QueryMsg::Escrow {
        key_id: Uint64::new(key),
    })
    .unwrap()
    .status
}

fn set_lane(s: &mut Suite, chain: u32, paused: bool, rate_per_hour: u32) -> ExecuteMsg {
    let msg = ExecuteMsg::SetLane {
        chain,
        paused,
        rate_per_hour,
    };
    let admin = s.admin.clone();
    s.ok(&admin, &msg, &[]);
    msg
}

fn set_max_batch(s: &mut Suite, max: u32) -> anyhow::Result<cw_multi_test::AppResponse> {
    let admin = s.admin.clone();
    s.exec(
        &admin,
        &ExecuteMsg::UpdateConfig {
            protocol_fee_bps: None,
            fee_collector: None,
            deploy_payee: None,
            escrow_timeout_secs: None,
            peers: None,
            max_batch: Some(max),
            akash_lane: None,
            peer_bindings: None,
        },
        &[],
    )
}

fn reapply_err(s: &mut Suite, src: u32, nonce: u64) -> ContractError {
    let carol = s.carol.clone();
    s.err(
        &carol,
        &ExecuteMsg::Reapply {
            src,
            nonce: Uint64::new(nonce),
        },
        &[],
    )
}

/// A refused KeyMinted at `EVM_CHAIN` nonce 1 (its model is not known yet), then its model
/// at nonce 2: the refusal can be re-applied.
fn refusal_ready_to_reapply(s: &mut Suite) {
    let early = vec![inbound(EVM_CHAIN, 1, key_minted(M1, M1 + 10, evm(0xbb), 0))];
    assert!(s.receive_refused(&early, &[0, 1]).is_empty());
    // A duplicate key is what gets refused here: mint it again at nonce 2.
    let dup = vec![inbound(EVM_CHAIN, 2, key_minted(M1, M1 + 10, evm(0xcc), 0))];
    assert_eq!(s.receive_refused(&dup, &[0, 1]).len(), 1);
    // Its cause goes away: the first key is burnt.
    let burn = codec::Body::KeyBurned(codec::KeyBurned {
        key_id: M1 + 10,
        model_id: M1,
        owner: evm(0xbb),
    });
    assert!(s
        .receive_refused(&[inbound(EVM_CHAIN, 3, burn)], &[0, 1])
        .is_empty());
}

#[test]
fn lease_reports_apply_only_from_the_akash_lane_which_carries_nothing_else() {
    // Fails on 4403f7d: a LeaseReported from any lane (here the EVM peer) released the escrow.
    let mut s = Suite::new();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let model = s.publish(&alice, publish_args(100, 40, policy()));
    let key = s.buy(&bob, model, 140, true);
    assert_eq!(
        s.receive_refused(&[inbound(EVM_CHAIN, 1, lease(key, true))], &[0, 1]),
        vec![(
            0,
            MirrorError::NotAkashLane {
                src: EVM_CHAIN,
                akash_lane: AKASH
            }
            .to_string()
        )]
    );
    assert_eq!(escrow_status(&s, key), EscrowStatus::Pending);
    assert_eq!(s.claimable(&s.word(&s.operator.clone())), 0);
    // The Akash lane carries lease reports only.
    let model_from_akash = ((AKASH as u64) << 32) | 1;
    assert_eq!(
        s.receive_refused(
            &[inbound(
                AKASH,
                1,
                model_registered(model_from_akash, 0, evm(1))
            )],
            &[0, 1]
        ),
        vec![(
            0,
            MirrorError::OnlyLeaseReports {
                src: AKASH,
                kind: "ModelRegistered".into()
            }
            .to_string()
        )]
    );
    s.receive(&[inbound(AKASH, 2, lease(key, true))], &[0, 1])
        .unwrap();
    assert_eq!(escrow_status(&s, key), EscrowStatus::Released);
    assert_eq!(s.claimable(&s.word(&s.operator.clone())), 40);
    // Without an Akash lane no report applies; the lane itself is gone.
    let admin = s.admin.clone();
    s.ok(
        &admin,
        &ExecuteMsg::UpdateConfig {
            protocol_fee_bps: None,
            fee_collector: None,
            deploy_payee: None,
            escrow_timeout_secs: None,
            peers: None,
            max_batch: None,
            akash_lane: Some(0),
            peer_bindings: None,
        },
        &[],
    );
    assert_eq!(
        s.receive_err(&[inbound(AKASH, 3, lease(key, false))], &[0, 1]),
        ContractError::UnknownLane { src: AKASH }
    );
    // The Akash lane is inbound only: it cannot be a peer (nor this chain).
    for bad in [EVM_CHAIN, CHAIN] {
        let e = s.err(
            &admin,
            &ExecuteMsg::UpdateConfig {
                protocol_fee_bps: None,
                fee_collector: None,
                deploy_payee: None,
                escrow_timeout_secs: None,
                peers: None,
                max_batch: None,
                akash_lane: Some(bad),
                peer_bindings: None,
            },
            &[],
        );
        assert!(matches!(e, ContractError::InvalidConfig { .. }), "{bad}");
    }
}

#[test]
fn batches_come_only_from_configured_lanes() {
    // Fails on 4403f7d: any source chain the relayer quorum signed for opened a lane.
    let mut s = Suite::new();
    let stranger = 7u32;
    let model = ((stranger as u64) << 32) | 1;
    let batch = vec![inbound(stranger, 1, model_registered(model, 0, evm(1)))];
    assert_eq!(
        s.receive_err(&batch, &[0, 1]),
        ContractError::UnknownLane { src: stranger }
    );
    assert_eq!(inbound_nonce(&s, stranger), 0);
    s.add_peer(stranger);
    s.receive(&batch, &[0, 1]).unwrap();
    assert_eq!(inbound_nonce(&s, stranger), 1);
}

#[test]
fn a_paused_lane_refuses_batches_and_loses_nothing() {
    let mut s = Suite::new();
    let bob = s.bob.clone();
    let pause = ExecuteMsg::SetLane {
        chain: EVM_CHAIN,
        paused: true,
        rate_per_hour: 0,
    };
    assert!(matches!(
        s.err(&bob, &pause, &[]),
        ContractError::Unauthorized { .. }
    ));
    set_lane(&mut s, EVM_CHAIN, true, 0);
    let batch = vec![inbound(EVM_CHAIN, 1, model_registered(M1, 0, evm(0xaa)))];
    assert_eq!(
        s.receive_err(&batch, &[0, 1]),
        ContractError::LanePaused { src: EVM_CHAIN }
    );
    assert_eq!(inbound_nonce(&s, EVM_CHAIN), 0);
    // Other lanes keep running.
    let purchase = ((CHAIN as u64) << 32) | 1;
    let alice = s.alice.clone();
    let model = s.publish(&alice, publish_args(100, 40, policy()));
    assert_eq!(purchase, s.buy(&bob, model, 140, true));
    s.receive(&[inbound(AKASH, 1, lease(purchase, true))], &[0, 1])
        .unwrap();
    // Resumed, the same batch goes through.
    set_lane(&mut s, EVM_CHAIN, false, 0);
    s.receive(&batch, &[0, 1]).unwrap();
    assert_eq!(inbound_nonce(&s, EVM_CHAIN), 1);
}

#[test]
fn a_lane_rate_limit_holds_batches_until_the_next_hour() {
    let mut s = Suite::new();
    set_max_batch(&mut s, 2).unwrap();
    // A rate below the largest batch would stop the lane at the first full batch.
    let admin = s.admin.clone();
    assert!(matches!(
        s.err(
            &admin,
            &ExecuteMsg::SetLane {
                chain: EVM_CHAIN,
                paused: false,
                rate_per_hour: 1
            },
            &[]
        ),
        ContractError::InvalidConfig { .. }
    ));
    set_lane(&mut s, EVM_CHAIN, false, 3);
    assert!(matches!(
        set_max_batch(&mut s, 4)
            .unwrap_err()
            .downcast::<ContractError>()
            .unwrap(),
        ContractError::InvalidConfig { .. }
    ));
    let m = |n: u64| inbound(EVM_CHAIN, n, model_registered(M1 + n, 0, evm(0xaa)));
    s.receive(&[m(1), m(2)], &[0, 1]).unwrap();
    assert_eq!(
        s.receive_err(&[m(3), m(4)], &[0, 1]),
        ContractError::LaneRateLimited {
            src: EVM_CHAIN,
            rate_per_hour: 3,
            used: 2,
            len: 2
        }
    );
    assert_eq!(inbound_nonce(&s, EVM_CHAIN), 2);
    s.receive(&[m(3)], &[0, 1]).unwrap();
    s.app.update_block(|b| b.time = b.time.plus_seconds(3_600));
    s.receive(&[m(4), m(5)], &[0, 1]).unwrap();
    assert_eq!(inbound_nonce(&s, EVM_CHAIN), 5);
}

#[test]
fn handlers_that_take_no_funds_refuse_funds() {
    // Fails on 4403f7d: funds sent with any message but a purchase stayed in the contract.
    let mut s = Suite::new();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let model = s.publish(&alice, publish_args(100, 0, policy()));
    let paid = coins(5, DENOM);
    let msgs = vec![
        ExecuteMsg::Publish(publish_args(100, 0, policy())),
        ExecuteMsg::Settle {
            model: Uint64::new(model),
        },
        ExecuteMsg::Claim { payee: None },
        ExecuteMsg::Reapply {
            src: EVM_CHAIN,
            nonce: Uint64::new(1),
        },
        ExecuteMsg::ReceiveBatch {
            messages: vec![],
            signatures: vec![],
        },
        ExecuteMsg::RevokeAll {
            operator: bob.to_string(),
        },
    ];
    let before = s.balance(&alice);
    for msg in &msgs {
        assert_eq!(
            s.err(&alice, msg, &paid),
            ContractError::Payment(PaymentError::NonPayable {}),
            "{msg:?}"
        );
    }
    let admin = s.admin.clone();
    assert_eq!(
        s.err(&admin, &ExecuteMsg::SetPaused { paused: true }, &paid),
        ContractError::Payment(PaymentError::NonPayable {})
    );
    assert_eq!(s.balance(&alice), before);
    // A purchase still pays.
    s.buy(&bob, model, 100, false);
}

#[test]
fn reapply_checks_pause_rate_peers_and_the_relayer_set() {
    // Fails on 4403f7d (no SetLane, no epoch; reapply ignored every lane control).
    let mut s = Suite::new();
    refusal_ready_to_reapply(&mut s);
    let r = refusals(&s, EVM_CHAIN);
    assert_eq!((r.len(), r[0].nonce, r[0].epoch), (1, 2, 1));
    let admin = s.admin.clone();

    s.ok(&admin, &ExecuteMsg::SetPaused { paused: true }, &[]);
    assert_eq!(reapply_err(&mut s, EVM_CHAIN, 2), ContractError::Paused);
    s.ok(&admin, &ExecuteMsg::SetPaused { paused: false }, &[]);

    set_lane(&mut s, EVM_CHAIN, true, 0);
    assert_eq!(
        reapply_err(&mut s, EVM_CHAIN, 2),
        ContractError::LanePaused { src: EVM_CHAIN }
    );

    set_max_batch(&mut s, 1).unwrap();
    set_lane(&mut s, EVM_CHAIN, false, 1);
    let next = inbound(EVM_CHAIN, 4, model_registered(M1, 0, evm(0xaa)));
    s.receive(&[next], &[0, 1]).unwrap();
    assert_eq!(
        reapply_err(&mut s, EVM_CHAIN, 2),
        ContractError::LaneRateLimited {
            src: EVM_CHAIN,
            rate_per_hour: 1,
            used: 1,
            len: 1
        }
    );
    s.app.update_block(|b| b.time = b.time.plus_seconds(3_600));

    // A lane governance disconnected re-applies nothing.
    let peers = |p: Vec<u32>| ExecuteMsg::UpdateConfig {
        protocol_fee_bps: None,
        fee_collector: None,
        deploy_payee: None,
        escrow_timeout_secs: None,
        peers: Some(p),
        max_batch: None,
        akash_lane: None,
        peer_bindings: None,
    };
    s.ok(&admin, &peers(vec![]), &[]);
    assert_eq!(
        reapply_err(&mut s, EVM_CHAIN, 2),
        ContractError::UnknownLane { src: EVM_CHAIN }
    );
    s.ok(&admin, &peers(vec![EVM_CHAIN]), &[]);

    // Rotating the relayers retires what the old quorum signed.
    let same_keys: Vec<_> = s.relayers.iter().map(pubkey).collect();
    s.ok(
        &admin,
        &ExecuteMsg::SetRelayers {
            relayers: same_keys,
            threshold: 2,
        },
        &[],
    );
    assert_eq!(
        reapply_err(&mut s, EVM_CHAIN, 2),
        ContractError::StaleRefusal {
            src: EVM_CHAIN,
            nonce: 2,
            epoch: 1,
            current: 2
        }
    );
    assert_eq!(refusals(&s, EVM_CHAIN).len(), 1);
}

#[test]
fn reapply_succeeds_within_the_lane_controls() {
    let mut s = Suite::new();
    refusal_ready_to_reapply(&mut s);
    set_lane(&mut s, EVM_CHAIN, false, 100);
    let carol = s.carol.clone();
    s.ok(
        &carol,
        &ExecuteMsg::Reapply {
            src: EVM_CHAIN,
            nonce: Uint64::new(2),
        },
        &[],
    );
    assert!(refusals(&s, EVM_CHAIN).is_empty());
}

#[test]
fn governance_drops_refusals() {
    let mut s = Suite::new();
    refusal_ready_to_reapply(&mut s);
    let (admin, bob) = (s.admin.clone(), s.bob.clone());
    let drop = |nonces: Vec<u64>| ExecuteMsg::DropRefusals {
        src: EVM_CHAIN,
        nonces: nonces.into_iter().map(Uint64::new).collect(),
    };
    assert!(matches!(
        s.err(&bob, &drop(vec![2]), &[]),
        ContractError::Unauthorized { .. }
    ));
    assert_eq!(
        s.err(&admin, &drop(vec![2, 3]), &[]),
        ContractError::NotRefused {
            src: EVM_CHAIN,
            nonce: 3
        }
    );
    assert_eq!(refusals(&s, EVM_CHAIN).len(), 1);
    s.ok(&admin, &drop(vec![2]), &[]);
    assert!(refusals(&s, EVM_CHAIN).is_empty());
    assert_eq!(
        reapply_err(&mut s, EVM_CHAIN, 2),
        ContractError::NotRefused {
            src: EVM_CHAIN,
            nonce: 2
        }
    );
}

#[test]
fn the_relayer_threshold_is_a_majority_and_one_of_one_only_on_a_devnet() {
    // Fails on 4403f7d: 1-of-3 and 1-of-1 were accepted anywhere.
    let mut s = Suite::new();
    let admin = s.admin.clone();
    let keys: Vec<_> = (20..24).map(|i| pubkey(&relayer_key(i))).collect();
    let instantiate = |s: &mut Suite, n: usize, threshold: u32, devnet: bool| {
        let mut msg = s.instantiate_msg();
        msg.relayers = keys[..n].to_vec();
        msg.threshold = threshold;
        msg.config.devnet = devnet;
        s.app
            .instantiate_contract(s.code_id, admin.clone(), &msg, &[], "x", None)
            .map_err(|e| e.downcast::<ContractError>().unwrap())
    };
    for (n, threshold) in [(3, 1), (4, 2), (2, 1), (1, 1), (3, 0), (3, 4)] {
        assert!(
            matches!(
                instantiate(&mut s, n, threshold, false),
                Err(ContractError::InvalidConfig { .. })
            ),
            "{threshold} of {n}"
        );
    }
    for (n, threshold) in [(3, 2), (4, 3), (2, 2)] {
        instantiate(&mut s, n, threshold, false).unwrap();
    }
    let devnet = instantiate(&mut s, 1, 1, true).unwrap();
    let cfg: ConfigResponse = s
        .app
        .wrap()
        .query_wasm_smart(devnet, &QueryMsg::Config {})
        .unwrap();
    assert!(cfg.config.devnet && cfg.threshold == 1);
    // The same rule on every change of the set.
    let set = |n: usize, threshold: u32| ExecuteMsg::SetRelayers {
        relayers: keys[..n].to_vec(),
        threshold,
    };
    for (n, threshold) in [(3, 1), (4, 2), (1, 1)] {
        assert!(matches!(
            s.err(&admin, &set(n, threshold), &[]),
            ContractError::InvalidConfig { .. }
        ));
    }
    s.ok(&admin, &set(4, 3), &[]);
}

/// Reads of the underlying storage: one per `get`, one per entry a range yields.
struct CountingStorage<'a> {
    inner: &'a dyn Storage,
    reads: Cell<usize>,
}

impl Storage for CountingStorage<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.reads.set(self.reads.get() + 1);
        self.inner.get(key)
    }

    fn range<'b>(
        &'b self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> Box<dyn Iterator<Item = Record> + 'b> {
        Box::new(self.inner.range(start, end, order).inspect(|_| {
            self.reads.set(self.reads.get() + 1);
        }))
    }

    fn set(&mut self, _: &[u8], _: &[u8]) {
        unreachable!("a query writes nothing")
    }

    fn remove(&mut self, _: &[u8]) {
        unreachable!("a query writes nothing")
    }
}

/// Storage reads of a `has_access` query, and its answer.
fn has_access_reads(s: &Suite, model: u64, holder: u8) -> (usize, HasAccessResponse) {
    let storage = s.app.contract_storage(&s.contract);
    let counting = CountingStorage {
        inner: storage.as_ref(),
        reads: Cell::new(0),
    };
    let querier: MockQuerier = MockQuerier::new(&[]);
    let deps = Deps {
        storage: &counting,
        api: s.app.api(),
        querier: QuerierWrapper::new(&querier),
    };
    let mut env = mock_env();
    env.block = s.app.block_info();
    let account = Account::Evm(format!("0x{}", format!("{holder:02x}").repeat(20)));
    let r = crate::query::has_access(deps, &env, model, account).unwrap();
    (counting.reads.get(), r)
}

#[test]
fn has_access_reads_the_same_for_one_or_two_hundred_expired_keys() {
    // Fails on 4403f7d: has_access read every key the holder ever held of the model
    // (two reads per expired key).
    let mut s = Suite::new();
    s.receive(
        &[inbound(EVM_CHAIN, 1, model_registered(M1, 0, evm(0xaa)))],
        &[0, 1],
    )
    .unwrap();
    let now = s.app.block_info().time.seconds();
    let mut nonce = 1;
    let mut mint = |s: &mut Suite, holder: u8, count: u64, expires_at: u64| {
        let first = nonce + 1;
        let batch: Vec<Vec<u8>> = (first..first + count)
            .map(|n| {
                let key = M1 + 1_000 + n;
                inbound(EVM_CHAIN, n, key_minted(M1, key, evm(holder), expires_at))
            })
            .collect();
        for chunk in batch.chunks(100) {
            assert!(s.receive_refused(chunk, &[0, 1]).is_empty());
        }
        nonce += count;
    };
    mint(&mut s, 0x01, 1, now - 1);
    mint(&mut s, 0x02, 200, now - 1);
    let (one, r1) = has_access_reads(&s, M1, 0x01);
    let (many, r200) = has_access_reads(&s, M1, 0x02);
    assert!(!r1.access && !r200.access);
    assert_eq!(one, many, "reads grow with expired keys: {one} vs {many}");
    assert!(many <= 2, "{many} reads");
    // One live key among them is found with the same reads, a never-expiring one first.
    mint(&mut s, 0x02, 1, now + 60);
    let (live, r) = has_access_reads(&s, M1, 0x02);
    assert!(r.access);
    assert_eq!(live, many);
    mint(&mut s, 0x02, 1, 0);
    let (_, r) = has_access_reads(&s, M1, 0x02);
    assert_eq!(r.key_id, Some(Uint64::new(M1 + 1_000 + nonce)));
    // Expiry passes: the subscription stops granting, the perpetual key does not.
    s.app.update_block(|b| b.time = b.time.plus_seconds(120));
    assert!(has_access_reads(&s, M1, 0x02).1.access);
}

#[test]
fn migrate_ranks_the_holdings_of_an_older_contract() {
    use cosmwasm_std::Empty;
    use cw_storage_plus::Map;
    // The unranked index of contracts before this change: (owner word, model, key).
    const UNRANKED: Map<(&[u8], u64, u64), Empty> = Map::new("hold");
    let mut s = Suite::new();
    let now = s.app.block_info().time.seconds();
    s.receive(
        &[
            inbound(EVM_CHAIN, 1, model_registered(M1, 0, evm(0xaa))),
            inbound(EVM_CHAIN, 2, key_minted(M1, M1 + 10, evm(0x01), now + 60)),
            inbound(EVM_CHAIN, 3, key_minted(M1, M1 + 11, evm(0x02), now - 1)),
        ],
        &[0, 1],
    )
    .unwrap();
    // Rewrite the index as an older contract kept it, plus an entry whose key is gone.
    {
        let mut st = s.app.contract_storage_mut(&s.contract);
        let ranked: Vec<_> = crate::state::HOLDINGS
            .keys(st.as_ref(), None, None, Order::Ascending)
            .collect::<cosmwasm_std::StdResult<_>>()
            .unwrap();
        for ((owner, model), rank, key) in ranked {
            crate::state::HOLDINGS.remove(st.as_mut(), ((&owner, model), rank, key));
            UNRANKED
                .save(st.as_mut(), (&owner, model, key), &Empty {})
                .unwrap();
        }
        UNRANKED
            .save(st.as_mut(), (&evm_word(0x03), M1, M1 + 99), &Empty {})
            .unwrap();
    }
    assert!(!has_access_reads(&s, M1, 0x01).1.access);
    let (admin, contract) = (s.admin.clone(), s.contract.clone());
    s.app
        .migrate_contract(admin, contract, &crate::msg::MigrateMsg {}, s.code_id)
        .unwrap();
    assert!(has_access_reads(&s, M1, 0x01).1.access);
    assert!(!has_access_reads(&s, M1, 0x02).1.access);
    assert!(!has_access_reads(&s, M1, 0x03).1.access);
    let st = s.app.contract_storage(&s.contract);
    assert_eq!(
        UNRANKED
            .keys(st.as_ref(), None, None, Order::Ascending)
            .count(),
        0
    );
}

fn handed_over(key: u64, model: u64) -> codec::Body {
    codec::Body::LeaseHandedOver(codec::LeaseHandedOver {
        key_id: key,
        model_id: model,
        handover: 1,
        dseq: 7,
        gseq: 1,
        oseq: 1,
        provider: "akash1provider".into(),
        holder: evm(0xcc),
        holder_chain: CHAIN,
        manifest_hash: [0x3c; 32],
        transfer: format!("{CHAIN}:12/0:0"),
    })
}

#[test]
fn lease_handovers_apply_from_the_akash_lane_as_an_event_and_a_bad_one_never_stops_it() {
    let mut s = Suite::new();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let model = s.publish(&alice, publish_args(100, 40, policy()));
    let key = s.buy(&bob, model, 140, true);
    // From another lane: refused (only the Akash lane reports leases).
    assert_eq!(
        s.receive_refused(&[inbound(EVM_CHAIN, 1, handed_over(key, model))], &[0, 1]),
        vec![(
            0,
            MirrorError::NotAkashLane {
                src: EVM_CHAIN,
                akash_lane: AKASH
            }
            .to_string()
        )]
    );
    // A handover of a key bought elsewhere is refused with its reason; the lease report after
    // it in the same batch still applies, and so does the honest handover.
    let foreign = M1 + 99;
    let r = s
        .receive(
            &[
                inbound(AKASH, 1, handed_over(foreign, model)),
                inbound(AKASH, 2, lease(key, true)),
                inbound(AKASH, 3, handed_over(key, model)),
            ],
            &[0, 1],
        )
        .unwrap();
    let kinds = |ty: &str| -> Vec<(String, String)> {
        r.events
            .iter()
            .filter(|e| e.ty == ty)
            .map(|e| {
                let get = |k: &str| {
                    e.attributes
                        .iter()
                        .find(|a| a.key == k)
                        .map(|a| a.value.clone())
                        .unwrap_or_default()
                };
                (get("nonce"), get("kind"))
            })
            .collect()
    };
    assert_eq!(
        kinds("wasm-hexs_inbound_refused"),
        vec![("1".to_string(), "LeaseHandedOver".to_string())]
    );
    assert_eq!(
        kinds("wasm-hexs_inbound"),
        vec![
            ("2".to_string(), "LeaseReported".to_string()),
            ("3".to_string(), "LeaseHandedOver".to_string())
        ]
    );
    assert_eq!(inbound_nonce(&s, AKASH), 3);
    assert_eq!(escrow_status(&s, key), EscrowStatus::Released);
}

use cosmwasm_std::{coins, HexBinary, Uint64};

use super::*;
use crate::account::{hex, Account};
use crate::error::{Malformed, MirrorError};
use crate::msg::{
    BatchSignature, ExecuteMsg, HasAccessResponse, KeyResponse, LanesResponse, OwnerOfResponse,
    QueryMsg,
};
use crate::state::Model;

const M1: u64 = ((EVM_CHAIN as u64) << 32) | 1;
const K1: u64 = ((EVM_CHAIN as u64) << 32) | 10;

fn evm_access(s: &Suite, model: u64, byte: u8) -> bool {
    s.q::<HasAccessResponse>(&QueryMsg::HasAccess {
        model: Uint64::new(model),
        account: Account::Evm(format!("0x{}", hex_byte(byte).repeat(20))),
    })
    .unwrap()
    .access
}

fn hex_byte(b: u8) -> String {
    format!("{b:02x}")
}

fn lanes(s: &Suite) -> LanesResponse {
    s.q(&QueryMsg::Lanes {}).unwrap()
}

fn base_batch() -> Vec<Vec<u8>> {
    vec![
        inbound(EVM_CHAIN, 1, model_registered(M1, 0, evm(0xaa))),
        inbound(EVM_CHAIN, 2, key_minted(M1, K1, evm(0xbb), 0)),
    ]
}

#[test]
fn two_of_three_batch_mirrors_models_and_keys() {
    let mut s = Suite::new();
    let r = s.receive(&base_batch(), &[0, 2]).unwrap();
    assert_eq!(attr(&r, "signers"), "2");
    assert_eq!(attr(&r, "last_nonce"), "2");
    let inbound_events = r
        .events
        .iter()
        .filter(|e| e.ty == "wasm-hexs_inbound")
        .count();
    assert_eq!(inbound_events, 2);
    let m: Model = s
        .q(&QueryMsg::Model {
            id: Uint64::new(M1),
        })
        .unwrap();
    assert_eq!(
        (m.origin_chain, m.creator.to_vec()),
        (EVM_CHAIN, evm_word(0xaa))
    );
    assert_eq!(m.royalty.fork_royalty_bps, 2_000);
    assert_eq!(m.minted, 1);
    assert!(evm_access(&s, M1, 0xbb));
    assert!(!evm_access(&s, M1, 0xcc));
    let k: KeyResponse = s
        .q(&QueryMsg::Key {
            id: Uint64::new(K1),
        })
        .unwrap();
    assert_eq!(
        (k.resident_chain, k.owner.to_vec()),
        (EVM_CHAIN, evm_word(0xbb))
    );
    assert_eq!(lanes(&s).inbound[0].nonce, 2);
    // The mirrored key is read-only here.
    let e = s
        .q::<OwnerOfResponse>(&QueryMsg::OwnerOf {
            token_id: K1.to_string(),
            include_expired: None,
        })
        .unwrap_err();
    assert!(e.to_string().contains("read-only"), "{e}");
    let bob = s.bob.clone();
    let t = ExecuteMsg::TransferNft {
        recipient: bob.to_string(),
        token_id: K1.to_string(),
    };
    assert_eq!(
        s.err(&bob, &t, &[]),
        ContractError::MirroredKeyReadOnly {
            id: K1,
            chain: EVM_CHAIN
        }
    );
}

#[test]
fn replays_and_gaps_are_refused() {
    let mut s = Suite::new();
    let batch = base_batch();
    s.receive(&batch, &[0, 1]).unwrap();
    assert_eq!(
        s.receive_err(&batch, &[0, 1]),
        ContractError::LaneNonce {
            index: 0,
            src: EVM_CHAIN,
            got: 1,
            expected: 3
        }
    );
    let gap = vec![inbound(EVM_CHAIN, 4, key_minted(M1, K1 + 1, evm(0xbb), 0))];
    assert_eq!(
        s.receive_err(&gap, &[0, 1]),
        ContractError::LaneNonce {
            index: 0,
            src: EVM_CHAIN,
            got: 4,
            expected: 3
        }
    );
    let inner_gap = vec![
        inbound(EVM_CHAIN, 3, key_minted(M1, K1 + 1, evm(0xbb), 0)),
        inbound(EVM_CHAIN, 5, key_minted(M1, K1 + 2, evm(0xbb), 0)),
    ];
    assert_eq!(
        s.receive_err(&inner_gap, &[0, 1]),
        ContractError::LaneNonce {
            index: 1,
            src: EVM_CHAIN,
            got: 5,
            expected: 4
        }
    );
    assert_eq!(lanes(&s).inbound[0].nonce, 2);
    // Lanes are independent: another source starts at 1.
    s.add_peer(2);
    let other = ((2u64) << 32) | 1;
    s.receive_lane(2, &[inbound(2, 1, model_registered(other, 0, evm(0x11)))])
        .unwrap();
    assert_eq!(lanes(&s).inbound.len(), 2);
}

impl Suite {
    fn receive_lane(
        &mut self,
        _src: u32,
        messages: &[Vec<u8>],
    ) -> anyhow::Result<cw_multi_test::AppResponse> {
        self.receive(messages, &[1, 2])
    }
}

#[test]
fn signature_failures() {
    let mut s = Suite::new();
    let batch = base_batch();
    assert_eq!(
        s.receive_err(&batch, &[1]),
        ContractError::BelowThreshold {
            got: 1,
            threshold: 2
        }
    );
    assert_eq!(
        s.receive_err(&batch, &[]),
        ContractError::BelowThreshold {
            got: 0,
            threshold: 2
        }
    );

    let send = |s: &mut Suite, sigs: Vec<BatchSignature>| -> ContractError {
        let msg = ExecuteMsg::ReceiveBatch {
            messages: batch.iter().map(|m| HexBinary::from(m.clone())).collect(),
            signatures: sigs,
        };
        let c = s.carol.clone();
        s.err(&c, &msg, &[])
    };
    let good = s.signatures(&batch, &[0, 1]);

    let mut dup = good.clone();
    dup[1] = dup[0].clone();
    assert_eq!(
        send(&mut s, dup),
        ContractError::DuplicateSigner {
            pubkey: good[0].pubkey.to_hex()
        }
    );

    // Signed by relayer 1 but over another batch: a forgery for this one.
    let other = s.signatures(
        &[inbound(EVM_CHAIN, 1, key_minted(M1, 99, evm(1), 0))],
        &[1],
    );
    let mut forged = good.clone();
    forged[1].signature = other[0].signature.clone();
    assert_eq!(
        send(&mut s, forged),
        ContractError::BadSignature {
            index: 1,
            pubkey: good[1].pubkey.to_hex()
        }
    );

    let stranger = SigningKey::from_slice(&[9u8; 32]).unwrap();
    let mut unknown = good.clone();
    unknown[0].pubkey = pubkey(&stranger);
    assert_eq!(
        send(&mut s, unknown),
        ContractError::UnknownRelayer {
            index: 0,
            pubkey: pubkey(&stranger).to_hex()
        }
    );

    let mut short = good.clone();
    short[0].signature = HexBinary::from(vec![1u8; 10]);
    assert!(matches!(
        send(&mut s, short),
        ContractError::MalformedSignature { index: 0, .. }
    ));

    // 65-byte (r || s || v) signatures as EVM tooling produces are accepted.
    let mut with_v = good.clone();
    for sig in &mut with_v {
        let mut b = sig.signature.to_vec();
        b.push(27);
        sig.signature = b.into();
    }
    let msg = ExecuteMsg::ReceiveBatch {
        messages: batch.iter().map(|m| HexBinary::from(m.clone())).collect(),
        signatures: with_v,
    };
    let c = s.carol.clone();
    s.ok(&c, &msg, &[]);
}

#[test]
fn malformed_batches() {
    let mut s = Suite::new();
    assert_eq!(s.receive_err_raw(vec![]), ContractError::EmptyBatch);

    let mut truncated = base_batch()[0].clone();
    truncated.truncate(30);
    assert!(
        s.receive_err_raw(vec![truncated])
            == ContractError::MalformedMessage {
                index: 0,
                error: Malformed::Codec(codec::CodecError::Truncated)
            }
    );

    let mut version = base_batch()[0].clone();
    version[0] = 2;
    assert!(
        s.receive_err_raw(vec![version])
            == ContractError::MalformedMessage {
                index: 0,
                error: Malformed::Codec(codec::CodecError::UnsupportedVersion(2))
            }
    );

    let wrong_dst = codec::encode(&codec::Message {
        src_chain: EVM_CHAIN,
        dst_chain: 7,
        nonce: 1,
        body: key_minted(M1, K1, evm(1), 0),
    })
    .unwrap();
    assert_eq!(
        s.receive_err_raw(vec![wrong_dst]),
        ContractError::WrongDestination {
            index: 0,
            dst: 7,
            ours: CHAIN
        }
    );

    let from_self = inbound(CHAIN, 1, key_minted(M1, K1, evm(1), 0));
    assert!(matches!(
        s.receive_err_raw(vec![from_self]),
        ContractError::MalformedMessage { index: 0, .. }
    ));

    let mixed = vec![
        base_batch()[0].clone(),
        inbound(2, 2, key_minted(M1, K1, evm(1), 0)),
    ];
    assert!(
        s.receive_err_raw(mixed)
            == ContractError::MalformedMessage {
                index: 1,
                error: Malformed::LaneMismatch {
                    src: 2,
                    lane: EVM_CHAIN
                }
            }
    );

    let big: Vec<Vec<u8>> = (1..=101)
        .map(|n| {
            inbound(
                EVM_CHAIN,
                n,
                codec::Body::KeyBurned(codec::KeyBurned {
                    key_id: n,
                    model_id: M1,
                    owner: evm(1),
                }),
            )
        })
        .collect();
    assert_eq!(
        s.receive_err_raw(big),
        ContractError::BatchTooLarge { len: 101, max: 100 }
    );
    assert!(lanes(&s).inbound.is_empty());
}

impl Suite {
    fn receive_err_raw(&mut self, messages: Vec<Vec<u8>>) -> ContractError {
        let msg = ExecuteMsg::ReceiveBatch {
            messages: messages.into_iter().map(HexBinary::from).collect(),
            signatures: vec![],
        };
        let c = self.carol.clone();
        self.err(&c, &msg, &[])
    }
}

fn refusals(s: &Suite, src: u32) -> Vec<crate::state::Refusal> {
    s.q::<crate::msg::RefusalsResponse>(&QueryMsg::Refusals {
        src,
        start_after: None,
        limit: None,
    })
    .unwrap()
    .refusals
}

fn reapply(s: &mut Suite, src: u32, nonce: u64) -> anyhow::Result<cw_multi_test::AppResponse> {
    let c = s.carol.clone();
    s.exec(
        &c,
        &ExecuteMsg::Reapply {
            src,
            nonce: Uint64::new(nonce),
        },
        &[],
    )
}

#[test]
fn a_refused_message_is_recorded_and_the_lane_moves_past_it() {
    // Fails on main before this change (ffe943f): the whole batch was rejected with
    // InvalidMirror and the lane nonce stayed, so one message halted the lane for good.
    let mut s = Suite::new();
    // The second message claims a model of another chain: it alone is refused.
    let foreign = ((3u64) << 32) | 1;
    let batch = vec![
        inbound(EVM_CHAIN, 1, model_registered(M1, 0, evm(0xaa))),
        inbound(EVM_CHAIN, 2, model_registered(foreign, 0, evm(0xaa))),
    ];
    assert_eq!(
        s.receive_refused(&batch, &[0, 1]),
        vec![(
            1,
            MirrorError::ModelNotFromSource {
                id: foreign,
                origin: 3,
                src: EVM_CHAIN
            }
            .to_string()
        )]
    );
    assert!(s
        .q::<Model>(&QueryMsg::Model {
            id: Uint64::new(M1)
        })
        .is_ok());
    assert!(s
        .q::<Model>(&QueryMsg::Model {
            id: Uint64::new(foreign)
        })
        .is_err());
    assert_eq!(lanes(&s).inbound[0].nonce, 2);
    let r = refusals(&s, EVM_CHAIN);
    assert_eq!(r.len(), 1);
    assert_eq!(
        (r[0].src, r[0].nonce, r[0].kind.as_str(), r[0].code.as_str()),
        (EVM_CHAIN, 2, "ModelRegistered", "ModelNotFromSource")
    );
    assert_eq!(r[0].message.to_vec(), batch[1]);
    assert!(r[0].height > 0);
    // A duplicate model is refused too.
    let again = vec![inbound(EVM_CHAIN, 3, model_registered(M1, 0, evm(0xaa)))];
    assert_eq!(
        s.receive_refused(&again, &[0, 1]),
        vec![(0, MirrorError::ModelExists { id: M1 }.to_string())]
    );
    assert_eq!(lanes(&s).inbound[0].nonce, 3);
    // Re-applying while the cause remains fails and keeps the record.
    let e: ContractError = reapply(&mut s, EVM_CHAIN, 3)
        .unwrap_err()
        .downcast()
        .unwrap();
    assert_eq!(
        e,
        ContractError::InvalidMirror {
            index: 0,
            error: MirrorError::ModelExists { id: M1 }
        }
    );
    assert_eq!(refusals(&s, EVM_CHAIN).len(), 2);
    let e: ContractError = reapply(&mut s, EVM_CHAIN, 9)
        .unwrap_err()
        .downcast()
        .unwrap();
    assert_eq!(
        e,
        ContractError::NotRefused {
            src: EVM_CHAIN,
            nonce: 9
        }
    );
}

#[test]
fn a_refused_message_leaves_no_partial_state() {
    let mut s = Suite::new();
    s.receive(&base_batch(), &[0, 1]).unwrap();
    // A move to this chain for an owner of another family: the move's first writes (holding
    // removed, new holding saved) must not survive its refusal.
    let bad_move = codec::Body::KeyMoved(codec::KeyMoved {
        key_id: K1,
        model_id: M1,
        from: evm(0xbb),
        owner: evm(0xcc),
        from_chain: EVM_CHAIN,
        to_chain: CHAIN,
        expires_at: 0,
        locked: false,
    });
    let refused = s.receive_refused(&[inbound(EVM_CHAIN, 3, bad_move)], &[0, 1]);
    assert_eq!(refused.len(), 1);
    assert!(evm_access(&s, M1, 0xbb));
    assert!(!evm_access(&s, M1, 0xcc));
    assert_eq!(lanes(&s).inbound[0].nonce, 3);
}

#[test]
fn reapply_applies_a_refusal_once_its_cause_is_gone() {
    let mut s = Suite::new();
    // The key arrives before its model's registration can: KeyMinted by a key that is
    // already known is refused; here a transfer of a key not mirrored yet.
    let transfer = codec::Body::KeyTransferred(codec::KeyTransferred {
        key_id: K1,
        model_id: M1,
        from: evm(0xbb),
        to: evm(0xcc),
    });
    let refused = s.receive_refused(&[inbound(EVM_CHAIN, 1, transfer)], &[0, 1]);
    assert_eq!(
        refused,
        vec![(0, MirrorError::UnknownMirroredKey { id: K1 }.to_string())]
    );
    // The lane goes on: the model and the key arrive (normally the key's lane is another).
    let later = vec![
        inbound(EVM_CHAIN, 2, model_registered(M1, 0, evm(0xaa))),
        inbound(EVM_CHAIN, 3, key_minted(M1, K1, evm(0xbb), 0)),
    ];
    assert!(s.receive_refused(&later, &[0, 1]).is_empty());
    assert!(evm_access(&s, M1, 0xbb));
    let r = reapply(&mut s, EVM_CHAIN, 1).unwrap();
    assert!(r
        .events
        .iter()
        .any(|e| e.ty == "wasm-hexs_inbound" && e.attributes.iter().any(|a| a.key == "reapplied")));
    assert!(!evm_access(&s, M1, 0xbb));
    assert!(evm_access(&s, M1, 0xcc));
    assert!(refusals(&s, EVM_CHAIN).is_empty());
    // At most once.
    let e: ContractError = reapply(&mut s, EVM_CHAIN, 1)
        .unwrap_err()
        .downcast()
        .unwrap();
    assert_eq!(
        e,
        ContractError::NotRefused {
            src: EVM_CHAIN,
            nonce: 1
        }
    );
}

/// A small deterministic PRNG (xorshift64*), so the property test needs no extra crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn property_random_streams_never_leave_a_lane_stuck() {
    for seed in 1..=12u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let mut s = Suite::new();
        let mut nonce = 0u64;
        let mut models: Vec<u64> = vec![];
        let mut keys: Vec<(u64, u64, u8)> = vec![]; // (key, model, holder byte)
        let mut serial = 0u64;
        for _batch in 0..6 {
            let len = 1 + rng.below(6) as usize;
            let mut batch = vec![];
            for _ in 0..len {
                nonce += 1;
                serial += 1;
                let id = ((EVM_CHAIN as u64) << 32) | serial;
                let body = match rng.below(8) {
                    // Valid-looking: a new model, a key of a known model, a transfer by the holder.
                    0 | 1 => {
                        models.push(id);
                        model_registered(id, 0, evm(0xaa))
                    }
                    2 if !models.is_empty() => {
                        let m = models[rng.below(models.len() as u64) as usize];
                        keys.push((id, m, 0xbb));
                        key_minted(m, id, evm(0xbb), 0)
                    }
                    3 if !keys.is_empty() => {
                        let k = rng.below(keys.len() as u64) as usize;
                        let (key, model, from) = keys[k];
                        keys[k].2 = from.wrapping_add(1);
                        codec::Body::KeyTransferred(codec::KeyTransferred {
                            key_id: key,
                            model_id: model,
                            from: evm(from),
                            to: evm(from.wrapping_add(1)),
                        })
                    }
                    // Refusable: foreign model, duplicate, unknown key, foreign lease, bad move.
                    4 => model_registered(((3u64) << 32) | serial, 0, evm(0xaa)),
                    5 if !models.is_empty() => model_registered(models[0], 0, evm(0xaa)),
                    6 => codec::Body::KeyBurned(codec::KeyBurned {
                        key_id: id,
                        model_id: 1,
                        owner: evm(0x01),
                    }),
                    _ => codec::Body::KeyMoved(codec::KeyMoved {
                        key_id: id,
                        model_id: 1,
                        from: evm(0x01),
                        owner: evm(0x02),
                        from_chain: EVM_CHAIN,
                        to_chain: CHAIN,
                        expires_at: 0,
                        locked: false,
                    }),
                };
                batch.push(inbound(EVM_CHAIN, nonce, body));
            }
            s.receive(&batch, &[0, 1])
                .unwrap_or_else(|e| panic!("seed {seed}: batch refused whole: {e}"));
            assert_eq!(lanes(&s).inbound[0].nonce, nonce, "seed {seed}");
        }
        // Every refusal is recorded on this lane, at a nonce the lane passed.
        for r in refusals(&s, EVM_CHAIN) {
            assert!(r.nonce <= nonce);
        }
    }
}

#[test]
fn mirrored_key_lifecycle() {
    let mut s = Suite::new();
    s.receive(&base_batch(), &[0, 1]).unwrap();
    let transfer = codec::Body::KeyTransferred(codec::KeyTransferred {
        key_id: K1,
        model_id: M1,
        from: evm(0xbb),
        to: evm(0xcc),
    });
    // A transfer that names the wrong current holder, or another model, is refused.
    let wrong_from = codec::Body::KeyTransferred(codec::KeyTransferred {
        key_id: K1,
        model_id: M1,
        from: evm(0x01),
        to: evm(0xcc),
    });
    assert_eq!(
        s.receive_refused(&[inbound(EVM_CHAIN, 3, wrong_from)], &[0, 1])
            .len(),
        1
    );
    let wrong_model = codec::Body::KeyTransferred(codec::KeyTransferred {
        key_id: K1,
        model_id: M1 + 1,
        from: evm(0xbb),
        to: evm(0xcc),
    });
    assert_eq!(
        s.receive_refused(&[inbound(EVM_CHAIN, 4, wrong_model)], &[0, 1]),
        vec![(
            0,
            (MirrorError::KeyModelMismatch {
                id: K1,
                model: M1,
                named: M1 + 1
            })
            .to_string()
        )]
    );
    s.receive(&[inbound(EVM_CHAIN, 5, transfer)], &[0, 1])
        .unwrap();
    assert!(!evm_access(&s, M1, 0xbb));
    assert!(evm_access(&s, M1, 0xcc));
    // Only the resident chain speaks for the key.
    s.add_peer(2);
    let other_lane = inbound(
        2,
        1,
        codec::Body::KeyBurned(codec::KeyBurned {
            key_id: K1,
            model_id: M1,
            owner: evm(0xcc),
        }),
    );
    assert_eq!(
        s.receive_refused(&[other_lane], &[0, 1]),
        vec![(
            0,
            (MirrorError::KeyNotResidentOnSource {
                id: K1,
                resident: EVM_CHAIN,
                src: 2
            })
            .to_string()
        )]
    );
    let wrong_holder = codec::Body::KeyBurned(codec::KeyBurned {
        key_id: K1,
        model_id: M1,
        owner: evm(0xbb),
    });
    assert_eq!(
        s.receive_refused(&[inbound(EVM_CHAIN, 6, wrong_holder)], &[0, 1]),
        vec![(
            0,
            (MirrorError::BurnMismatch {
                id: K1,
                model: M1,
                holder: hex(&evm_word(0xcc)),
                named_model: M1,
                named_holder: hex(&evm_word(0xbb))
            })
            .to_string()
        )]
    );
    s.receive(
        &[inbound(
            EVM_CHAIN,
            7,
            codec::Body::KeyBurned(codec::KeyBurned {
                key_id: K1,
                model_id: M1,
                owner: evm(0xcc),
            }),
        )],
        &[0, 1],
    )
    .unwrap();
    assert!(!evm_access(&s, M1, 0xcc));
    assert!(s
        .q::<KeyResponse>(&QueryMsg::Key {
            id: Uint64::new(K1)
        })
        .is_err());
}

#[test]
fn mirrored_expiry_is_honoured() {
    let mut s = Suite::new();
    let now = s.app.block_info().time.seconds();
    let batch = vec![
        inbound(EVM_CHAIN, 1, model_registered(M1, 0, evm(0xaa))),
        inbound(EVM_CHAIN, 2, key_minted(M1, K1, evm(0xbb), now + 10)),
    ];
    s.receive(&batch, &[0, 1]).unwrap();
    assert!(evm_access(&s, M1, 0xbb));
    s.app.update_block(|b| b.time = b.time.plus_seconds(10));
    assert!(!evm_access(&s, M1, 0xbb));
}

#[test]
fn key_moved_here_becomes_a_local_nft() {
    let mut s = Suite::new();
    s.receive(&base_batch(), &[0, 1]).unwrap();
    let dave = s.dave.clone();
    let mv = codec::Body::KeyMoved(codec::KeyMoved {
        key_id: K1,
        model_id: M1,
        from_chain: EVM_CHAIN,
        to_chain: CHAIN,
        from: evm(0xbb),
        owner: codec::Account::Cosmos([0xdd; 20]),
        expires_at: 0,
        locked: false,
    });
    s.receive(&[inbound(EVM_CHAIN, 3, mv)], &[0, 1]).unwrap();
    let owner: OwnerOfResponse = s
        .q(&QueryMsg::OwnerOf {
            token_id: K1.to_string(),
            include_expired: None,
        })
        .unwrap();
    assert_eq!(owner.owner, dave.to_string());
    let bob = s.bob.clone();
    s.ok(
        &dave,
        &ExecuteMsg::TransferNft {
            recipient: bob.to_string(),
            token_id: K1.to_string(),
        },
        &[],
    );
    let has: HasAccessResponse = s
        .q(&QueryMsg::HasAccess {
            model: Uint64::new(M1),
            account: Account::Cosmos(bob.to_string()),
        })
        .unwrap();
    assert!(has.access);
    // The old chain cannot move it again: it is resident here now.
    let again = codec::Body::KeyMoved(codec::KeyMoved {
        key_id: K1,
        model_id: M1,
        from_chain: EVM_CHAIN,
        to_chain: 2,
        from: evm(0xbb),
        owner: evm(1),
        expires_at: 0,
        locked: false,
    });
    assert_eq!(
        s.receive_refused(&[inbound(EVM_CHAIN, 4, again)], &[0, 1]),
        vec![(0, (MirrorError::KeyResidentHere { id: K1 }).to_string())]
    );
}

#[test]
fn retired_models_are_not_sold() {
    let mut s = Suite::new();
    s.receive(&base_batch(), &[0, 1]).unwrap();
    // A model of a Cosmos creator (dave) mirrored from its EVM home: dave prices it here,
    // then the home chain retires it. (A bound payout address no longer may: see
    // binding_tests.)
    const M2: u64 = ((EVM_CHAIN as u64) << 32) | 2;
    s.receive(
        &[inbound(
            EVM_CHAIN,
            3,
            model_registered(M2, 0, codec::Account::Cosmos([0xdd; 20])),
        )],
        &[0, 1],
    )
    .unwrap();
    let dave = s.dave.clone();
    s.ok(
        &dave,
        &ExecuteMsg::UpdateModel {
            model: Uint64::new(M2),
            price: Some(10u128.into()),
            deploy_price: None,
            content: None,
            sdl_uri: None,
            resale_bps: None,
        },
        &[],
    );
    // The SDL locator belongs to the home chain.
    let uri = ExecuteMsg::UpdateModel {
        model: Uint64::new(M2),
        price: None,
        deploy_price: None,
        content: None,
        sdl_uri: Some("x".into()),
        resale_bps: None,
    };
    assert!(matches!(
        s.err(&dave, &uri, &[]),
        ContractError::InvalidModel { .. }
    ));
    let bob = s.bob.clone();
    s.buy(&bob, M2, 10, false);
    let retire = model_updated(M2, 1, true, [9u8; 32], "ipfs://evm-model");
    // Another chain's price list for the model is accepted on that chain's lane and changes
    // nothing here; the home chain's retirement does.
    let admin = s.admin.clone();
    let peers = ExecuteMsg::UpdateConfig {
        protocol_fee_bps: None,
        fee_collector: None,
        deploy_payee: None,
        escrow_timeout_secs: None,
        peers: Some(vec![EVM_CHAIN, EVM_CHAIN + 1]),
        max_batch: None,
        akash_lane: None,
        peer_bindings: None,
    };
    s.ok(&admin, &peers, &[]);
    let foreign = codec::Body::ModelUpdated(codec::ModelUpdated {
        prices: vec![codec::Price {
            currency: vec![],
            amount: 5,
        }],
        ..match model_updated(M2, 9, true, [1u8; 32], "ipfs://other") {
            codec::Body::ModelUpdated(u) => u,
            _ => unreachable!(),
        }
    });
    s.receive(&[inbound(EVM_CHAIN + 1, 1, foreign)], &[0, 1])
        .unwrap();
    s.buy(&bob, M2, 10, false);
    s.receive(&[inbound(EVM_CHAIN, 4, retire)], &[0, 1])
        .unwrap();
    let buy = ExecuteMsg::BuyKey {
        model: Uint64::new(M2),
        recipient: None,
        with_deployment: false,
    };
    assert_eq!(
        s.err(&bob, &buy, &coins(10, DENOM)),
        ContractError::NotForSale { id: M2 }
    );
}

#[test]
fn local_forks_of_mirrored_models_owe_the_mirrored_fork_royalty() {
    let mut s = Suite::new();
    s.receive(&base_batch(), &[0, 1]).unwrap();
    let alice = s.alice.clone();
    let msg = ExecuteMsg::Fork {
        parent: Uint64::new(M1),
        parent_content: HexBinary::from([9u8; 32].to_vec()),
        model: publish_args(100, 0, policy()),
    };
    let r = s.ok(&alice, &msg, &[]);
    let fork: u64 = attr(&r, "model").parse().unwrap();
    let m: Model = s
        .q(&QueryMsg::Model {
            id: Uint64::new(fork),
        })
        .unwrap();
    assert_eq!(m.upstream_bps, 2_000);
    // A mirrored fork whose parent is known must commit to the parent's content.
    let child = M1 + 1;
    let mut bad = model_registered(child, M1, evm(0xaa));
    if let codec::Body::ModelRegistered(r) = &mut bad {
        r.parent_commitment = [1u8; 32];
    }
    assert_eq!(
        s.receive_refused(&[inbound(EVM_CHAIN, 3, bad)], &[0, 1]),
        vec![(
            0,
            (MirrorError::ParentCommitmentMismatch {
                parent: M1,
                expected: hex(&[9u8; 32]),
                got: hex(&[1u8; 32])
            })
            .to_string()
        )]
    );
}

fn policy_set(
    model: u64,
    soulbound: bool,
    key_duration: u64,
    transfer_checked: bool,
) -> codec::Body {
    codec::Body::KeyPolicySet(codec::KeyPolicySet {
        model_id: model,
        soulbound,
        key_duration,
        transfer_checked,
    })
}

fn model_policy(s: &Suite, id: u64) -> crate::state::Policy {
    s.q::<Model>(&QueryMsg::Model {
        id: Uint64::new(id),
    })
    .unwrap()
    .policy
}

#[test]
fn key_policy_set_after_publish_reaches_the_mirror_from_the_home_chain_only() {
    // Fails on 4403f7d (issue 11, item 19): the policy was mirrored at publish only.
    let mut s = Suite::new();
    s.receive(&base_batch(), &[0, 1]).unwrap();
    assert!(!model_policy(&s, M1).soulbound);
    s.receive(
        &[inbound(EVM_CHAIN, 3, policy_set(M1, true, 86_400, false))],
        &[0, 1],
    )
    .unwrap();
    let p = model_policy(&s, M1);
    assert!(p.soulbound);
    assert_eq!(p.key_lifetime_secs, Some(86_400));
    // Transfers checked by the home chain's plugins: keys sold here never change holder here.
    s.receive(
        &[inbound(EVM_CHAIN, 4, policy_set(M1, false, 0, true))],
        &[0, 1],
    )
    .unwrap();
    let p = model_policy(&s, M1);
    assert!(p.soulbound);
    assert_eq!(p.key_lifetime_secs, None);
    // Only the model's home chain sets it; the mirrored key keeps its own terms.
    let other = ((3u64) << 32) | 1;
    assert_eq!(
        s.receive_refused(
            &[inbound(EVM_CHAIN, 5, policy_set(other, true, 1, false))],
            &[0, 1]
        ),
        vec![(
            0,
            MirrorError::ModelNotFromSource {
                id: other,
                origin: 3,
                src: EVM_CHAIN
            }
            .to_string()
        )]
    );
    let k: KeyResponse = s
        .q(&QueryMsg::Key {
            id: Uint64::new(K1),
        })
        .unwrap();
    assert!(!k.locked);
}

#[test]
fn a_locked_key_keeps_its_lock_and_its_holder_on_every_path() {
    // Fails on 4403f7d (issue 11, items 19-20): the mirror followed a locked key's transfer and
    // a move for another holder, and a move that forgot the lock dropped it.
    let mut s = Suite::new();
    let locked = codec::Body::KeyMinted(codec::KeyMinted {
        model_id: M1,
        key_id: K1,
        owner: evm(0xbb),
        expires_at: 0,
        locked: true,
    });
    s.receive(
        &[
            inbound(EVM_CHAIN, 1, model_registered(M1, 0, evm(0xaa))),
            inbound(EVM_CHAIN, 2, locked),
        ],
        &[0, 1],
    )
    .unwrap();
    let transfer = codec::Body::KeyTransferred(codec::KeyTransferred {
        key_id: K1,
        model_id: M1,
        from: evm(0xbb),
        to: evm(0xcc),
    });
    let move_here = |owner: codec::Account, locked: bool, to_chain: u32| {
        codec::Body::KeyMoved(codec::KeyMoved {
            key_id: K1,
            model_id: M1,
            from_chain: EVM_CHAIN,
            to_chain,
            from: evm(0xbb),
            owner,
            expires_at: 0,
            locked,
        })
    };
    let got = s.receive_refused(
        &[
            inbound(EVM_CHAIN, 3, transfer),
            inbound(
                EVM_CHAIN,
                4,
                move_here(codec::Account::Cosmos([0xdd; 20]), true, CHAIN),
            ),
            inbound(EVM_CHAIN, 5, move_here(evm(0xcc), false, 2)),
        ],
        &[0, 1],
    );
    assert_eq!(got.len(), 3);
    for (_, reason) in &got {
        assert!(
            reason.starts_with(&format!("key {K1} is locked")),
            "{reason}"
        );
    }
    assert!(evm_access(&s, M1, 0xbb));
    assert!(!evm_access(&s, M1, 0xcc));
    // To the same holder on another chain: allowed, and still locked there (even if the
    // message forgot the lock).
    s.receive(
        &[inbound(EVM_CHAIN, 6, move_here(evm(0xbb), false, 2))],
        &[0, 1],
    )
    .unwrap();
    let k: KeyResponse = s
        .q(&QueryMsg::Key {
            id: Uint64::new(K1),
        })
        .unwrap();
    assert!(k.locked);
    assert_eq!(k.resident_chain, 2);
}

#[test]
fn a_key_of_a_transfer_checked_model_arrives_locked() {
    // Fails on 4403f7d (issue 11, item 20): this chain cannot run the home chain's transfer
    // plugins, so a key that arrives here must not change holder here.
    let mut s = Suite::new();
    s.receive(&base_batch(), &[0, 1]).unwrap();
    s.receive(
        &[inbound(EVM_CHAIN, 3, policy_set(M1, false, 0, true))],
        &[0, 1],
    )
    .unwrap();
    let dave = s.dave.clone();
    let mv = codec::Body::KeyMoved(codec::KeyMoved {
        key_id: K1,
        model_id: M1,
        from_chain: EVM_CHAIN,
        to_chain: CHAIN,
        from: evm(0xbb),
        owner: codec::Account::Cosmos([0xdd; 20]),
        expires_at: 0,
        locked: false,
    });
    s.receive(&[inbound(EVM_CHAIN, 4, mv)], &[0, 1]).unwrap();
    let bob = s.bob.clone();
    let e = s.err(
        &dave,
        &ExecuteMsg::TransferNft {
            recipient: bob.to_string(),
            token_id: K1.to_string(),
        },
        &[],
    );
    assert_eq!(e, ContractError::Soulbound { id: K1 });
}

fn model_updated(
    id: u64,
    sequence: u64,
    retired: bool,
    content: [u8; 32],
    sdl: &str,
) -> codec::Body {
    codec::Body::ModelUpdated(codec::ModelUpdated {
        model_id: id,
        sequence,
        retired,
        content_commitment: content,
        sdl_locator: sdl.into(),
        metadata_uri: String::new(),
        prices: vec![],
    })
}

fn model(s: &Suite, id: u64) -> Model {
    s.q(&QueryMsg::Model {
        id: Uint64::new(id),
    })
    .unwrap()
}

#[test]
fn model_updates_carry_the_content_and_only_a_newer_one_applies() {
    // Fails on 4403f7d: ModelUpdated carried neither the content commitment nor the SDL
    // locator (the mirror kept serving the old SDL) and had no sequence (a late or re-applied
    // update rolled the model back).
    let mut s = Suite::new();
    s.receive(&base_batch(), &[0, 1]).unwrap();
    let v2 = model_updated(M1, 2, false, [2u8; 32], "ipfs://sdl-v2");
    let v1 = model_updated(M1, 1, true, [1u8; 32], "ipfs://sdl-v1");
    assert!(s
        .receive_refused(&[inbound(EVM_CHAIN, 3, v2)], &[0, 1])
        .is_empty());
    let m = model(&s, M1);
    assert_eq!(
        (
            m.sequence,
            m.content.to_vec(),
            m.sdl_uri.as_str(),
            m.retired
        ),
        (2, vec![2u8; 32], "ipfs://sdl-v2", false)
    );
    // The older one arrives late: it changes nothing (and is not a refusal to re-apply).
    assert!(s
        .receive_refused(&[inbound(EVM_CHAIN, 4, v1)], &[0, 1])
        .is_empty());
    assert_eq!(model(&s, M1), m);
    // An update without content is refused, recorded, and changes nothing.
    let empty = model_updated(M1, 3, false, [0u8; 32], "ipfs://sdl-v3");
    assert_eq!(
        s.receive_refused(&[inbound(EVM_CHAIN, 5, empty)], &[0, 1]),
        vec![(0, MirrorError::EmptyCommitment { id: M1 }.to_string())]
    );
    assert_eq!(model(&s, M1), m);
    // A fork made here after the update names the updated commitment, and its registration
    // (sent to the peers) carries it as the parent commitment.
    let alice = s.alice.clone();
    let stale = ExecuteMsg::Fork {
        parent: Uint64::new(M1),
        parent_content: HexBinary::from([9u8; 32].to_vec()),
        model: publish_args(1, 0, policy()),
    };
    assert!(matches!(
        s.err(&alice, &stale, &[]),
        ContractError::ParentContentMismatch { .. }
    ));
    let fork = ExecuteMsg::Fork {
        parent: Uint64::new(M1),
        parent_content: HexBinary::from([2u8; 32].to_vec()),
        model: publish_args(1, 0, policy()),
    };
    let r = s.ok(&alice, &fork, &[]);
    let (_, _, bytes) = &outbound(&r)[0];
    match codec::decode(bytes).unwrap().body {
        codec::Body::ModelRegistered(f) => assert_eq!(f.parent_commitment, [2u8; 32]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_home_model_update_is_numbered_and_sent_with_its_content() {
    let mut s = Suite::new();
    let alice = s.alice.clone();
    let id = s.publish(&alice, publish_args(1, 0, policy()));
    let mut sent = vec![];
    for (n, sdl) in [(1u8, "ipfs://a"), (2, "ipfs://b")] {
        let r = s.ok(
            &alice,
            &ExecuteMsg::UpdateModel {
                model: Uint64::new(id),
                price: None,
                deploy_price: None,
                content: Some(HexBinary::from([n; 32].to_vec())),
                sdl_uri: Some(sdl.into()),
                resale_bps: None,
            },
            &[],
        );
        sent.push(codec::decode(&outbound(&r)[0].2).unwrap().body);
    }
    assert_eq!(sent[1], {
        let mut u = model_updated(id, 2, false, [2u8; 32], "ipfs://b");
        if let codec::Body::ModelUpdated(b) = &mut u {
            b.prices = vec![codec::Price {
                currency: DENOM.as_bytes().to_vec(),
                amount: 1,
            }];
        }
        u
    });
    let m = model(&s, id);
    assert_eq!((m.sequence, m.content.to_vec()), (2, vec![2u8; 32]));
    // A content that is not 32 bytes is refused.
    let bad = ExecuteMsg::UpdateModel {
        model: Uint64::new(id),
        price: None,
        deploy_price: None,
        content: Some(HexBinary::from(vec![1u8; 31])),
        sdl_uri: None,
        resale_bps: None,
    };
    assert!(matches!(
        s.err(&alice, &bad, &[]),
        ContractError::InvalidModel { .. }
    ));
}

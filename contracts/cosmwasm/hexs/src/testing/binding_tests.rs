//! Payout bindings: the creator's own signature (ADR-36 at source here, EIP-712 or ADR-36 on
//! receipt), the nonce successor rule, who may bind, and what a bound address receives.

use cosmwasm_std::{coins, Binary, CanonicalAddr, HexBinary, Uint64};
use k256::ecdsa::{RecoveryId, Signature, SigningKey};
use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

use super::*;
use crate::account::{hex, Account};
use crate::binding::{eip712_digest, struct_hash};
use crate::error::MirrorError;
use crate::msg::{ExecuteMsg, QueryMsg};
use crate::state::PeerBinding;

/// A creator's wallet on this chain: a secp256k1 key and its 20-byte address.
pub struct Wallet {
    pub key: SigningKey,
    pub addr: Addr,
    pub word: Vec<u8>,
}

pub fn wallet(s: &mut Suite, seed: u8) -> Wallet {
    let key = SigningKey::from_slice(&[seed; 32]).unwrap();
    let compressed = key.verifying_key().to_encoded_point(true);
    let raw: [u8; 20] = Ripemd160::digest(Sha256::digest(compressed.as_bytes())).into();
    let addr = s
        .app
        .api()
        .addr_humanize(&CanonicalAddr::from(raw.to_vec()))
        .unwrap();
    let bob = s.bob.clone();
    s.app
        .send_tokens(bob, addr.clone(), &coins(1_000_000, DENOM))
        .unwrap();
    let word = s.word(&addr);
    Wallet { key, addr, word }
}

/// An EVM creator: its key and 20-byte address (keccak256 of the public key, last 20 bytes).
pub fn evm_wallet(seed: u8) -> (SigningKey, [u8; 20]) {
    let key = SigningKey::from_slice(&[seed; 32]).unwrap();
    let point = key.verifying_key().to_encoded_point(false);
    let mut a = [0u8; 20];
    a.copy_from_slice(&codec::keccak256(&point.as_bytes()[1..])[12..]);
    (key, a)
}

pub fn account(word: &[u8]) -> codec::Account {
    codec::Account::from_parts(word[0], &word[1..]).unwrap()
}

/// The ADR-36 sign doc as a wallet builds it (serde_json: sorted keys, no spaces).
fn sign_doc(signer: &str, data: &[u8; 32]) -> String {
    serde_json::json!({
        "account_number": "0",
        "chain_id": "",
        "fee": { "amount": [], "gas": "0" },
        "memo": "",
        "msgs": [{
            "type": "sign/MsgSignData",
            "value": { "data": Binary::from(data.as_slice()).to_base64(), "signer": signer },
        }],
        "sequence": "0",
    })
    .to_string()
}

fn sign_recoverable(key: &SigningKey, digest: &[u8]) -> (Signature, RecoveryId) {
    key.sign_prehash_recoverable(digest).unwrap()
}

/// Scheme 2 blob: 0x02 ‖ x ‖ y ‖ r ‖ s ‖ recovery id.
pub fn adr36(key: &SigningKey, signer: &str, hash: &[u8; 32]) -> Vec<u8> {
    let digest = Sha256::digest(sign_doc(signer, hash).as_bytes());
    let (sig, rec) = sign_recoverable(key, &digest);
    let point = key.verifying_key().to_encoded_point(false);
    let mut blob = vec![2u8];
    blob.extend_from_slice(&point.as_bytes()[1..]);
    blob.extend_from_slice(&sig.to_bytes());
    blob.push(rec.to_byte());
    blob
}

/// Scheme 1 blob: 0x01 ‖ chainId ‖ verifyingContract ‖ r ‖ s ‖ v.
pub fn eip712(key: &SigningKey, chain_id: u64, contract: &[u8; 20], hash: &[u8; 32]) -> Vec<u8> {
    let (sig, rec) = sign_recoverable(key, &eip712_digest(chain_id, contract, hash));
    let mut blob = vec![1u8];
    blob.extend_from_slice(&chain_id.to_be_bytes());
    blob.extend_from_slice(contract);
    blob.extend_from_slice(&sig.to_bytes());
    blob.push(27 + rec.to_byte());
    blob
}

/// The same signature with s replaced by n - s (still verifies under a lax check).
fn high_s(blob: &[u8], s_at: usize) -> Vec<u8> {
    const N: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36,
        0x41, 0x41,
    ];
    let mut out = blob.to_vec();
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = N[i] as i16 - blob[s_at + i] as i16 - borrow;
        out[s_at + i] = d.rem_euclid(256) as u8;
        borrow = (d < 0) as i16;
    }
    // The recovery id / v flips with s.
    let last = out.len() - 1;
    out[last] = match out[last] {
        27 => 28,
        28 => 27,
        v => v ^ 1,
    };
    out
}

fn bind_msg(chain: u32, payout: Account, nonce: u64, signature: Vec<u8>) -> ExecuteMsg {
    ExecuteMsg::BindPayout {
        chain,
        payout,
        nonce: Uint64::new(nonce),
        signature: signature.into(),
    }
}

/// A signed `BindPayout` of `w` for (chain, payout, nonce).
fn signed_bind(w: &Wallet, chain: u32, payout: &[u8], nonce: u64) -> ExecuteMsg {
    let hash = struct_hash(&w.word, chain, payout, nonce);
    bind_msg(
        chain,
        Account::Word(payout.to_vec().into()),
        nonce,
        adr36(&w.key, w.addr.as_str(), &hash),
    )
}

fn received(creator: &[u8], chain: u32, payout: &[u8], nonce: u64, sig: Vec<u8>) -> codec::Body {
    codec::Body::PayoutAddressBound(codec::PayoutAddressBound {
        creator: account(creator),
        chain,
        payout: account(payout),
        bind_nonce: nonce,
        signature: sig,
    })
}

/// An EVM creator's binding for this chain, signed for the EVM peer's hub.
fn evm_binding(key: &SigningKey, creator: &[u8], payout: &[u8], nonce: u64) -> codec::Body {
    let hash = struct_hash(creator, CHAIN, payout, nonce);
    received(
        creator,
        CHAIN,
        payout,
        nonce,
        eip712(key, EVM_CHAIN_ID, &EVM_HUB, &hash),
    )
}

fn payout_of(s: &Suite, word: &[u8]) -> Option<String> {
    s.q(&QueryMsg::Payout {
        account: Account::Word(word.to_vec().into()),
    })
    .unwrap()
}

fn refused(e: ContractError) -> String {
    MirrorError::from(e).to_string()
}

fn bad_sig(reason: &str) -> ContractError {
    ContractError::InvalidBindingSignature {
        reason: reason.into(),
    }
}

// ---- at source: BindPayout ----

#[test]
fn bind_payout_applies_the_creators_adr36_signature_and_carries_it_to_peers() {
    let mut s = Suite::new();
    let erin = wallet(&mut s, 0x31);
    s.publish(&erin.addr, publish_args(1_000, 0, policy()));
    let carol = s.word(&s.carol.clone());
    let evm_payout = evm_word(0xab);

    // For a peer chain: nothing changes here; the message leaves with the signature.
    let r = s.ok(
        &erin.addr,
        &signed_bind(&erin, EVM_CHAIN, &evm_payout, 1),
        &[],
    );
    let out = outbound(&r);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, "PayoutAddressBound");
    let b = match codec::decode(&out[0].2).unwrap().body {
        codec::Body::PayoutAddressBound(b) => b,
        other => panic!("unexpected body {other:?}"),
    };
    assert_eq!(b.creator, account(&erin.word));
    assert_eq!((b.chain, b.bind_nonce), (EVM_CHAIN, 1));
    assert_eq!(b.payout, account(&evm_payout));
    let hash = struct_hash(&erin.word, EVM_CHAIN, &evm_payout, 1);
    assert_eq!(b.signature, adr36(&erin.key, erin.addr.as_str(), &hash));
    assert_eq!(b.signature.len(), 130);
    assert_eq!(payout_of(&s, &erin.word), Some(erin.addr.to_string()));

    // For this chain: applied at once.
    s.ok(&erin.addr, &signed_bind(&erin, CHAIN, &carol, 1), &[]);
    assert_eq!(payout_of(&s, &erin.word), Some(s.carol.to_string()));
}

#[test]
fn bind_payout_refuses_unsigned_forged_and_malleable_signatures() {
    let mut s = Suite::new();
    let erin = wallet(&mut s, 0x31);
    let frank = wallet(&mut s, 0x32);
    s.publish(&erin.addr, publish_args(1_000, 0, policy()));
    let carol = s.word(&s.carol.clone());
    let hash = struct_hash(&erin.word, CHAIN, &carol, 1);
    let good = adr36(&erin.key, erin.addr.as_str(), &hash);
    let payout = Account::Word(carol.clone().into());
    let cases: Vec<(&str, Vec<u8>, ContractError)> = vec![
        (
            "unsigned",
            vec![],
            bad_sig("an ADR-36 binding is scheme 2, 130 bytes"),
        ),
        (
            "another key's signature",
            adr36(&frank.key, erin.addr.as_str(), &hash),
            bad_sig(&format!("pubkey is not the key of {}", hex(&erin.word))),
        ),
        (
            "the creator's signature of another binding",
            adr36(
                &erin.key,
                erin.addr.as_str(),
                &struct_hash(&erin.word, CHAIN, &evm_word(1), 1),
            ),
            bad_sig("signature does not verify"),
        ),
        (
            "the creator's signature over the raw struct hash",
            {
                let (sig, rec) = sign_recoverable(&erin.key, &hash);
                let mut b = good[..65].to_vec();
                b.extend_from_slice(&sig.to_bytes());
                b.push(rec.to_byte());
                b
            },
            bad_sig("signature does not verify"),
        ),
        (
            "high-s twin",
            high_s(&good, 97),
            bad_sig("high-s signature"),
        ),
        (
            "the other recovery id",
            [&good[..129], &[good[129] ^ 1]].concat(),
            bad_sig("recovery id does not match the pubkey"),
        ),
        (
            "recovery id 2",
            [&good[..129], &[2u8]].concat(),
            bad_sig("recovery id must be 0 or 1"),
        ),
        (
            "scheme 1 from a Cosmos creator",
            [&[1u8], &good[1..]].concat(),
            bad_sig("an ADR-36 binding is scheme 2, 130 bytes"),
        ),
    ];
    for (what, sig, want) in cases {
        let msg = bind_msg(CHAIN, payout.clone(), 1, sig);
        assert_eq!(s.err(&erin.addr, &msg, &[]), want, "{what}");
    }
    // Nothing moved: the genuine signature still binds nonce 1.
    assert_eq!(payout_of(&s, &erin.word), Some(erin.addr.to_string()));
    s.ok(&erin.addr, &bind_msg(CHAIN, payout, 1, good), &[]);
    assert_eq!(payout_of(&s, &erin.word), Some(s.carol.to_string()));
}

#[test]
fn bind_payout_only_by_a_creator_for_this_chain_or_a_peer() {
    let mut s = Suite::new();
    let erin = wallet(&mut s, 0x31);
    let carol = s.word(&s.carol.clone());
    // Journal spam: an account without a model here cannot bind, even with a good signature.
    assert_eq!(
        s.err(&erin.addr, &signed_bind(&erin, EVM_CHAIN, &carol, 1), &[]),
        ContractError::NotACreator {
            account: erin.addr.to_string()
        }
    );
    s.publish(&erin.addr, publish_args(1_000, 0, policy()));
    assert_eq!(
        s.err(&erin.addr, &signed_bind(&erin, 4242, &carol, 1), &[]),
        ContractError::UnknownChain { chain: 4242 }
    );
    // Funds are refused (they would be stuck).
    assert!(matches!(
        s.err(
            &erin.addr,
            &signed_bind(&erin, EVM_CHAIN, &carol, 1),
            &coins(5, DENOM)
        ),
        ContractError::Payment(_)
    ));
    s.ok(&erin.addr, &signed_bind(&erin, EVM_CHAIN, &carol, 1), &[]);
}

#[test]
fn bind_payout_nonce_must_be_the_successor() {
    let mut s = Suite::new();
    let erin = wallet(&mut s, 0x31);
    s.publish(&erin.addr, publish_args(1_000, 0, policy()));
    let p = evm_word(0xab);
    let not_next = |nonce, last| ContractError::BindNonceNotNext {
        chain: EVM_CHAIN,
        nonce,
        last,
    };
    for (nonce, last) in [(0, 0), (2, 0), (u64::MAX, 0)] {
        let e = s.err(&erin.addr, &signed_bind(&erin, EVM_CHAIN, &p, nonce), &[]);
        assert_eq!(e, not_next(nonce, last));
    }
    s.ok(&erin.addr, &signed_bind(&erin, EVM_CHAIN, &p, 1), &[]);
    for (nonce, last) in [(1, 1), (3, 1), (u64::MAX, 1)] {
        let e = s.err(&erin.addr, &signed_bind(&erin, EVM_CHAIN, &p, nonce), &[]);
        assert_eq!(e, not_next(nonce, last));
    }
    s.ok(&erin.addr, &signed_bind(&erin, EVM_CHAIN, &p, 2), &[]);
    // Each (creator, chain) counts on its own.
    s.ok(&erin.addr, &signed_bind(&erin, CHAIN, &erin.word, 1), &[]);
}

// ---- on receipt ----

#[test]
fn received_eip712_binding_from_evm_is_applied() {
    let mut s = Suite::new();
    let (key, a) = evm_wallet(0x41);
    let creator = [&[1u8][..], &a].concat();
    let dave = s.word(&s.dave.clone());
    s.receive(
        &[inbound(EVM_CHAIN, 1, evm_binding(&key, &creator, &dave, 1))],
        &[0, 1],
    )
    .unwrap();
    assert_eq!(payout_of(&s, &creator), Some(s.dave.to_string()));
}

#[test]
fn received_forged_or_unsigned_binding_is_refused_and_the_lane_moves_on() {
    let mut s = Suite::new();
    let (key, a) = evm_wallet(0x41);
    let (other, _) = evm_wallet(0x42);
    let creator = [&[1u8][..], &a].concat();
    let dave = s.word(&s.dave.clone());
    let hash = struct_hash(&creator, CHAIN, &dave, 1);
    let good = eip712(&key, EVM_CHAIN_ID, &EVM_HUB, &hash);
    let forged = received(
        &creator,
        CHAIN,
        &dave,
        1,
        eip712(&other, EVM_CHAIN_ID, &EVM_HUB, &hash),
    );
    let unsigned = received(&creator, CHAIN, &dave, 1, vec![]);
    let malleable = received(&creator, CHAIN, &dave, 1, high_s(&good, 61));
    let bad_v = received(&creator, CHAIN, &dave, 1, [&good[..93], &[0u8]].concat());
    // A signature for another payout, replayed with this one.
    let other_payout = received(
        &creator,
        CHAIN,
        &dave,
        1,
        eip712(
            &key,
            EVM_CHAIN_ID,
            &EVM_HUB,
            &struct_hash(&creator, CHAIN, &evm_word(7), 1),
        ),
    );
    let after = model_registered(((EVM_CHAIN as u64) << 32) | 1, 0, evm(0xaa));
    let batch = vec![
        inbound(EVM_CHAIN, 1, forged),
        inbound(EVM_CHAIN, 2, unsigned),
        inbound(EVM_CHAIN, 3, malleable),
        inbound(EVM_CHAIN, 4, bad_v),
        inbound(EVM_CHAIN, 5, other_payout),
        inbound(EVM_CHAIN, 6, after),
    ];
    let signer = format!("signer is not {}", hex(&creator));
    assert_eq!(
        s.receive_refused(&batch, &[0, 1]),
        vec![
            (0, refused(bad_sig(&signer))),
            (1, refused(bad_sig("unknown or missing signature scheme"))),
            (2, refused(bad_sig("high-s signature"))),
            (3, refused(bad_sig("v must be 27 or 28"))),
            (4, refused(bad_sig(&signer))),
        ]
    );
    // Nothing bound; the lane went on (the model after them applied) and the genuine one applies.
    assert_eq!(payout_of(&s, &creator), None);
    let _: crate::state::Model = s
        .q(&QueryMsg::Model {
            id: Uint64::new(((EVM_CHAIN as u64) << 32) | 1),
        })
        .unwrap();
    s.receive(
        &[inbound(
            EVM_CHAIN,
            7,
            received(&creator, CHAIN, &dave, 1, good),
        )],
        &[0, 1],
    )
    .unwrap();
    assert_eq!(payout_of(&s, &creator), Some(s.dave.to_string()));
}

/// The retired binding digest: keccak256(keccak256("HEXS_PAYOUT_V1") ‖ creator ‖ chain ‖ payout ‖ nonce),
/// over the account wire forms (family ‖ length ‖ address), which clients once signed with personal_sign (EIP-191).
fn legacy_digest(creator: &[u8], chain: u32, payout: &[u8], nonce: u64) -> [u8; 32] {
    let mut pre = codec::keccak256(b"HEXS_PAYOUT_V1").to_vec();
    for part in [
        account(creator).encode(),
        chain.to_be_bytes().to_vec(),
        account(payout).encode(),
        nonce.to_be_bytes().to_vec(),
    ] {
        pre.extend_from_slice(&part);
    }
    codec::keccak256(&pre)
}

#[test]
fn received_raw_digest_eip191_signature_is_refused() {
    let mut s = Suite::new();
    let (key, a) = evm_wallet(0x41);
    let creator = [&[1u8][..], &a].concat();
    let dave = s.word(&s.dave.clone());
    // The old scheme: personal_sign (EIP-191) of the 32-byte legacy binding digest, and of
    // the struct hash, each dressed as a scheme-1 blob. Neither is the EIP-712 digest.
    let legacy = legacy_digest(&creator, CHAIN, &dave, 1);
    let hash = struct_hash(&creator, CHAIN, &dave, 1);
    let mut batch = vec![];
    for (i, digest) in [legacy, hash].iter().enumerate() {
        let mut m = b"\x19Ethereum Signed Message:\n32".to_vec();
        m.extend_from_slice(digest);
        let (sig, rec) = sign_recoverable(&key, &codec::keccak256(&m));
        let mut blob = vec![1u8];
        blob.extend_from_slice(&EVM_CHAIN_ID.to_be_bytes());
        blob.extend_from_slice(&EVM_HUB);
        blob.extend_from_slice(&sig.to_bytes());
        blob.push(27 + rec.to_byte());
        // The raw-digest signature itself, without a scheme byte, too.
        let raw = blob[29..].to_vec();
        batch.push(inbound(
            EVM_CHAIN,
            2 * i as u64 + 1,
            received(&creator, CHAIN, &dave, 1, blob),
        ));
        batch.push(inbound(
            EVM_CHAIN,
            2 * i as u64 + 2,
            received(&creator, CHAIN, &dave, 1, raw),
        ));
    }
    let signer = refused(bad_sig(&format!("signer is not {}", hex(&creator))));
    let no_scheme = refused(bad_sig("unknown or missing signature scheme"));
    let refusals = s.receive_refused(&batch, &[0, 1]);
    assert_eq!(refusals.len(), 4);
    assert_eq!(refusals[0], (0, signer.clone()));
    assert_eq!(refusals[2], (2, signer));
    // A 65-byte r‖s‖v starts with r's first byte: any scheme byte but 1 and 2 is refused as
    // unknown; 1 or 2 fails the length check of that scheme.
    for (i, r) in [&refusals[1], &refusals[3]].iter().enumerate() {
        assert_eq!(r.0, 2 * i + 1);
        assert!(r.1 == no_scheme || r.1.contains("bytes"), "{}", r.1);
    }
    assert_eq!(payout_of(&s, &creator), None);
}

#[test]
fn received_binding_for_another_verifying_contract_or_unconfigured_lane_is_refused_until_configured(
) {
    let mut s = Suite::new();
    let (key, a) = evm_wallet(0x41);
    let creator = [&[1u8][..], &a].concat();
    let dave = s.word(&s.dave.clone());
    let hash = struct_hash(&creator, CHAIN, &dave, 1);
    let elsewhere = received(
        &creator,
        CHAIN,
        &dave,
        1,
        eip712(&key, EVM_CHAIN_ID, &[0x99; 20], &hash),
    );
    assert_eq!(
        s.receive_refused(&[inbound(EVM_CHAIN, 1, elsewhere)], &[0, 1]),
        vec![(
            0,
            refused(bad_sig(&format!(
                "verifyingContract {} is not the source chain's peer contract",
                hex(&[0x99; 20])
            )))
        )]
    );
    // A peer lane without a configured contract accepts no EIP-712 binding.
    s.add_peer(7);
    let good = evm_binding(&key, &creator, &dave, 1);
    assert_eq!(
        s.receive_refused(&[inbound(7, 1, good.clone())], &[0, 1]),
        vec![(
            0,
            refused(bad_sig("no peer contract configured for chain 7"))
        )]
    );
    // Once governance names lane 7's contract (the same hub here), the recorded refusal
    // can be applied again.
    let hub = |chain| PeerBinding {
        chain,
        verifying_contract: Some(EVM_HUB.to_vec().into()),
        bech32_prefix: None,
    };
    s.set_peer_bindings(vec![hub(EVM_CHAIN), hub(7)]);
    let carol = s.carol.clone();
    s.ok(
        &carol,
        &ExecuteMsg::Reapply {
            src: 7,
            nonce: Uint64::new(1),
        },
        &[],
    );
    assert_eq!(payout_of(&s, &creator), Some(s.dave.to_string()));
    // The same binding again over the EVM lane is no longer the successor.
    assert_eq!(
        s.receive_refused(&[inbound(EVM_CHAIN, 2, good)], &[0, 1]),
        vec![(
            0,
            MirrorError::PayoutNonceNotNext {
                creator: hex(&creator),
                nonce: 1,
                last: 1
            }
            .to_string()
        )]
    );
}

#[test]
fn received_binding_nonce_must_be_the_successor() {
    let mut s = Suite::new();
    let (key, a) = evm_wallet(0x41);
    let creator = [&[1u8][..], &a].concat();
    let dave = s.word(&s.dave.clone());
    let carol = s.word(&s.carol.clone());
    let not_next = |nonce, last| {
        MirrorError::PayoutNonceNotNext {
            creator: hex(&creator),
            nonce,
            last,
        }
        .to_string()
    };
    // Genuinely signed, yet a skip or u64::MAX is refused (it would burn later nonces).
    let batch = vec![
        inbound(EVM_CHAIN, 1, evm_binding(&key, &creator, &dave, 2)),
        inbound(EVM_CHAIN, 2, evm_binding(&key, &creator, &dave, u64::MAX)),
        inbound(EVM_CHAIN, 3, evm_binding(&key, &creator, &dave, 1)),
        inbound(EVM_CHAIN, 4, evm_binding(&key, &creator, &carol, 1)),
        inbound(EVM_CHAIN, 5, evm_binding(&key, &creator, &carol, 3)),
        inbound(EVM_CHAIN, 6, evm_binding(&key, &creator, &carol, 2)),
    ];
    assert_eq!(
        s.receive_refused(&batch, &[0, 1]),
        vec![
            (0, not_next(2, 0)),
            (1, not_next(u64::MAX, 0)),
            (3, not_next(1, 1)),
            (4, not_next(3, 1)),
        ]
    );
    assert_eq!(payout_of(&s, &creator), Some(s.carol.to_string()));
}

#[test]
fn received_adr36_binding_from_a_cosmos_peer_is_verified() {
    let mut s = Suite::new();
    const COSMOS_PEER: u32 = 7;
    s.add_peer(COSMOS_PEER);
    s.set_peer_bindings(vec![
        PeerBinding {
            chain: EVM_CHAIN,
            verifying_contract: Some(EVM_HUB.to_vec().into()),
            bech32_prefix: None,
        },
        PeerBinding {
            chain: COSMOS_PEER,
            verifying_contract: None,
            bech32_prefix: Some("osmo".into()),
        },
    ]);
    let key = SigningKey::from_slice(&[0x51; 32]).unwrap();
    let compressed = key.verifying_key().to_encoded_point(true);
    let raw: [u8; 20] = Ripemd160::digest(Sha256::digest(compressed.as_bytes())).into();
    let creator = [&[2u8][..], &raw].concat();
    let signer =
        bech32::encode::<bech32::Bech32>(bech32::Hrp::parse("osmo").unwrap(), &raw).unwrap();
    let dave = s.word(&s.dave.clone());
    let hash = struct_hash(&creator, CHAIN, &dave, 1);
    let (other, _) = evm_wallet(0x52);
    let forged = received(&creator, CHAIN, &dave, 1, adr36(&other, &signer, &hash));
    // Signed for this chain's prefix: another signer string, another sign doc.
    let wrong_prefix = received(
        &creator,
        CHAIN,
        &dave,
        1,
        adr36(&key, s.dave.as_str(), &hash),
    );
    let good = received(&creator, CHAIN, &dave, 1, adr36(&key, &signer, &hash));
    assert_eq!(
        s.receive_refused(
            &[
                inbound(COSMOS_PEER, 1, forged),
                inbound(COSMOS_PEER, 2, wrong_prefix),
                inbound(COSMOS_PEER, 3, good.clone()),
            ],
            &[0, 1]
        ),
        vec![
            (
                0,
                refused(bad_sig(&format!(
                    "pubkey is not the key of {}",
                    hex(&creator)
                )))
            ),
            (1, refused(bad_sig("signature does not verify"))),
        ]
    );
    assert_eq!(payout_of(&s, &creator), Some(s.dave.to_string()));
    // An ADR-36 binding over the EVM lane (no prefix configured there) is refused.
    let hash2 = struct_hash(&creator, CHAIN, &dave, 2);
    let via_evm = received(&creator, CHAIN, &dave, 2, adr36(&key, &signer, &hash2));
    assert_eq!(
        s.receive_refused(&[inbound(EVM_CHAIN, 1, via_evm)], &[0, 1]),
        vec![(
            0,
            refused(bad_sig("no bech32 prefix configured for chain 1"))
        )]
    );
}

#[test]
fn peer_bindings_are_validated() {
    let mut s = Suite::new();
    let admin = s.admin.clone();
    let set = peer_bindings_update;
    let pb = |chain, c: Option<Vec<u8>>, p: Option<&str>| PeerBinding {
        chain,
        verifying_contract: c.map(Into::into),
        bech32_prefix: p.map(Into::into),
    };
    for bad in [
        vec![pb(1, Some(vec![1; 19]), None)],
        vec![pb(1, None, Some("Osmo"))],
        vec![pb(1, None, Some(""))],
        vec![pb(0, None, None)],
        vec![pb(1, None, None), pb(1, None, None)],
    ] {
        assert!(matches!(
            s.err(&admin, &set(bad), &[]),
            ContractError::InvalidConfig { .. }
        ));
    }
    let carol = s.carol.clone();
    assert!(matches!(
        s.err(&carol, &set(vec![]), &[]),
        ContractError::Unauthorized { .. }
    ));
    s.ok(
        &admin,
        &set(vec![pb(1, Some(vec![1; 20]), Some("wasm"))]),
        &[],
    );
}

// ---- what a binding gives ----

#[test]
fn payout_address_claims_earnings_only_not_refunds_or_dao_credit() {
    let mut s = Suite::new();
    let erin = wallet(&mut s, 0x31);
    let (bob, carol) = (s.bob.clone(), s.carol.clone());
    // erin: creator of `mine`, DAO of bob's `theirs`, and a buyer whose deployment failed.
    let mine = s.publish(&erin.addr, publish_args(10_000, 0, policy()));
    let mut args = publish_args(1_000, 500, policy());
    args.royalty.dao_bps = 1_000;
    args.dao = Some(Account::Cosmos(erin.addr.to_string()));
    let theirs = s.publish(&bob, args);
    s.buy(&bob, mine, 10_000, false);
    s.buy(&carol, theirs, 1_000, false);
    let key = s.buy(&erin.addr, theirs, 1_500, true);
    s.receive(
        &[inbound(
            AKASH,
            1,
            codec::Body::LeaseReported(codec::LeaseReported {
                purchase_id: key,
                ok: false,
                dseq: 0,
                gseq: 0,
                oseq: 0,
                provider: String::new(),
                reason: "no bids".into(),
            }),
        )],
        &[0, 1],
    )
    .unwrap();
    for m in [mine, theirs] {
        s.settle(&bob, m);
    }
    // Earnings 9_900 (10_000 less the 1 % fee); other credit: refund 500 + DAO share 200.
    assert_eq!(s.claimable(&erin.word), 9_900 + 500 + 200);
    s.ok(
        &erin.addr,
        &signed_bind(&erin, CHAIN, &s.word(&carol), 1),
        &[],
    );
    let (erin_before, carol_before) = (s.balance(&erin.addr), s.balance(&carol));
    // Whoever triggers the claim: earnings to the bound address, the rest to erin herself.
    let r = s.claim_for(&carol, Account::Cosmos(erin.addr.to_string()));
    assert_eq!(attr(&r, "earnings"), "9900");
    assert_eq!(attr(&r, "other"), "700");
    assert_eq!(s.balance(&carol), carol_before + 9_900);
    assert_eq!(s.balance(&erin.addr), erin_before + 700);
    assert_eq!(s.claimable(&erin.word), 0);
}

#[test]
fn payout_address_cannot_administer_the_creators_models() {
    let mut s = Suite::new();
    let erin = wallet(&mut s, 0x31);
    let carol = s.carol.clone();
    let mine = s.publish(&erin.addr, publish_args(10_000, 0, policy()));
    s.ok(
        &erin.addr,
        &signed_bind(&erin, CHAIN, &s.word(&carol), 1),
        &[],
    );
    let price = ExecuteMsg::UpdateModel {
        model: Uint64::new(mine),
        price: Some(1u128.into()),
        deploy_price: None,
        content: None,
        sdl_uri: None,
        resale_bps: None,
    };
    let allow = ExecuteMsg::SetAllowlist {
        model: Uint64::new(mine),
        add: vec![Account::Cosmos(carol.to_string())],
        remove: vec![],
    };
    for msg in [&price, &allow] {
        assert_eq!(
            s.err(&carol, msg, &[]),
            ContractError::Unauthorized {
                role: format!("the creator of model {mine}")
            }
        );
        s.ok(&erin.addr, msg, &[]);
    }
}

#[test]
fn foreign_creator_earnings_reach_its_bound_address_which_gets_no_model_rights() {
    let mut s = Suite::new();
    let (key, a) = evm_wallet(0x41);
    let creator = [&[1u8][..], &a].concat();
    let (alice, bob, dave) = (s.alice.clone(), s.bob.clone(), s.dave.clone());
    let evm_model = ((EVM_CHAIN as u64) << 32) | 1;
    let mut reg = model_registered(evm_model, 0, account(&creator));
    if let codec::Body::ModelRegistered(m) = &mut reg {
        m.content_commitment = [7u8; 32];
    }
    s.receive(
        &[
            inbound(EVM_CHAIN, 1, reg),
            inbound(EVM_CHAIN, 2, evm_binding(&key, &creator, &s.word(&dave), 1)),
        ],
        &[0, 1],
    )
    .unwrap();
    // The bound address cannot sell the creator's model here.
    let price = ExecuteMsg::UpdateModel {
        model: Uint64::new(evm_model),
        price: Some(500u128.into()),
        deploy_price: None,
        content: None,
        sdl_uri: None,
        resale_bps: None,
    };
    assert!(matches!(
        s.err(&dave, &price, &[]),
        ContractError::Unauthorized { .. }
    ));
    // A local fork's royalty is the creator's earnings: paid to the bound address.
    let fork = s.fork(&bob, evm_model, publish_args(1_000, 0, policy()));
    s.buy(&alice, fork, 1_000, false);
    for m in [fork, evm_model] {
        s.settle(&alice, m);
    }
    // 2_000 bps of 1_000 reach the parent's vault; less the 1 % fee, 198 for the creator.
    assert_eq!(s.claimable(&creator), 198);
    let before = s.balance(&dave);
    s.claim_for(&alice, Account::Word(creator.clone().into()));
    assert_eq!(s.balance(&dave), before + 198);
}

#[test]
fn migration_indexes_creators_and_keeps_foreign_bound_credit_payable() {
    use crate::state::{CLAIMABLE, CREATORS, EARNINGS, PAYOUTS};
    let mut s = Suite::new();
    let erin = wallet(&mut s, 0x31);
    s.publish(&erin.addr, publish_args(1_000, 0, policy()));
    let foreign = evm_word(0xaa);
    let (dave, bob) = (s.dave.clone(), s.bob.clone());
    let erin_word = erin.word.clone();
    // The contract holds what it owes.
    let contract = s.contract.clone();
    s.app
        .send_tokens(bob.clone(), contract, &coins(100, DENOM))
        .unwrap();
    // The state of a contract before the split: one balance, no creator index.
    {
        let mut st = s.app.contract_storage_mut(&s.contract);
        crate::migrate::EARNINGS_SPLIT.remove(st.as_mut());
        CREATORS.remove(st.as_mut(), &erin_word);
        PAYOUTS.save(st.as_mut(), &foreign, &dave).unwrap();
        CLAIMABLE
            .save(st.as_mut(), &foreign, &Uint128::new(70))
            .unwrap();
        CLAIMABLE
            .save(st.as_mut(), &erin_word, &Uint128::new(30))
            .unwrap();
    }
    assert!(matches!(
        s.err(&erin.addr, &signed_bind(&erin, EVM_CHAIN, &foreign, 1), &[]),
        ContractError::NotACreator { .. }
    ));
    let (admin, contract) = (s.admin.clone(), s.contract.clone());
    let r = s
        .app
        .migrate_contract(
            admin.clone(),
            contract.clone(),
            &crate::msg::MigrateMsg {},
            s.code_id,
        )
        .unwrap();
    assert_eq!(attr(&r, "indexed_creators"), "1");
    assert_eq!(attr(&r, "moved_earnings"), "1");
    {
        let st = s.app.contract_storage(&s.contract);
        assert_eq!(EARNINGS.load(st.as_ref(), &foreign).unwrap().u128(), 70);
        assert_eq!(CLAIMABLE.may_load(st.as_ref(), &foreign).unwrap(), None);
        assert_eq!(CLAIMABLE.load(st.as_ref(), &erin_word).unwrap().u128(), 30);
    }
    // A second migration moves nothing.
    let r = s
        .app
        .migrate_contract(admin, contract, &crate::msg::MigrateMsg {}, s.code_id)
        .unwrap();
    assert_eq!(attr(&r, "moved_earnings"), "0");
    s.ok(&erin.addr, &signed_bind(&erin, EVM_CHAIN, &foreign, 1), &[]);
    let before = s.balance(&dave);
    s.claim_for(&bob, Account::Word(foreign.clone().into()));
    assert_eq!(s.balance(&dave), before + 70);
}

/// Signatures made by the wallets' own libraries (ethers `Wallet.signTypedData`, cosmjs
/// `Secp256k1Wallet.signAmino` of the ADR-36 doc; keys 0x41…41 and 0x31…31) verify here.
#[test]
fn signatures_from_ethers_and_cosmjs_wallets_verify() {
    let mut s = Suite::new();
    // EVM: creator 0xa267…08ba binds dave (0xdd…dd) for this chain, nonce 1.
    let (_, a) = evm_wallet(0x41);
    assert_eq!(hex(&a), "a267e4f15c979289993a95e22ca9cdf077b708ba");
    let creator = [&[1u8][..], &a].concat();
    let sig = HexBinary::from_hex("dc8d72e04dd3c335550e38e8aa493f240465a64bd0f2c67bacc26da222d7ccc616646322c3f42d62db1c09a196e42759efdb0309901c6ebafc3df64b3e32220c1c").unwrap();
    let mut blob = vec![1u8];
    blob.extend_from_slice(&EVM_CHAIN_ID.to_be_bytes());
    blob.extend_from_slice(&EVM_HUB);
    blob.extend_from_slice(sig.as_slice());
    let dave = s.word(&s.dave.clone());
    s.receive(
        &[inbound(
            EVM_CHAIN,
            1,
            received(&creator, CHAIN, &dave, 1, blob),
        )],
        &[0, 1],
    )
    .unwrap();
    assert_eq!(payout_of(&s, &creator), Some(s.dave.to_string()));

    // Cosmos: cosmwasm1svsx…r5t4 binds EVM 0xab…ab for chain 1, nonce 1 (recovery id 1).
    let erin = wallet(&mut s, 0x31);
    assert_eq!(
        erin.addr.as_str(),
        "cosmwasm1svsxz8lsxg3rc86tk8am6g53l54n7s7evkr5t4"
    );
    s.publish(&erin.addr, publish_args(1_000, 0, policy()));
    let pubkey = HexBinary::from_hex("046930f46dd0b16d866d59d1054aa63298b357499cd1862ef16f3f55f1cafceb82f8fcdfbfe88d36edf9cd2d3c99c8d451b3b4a14091da40d00e9333c3d37fe6ab").unwrap();
    let sig = HexBinary::from_hex("b0e5cee24a9833ffcb8f7a25cecec7fb91eddc8e266acdf3a105a65a82f8722a3cc83f2d79fca0892c979095f3219a5bc8b265fd190c80b0bd45dd8c9e960545").unwrap();
    let blob = [&[2u8][..], &pubkey[1..], sig.as_slice(), &[1u8]].concat();
    let payout = Account::Evm(format!("0x{}", "ab".repeat(20)));
    s.ok(&erin.addr, &bind_msg(EVM_CHAIN, payout, 1, blob), &[]);
}

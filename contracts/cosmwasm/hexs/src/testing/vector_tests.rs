//! The contract's batch handling against the shared golden vectors (codec/vectors.json).

use cosmwasm_std::HexBinary;
use serde_json::Value;

use crate::error::{ContractError, Malformed};
use crate::mirror::prepare_batch;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../codec/vectors.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("golden vectors")).unwrap()
}

fn hex(v: &Value) -> HexBinary {
    HexBinary::from_hex(v.as_str().unwrap().trim_start_matches("0x")).unwrap()
}

#[test]
fn batch_roots_match_the_golden_vectors() {
    let v = vectors();
    let batches = v["batches"].as_array().unwrap();
    assert!(!batches.is_empty());
    for b in batches {
        let msgs: Vec<HexBinary> = b["messages"].as_array().unwrap().iter().map(hex).collect();
        let dst = b["dstChain"].as_u64().unwrap() as u32;
        let p = prepare_batch(dst, &msgs).unwrap_or_else(|e| panic!("{}: {e}", b["name"]));
        assert_eq!(HexBinary::from(p.root), hex(&b["root"]), "{}", b["name"]);
        assert_eq!(p.src as u64, b["srcChain"].as_u64().unwrap());
        assert_eq!(p.first_nonce.to_string(), b["firstNonce"].as_str().unwrap());
    }
}

#[test]
fn golden_batch_rejections_are_refused() {
    let v = vectors();
    for b in v["batchRejections"].as_array().unwrap() {
        let msgs: Vec<HexBinary> = b["messages"].as_array().unwrap().iter().map(hex).collect();
        let dst = msgs
            .first()
            .map(|m| u32::from_be_bytes(m.as_slice()[6..10].try_into().unwrap()))
            .unwrap_or(1);
        let err = prepare_batch(dst, &msgs)
            .err()
            .unwrap_or_else(|| panic!("{} accepted", b["name"]));
        let code = b["error"].as_str().unwrap();
        let ok = match code {
            "EmptyBatch" => err == ContractError::EmptyBatch,
            "BatchLaneMismatch" => matches!(
                &err,
                ContractError::MalformedMessage { .. } | ContractError::WrongDestination { .. }
            ),
            "BatchNonceGap" => matches!(&err, ContractError::LaneNonce { .. }),
            other => {
                matches!(&err, ContractError::MalformedMessage { error: Malformed::Codec(e), .. } if e.code() == other)
            }
        };
        assert!(ok, "{}: expected {code}, got {err}", b["name"]);
    }
}

#[test]
fn golden_message_rejections_are_malformed() {
    let v = vectors();
    for r in v["rejections"].as_array().unwrap() {
        let raw = hex(&r["hex"]);
        let err = prepare_batch(1, &[raw])
            .err()
            .unwrap_or_else(|| panic!("{} accepted", r["name"]));
        let code = r["error"].as_str().unwrap();
        assert!(
            matches!(&err, ContractError::MalformedMessage { error: Malformed::Codec(e), .. } if e.code() == code),
            "{}: expected {code}, got {err}",
            r["name"]
        );
    }
}

//! Golden vectors shared with the TypeScript and Solidity codecs: codec/vectors.json.
use hexs_codec::*;
use serde_json::{json, Value};

const VECTORS: &str = include_str!("../../../../codec/vectors.json");

fn vectors() -> Value {
    serde_json::from_str(VECTORS).expect("codec.json parses")
}

fn unhex(s: &str) -> Vec<u8> {
    let s = s.strip_prefix("0x").expect("0x prefix");
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(2 + b.len() * 2);
    s.push_str("0x");
    for x in b {
        s.push_str(&format!("{x:02x}"));
    }
    s
}

fn account_json(a: &Account) -> Value {
    json!({ "family": a.family(), "address": hex(a.address()) })
}

fn account_from_json(v: &Value) -> Account {
    Account::from_parts(
        v["family"].as_u64().unwrap() as u8,
        &unhex(v["address"].as_str().unwrap()),
    )
    .unwrap()
}

/// The JSON form of a message, exactly as the TypeScript generator writes it.
fn message_json(m: &Message) -> Value {
    let body = match &m.body {
        Body::ModelRegistered(b) => json!({
            "modelId": b.model_id.to_string(),
            "parentId": b.parent_id.to_string(),
            "creator": account_json(&b.creator),
            "contentCommitment": hex(&b.content_commitment),
            "parentCommitment": hex(&b.parent_commitment),
            "soulbound": b.soulbound,
            "forkable": b.forkable,
            "keyDuration": b.key_duration.to_string(),
            "upstreamBps": b.upstream_bps,
            "daoBps": b.dao_bps,
            "forkRoyaltyBps": b.fork_royalty_bps,
            "resaleRoyaltyBps": b.resale_royalty_bps,
            "sdlLocator": b.sdl_locator,
            "metadataUri": b.metadata_uri,
        }),
        Body::ModelUpdated(b) => json!({
            "modelId": b.model_id.to_string(),
            "sequence": b.sequence.to_string(),
            "retired": b.retired,
            "contentCommitment": hex(&b.content_commitment),
            "sdlLocator": b.sdl_locator,
            "metadataUri": b.metadata_uri,
            "prices": b.prices.iter().map(|p| json!({
                "currency": hex(&p.currency),
                "amount": p.amount.to_string(),
            })).collect::<Vec<_>>(),
        }),
        Body::KeyMinted(b) => json!({
            "modelId": b.model_id.to_string(),
            "keyId": b.key_id.to_string(),
            "owner": account_json(&b.owner),
            "expiresAt": b.expires_at.to_string(),
            "locked": b.locked,
        }),
        Body::KeyTransferred(b) => json!({
            "keyId": b.key_id.to_string(),
            "modelId": b.model_id.to_string(),
            "from": account_json(&b.from),
            "to": account_json(&b.to),
        }),
        Body::KeyMoved(b) => json!({
            "keyId": b.key_id.to_string(),
            "modelId": b.model_id.to_string(),
            "fromChain": b.from_chain,
            "toChain": b.to_chain,
            "from": account_json(&b.from),
            "owner": account_json(&b.owner),
            "expiresAt": b.expires_at.to_string(),
            "locked": b.locked,
        }),
        Body::KeyBurned(b) => json!({
            "keyId": b.key_id.to_string(),
            "modelId": b.model_id.to_string(),
            "owner": account_json(&b.owner),
        }),
        Body::PurchaseSettled(b) => json!({
            "purchaseId": b.purchase_id.to_string(),
            "modelId": b.model_id.to_string(),
            "keyId": b.key_id.to_string(),
            "buyer": account_json(&b.buyer),
            "currency": hex(&b.currency),
            "amount": b.amount.to_string(),
            "deploymentRequested": b.deployment_requested,
            "deploymentParams": hex(&b.deployment_params),
        }),
        Body::LeaseReported(b) => json!({
            "purchaseId": b.purchase_id.to_string(),
            "ok": b.ok,
            "dseq": b.dseq.to_string(),
            "gseq": b.gseq,
            "oseq": b.oseq,
            "provider": b.provider,
            "reason": b.reason,
        }),
        Body::PayoutAddressBound(b) => json!({
            "creator": account_json(&b.creator),
            "chain": b.chain,
            "payout": account_json(&b.payout),
            "bindNonce": b.bind_nonce.to_string(),
            "signature": hex(&b.signature),
        }),
        Body::KeyPolicySet(b) => json!({
            "modelId": b.model_id.to_string(),
            "soulbound": b.soulbound,
            "keyDuration": b.key_duration.to_string(),
            "transferChecked": b.transfer_checked,
        }),
        Body::LeaseHandedOver(b) => json!({
            "keyId": b.key_id.to_string(),
            "modelId": b.model_id.to_string(),
            "handover": b.handover.to_string(),
            "dseq": b.dseq.to_string(),
            "gseq": b.gseq,
            "oseq": b.oseq,
            "provider": b.provider,
            "holder": account_json(&b.holder),
            "holderChain": b.holder_chain,
            "manifestHash": hex(&b.manifest_hash),
            "transfer": b.transfer,
        }),
        Body::ResaleOrder(b) => json!({
            "orderId": b.order_id.to_string(),
            "listingChain": b.listing_chain,
            "modelId": b.model_id.to_string(),
            "keyId": b.key_id.to_string(),
            "seller": account_json(&b.seller),
            "buyer": account_json(&b.buyer),
            "currency": hex(&b.currency),
            "price": b.price.to_string(),
            "deadline": b.deadline.to_string(),
        }),
        Body::ResaleResult(b) => json!({
            "orderId": b.order_id.to_string(),
            "keyId": b.key_id.to_string(),
            "filled": b.filled,
            "leaseEscrow": b.lease_escrow,
            "royalty": b.royalty.to_string(),
        }),
    };
    json!({
        "version": VERSION,
        "kind": m.kind().name(),
        "srcChain": m.src_chain,
        "dstChain": m.dst_chain,
        "nonce": m.nonce.to_string(),
        "body": body,
    })
}

#[test]
fn constants_match() {
    let v = vectors();
    let c = &v["constants"];
    assert_eq!(c["version"], json!(VERSION));
    assert_eq!(c["headerLength"], json!(HEADER_LENGTH));
    assert_eq!(c["maxStringLength"], json!(MAX_STRING_LENGTH));
    assert_eq!(c["maxBytesLength"], json!(MAX_BYTES_LENGTH));
    assert_eq!(c["maxCurrencyLength"], json!(MAX_CURRENCY_LENGTH));
    assert_eq!(c["maxPrices"], json!(MAX_PRICES));
    assert_eq!(c["batchTag"], json!(hex(&batch_tag())));
}

#[test]
fn accounts_encode() {
    for a in vectors()["accounts"].as_array().unwrap() {
        assert_eq!(
            hex(&account_from_json(a).encode()),
            a["encoded"].as_str().unwrap()
        );
    }
}

#[test]
fn messages_decode_encode_digest() {
    let v = vectors();
    let list = v["messages"].as_array().unwrap();
    assert!(list.len() >= 9);
    for vec in list {
        let name = vec["name"].as_str().unwrap();
        let bytes = unhex(vec["hex"].as_str().unwrap());
        let m = decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(message_json(&m), vec["message"], "{name}: decoded fields");
        let again = encode(&m).unwrap();
        assert_eq!(again, bytes, "{name}: re-encoding");
        assert_eq!(
            hex(&digest(&bytes)),
            vec["digest"].as_str().unwrap(),
            "{name}: digest"
        );
        assert_eq!(
            hex(&m.digest().unwrap()),
            vec["digest"].as_str().unwrap(),
            "{name}: message digest"
        );
        assert_eq!(
            bytes.len() as u64,
            vec["length"].as_u64().unwrap(),
            "{name}: length"
        );
        let (h, body) = decode_header(&bytes).unwrap();
        assert_eq!(h.kind, m.kind());
        assert_eq!(encode_body_bytes(&m.body).unwrap(), body, "{name}: body");
    }
}

#[test]
fn every_kind_has_a_vector() {
    let v = vectors();
    for k in 1..=9u8 {
        let name = Kind::from_u8(k).unwrap().name();
        assert!(
            v["messages"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["message"]["kind"] == json!(name)),
            "{name}"
        );
    }
}

#[test]
fn rejections() {
    let v = vectors();
    let list = v["rejections"].as_array().unwrap();
    assert!(!list.is_empty());
    for vec in list {
        let name = vec["name"].as_str().unwrap();
        let bytes = unhex(vec["hex"].as_str().unwrap());
        match decode(&bytes) {
            Ok(_) => panic!("{name}: decoded, expected {}", vec["error"]),
            Err(e) => assert_eq!(e.code(), vec["error"].as_str().unwrap(), "{name}"),
        }
    }
}

#[test]
fn batches() {
    let v = vectors();
    for b in v["batches"].as_array().unwrap() {
        let name = b["name"].as_str().unwrap();
        let msgs: Vec<Vec<u8>> = b["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| unhex(h.as_str().unwrap()))
            .collect();
        let batch = batch_root_of_messages(&msgs).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(hex(&batch.root), b["root"].as_str().unwrap(), "{name}");
        assert_eq!(batch.src_chain as u64, b["srcChain"].as_u64().unwrap());
        assert_eq!(batch.dst_chain as u64, b["dstChain"].as_u64().unwrap());
        assert_eq!(
            batch.first_nonce.to_string(),
            b["firstNonce"].as_str().unwrap()
        );
        let digests: Vec<String> = batch.digests.iter().map(|d| hex(d)).collect();
        let expected: Vec<String> = b["digests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(digests, expected, "{name}");
        let root = batch_root(
            batch.src_chain,
            batch.dst_chain,
            batch.first_nonce,
            &batch.digests,
        )
        .unwrap();
        assert_eq!(root, batch.root);
    }
    for b in v["batchRejections"].as_array().unwrap() {
        let name = b["name"].as_str().unwrap();
        let msgs: Vec<Vec<u8>> = b["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| unhex(h.as_str().unwrap()))
            .collect();
        let err = batch_root_of_messages(&msgs).expect_err(name);
        assert_eq!(err.code(), b["error"].as_str().unwrap(), "{name}");
    }
}

#[test]
fn every_truncation_of_every_vector_is_rejected() {
    let v = vectors();
    for vec in v["messages"].as_array().unwrap() {
        let bytes = unhex(vec["hex"].as_str().unwrap());
        for cut in 0..bytes.len() {
            assert!(
                decode(&bytes[..cut]).is_err(),
                "{} cut at {cut}",
                vec["name"]
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer).unwrap_err(), CodecError::TrailingBytes);
    }
}

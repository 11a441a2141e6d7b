use cosmwasm_std::{
    coin, coins, to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response, StdError,
    Uint64,
};
use cw_multi_test::{ContractWrapper, Executor};
use cw_utils::{Expiration, PaymentError};

use super::*;
use crate::account::Account;
use crate::msg::{
    AllNftInfoResponse, ApprovalResponse, ApprovalsResponse, ContractInfoResponse, Cw721ReceiveMsg,
    ExecuteMsg, HasAccessResponse, KeyResponse, MinterResponse, NftInfoResponse, NumTokensResponse,
    OperatorResponse, OperatorsResponse, OwnerOfResponse, QueryMsg, ReceiverExecuteMsg,
    TokensResponse,
};
use crate::state::{Escrow, EscrowStatus, Model};

fn buy_msg(model: u64, with_deployment: bool) -> ExecuteMsg {
    ExecuteMsg::BuyKey {
        model: Uint64::new(model),
        recipient: None,
        with_deployment,
    }
}

fn access(s: &Suite, model: u64, who: &Addr) -> HasAccessResponse {
    s.q(&QueryMsg::HasAccess {
        model: Uint64::new(model),
        account: Account::Cosmos(who.to_string()),
    })
    .unwrap()
}

fn owner_of(s: &Suite, token: u64) -> StdResult<OwnerOfResponse> {
    s.q(&QueryMsg::OwnerOf {
        token_id: token.to_string(),
        include_expired: None,
    })
}

#[test]
fn buy_mints_key_credits_vault_and_emits_messages() {
    let mut s = Suite::new();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let model = s.publish(&alice, publish_args(100, 0, policy()));
    let r = s.ok(&bob, &buy_msg(model, false), &coins(100, DENOM));
    let key: u64 = attr(&r, "token_id").parse().unwrap();
    assert_eq!(key, ((CHAIN as u64) << 32) | 1);
    assert_eq!(s.vault(model), 100);
    assert_eq!(s.balance(&bob), START - 100);
    assert_eq!(owner_of(&s, key).unwrap().owner, bob.to_string());
    assert!(access(&s, model, &bob).access);
    assert!(!access(&s, model, &alice).access);
    let kinds: Vec<String> = outbound(&r).into_iter().map(|o| o.0).collect();
    assert_eq!(kinds, vec!["KeyMinted", "PurchaseSettled"]);
    let settled = codec::decode(&outbound(&r)[1].2).unwrap();
    match settled.body {
        codec::Body::PurchaseSettled(p) => {
            assert_eq!(
                (p.purchase_id, p.key_id, p.model_id, p.amount),
                (key, key, model, 100)
            );
            assert_eq!(p.currency, DENOM.as_bytes());
            assert!(!p.deployment_requested);
        }
        other => panic!("unexpected {other:?}"),
    }
    // Nonces of the outbound lane keep counting: publish was 1.
    assert_eq!(outbound(&r)[0].1, 2);
    assert_eq!(outbound(&r)[1].1, 3);
    // The key serial is per chain, shared by all models.
    let other = s.publish(&alice, publish_args(5, 0, policy()));
    let second = s.buy(&bob, other, 5, false);
    assert_eq!(second, ((CHAIN as u64) << 32) | 2);
}

#[test]
fn buy_with_deployment_escrows_the_deployment_part() {
    let mut s = Suite::new();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let model = s.publish(&alice, publish_args(100, 30, policy()));
    let key = s.buy(&bob, model, 130, true);
    assert_eq!(s.vault(model), 100, "the vault gets only the key price");
    let e: Escrow = s
        .q(&QueryMsg::Escrow {
            key_id: Uint64::new(key),
        })
        .unwrap();
    assert_eq!(
        (e.amount.u128(), e.status.clone(), e.buyer.clone()),
        (30, EscrowStatus::Pending, bob.clone())
    );
    assert_eq!(
        s.err(&bob, &buy_msg(model, true), &coins(100, DENOM)),
        ContractError::WrongAmount {
            expected: 130u128.into(),
            got: 100u128.into(),
            denom: DENOM.into()
        }
    );
}

#[test]
fn buy_refusals_leave_no_trace() {
    let mut s = Suite::new();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let model = s.publish(&alice, publish_args(100, 0, policy()));
    let free = s.publish(&alice, publish_args(0, 0, policy()));
    assert_eq!(
        s.err(&bob, &buy_msg(999, false), &coins(100, DENOM)),
        ContractError::UnknownModel { id: 999 }
    );
    assert_eq!(
        s.err(&bob, &buy_msg(free, false), &coins(1, DENOM)),
        ContractError::NotForSale { id: free }
    );
    assert_eq!(
        s.err(&bob, &buy_msg(model, true), &coins(100, DENOM)),
        ContractError::NoDeployment { id: model }
    );
    assert_eq!(
        s.err(&bob, &buy_msg(model, false), &coins(99, DENOM)),
        ContractError::WrongAmount {
            expected: 100u128.into(),
            got: 99u128.into(),
            denom: DENOM.into()
        }
    );
    assert_eq!(
        s.err(&bob, &buy_msg(model, false), &coins(101, DENOM)),
        ContractError::WrongAmount {
            expected: 100u128.into(),
            got: 101u128.into(),
            denom: DENOM.into()
        }
    );
    assert_eq!(
        s.err(&bob, &buy_msg(model, false), &[]),
        ContractError::Payment(PaymentError::NoFunds {})
    );
    s.app
        .init_modules(|router, _, storage| {
            router
                .bank
                .init_balance(storage, &bob, vec![coin(START, DENOM), coin(500, "uatom")])
        })
        .unwrap();
    assert_eq!(
        s.err(&bob, &buy_msg(model, false), &coins(100, "uatom")),
        ContractError::Payment(PaymentError::MissingDenom(DENOM.into()))
    );
    assert_eq!(
        s.err(
            &bob,
            &buy_msg(model, false),
            &[coin(100, DENOM), coin(1, "uatom")]
        ),
        ContractError::Payment(PaymentError::MultipleDenoms {})
    );
    assert_eq!(s.vault(model), 0);
    assert_eq!(s.balance(&bob), START);
    let n: NumTokensResponse = s.q(&QueryMsg::NumTokens {}).unwrap();
    assert_eq!(n.count, 0);
}

#[test]
fn supply_cap_sells_out() {
    let mut s = Suite::new();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let mut p = policy();
    p.max_supply = Some(2);
    let model = s.publish(&alice, publish_args(10, 0, p));
    s.buy(&bob, model, 10, false);
    s.buy(&bob, model, 10, false);
    assert_eq!(
        s.err(&bob, &buy_msg(model, false), &coins(10, DENOM)),
        ContractError::SoldOut { id: model, cap: 2 }
    );
    let m: Model = s
        .q(&QueryMsg::Model {
            id: Uint64::new(model),
        })
        .unwrap();
    assert_eq!(m.minted, 2);
}

/// A contract from before the count moved out of the model record: migration moves it, and
/// the cap still counts every key.
#[test]
fn migration_moves_key_counts_out_of_the_model_record() {
    use crate::state::{MODELS, TALLIES};
    let mut s = Suite::new();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let mut p = policy();
    p.max_supply = Some(3);
    let model = s.publish(&alice, publish_args(10, 0, p));
    s.buy(&bob, model, 10, false);
    {
        let mut st = s.app.contract_storage_mut(&s.contract);
        let mut m = MODELS.load(st.as_ref(), model).unwrap();
        m.minted = 2;
        MODELS.save(st.as_mut(), model, &m).unwrap();
        let mut t = TALLIES.load(st.as_ref(), model).unwrap();
        t.minted = 0;
        TALLIES.save(st.as_mut(), model, &t).unwrap();
    }
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
    assert_eq!(attr(&r, "moved_key_counts"), "1");
    {
        let st = s.app.contract_storage(&s.contract);
        assert_eq!(MODELS.load(st.as_ref(), model).unwrap().minted, 0);
        assert_eq!(TALLIES.load(st.as_ref(), model).unwrap().minted, 2);
    }
    let r = s
        .app
        .migrate_contract(admin, contract, &crate::msg::MigrateMsg {}, s.code_id)
        .unwrap();
    assert_eq!(attr(&r, "moved_key_counts"), "0");
    s.buy(&bob, model, 10, false);
    assert_eq!(
        s.err(&bob, &buy_msg(model, false), &coins(10, DENOM)),
        ContractError::SoldOut { id: model, cap: 3 }
    );
    let m: Model = s
        .q(&QueryMsg::Model {
            id: Uint64::new(model),
        })
        .unwrap();
    assert_eq!(m.minted, 3);
}

#[test]
fn recipient_gets_the_key() {
    let mut s = Suite::new();
    let (alice, bob, carol) = (s.alice.clone(), s.bob.clone(), s.carol.clone());
    let model = s.publish(&alice, publish_args(10, 0, policy()));
    let msg = ExecuteMsg::BuyKey {
        model: Uint64::new(model),
        recipient: Some(carol.to_string()),
        with_deployment: false,
    };
    let r = s.ok(&bob, &msg, &coins(10, DENOM));
    let key: u64 = attr(&r, "token_id").parse().unwrap();
    assert_eq!(owner_of(&s, key).unwrap().owner, carol.to_string());
    let bad = ExecuteMsg::BuyKey {
        model: Uint64::new(model),
        recipient: Some("not-an-address".into()),
        with_deployment: false,
    };
    assert!(matches!(
        s.err(&bob, &bad, &coins(10, DENOM)),
        ContractError::Std(_)
    ));
}

#[test]
fn soulbound_keys_do_not_move() {
    let mut s = Suite::new();
    let (alice, bob, carol) = (s.alice.clone(), s.bob.clone(), s.carol.clone());
    let mut p = policy();
    p.soulbound = true;
    let model = s.publish(&alice, publish_args(10, 0, p));
    let key = s.buy(&bob, model, 10, false);
    let t = ExecuteMsg::TransferNft {
        recipient: carol.to_string(),
        token_id: key.to_string(),
    };
    assert_eq!(s.err(&bob, &t, &[]), ContractError::Soulbound { id: key });
    let a = ExecuteMsg::Approve {
        spender: carol.to_string(),
        token_id: key.to_string(),
        expires: None,
    };
    assert_eq!(s.err(&bob, &a, &[]), ContractError::Soulbound { id: key });
    assert_eq!(owner_of(&s, key).unwrap().owner, bob.to_string());
    let info: NftInfoResponse = s
        .q(&QueryMsg::NftInfo {
            token_id: key.to_string(),
        })
        .unwrap();
    assert!(info.extension.locked);
    // Burning stays possible.
    s.ok(
        &bob,
        &ExecuteMsg::Burn {
            token_id: key.to_string(),
        },
        &[],
    );
    assert!(!access(&s, model, &bob).access);
}

#[test]
fn expiring_keys_stop_granting_access() {
    let mut s = Suite::new();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let mut p = policy();
    p.key_lifetime_secs = Some(100);
    let model = s.publish(&alice, publish_args(10, 0, p));
    let key = s.buy(&bob, model, 10, false);
    let k: KeyResponse = s
        .q(&QueryMsg::Key {
            id: Uint64::new(key),
        })
        .unwrap();
    let now = s.app.block_info().time.seconds();
    assert_eq!(k.expires_at, Some(now + 100));
    assert_eq!(access(&s, model, &bob).key_id, Some(Uint64::new(key)));
    s.app.update_block(|b| b.time = b.time.plus_seconds(100));
    assert!(!access(&s, model, &bob).access);
    // A fresh key restores access.
    s.buy(&bob, model, 10, false);
    assert!(access(&s, model, &bob).access);
}

#[test]
fn cw721_transfer_approvals_and_operators() {
    let mut s = Suite::new();
    let (alice, bob, carol, dave) = (
        s.alice.clone(),
        s.bob.clone(),
        s.carol.clone(),
        s.dave.clone(),
    );
    let model = s.publish(&alice, publish_args(10, 0, policy()));
    let key = s.buy(&bob, model, 10, false);
    let tid = key.to_string();

    // A stranger cannot move it.
    let t = ExecuteMsg::TransferNft {
        recipient: carol.to_string(),
        token_id: tid.clone(),
    };
    assert!(matches!(
        s.err(&carol, &t, &[]),
        ContractError::Unauthorized { .. }
    ));

    // Approved spender can, and the approval is cleared by the transfer.
    s.ok(
        &bob,
        &ExecuteMsg::Approve {
            spender: carol.to_string(),
            token_id: tid.clone(),
            expires: None,
        },
        &[],
    );
    let ap: ApprovalResponse = s
        .q(&QueryMsg::Approval {
            token_id: tid.clone(),
            spender: carol.to_string(),
            include_expired: None,
        })
        .unwrap();
    assert_eq!(ap.approval.spender, carol.to_string());
    let r = s.ok(
        &carol,
        &ExecuteMsg::TransferNft {
            recipient: dave.to_string(),
            token_id: tid.clone(),
        },
        &[],
    );
    let out = outbound(&r);
    assert_eq!(out[0].0, "KeyTransferred");
    match codec::decode(&out[0].2).unwrap().body {
        codec::Body::KeyTransferred(k) => {
            assert_eq!(k.key_id, key);
            assert_eq!(k.model_id, model);
            assert_eq!(
                k.to,
                codec::Account::Cosmos([0xdd; 20]),
                "a 20-byte address is family 2"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    let owner = owner_of(&s, key).unwrap();
    assert_eq!(owner.owner, dave.to_string());
    assert!(owner.approvals.is_empty());
    assert!(access(&s, model, &dave).access);
    assert!(!access(&s, model, &bob).access);

    // Operators act for every key of the owner until revoked.
    s.ok(
        &dave,
        &ExecuteMsg::ApproveAll {
            operator: bob.to_string(),
            expires: None,
        },
        &[],
    );
    let op: OperatorResponse = s
        .q(&QueryMsg::Operator {
            owner: dave.to_string(),
            operator: bob.to_string(),
            include_expired: None,
        })
        .unwrap();
    assert_eq!(op.approval.spender, bob.to_string());
    let ops: OperatorsResponse = s
        .q(&QueryMsg::AllOperators {
            owner: dave.to_string(),
            include_expired: None,
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(ops.operators.len(), 1);
    s.ok(
        &bob,
        &ExecuteMsg::Approve {
            spender: alice.to_string(),
            token_id: tid.clone(),
            expires: None,
        },
        &[],
    );
    let aps: ApprovalsResponse = s
        .q(&QueryMsg::Approvals {
            token_id: tid.clone(),
            include_expired: None,
        })
        .unwrap();
    assert_eq!(aps.approvals.len(), 1);
    s.ok(
        &bob,
        &ExecuteMsg::Revoke {
            spender: alice.to_string(),
            token_id: tid.clone(),
        },
        &[],
    );
    assert_eq!(
        s.err(
            &bob,
            &ExecuteMsg::Revoke {
                spender: alice.to_string(),
                token_id: tid.clone()
            },
            &[]
        ),
        ContractError::ApprovalNotFound {
            id: key,
            spender: alice.to_string()
        }
    );
    s.ok(
        &dave,
        &ExecuteMsg::RevokeAll {
            operator: bob.to_string(),
        },
        &[],
    );
    assert!(s
        .q::<OperatorResponse>(&QueryMsg::Operator {
            owner: dave.to_string(),
            operator: bob.to_string(),
            include_expired: None
        })
        .is_err());
    let t = ExecuteMsg::TransferNft {
        recipient: bob.to_string(),
        token_id: tid.clone(),
    };
    assert!(matches!(
        s.err(&bob, &t, &[]),
        ContractError::Unauthorized { .. }
    ));

    // Expired approvals do not count, and past expirations are refused.
    let height = s.app.block_info().height;
    assert_eq!(
        s.err(
            &dave,
            &ExecuteMsg::Approve {
                spender: carol.to_string(),
                token_id: tid.clone(),
                expires: Some(Expiration::AtHeight(height))
            },
            &[]
        ),
        ContractError::Expired
    );
    s.ok(
        &dave,
        &ExecuteMsg::Approve {
            spender: carol.to_string(),
            token_id: tid.clone(),
            expires: Some(Expiration::AtHeight(height + 1)),
        },
        &[],
    );
    s.app.update_block(|b| b.height += 1);
    let t = ExecuteMsg::TransferNft {
        recipient: carol.to_string(),
        token_id: tid.clone(),
    };
    assert!(matches!(
        s.err(&carol, &t, &[]),
        ContractError::Unauthorized { .. }
    ));
    assert_eq!(
        s.err(
            &dave,
            &ExecuteMsg::ApproveAll {
                operator: carol.to_string(),
                expires: Some(Expiration::AtHeight(1))
            },
            &[]
        ),
        ContractError::Expired
    );
}

#[test]
fn cw721_queries_look_like_an_nft_collection() {
    let mut s = Suite::new();
    let (alice, bob, carol) = (s.alice.clone(), s.bob.clone(), s.carol.clone());
    let model = s.publish(&alice, publish_args(10, 0, policy()));
    let k1 = s.buy(&bob, model, 10, false);
    let k2 = s.buy(&bob, model, 10, false);
    let k3 = s.buy(&carol, model, 10, false);
    let info: ContractInfoResponse = s.q(&QueryMsg::ContractInfo {}).unwrap();
    assert_eq!(
        (info.name.as_str(), info.symbol.as_str()),
        ("Hexs keys", "HEXS")
    );
    let n: NumTokensResponse = s.q(&QueryMsg::NumTokens {}).unwrap();
    assert_eq!(n.count, 3);
    let bobs: TokensResponse = s
        .q(&QueryMsg::Tokens {
            owner: bob.to_string(),
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(bobs.tokens, vec![k1.to_string(), k2.to_string()]);
    let page: TokensResponse = s
        .q(&QueryMsg::AllTokens {
            start_after: Some(k1.to_string()),
            limit: Some(1),
        })
        .unwrap();
    assert_eq!(page.tokens, vec![k2.to_string()]);
    let all: TokensResponse = s
        .q(&QueryMsg::AllTokens {
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(all.tokens.len(), 3);
    let nft: AllNftInfoResponse = s
        .q(&QueryMsg::AllNftInfo {
            token_id: k3.to_string(),
            include_expired: None,
        })
        .unwrap();
    assert_eq!(nft.access.owner, carol.to_string());
    assert_eq!(nft.info.token_uri.as_deref(), Some("ipfs://sdl"));
    assert_eq!(nft.info.extension.model, Uint64::new(model));
    let m: MinterResponse = s.q(&QueryMsg::Minter {}).unwrap();
    assert_eq!(m.minter, None);
    // Token ids are canonical decimal key ids.
    for bad in ["", "01", "x1", "-1", "18446744073709551616"] {
        let e = s
            .q::<OwnerOfResponse>(&QueryMsg::OwnerOf {
                token_id: bad.into(),
                include_expired: None,
            })
            .unwrap_err();
        assert!(e.to_string().contains("invalid token id"), "{bad}: {e}");
    }
    let e = owner_of(&s, 12345).unwrap_err();
    assert!(e.to_string().contains("unknown key 12345"), "{e}");
}

#[test]
fn burn_removes_the_key() {
    let mut s = Suite::new();
    let (alice, bob, carol) = (s.alice.clone(), s.bob.clone(), s.carol.clone());
    let model = s.publish(&alice, publish_args(10, 0, policy()));
    let key = s.buy(&bob, model, 10, false);
    assert!(matches!(
        s.err(
            &carol,
            &ExecuteMsg::Burn {
                token_id: key.to_string()
            },
            &[]
        ),
        ContractError::Unauthorized { .. }
    ));
    let r = s.ok(
        &bob,
        &ExecuteMsg::Burn {
            token_id: key.to_string(),
        },
        &[],
    );
    assert_eq!(outbound(&r)[0].0, "KeyBurned");
    assert!(owner_of(&s, key).is_err());
    let n: NumTokensResponse = s.q(&QueryMsg::NumTokens {}).unwrap();
    assert_eq!(n.count, 0);
    assert!(!access(&s, model, &bob).access);
    assert_eq!(
        s.err(
            &bob,
            &ExecuteMsg::Burn {
                token_id: key.to_string()
            },
            &[]
        ),
        ContractError::UnknownKey { id: key }
    );
}

fn receiver_execute(
    _: DepsMut,
    _: Env,
    _: MessageInfo,
    msg: ReceiverExecuteMsg,
) -> Result<Response, StdError> {
    let ReceiverExecuteMsg::ReceiveNft(Cw721ReceiveMsg {
        sender,
        token_id,
        msg,
    }) = msg;
    if msg.as_slice() == b"reject" {
        return Err(StdError::generic_err("receiver rejects"));
    }
    Ok(Response::new()
        .add_attribute("got", token_id)
        .add_attribute("from", sender))
}

fn receiver_instantiate(
    _: DepsMut,
    _: Env,
    _: MessageInfo,
    _: Empty,
) -> Result<Response, StdError> {
    Ok(Response::new())
}

fn receiver_query(_: Deps, _: Env, _: Empty) -> Result<Binary, StdError> {
    to_json_binary(&())
}

#[test]
fn send_nft_calls_the_receiver_and_rolls_back_on_refusal() {
    let mut s = Suite::new();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let code = s.app.store_code(Box::new(ContractWrapper::new(
        receiver_execute,
        receiver_instantiate,
        receiver_query,
    )));
    let receiver = s
        .app
        .instantiate_contract(code, alice.clone(), &Empty {}, &[], "rx", None)
        .unwrap();
    let model = s.publish(&alice, publish_args(10, 0, policy()));
    let k1 = s.buy(&bob, model, 10, false);
    let k2 = s.buy(&bob, model, 10, false);
    let r = s.ok(
        &bob,
        &ExecuteMsg::SendNft {
            contract: receiver.to_string(),
            token_id: k1.to_string(),
            msg: Binary::from(b"hi".to_vec()),
        },
        &[],
    );
    assert!(r.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|a| a.key == "got" && a.value == k1.to_string())));
    assert_eq!(owner_of(&s, k1).unwrap().owner, receiver.to_string());
    let refused = s.exec(
        &bob,
        &ExecuteMsg::SendNft {
            contract: receiver.to_string(),
            token_id: k2.to_string(),
            msg: Binary::from(b"reject".to_vec()),
        },
        &[],
    );
    assert!(refused.is_err());
    assert_eq!(
        owner_of(&s, k2).unwrap().owner,
        bob.to_string(),
        "the refused send is rolled back"
    );
    // The receiver contract holds a family-3 word.
    let word = s.word(&receiver);
    assert_eq!((word[0], word.len()), (3, 33));
}

/// A contract from before purchases wrote five entries: separate serials, key count, lane
/// nonces, vaults and key counts, a tokens index by bech32 owner and local keys under their
/// full field names. Migration gathers them; queries and the next purchase continue as before.
#[test]
fn migration_gathers_the_counters_and_tallies_of_an_older_contract() {
    use crate::msg::LanesResponse;
    use crate::state::{Config, CONFIG, COUNTERS, HOLDINGS, LOCAL_KEYS, MODELS, OWNED, TALLIES};
    use cosmwasm_std::{Empty, Order, Uint128};
    use cw_storage_plus::{Item, Map};
    // The older layout, as those contracts stored it.
    #[derive(serde::Serialize, serde::Deserialize)]
    struct OldKey {
        model: u64,
        owner: Addr,
        expires_at: Option<u64>,
        locked: bool,
        approvals: Vec<crate::state::KeyApproval>,
    }
    const OLD_KEYS: Map<u64, OldKey> = Map::new("keys");
    const OLD_OWNED: Map<(&Addr, u64), Empty> = Map::new("owned");
    const OLD_HOLDINGS: Map<(crate::state::Holder, u64, u64), Empty> = Map::new("holdings");
    let mut s = Suite::new();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let model = s.publish(&alice, publish_args(10, 0, policy()));
    let k1 = s.buy(&bob, model, 10, false);
    let k2 = s.buy(&bob, model, 10, false);
    let lanes_before: LanesResponse = s.q(&QueryMsg::Lanes {}).unwrap();
    {
        let mut st = s.app.contract_storage_mut(&s.contract);
        let c = COUNTERS.load(st.as_ref()).unwrap();
        // The new records are compact JSON arrays.
        assert_eq!(
            st.get(b"c").unwrap(),
            format!("[1,2,2,[[{PEER},5]]]").into_bytes()
        );
        Item::<u32>::new("model_serial")
            .save(st.as_mut(), &c.model_serial)
            .unwrap();
        Item::<u32>::new("key_serial")
            .save(st.as_mut(), &c.key_serial)
            .unwrap();
        Item::<u64>::new("num_keys")
            .save(st.as_mut(), &c.local_keys)
            .unwrap();
        for (dst, n) in &c.outbound {
            Map::<u32, u64>::new("out_nonce")
                .save(st.as_mut(), *dst, n)
                .unwrap();
        }
        COUNTERS.remove(st.as_mut());
        let t = TALLIES.load(st.as_ref(), model).unwrap();
        assert_eq!((t.minted, t.vault.u128()), (2, 20));
        Map::<u64, u64>::new("minted")
            .save(st.as_mut(), model, &t.minted)
            .unwrap();
        Map::<u64, Uint128>::new("vaults")
            .save(st.as_mut(), model, &t.vault)
            .unwrap();
        TALLIES.remove(st.as_mut(), model);
        let owned: Vec<(Vec<u8>, u64)> = OWNED
            .keys(st.as_ref(), None, None, Order::Ascending)
            .collect::<cosmwasm_std::StdResult<_>>()
            .unwrap();
        assert_eq!(owned.len(), 2);
        for (w, k) in owned {
            OWNED.remove(st.as_mut(), (&w, k));
            OLD_OWNED.save(st.as_mut(), (&bob, k), &Empty {}).unwrap();
        }
        for k in [k1, k2] {
            assert!(LOCAL_KEYS.has(st.as_ref(), k));
            let old = OldKey {
                model,
                owner: bob.clone(),
                expires_at: None,
                locked: false,
                approvals: vec![],
            };
            OLD_KEYS.save(st.as_mut(), k, &old).unwrap();
        }
        // The has_access index under its former namespace.
        let held: Vec<_> = HOLDINGS
            .keys(st.as_ref(), None, None, Order::Ascending)
            .collect::<cosmwasm_std::StdResult<_>>()
            .unwrap();
        assert_eq!(held.len(), 2);
        for ((w, m), rank, k) in held {
            HOLDINGS.remove(st.as_mut(), ((&w, m), rank, k));
            OLD_HOLDINGS
                .save(st.as_mut(), ((&w, m), rank, k), &Empty {})
                .unwrap();
        }
        // The configuration and the model under their full field names.
        let cfg = CONFIG.load(st.as_ref()).unwrap();
        Item::<Config>::new("config")
            .save(st.as_mut(), &cfg)
            .unwrap();
        let m = MODELS.load(st.as_ref(), model).unwrap();
        Map::<u64, Model>::new("models")
            .save(st.as_mut(), model, &m)
            .unwrap();
    }
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
    assert_eq!(attr(&r, "gathered_counters"), "true");
    assert_eq!(attr(&r, "moved_tallies"), "2");
    assert_eq!(attr(&r, "rekeyed_owned"), "2");
    assert_eq!(attr(&r, "renamed_holdings"), "2");
    // Nothing of the old layout is left.
    {
        let st = s.app.contract_storage(&s.contract);
        assert_eq!(
            OLD_HOLDINGS
                .keys(st.as_ref(), None, None, Order::Ascending)
                .count(),
            0
        );
        for old in [&b"model_serial"[..], b"key_serial", b"num_keys"] {
            assert!(st.get(old).is_none());
        }
        assert_eq!(
            OLD_OWNED
                .keys(st.as_ref(), None, None, Order::Ascending)
                .count(),
            0
        );
    }
    let lanes: LanesResponse = s.q(&QueryMsg::Lanes {}).unwrap();
    assert_eq!(lanes, lanes_before);
    assert_eq!(s.vault(model), 20);
    let n: NumTokensResponse = s.q(&QueryMsg::NumTokens {}).unwrap();
    assert_eq!(n.count, 2);
    let m: Model = s
        .q(&QueryMsg::Model {
            id: Uint64::new(model),
        })
        .unwrap();
    assert_eq!(m.minted, 2);
    // Keys stored under the full field names still read.
    let o: OwnerOfResponse = s
        .q(&QueryMsg::OwnerOf {
            token_id: k1.to_string(),
            include_expired: None,
        })
        .unwrap();
    assert_eq!(o.owner, bob.to_string());
    // The next purchase continues the serial, the count, the vault and the lane's nonces.
    let r = s.ok(&bob, &buy_msg(model, false), &coins(10, DENOM));
    let k3: u64 = attr(&r, "token_id").parse().unwrap();
    assert_eq!(k3, k2 + 1);
    let h: HasAccessResponse = s
        .q(&QueryMsg::HasAccess {
            model: Uint64::new(model),
            account: Account::Cosmos(bob.to_string()),
        })
        .unwrap();
    assert!(h.access, "bob's holdings survive the migration");
    {
        // The new key is stored compact, its owner as its account word.
        let st = s.app.contract_storage(&s.contract);
        let raw =
            String::from_utf8(st.get(&Map::<u64, Empty>::new("keys").key(k3)).unwrap()).unwrap();
        let word = cosmwasm_std::Binary::from(s.word(&bob)).to_base64();
        assert_eq!(raw, format!(r#"{{"m":{model},"w":"{word}"}}"#));
    }
    let nonces: Vec<String> = r
        .events
        .iter()
        .filter(|e| e.ty == "wasm-hexs_outbound")
        .flat_map(|e| e.attributes.iter().filter(|a| a.key == "nonce"))
        .map(|a| a.value.clone())
        .collect();
    assert_eq!(nonces, vec!["6", "7"]);
    assert_eq!(s.vault(model), 30);
    let bobs: TokensResponse = s
        .q(&QueryMsg::Tokens {
            owner: bob.to_string(),
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(
        bobs.tokens,
        vec![k1.to_string(), k2.to_string(), k3.to_string()]
    );
    // A second migration finds nothing to move.
    let r = s
        .app
        .migrate_contract(admin, contract, &crate::msg::MigrateMsg {}, s.code_id)
        .unwrap();
    assert_eq!(attr(&r, "gathered_counters"), "false");
    assert_eq!(attr(&r, "moved_tallies"), "0");
    assert_eq!(attr(&r, "rekeyed_owned"), "0");
    assert_eq!(attr(&r, "renamed_holdings"), "0");
}

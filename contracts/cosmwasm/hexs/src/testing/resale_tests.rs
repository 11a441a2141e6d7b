//! Resale of keys resident on this chain: listings, offers, and the royalty into the vault.

use cosmwasm_std::{coin, coins, Uint64};
use cw_utils::PaymentError;

use super::*;
use crate::msg::{ListingResponse, ListingsResponse, OffersResponse, OwnerOfResponse, QueryMsg};

const PRICE: u128 = 1_000;
const RESALE_BPS: u16 = 500;

fn resale_args(policy: Policy) -> PublishArgs {
    let mut a = publish_args(PRICE, 0, policy);
    a.royalty.resale_bps = Some(RESALE_BPS);
    a
}

fn list(token: u64, amount: u128) -> ExecuteMsg {
    ExecuteMsg::ListKey {
        token_id: token.to_string(),
        price: coin(amount, DENOM),
    }
}

fn buy_listing(token: u64) -> ExecuteMsg {
    ExecuteMsg::BuyListing {
        token_id: token.to_string(),
    }
}

fn owner(s: &Suite, token: u64) -> String {
    s.q::<OwnerOfResponse>(&QueryMsg::OwnerOf {
        token_id: token.to_string(),
        include_expired: Some(true),
    })
    .unwrap()
    .owner
}

fn listing(s: &Suite, token: u64) -> Option<ListingResponse> {
    s.q(&QueryMsg::Listing {
        token_id: token.to_string(),
    })
    .unwrap()
}

fn contract_balance(s: &Suite) -> u128 {
    let c = s.contract.clone();
    s.balance(&c)
}

/// Values of the attributes of the first wasm event of type `ty`.
fn event(r: &AppResponse, ty: &str) -> Vec<(String, String)> {
    r.events
        .iter()
        .find(|e| e.ty == format!("wasm-{ty}"))
        .unwrap_or_else(|| panic!("no event {ty}"))
        .attributes
        .iter()
        .map(|a| (a.key.clone(), a.value.clone()))
        .collect()
}

fn ev(attrs: &[(String, String)], key: &str) -> String {
    attrs.iter().find(|(k, _)| k == key).unwrap().1.clone()
}

/// alice publishes a root model, dave a fork of it with a resale royalty; bob buys a key of
/// the fork. Returns (root, fork, key).
fn setup(s: &mut Suite, policy: Policy) -> (u64, u64, u64) {
    let (alice, bob, dave) = (s.alice.clone(), s.bob.clone(), s.dave.clone());
    let root = s.publish(&alice, publish_args(PRICE, 0, super::policy()));
    let fork = s.fork(&dave, root, resale_args(policy));
    let key = s.buy(&bob, fork, PRICE, false);
    (root, fork, key)
}

#[test]
fn list_and_buy_pays_the_royalty_into_the_vault_credits_the_seller_and_moves_the_key() {
    let mut s = Suite::new();
    let (bob, carol) = (s.bob.clone(), s.carol.clone());
    let (root, fork, key) = setup(&mut s, policy());
    let r = s.ok(&bob, &list(key, 10_000), &[]);
    let listed = event(&r, "hexs_listed");
    assert_eq!(ev(&listed, "token_id"), key.to_string());
    assert_eq!(ev(&listed, "seller"), bob.to_string());
    assert_eq!(ev(&listed, "price"), "10000");
    let l = listing(&s, key).unwrap();
    assert!(l.fillable);
    assert_eq!(
        (l.seller.as_str(), l.price.clone()),
        (bob.as_str(), coin(10_000, DENOM))
    );
    let all: ListingsResponse = s
        .q(&QueryMsg::Listings {
            model: Uint64::new(fork),
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(all.listings, vec![l]);

    let (vault, held) = (s.vault(fork), contract_balance(&s));
    assert_eq!(vault, PRICE, "the primary sale");
    let r = s.ok(&carol, &buy_listing(key), &coins(10_000, DENOM));
    // 5 % of 10_000 into the fork's vault, the rest to bob as a pull payment.
    assert_eq!(s.vault(fork), PRICE + 500);
    assert_eq!(s.claimable(&s.word(&bob)), 9_500);
    assert_eq!(contract_balance(&s), held + 10_000);
    assert_eq!(s.balance(&carol), START - 10_000);
    assert_eq!(owner(&s, key), carol.to_string());
    assert_eq!(listing(&s, key), None);
    let filled = event(&r, "hexs_resale_filled");
    assert_eq!(ev(&filled, "royalty"), "500");
    assert_eq!(ev(&filled, "buyer"), carol.to_string());
    assert_eq!(ev(&filled, "seller"), bob.to_string());
    assert_eq!(ev(&filled, "via"), "listing");
    // The key moved through the transfer path: journaled for peers and the lease service.
    let out = outbound(&r);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, "KeyTransferred");
    match codec::decode(&out[0].2).unwrap().body {
        codec::Body::KeyTransferred(k) => {
            assert_eq!((k.key_id, k.model_id), (key, fork));
            let account = |w: Vec<u8>| codec::Account::from_parts(w[0], &w[1..]).unwrap();
            assert_eq!(k.from, account(s.word(&bob)));
            assert_eq!(k.to, account(s.word(&carol)));
        }
        other => panic!("unexpected {other:?}"),
    }
    // The royalty is split up the lineage like the primary sale: 10 % to the parent's vault.
    let parent_before = s.vault(root);
    s.settle(&carol, fork);
    assert_eq!(s.vault(root), parent_before + (PRICE + 500) / 10);
    // bob pulls his proceeds.
    s.ok(&bob, &ExecuteMsg::Claim { payee: None }, &[]);
    assert_eq!(s.balance(&bob), START - PRICE + 9_500);
}

#[test]
fn wrong_funds_are_refused_and_nothing_moves() {
    let mut s = Suite::new();
    let (bob, carol) = (s.bob.clone(), s.carol.clone());
    let (_, fork, key) = setup(&mut s, policy());
    s.ok(&bob, &list(key, 10_000), &[]);
    let c = carol.clone();
    s.app.init_modules(|router, _, storage| {
        router
            .bank
            .init_balance(storage, &c, vec![coin(START, DENOM), coin(START, "uatom")])
            .unwrap();
    });
    let (vault, held) = (s.vault(fork), contract_balance(&s));
    for amount in [9_999u128, 10_001] {
        assert_eq!(
            s.err(&carol, &buy_listing(key), &coins(amount, DENOM)),
            ContractError::WrongAmount {
                expected: Uint128::new(10_000),
                got: Uint128::new(amount),
                denom: DENOM.into(),
            }
        );
    }
    assert_eq!(
        s.err(&carol, &buy_listing(key), &coins(10_000, "uatom")),
        ContractError::Payment(PaymentError::MissingDenom(DENOM.into()))
    );
    assert_eq!(
        s.err(
            &carol,
            &buy_listing(key),
            &[coin(10_000, DENOM), coin(1, "uatom")]
        ),
        ContractError::Payment(PaymentError::MultipleDenoms {})
    );
    assert_eq!(
        s.err(&carol, &buy_listing(key), &[]),
        ContractError::Payment(PaymentError::NoFunds {})
    );
    assert_eq!(s.balance(&carol), START);
    assert_eq!(owner(&s, key), bob.to_string());
    assert_eq!((s.vault(fork), contract_balance(&s)), (vault, held));
    assert_eq!(s.claimable(&s.word(&bob)), 0);
    assert!(listing(&s, key).unwrap().fillable);
    // The seller cannot buy its own listing.
    assert_eq!(
        s.err(&bob, &buy_listing(key), &coins(10_000, DENOM)),
        ContractError::OwnKey { id: key }
    );
    // Listing terms: this chain's denom only, above zero.
    assert_eq!(
        s.err(
            &bob,
            &ExecuteMsg::ListKey {
                token_id: key.to_string(),
                price: coin(5, "uatom"),
            },
            &[]
        ),
        ContractError::ResaleDenomUnsupported {
            denom: "uatom".into(),
            expected: DENOM.into(),
        }
    );
    assert_eq!(
        s.err(&bob, &list(key, 0), &[]),
        ContractError::ZeroListingPrice { id: key }
    );
    // Funds sent with a listing would be stuck: refused.
    assert_eq!(
        s.err(&bob, &list(key, 5), &coins(5, DENOM)),
        ContractError::Payment(PaymentError::NonPayable {})
    );
    assert_eq!(listing(&s, key).unwrap().price, coin(10_000, DENOM));
}

#[test]
fn only_the_holder_or_its_approved_spender_lists() {
    let mut s = Suite::new();
    let (bob, carol, dave) = (s.bob.clone(), s.carol.clone(), s.dave.clone());
    let (_, _, key) = setup(&mut s, policy());
    assert_eq!(
        s.err(&carol, &list(key, 10), &[]),
        ContractError::Unauthorized {
            role: format!("the owner of key {key} or an approved spender"),
        }
    );
    assert_eq!(listing(&s, key), None);
    // An approved spender lists for the holder: the holder is the seller.
    s.ok(
        &bob,
        &ExecuteMsg::Approve {
            spender: carol.to_string(),
            token_id: key.to_string(),
            expires: None,
        },
        &[],
    );
    s.ok(&carol, &list(key, 10), &[]);
    assert_eq!(listing(&s, key).unwrap().seller, bob.to_string());
    // A stranger cannot cancel it.
    assert_eq!(
        s.err(
            &dave,
            &ExecuteMsg::CancelListing {
                token_id: key.to_string()
            },
            &[]
        ),
        ContractError::Unauthorized {
            role: format!("the seller of key {key} or whoever may transfer it"),
        }
    );
    assert!(listing(&s, key).is_some());
}

#[test]
fn soulbound_expired_and_unroyaltied_keys_cannot_be_listed() {
    let mut s = Suite::new();
    let (alice, bob, carol) = (s.alice.clone(), s.bob.clone(), s.carol.clone());
    let soulbound = Policy {
        soulbound: true,
        ..policy()
    };
    let (_, _, locked) = setup(&mut s, soulbound);
    assert_eq!(
        s.err(&bob, &list(locked, 10), &[]),
        ContractError::Soulbound { id: locked }
    );
    assert_eq!(
        s.err(
            &carol,
            &ExecuteMsg::MakeOffer {
                token_id: locked.to_string(),
                expires_at: None,
            },
            &coins(10, DENOM)
        ),
        ContractError::Soulbound { id: locked }
    );
    assert_eq!(s.balance(&carol), START);

    // A model without a resale royalty (published without one, or mirrored): not listable.
    let plain = s.publish(&alice, publish_args(PRICE, 0, policy()));
    let key = s.buy(&bob, plain, PRICE, false);
    assert_eq!(
        s.err(&bob, &list(key, 10), &[]),
        ContractError::ResaleRoyaltyUnset {
            model: plain,
            id: key
        }
    );
    // The royalty is capped as on EVM.
    let mut too_high = resale_args(policy());
    too_high.royalty.resale_bps = Some(2_501);
    assert_eq!(
        s.err(&alice, &ExecuteMsg::Publish(too_high), &[]),
        ContractError::RoyaltyTooHigh {
            field: "resale_bps".into(),
            bps: 2_501,
            max: 2_500,
        }
    );

    // An expiring key: listed while live, then neither listable nor sold once expired.
    let expiring = Policy {
        key_lifetime_secs: Some(100),
        ..policy()
    };
    let model = s.publish(&alice, resale_args(expiring));
    let key = s.buy(&bob, model, PRICE, false);
    s.ok(&bob, &list(key, 10), &[]);
    s.app.update_block(|b| b.time = b.time.plus_seconds(100));
    let expired_at = s.app.block_info().time.seconds();
    assert_eq!(
        s.err(&carol, &buy_listing(key), &coins(10, DENOM)),
        ContractError::KeyExpired {
            id: key,
            expired_at
        }
    );
    assert_eq!(
        s.err(&bob, &list(key, 20), &[]),
        ContractError::KeyExpired {
            id: key,
            expired_at
        }
    );
    assert!(!listing(&s, key).unwrap().fillable);
    assert_eq!(owner(&s, key), bob.to_string());
    assert_eq!(s.balance(&carol), START);
}

#[test]
fn a_cancelled_listing_cannot_be_bought() {
    let mut s = Suite::new();
    let (bob, carol) = (s.bob.clone(), s.carol.clone());
    let (_, fork, key) = setup(&mut s, policy());
    s.ok(&bob, &list(key, 10), &[]);
    let r = s.ok(
        &bob,
        &ExecuteMsg::CancelListing {
            token_id: key.to_string(),
        },
        &[],
    );
    assert_eq!(
        ev(&event(&r, "hexs_listing_cancelled"), "seller"),
        bob.to_string()
    );
    assert_eq!(listing(&s, key), None);
    let vault = s.vault(fork);
    assert_eq!(
        s.err(&carol, &buy_listing(key), &coins(10, DENOM)),
        ContractError::NotListed { id: key }
    );
    assert_eq!(
        s.err(
            &bob,
            &ExecuteMsg::CancelListing {
                token_id: key.to_string()
            },
            &[]
        ),
        ContractError::NotListed { id: key }
    );
    assert_eq!((s.balance(&carol), s.vault(fork)), (START, vault));
    assert_eq!(owner(&s, key), bob.to_string());
}

#[test]
fn a_transfer_or_burn_after_listing_voids_it() {
    let mut s = Suite::new();
    let (bob, carol, dave) = (s.bob.clone(), s.carol.clone(), s.dave.clone());
    let (_, fork, key) = setup(&mut s, policy());
    s.ok(&bob, &list(key, 10), &[]);
    s.ok(
        &bob,
        &ExecuteMsg::TransferNft {
            recipient: dave.to_string(),
            token_id: key.to_string(),
        },
        &[],
    );
    assert!(!listing(&s, key).unwrap().fillable);
    let (vault, held) = (s.vault(fork), contract_balance(&s));
    assert_eq!(
        s.err(&carol, &buy_listing(key), &coins(10, DENOM)),
        ContractError::ListingStale {
            id: key,
            seller: bob.to_string(),
            holder: dave.to_string(),
        }
    );
    assert_eq!(s.balance(&carol), START, "the buyer's funds are returned");
    assert_eq!((s.vault(fork), contract_balance(&s)), (vault, held));
    assert_eq!(s.claimable(&s.word(&bob)), 0);
    assert_eq!(owner(&s, key), dave.to_string());
    // The new holder clears the void listing and lists the key itself.
    s.ok(
        &dave,
        &ExecuteMsg::CancelListing {
            token_id: key.to_string(),
        },
        &[],
    );
    s.ok(&dave, &list(key, 20), &[]);
    // Burned after listing: void too.
    s.ok(
        &dave,
        &ExecuteMsg::Burn {
            token_id: key.to_string(),
        },
        &[],
    );
    assert_eq!(
        s.err(&carol, &buy_listing(key), &coins(20, DENOM)),
        ContractError::ListingStale {
            id: key,
            seller: dave.to_string(),
            holder: "burned".into(),
        }
    );
    assert_eq!(s.balance(&carol), START);
}

fn offers(s: &Suite, key: u64) -> OffersResponse {
    s.q(&QueryMsg::Offers {
        token_id: key.to_string(),
        start_after: None,
        limit: None,
    })
    .unwrap()
}

#[test]
fn offers_escrow_funds_until_accepted_or_cancelled() {
    let mut s = Suite::new();
    let (bob, carol, dave, alice) = (
        s.bob.clone(),
        s.carol.clone(),
        s.dave.clone(),
        s.alice.clone(),
    );
    let (_, fork, key) = setup(&mut s, policy());
    s.ok(&bob, &list(key, 10_000), &[]);
    let make = ExecuteMsg::MakeOffer {
        token_id: key.to_string(),
        expires_at: None,
    };
    let held = contract_balance(&s);
    let r = s.ok(&carol, &make, &coins(5_000, DENOM));
    assert_eq!(ev(&event(&r, "hexs_offer_made"), "amount"), "5000");
    s.ok(&dave, &make, &coins(6_000, DENOM));
    assert_eq!(contract_balance(&s), held + 11_000);
    assert_eq!(
        s.err(&carol, &make, &coins(1, DENOM)),
        ContractError::OfferExists {
            id: key,
            bidder: carol.to_string(),
        }
    );
    assert_eq!(
        s.err(&bob, &make, &coins(1, DENOM)),
        ContractError::OwnKey { id: key }
    );
    assert_eq!(
        s.err(&alice, &make, &[]),
        ContractError::Payment(PaymentError::NoFunds {})
    );
    assert_eq!(s.balance(&carol), START - 5_000);
    let all = offers(&s, key);
    assert_eq!(all.offers.len(), 2);
    assert!(all
        .offers
        .iter()
        .any(|o| o.bidder == carol.to_string() && o.amount == coin(5_000, DENOM)));

    let accept = |bidder: &Addr| ExecuteMsg::AcceptOffer {
        token_id: key.to_string(),
        bidder: bidder.to_string(),
    };
    // Only whoever may transfer the key accepts, and only an existing offer.
    assert_eq!(
        s.err(&carol, &accept(&dave), &[]),
        ContractError::Unauthorized {
            role: format!("the owner of key {key} or an approved spender"),
        }
    );
    assert_eq!(
        s.err(&bob, &accept(&alice), &[]),
        ContractError::NoOffer {
            id: key,
            bidder: alice.to_string(),
        }
    );
    let vault = s.vault(fork);
    let r = s.ok(&bob, &accept(&carol), &[]);
    assert_eq!(s.vault(fork), vault + 250);
    assert_eq!(s.claimable(&s.word(&bob)), 4_750);
    assert_eq!(owner(&s, key), carol.to_string());
    assert_eq!(listing(&s, key), None, "the listing goes with the key");
    assert_eq!(ev(&event(&r, "hexs_resale_filled"), "via"), "offer");
    assert_eq!(outbound(&r)[0].0, "KeyTransferred");
    assert_eq!(offers(&s, key).offers.len(), 1);
    // dave takes his offer back.
    let cancel = ExecuteMsg::CancelOffer {
        token_id: key.to_string(),
    };
    s.ok(&dave, &cancel, &[]);
    assert_eq!(s.balance(&dave), START);
    assert_eq!(
        s.err(&dave, &cancel, &[]),
        ContractError::NoOffer {
            id: key,
            bidder: dave.to_string(),
        }
    );
    assert!(offers(&s, key).offers.is_empty());
    // Everything received is accounted for: the vault's royalty and bob's credit.
    assert_eq!(contract_balance(&s), held + 5_000);
}

#[test]
fn withdrawals_stay_open_while_paused() {
    let mut s = Suite::new();
    let (admin, bob, carol) = (s.admin.clone(), s.bob.clone(), s.carol.clone());
    let (_, _, key) = setup(&mut s, policy());
    s.ok(&bob, &list(key, 10), &[]);
    s.ok(
        &carol,
        &ExecuteMsg::MakeOffer {
            token_id: key.to_string(),
            expires_at: None,
        },
        &coins(7, DENOM),
    );
    s.ok(&admin, &ExecuteMsg::SetPaused { paused: true }, &[]);
    assert_eq!(
        s.err(&carol, &buy_listing(key), &coins(10, DENOM)),
        ContractError::Paused
    );
    s.ok(
        &carol,
        &ExecuteMsg::CancelOffer {
            token_id: key.to_string(),
        },
        &[],
    );
    assert_eq!(s.balance(&carol), START);
    s.ok(
        &bob,
        &ExecuteMsg::CancelListing {
            token_id: key.to_string(),
        },
        &[],
    );
    assert_eq!(listing(&s, key), None);
}

fn set_resale_bps(model: u64, bps: u16) -> ExecuteMsg {
    ExecuteMsg::UpdateModel {
        model: Uint64::new(model),
        price: None,
        deploy_price: None,
        content: None,
        sdl_uri: None,
        resale_bps: Some(bps),
    }
}

fn model_resale_bps(s: &Suite, model: u64) -> Option<u16> {
    s.q::<crate::state::Model>(&QueryMsg::Model {
        id: Uint64::new(model),
    })
    .unwrap()
    .royalty
    .resale_bps
}

#[test]
fn the_creator_sets_and_changes_the_resale_rate_after_publishing() {
    let mut s = Suite::new();
    let (alice, bob, carol) = (s.alice.clone(), s.bob.clone(), s.carol.clone());
    // alice's root model is published without a resale rate: its keys cannot be listed.
    let (root, _, _) = setup(&mut s, policy());
    let key = s.buy(&bob, root, PRICE, false);
    assert_eq!(
        s.err(&bob, &list(key, 10_000), &[]),
        ContractError::ResaleRoyaltyUnset {
            model: root,
            id: key
        }
    );
    // Only the creator sets it, and only up to the cap; a refusal changes nothing.
    assert_eq!(
        s.err(&bob, &set_resale_bps(root, 100), &[]),
        ContractError::Unauthorized {
            role: format!("the creator of model {root}"),
        }
    );
    assert_eq!(
        s.err(&alice, &set_resale_bps(root, 2_501), &[]),
        ContractError::RoyaltyTooHigh {
            field: "resale_bps".into(),
            bps: 2_501,
            max: 2_500,
        }
    );
    assert_eq!(model_resale_bps(&s, root), None);
    let r = s.ok(&alice, &set_resale_bps(root, 1_000), &[]);
    assert_eq!(attr(&r, "resale_bps"), "1000");
    assert_eq!(model_resale_bps(&s, root), Some(1_000));
    // The price is left alone.
    let m: crate::state::Model = s
        .q(&QueryMsg::Model {
            id: Uint64::new(root),
        })
        .unwrap();
    assert_eq!(m.price.u128(), PRICE);
    assert!(outbound(&r).is_empty(), "a local rate is not sent to peers");

    s.ok(&bob, &list(key, 10_000), &[]);
    assert!(listing(&s, key).unwrap().fillable);
    // A change applies to fills from then on, listed ones included.
    s.ok(&alice, &set_resale_bps(root, 2_500), &[]);
    let vault = s.vault(root);
    s.ok(&carol, &buy_listing(key), &coins(10_000, DENOM));
    assert_eq!(s.vault(root), vault + 2_500);
    assert_eq!(s.claimable(&s.word(&bob)), 7_500);
    assert_eq!(owner(&s, key), carol.to_string());
}

#[test]
fn a_mirrored_models_resale_rate_is_set_only_by_its_home_chain() {
    let mut s = Suite::new();
    let dave = s.dave.clone();
    // A model of a Cosmos creator (dave) mirrored from its EVM home.
    const M2: u64 = ((EVM_CHAIN as u64) << 32) | 2;
    s.receive(
        &[inbound(
            EVM_CHAIN,
            1,
            model_registered(M2, 0, codec::Account::Cosmos([0xdd; 20])),
        )],
        &[0, 1],
    )
    .unwrap();
    assert_eq!(
        s.err(&dave, &set_resale_bps(M2, 500), &[]),
        ContractError::InvalidModel {
            reason: format!(
                "resale_bps of model {M2} can only be set on its home chain {EVM_CHAIN}"
            ),
        }
    );
    // The mirror keeps the rate its home chain registered it with (model_registered: 300).
    assert_eq!(model_resale_bps(&s, M2), Some(300));
}

#[test]
fn an_expired_offer_cannot_be_accepted_but_its_bidder_takes_it_back() {
    let mut s = Suite::new();
    let (bob, carol, dave) = (s.bob.clone(), s.carol.clone(), s.dave.clone());
    let (_, fork, key) = setup(&mut s, policy());
    let now = s.app.block_info().time.seconds();
    let make = |at: u64| ExecuteMsg::MakeOffer {
        token_id: key.to_string(),
        expires_at: Some(at),
    };
    // An expiry must be in the future.
    assert_eq!(
        s.err(&carol, &make(now), &coins(5_000, DENOM)),
        ContractError::Expired
    );
    assert_eq!(s.balance(&carol), START);
    let held = contract_balance(&s);
    let r = s.ok(&carol, &make(now + 100), &coins(5_000, DENOM));
    assert_eq!(
        ev(&event(&r, "hexs_offer_made"), "expires_at"),
        (now + 100).to_string()
    );
    s.ok(&dave, &make(now + 1_000), &coins(6_000, DENOM));
    let all = offers(&s, key);
    let carols = all
        .offers
        .iter()
        .find(|o| o.bidder == carol.to_string())
        .unwrap();
    assert_eq!(carols.expires_at, Some(now + 100));

    // At its expiry the offer can no longer be accepted: nothing moves.
    s.app.update_block(|b| b.time = b.time.plus_seconds(100));
    let accept = |bidder: &Addr| ExecuteMsg::AcceptOffer {
        token_id: key.to_string(),
        bidder: bidder.to_string(),
    };
    let vault = s.vault(fork);
    assert_eq!(
        s.err(&bob, &accept(&carol), &[]),
        ContractError::OfferExpired {
            id: key,
            bidder: carol.to_string(),
            expired_at: now + 100,
        }
    );
    assert_eq!(owner(&s, key), bob.to_string());
    assert_eq!(s.vault(fork), vault);
    assert_eq!(contract_balance(&s), held + 11_000);
    assert_eq!(offers(&s, key).offers.len(), 2);
    // The bidder still takes it back.
    s.ok(
        &carol,
        &ExecuteMsg::CancelOffer {
            token_id: key.to_string(),
        },
        &[],
    );
    assert_eq!(s.balance(&carol), START);
    // dave's offer, not expired yet, is accepted.
    s.ok(&bob, &accept(&dave), &[]);
    assert_eq!(owner(&s, key), dave.to_string());
    assert_eq!(s.vault(fork), vault + 300);
    assert_eq!(s.claimable(&s.word(&bob)), 5_700);
}

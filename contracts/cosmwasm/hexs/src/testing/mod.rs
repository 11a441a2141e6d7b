//! cw-multi-test integration tests. `Suite` builds a chain with funded users, three relayer
//! keys (2-of-3) and one instantiated contract, so each test reads like its scenario.

mod admin_tests;
mod binding_tests;
mod key_tests;
mod lane_tests;
mod mirror_tests;
mod model_tests;
mod price_order_tests;
mod remote_resale_tests;
mod resale_tests;
mod royalty_tests;
mod vector_tests;

use cosmwasm_std::{
    coins, Addr, Api, CanonicalAddr, Coin, Empty, HexBinary, StdResult, Uint128, Uint64,
};
use cw_multi_test::{App, AppBuilder, AppResponse, Contract, ContractWrapper, Executor};
use hexs_codec as codec;
use k256::ecdsa::{signature::hazmat::PrehashSigner, Signature, SigningKey};
use serde::de::DeserializeOwned;

use crate::account::word_of_canonical;
use crate::contract::{execute, instantiate, migrate, query};
use crate::error::ContractError;
use crate::msg::{BatchSignature, ExecuteMsg, InstantiateMsg, PublishArgs, QueryMsg};
use crate::state::{Config, PeerBinding, Policy, Royalty};

pub const DENOM: &str = "ucosm";
pub const CHAIN: u32 = 100;
pub const PEER: u32 = 1;
pub const EVM_CHAIN: u32 = 1;
/// The Akash lane: lease reports only.
pub const AKASH: u32 = 900;
pub const START: u128 = 1_000_000_000;
/// The EVM peer's contract that accepts payout bindings (their EIP-712 verifyingContract).
pub const EVM_HUB: [u8; 20] = [0x4b; 20];
/// EVM chain id of the EVM peer (the EIP-712 domain's chainId).
pub const EVM_CHAIN_ID: u64 = 31_337;

pub fn contract_code() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(execute, instantiate, query).with_migrate(migrate))
}

pub fn policy() -> Policy {
    Policy {
        soulbound: false,
        key_lifetime_secs: None,
        max_supply: None,
        allowlist_only: false,
        forkable: true,
    }
}

pub fn publish_args(price: u128, deploy_price: u128, policy: Policy) -> PublishArgs {
    PublishArgs {
        content: HexBinary::from([7u8; 32].to_vec()),
        sdl_uri: "ipfs://sdl".into(),
        price: Uint128::new(price),
        deploy_price: Uint128::new(deploy_price),
        policy,
        royalty: Royalty {
            fork_royalty_bps: 1_000,
            dao_bps: 0,
            resale_bps: None,
        },
        dao: None,
    }
}

pub struct Suite {
    pub app: App,
    pub code_id: u64,
    pub contract: Addr,
    pub admin: Addr,
    pub alice: Addr,
    pub bob: Addr,
    pub carol: Addr,
    /// A 20-byte (family 2) account, as on a real Cosmos chain.
    pub dave: Addr,
    pub treasury: Addr,
    pub operator: Addr,
    pub relayers: Vec<SigningKey>,
}

pub fn relayer_key(i: u8) -> SigningKey {
    SigningKey::from_slice(&[i + 1; 32]).unwrap()
}

pub fn pubkey(k: &SigningKey) -> HexBinary {
    HexBinary::from(k.verifying_key().to_encoded_point(true).as_bytes().to_vec())
}

pub fn sign(k: &SigningKey, digest: &[u8; 32]) -> HexBinary {
    let sig: Signature = k.sign_prehash(digest).unwrap();
    HexBinary::from(sig.to_bytes().to_vec())
}

impl Suite {
    pub fn new() -> Self {
        let mut app = AppBuilder::new().build(|_, _, _| {});
        let api = app.api();
        let names = ["admin", "alice", "bob", "carol", "treasury", "operator"];
        let addrs: Vec<Addr> = names.iter().map(|n| api.addr_make(n)).collect();
        let dave = api
            .addr_humanize(&CanonicalAddr::from(vec![0xdd; 20]))
            .unwrap();
        app.init_modules(|router, _, storage| {
            for a in addrs.iter().chain([&dave]) {
                router
                    .bank
                    .init_balance(storage, a, coins(START, DENOM))
                    .unwrap();
            }
        });
        let code_id = app.store_code(contract_code());
        let relayers: Vec<SigningKey> = (0..3).map(relayer_key).collect();
        let mut s = Suite {
            app,
            code_id,
            contract: Addr::unchecked(""),
            admin: addrs[0].clone(),
            alice: addrs[1].clone(),
            bob: addrs[2].clone(),
            carol: addrs[3].clone(),
            dave,
            treasury: addrs[4].clone(),
            operator: addrs[5].clone(),
            relayers,
        };
        let msg = s.instantiate_msg();
        s.contract = s
            .app
            .instantiate_contract(
                code_id,
                s.admin.clone(),
                &msg,
                &[],
                "hexs",
                Some(s.admin.to_string()),
            )
            .unwrap();
        s
    }

    pub fn instantiate_msg(&self) -> InstantiateMsg {
        InstantiateMsg {
            config: Config {
                chain_id: CHAIN,
                admin: self.admin.clone(),
                denom: DENOM.into(),
                protocol_fee_bps: 100,
                fee_collector: self.word(&self.treasury).into(),
                deploy_payee: self.word(&self.operator).into(),
                escrow_timeout_secs: 3_600,
                peers: vec![PEER],
                max_batch: 100,
                akash_lane: AKASH,
                paused: false,
                devnet: false,
                peer_bindings: vec![PeerBinding {
                    chain: EVM_CHAIN,
                    verifying_contract: Some(HexBinary::from(&EVM_HUB)),
                    bech32_prefix: None,
                }],
                name: "Hexs keys".into(),
                symbol: "HEXS".into(),
            },
            relayers: self.relayers.iter().map(pubkey).collect(),
            threshold: 2,
        }
    }

    pub fn word(&self, a: &Addr) -> Vec<u8> {
        word_of_canonical(&self.app.api().addr_canonicalize(a.as_str()).unwrap()).unwrap()
    }

    pub fn exec(
        &mut self,
        sender: &Addr,
        msg: &ExecuteMsg,
        funds: &[Coin],
    ) -> anyhow::Result<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.contract.clone(), msg, funds)
    }

    pub fn ok(&mut self, sender: &Addr, msg: &ExecuteMsg, funds: &[Coin]) -> AppResponse {
        self.exec(sender, msg, funds).unwrap()
    }

    pub fn err(&mut self, sender: &Addr, msg: &ExecuteMsg, funds: &[Coin]) -> ContractError {
        let e = self
            .exec(sender, msg, funds)
            .expect_err("expected the contract to refuse");
        e.downcast::<ContractError>().expect("a ContractError")
    }

    pub fn q<T: DeserializeOwned>(&self, msg: &QueryMsg) -> StdResult<T> {
        self.app.wrap().query_wasm_smart(self.contract.clone(), msg)
    }

    pub fn balance(&self, a: &Addr) -> u128 {
        self.app
            .wrap()
            .query_balance(a, DENOM)
            .unwrap()
            .amount
            .u128()
    }

    pub fn publish(&mut self, creator: &Addr, args: PublishArgs) -> u64 {
        let r = self.ok(&creator.clone(), &ExecuteMsg::Publish(args), &[]);
        attr(&r, "model").parse().unwrap()
    }

    pub fn fork(&mut self, creator: &Addr, parent: u64, args: PublishArgs) -> u64 {
        let msg = ExecuteMsg::Fork {
            parent: Uint64::new(parent),
            parent_content: HexBinary::from([7u8; 32].to_vec()),
            model: args,
        };
        let r = self.ok(&creator.clone(), &msg, &[]);
        attr(&r, "model").parse().unwrap()
    }

    pub fn buy(&mut self, buyer: &Addr, model: u64, amount: u128, with_deployment: bool) -> u64 {
        let msg = ExecuteMsg::BuyKey {
            model: Uint64::new(model),
            recipient: None,
            with_deployment,
        };
        let r = self.ok(&buyer.clone(), &msg, &coins(amount, DENOM));
        attr(&r, "token_id").parse().unwrap()
    }

    pub fn vault(&self, model: u64) -> u128 {
        self.q::<Uint128>(&QueryMsg::Vault {
            model: Uint64::new(model),
        })
        .unwrap()
        .u128()
    }

    pub fn claimable(&self, word: &[u8]) -> u128 {
        self.q::<Uint128>(&QueryMsg::Claimable {
            payee: crate::account::Account::Word(word.to_vec().into()),
        })
        .unwrap()
        .u128()
    }

    /// Signs the batch root of `messages` with the relayers at `signers`.
    pub fn signatures(&self, messages: &[Vec<u8>], signers: &[usize]) -> Vec<BatchSignature> {
        let hex: Vec<HexBinary> = messages
            .iter()
            .map(|m| HexBinary::from(m.clone()))
            .collect();
        // A batch the contract will refuse still gets (meaningless) signatures.
        let root = crate::mirror::prepare_batch(CHAIN, &hex)
            .map(|p| p.root)
            .unwrap_or([0u8; 32]);
        signers
            .iter()
            .map(|&i| BatchSignature {
                pubkey: pubkey(&self.relayers[i]),
                signature: sign(&self.relayers[i], &root),
            })
            .collect()
    }

    pub fn receive(
        &mut self,
        messages: &[Vec<u8>],
        signers: &[usize],
    ) -> anyhow::Result<AppResponse> {
        let signatures = self.signatures(messages, signers);
        let msg = ExecuteMsg::ReceiveBatch {
            messages: messages
                .iter()
                .map(|m| HexBinary::from(m.clone()))
                .collect(),
            signatures,
        };
        let sender = self.carol.clone();
        self.exec(&sender, &msg, &[])
    }

    /// Delivers a batch that must be accepted and returns the messages it refused, as
    /// (index in the batch, reason); the lane moves past all of them.
    pub fn receive_refused(
        &mut self,
        messages: &[Vec<u8>],
        signers: &[usize],
    ) -> Vec<(usize, String)> {
        let first = codec::decode(&messages[0]).unwrap().nonce;
        let r = self.receive(messages, signers).unwrap();
        r.events
            .iter()
            .filter(|e| e.ty == "wasm-hexs_inbound_refused")
            .map(|e| {
                let get = |k: &str| {
                    e.attributes
                        .iter()
                        .find(|a| a.key == k)
                        .map(|a| a.value.clone())
                        .unwrap()
                };
                let nonce: u64 = get("nonce").parse().unwrap();
                ((nonce - first) as usize, get("reason"))
            })
            .collect()
    }

    /// Governance sets the peers' payout-binding verifiers (contract or bech32 prefix).
    pub fn set_peer_bindings(&mut self, bindings: Vec<PeerBinding>) {
        let admin = self.admin.clone();
        self.ok(&admin, &peer_bindings_update(bindings), &[]);
    }

    /// Anyone settles `model`'s vault one lineage level up.
    pub fn settle(&mut self, sender: &Addr, model: u64) {
        self.ok(
            sender,
            &ExecuteMsg::Settle {
                model: Uint64::new(model),
            },
            &[],
        );
    }

    /// `sender` triggers the claim of `payee`'s credit.
    pub fn claim_for(&mut self, sender: &Addr, payee: crate::account::Account) -> AppResponse {
        self.ok(sender, &ExecuteMsg::Claim { payee: Some(payee) }, &[])
    }

    /// Governance connects one more peer lane.
    pub fn add_peer(&mut self, chain: u32) {
        let cfg: crate::msg::ConfigResponse = self.q(&QueryMsg::Config {}).unwrap();
        let mut peers = cfg.config.peers;
        peers.push(chain);
        let admin = self.admin.clone();
        self.ok(
            &admin,
            &ExecuteMsg::UpdateConfig {
                protocol_fee_bps: None,
                fee_collector: None,
                deploy_payee: None,
                escrow_timeout_secs: None,
                peers: Some(peers),
                max_batch: None,
                akash_lane: None,
                peer_bindings: None,
            },
            &[],
        );
    }

    pub fn receive_err(&mut self, messages: &[Vec<u8>], signers: &[usize]) -> ContractError {
        self.receive(messages, signers)
            .expect_err("expected refusal")
            .downcast()
            .unwrap()
    }
}

/// Encodes a message on the lane `src` -> this chain.
pub fn inbound(src: u32, nonce: u64, body: codec::Body) -> Vec<u8> {
    codec::encode(&codec::Message {
        src_chain: src,
        dst_chain: CHAIN,
        nonce,
        body,
    })
    .unwrap()
}

pub fn evm(byte: u8) -> codec::Account {
    codec::Account::Evm([byte; 20])
}

pub fn evm_word(byte: u8) -> Vec<u8> {
    let mut w = vec![1u8];
    w.extend_from_slice(&[byte; 20]);
    w
}

pub fn model_registered(id: u64, parent: u64, creator: codec::Account) -> codec::Body {
    codec::Body::ModelRegistered(codec::ModelRegistered {
        model_id: id,
        parent_id: parent,
        creator,
        content_commitment: [9u8; 32],
        parent_commitment: if parent == 0 { [0u8; 32] } else { [9u8; 32] },
        soulbound: false,
        forkable: true,
        key_duration: 0,
        upstream_bps: if parent == 0 { 0 } else { 1_000 },
        dao_bps: 0,
        fork_royalty_bps: 2_000,
        resale_royalty_bps: 300,
        sdl_locator: "ipfs://evm-model".into(),
        metadata_uri: String::new(),
    })
}

pub fn key_minted(model: u64, key: u64, owner: codec::Account, expires_at: u64) -> codec::Body {
    codec::Body::KeyMinted(codec::KeyMinted {
        model_id: model,
        key_id: key,
        owner,
        expires_at,
        locked: false,
    })
}

/// Value of the first attribute `key` in the response's wasm events.
pub fn attr(r: &AppResponse, key: &str) -> String {
    r.events
        .iter()
        .filter(|e| e.ty == "wasm")
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .unwrap_or_else(|| panic!("no attribute {key}"))
        .value
        .clone()
}

/// The `wasm-hexs_outbound` events of a response, as (kind, nonce, message bytes).
pub fn outbound(r: &AppResponse) -> Vec<(String, u64, Vec<u8>)> {
    r.events
        .iter()
        .filter(|e| e.ty == "wasm-hexs_outbound")
        .map(|e| {
            let get = |k: &str| {
                e.attributes
                    .iter()
                    .find(|a| a.key == k)
                    .unwrap()
                    .value
                    .clone()
            };
            (
                get("kind"),
                get("nonce").parse().unwrap(),
                HexBinary::from_hex(&get("message")).unwrap().to_vec(),
            )
        })
        .collect()
}

/// An UpdateConfig that changes the peers' payout-binding verifiers only.
pub fn peer_bindings_update(bindings: Vec<PeerBinding>) -> ExecuteMsg {
    ExecuteMsg::UpdateConfig {
        protocol_fee_bps: None,
        fee_collector: None,
        deploy_payee: None,
        escrow_timeout_secs: None,
        peers: None,
        max_batch: None,
        akash_lane: None,
        peer_bindings: Some(bindings),
    }
}

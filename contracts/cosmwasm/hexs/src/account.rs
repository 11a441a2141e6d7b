//! Chain-agnostic account words: a family byte followed by the full address.
//!
//! | family | meaning             | address bytes |
//! | ------ | ------------------- | ------------- |
//! | 1      | EVM account         | 20            |
//! | 2      | Cosmos account      | 20            |
//! | 3      | CosmWasm contract   | 32            |

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Api, CanonicalAddr, HexBinary};

use crate::error::ContractError;

pub const FAMILY_EVM: u8 = 1;
pub const FAMILY_COSMOS: u8 = 2;
pub const FAMILY_CONTRACT: u8 = 3;

/// An account as callers name it in JSON.
#[cw_serde]
pub enum Account {
    /// A bech32 address on this chain (an account or a contract).
    Cosmos(String),
    /// An EVM account, `0x` followed by 40 hex digits.
    Evm(String),
    /// A raw account word (family byte + address), hex encoded.
    Word(HexBinary),
}

/// Checks a raw word: known family and the exact address length for it.
pub fn validate_word(word: &[u8]) -> Result<(), ContractError> {
    let ok = match word.first() {
        Some(&FAMILY_EVM) | Some(&FAMILY_COSMOS) => word.len() == 21,
        Some(&FAMILY_CONTRACT) => word.len() == 33,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(ContractError::InvalidAccountWord {
            word: HexBinary::from(word).to_hex(),
        })
    }
}

/// The word of a local address: family 2 for 20-byte accounts, 3 for 32-byte contracts.
pub fn word_of_addr(api: &dyn Api, addr: &Addr) -> Result<Vec<u8>, ContractError> {
    let canon = api.addr_canonicalize(addr.as_str())?;
    word_of_canonical(&canon)
}

pub fn word_of_canonical(canon: &CanonicalAddr) -> Result<Vec<u8>, ContractError> {
    let family = match canon.len() {
        20 => FAMILY_COSMOS,
        32 => FAMILY_CONTRACT,
        n => return Err(ContractError::UnsupportedAddressLength { len: n }),
    };
    let mut word = Vec::with_capacity(1 + canon.len());
    word.push(family);
    word.extend_from_slice(canon.as_slice());
    Ok(word)
}

/// The local address of a word, when the word names an account of this chain.
pub fn local_addr(api: &dyn Api, word: &[u8]) -> Option<Addr> {
    match word.first() {
        Some(&FAMILY_COSMOS) | Some(&FAMILY_CONTRACT) => api
            .addr_humanize(&CanonicalAddr::from(word[1..].to_vec()))
            .ok(),
        _ => None,
    }
}

pub fn parse_evm(s: &str) -> Result<Vec<u8>, ContractError> {
    let bad = || ContractError::InvalidEvmAddress {
        address: s.to_string(),
    };
    let hex = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .ok_or_else(bad)?;
    let bytes = HexBinary::from_hex(hex).map_err(|_| bad())?;
    if bytes.len() != 20 {
        return Err(bad());
    }
    let mut word = vec![FAMILY_EVM];
    word.extend_from_slice(bytes.as_slice());
    Ok(word)
}

impl Account {
    pub fn to_word(&self, api: &dyn Api) -> Result<Vec<u8>, ContractError> {
        match self {
            Account::Cosmos(a) => word_of_addr(api, &api.addr_validate(a)?),
            Account::Evm(a) => parse_evm(a),
            Account::Word(w) => {
                validate_word(w.as_slice())?;
                Ok(w.to_vec())
            }
        }
    }
}

pub fn hex(word: &[u8]) -> String {
    HexBinary::from(word).to_hex()
}

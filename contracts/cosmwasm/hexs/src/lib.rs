//! Hexs CosmWasm companion contract: the Cosmos mirror of models, forks and key NFTs,
//! native-denom key sales with lazy lineage royalties, and M-of-N relayer mirror batches.

pub mod account;
pub mod admin;
pub mod binding;
pub mod contract;
pub mod error;
pub mod keys;
pub mod migrate;
pub mod mirror;
pub mod models;
pub mod msg;
pub mod outbound;
pub mod query;
pub mod resale;
pub mod royalties;
pub mod stage;
pub mod state;

#[cfg(test)]
mod testing;

pub use crate::error::ContractError;

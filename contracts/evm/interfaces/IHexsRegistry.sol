// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {HexsCodec} from "../libraries/HexsCodec.sol";

/// @title IHexsRegistry
/// @notice What the market, key collections, plugins and DAOs read from the model registry.
interface IHexsRegistry {
    /// @notice Everything a sale needs, in one call.
    struct SaleInfo {
        address keys; // the model's key collection
        bool retired;
        bool listed; // the creator set a price in this currency
        uint128 keyPrice;
        uint120 deploymentPrice;
    }

    /// @notice A model's place in the fork tree and its royalty terms. The registry never
    /// changes these after registration, so the market may cache them.
    struct Lineage {
        address creator;
        uint64 parentId; // 0 for a root model
        uint16 upstreamBps; // share owed to the parent, fixed when the fork was made
        uint16 daoBps; // share for the model's DAO treasury once it has one
    }

    function chainId() external view returns (uint32);

    function creatorOf(uint64 modelId) external view returns (address);

    function keysOf(uint64 modelId) external view returns (address);

    function metadataUriOf(uint64 modelId) external view returns (string memory);

    function saleInfo(uint64 modelId, address currency) external view returns (SaleInfo memory);

    function lineageOf(uint64 modelId) external view returns (Lineage memory);

    /// @notice The model's DAO treasury, or address(0). Set at most once, never changed.
    function daoOf(uint64 modelId) external view returns (address);

    /// @notice This chain's address for an account word: the address itself for EVM accounts,
    /// else a stand-in derived from the word.
    function localCreator(HexsCodec.Account memory account) external pure returns (address);

    /// @notice The standard plugins that express mirrored models' key policies (soul-bound, expiry).
    function standardPlugins() external view returns (address soulbound, address expiry);
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

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

    /// @notice Everything settling one lineage level needs, in one call.
    struct SettlementInfo {
        address creator;
        uint64 parentId; // 0 for a root model
        uint16 upstreamBps; // share owed to the parent, fixed when the fork was made
        uint16 daoBps; // share for the model's DAO treasury (0 when it has no DAO)
        address dao;
    }

    function chainId() external view returns (uint32);

    function exists(uint64 modelId) external view returns (bool);

    function creatorOf(uint64 modelId) external view returns (address);

    function keysOf(uint64 modelId) external view returns (address);

    function metadataUriOf(uint64 modelId) external view returns (string memory);

    function saleInfo(uint64 modelId, address currency) external view returns (SaleInfo memory);

    function settlementInfo(uint64 modelId) external view returns (SettlementInfo memory);
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IHexsMarket
/// @notice What a key collection calls on the market.
interface IHexsMarket {
    /// @notice Credit secondary-sale royalties a collection received to its model's vault.
    /// Native coin comes as msg.value; ERC-20 tokens are transferred to the market first.
    function depositRoyalty(uint64 modelId, address currency, uint256 amount) external payable;
}

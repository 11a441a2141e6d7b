// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ISaleSink
/// @notice Where the registry pushes a model's sale terms on every write, so that a purchase
/// reads them from the market's own storage instead of calling the registry (HexsMarket).
interface ISaleSink {
    /// @notice The terms of `modelId` in `currency` as the registry now holds them (`keys` and
    /// `retired` are the model's; `listed` and the prices are that currency's).
    function setSale(
        uint64 modelId,
        address keys,
        bool retired,
        address currency,
        bool listed,
        uint128 keyPrice,
        uint120 deploymentPrice
    ) external;
}

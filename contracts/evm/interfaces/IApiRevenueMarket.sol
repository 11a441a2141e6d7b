// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice What HexsApiPayments calls on the market.
interface IApiRevenueMarket {
    function depositApiRevenue(
        uint64 modelId,
        address currency,
        uint256 vaultAmount,
        address operator,
        uint256 operatorAmount
    ) external;
}

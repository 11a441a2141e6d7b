// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC3009Bytes} from "../interfaces/IERC3009Bytes.sol";

/// @title X402SettlementBatcher
/// @notice Settles many x402 "exact" payments (EIP-3009 transfer authorizations) of one token in
/// one transaction. EIP-3009 lets anyone submit an authorization, so the batcher needs no role
/// and holds nothing: each authorization moves the payer's tokens straight to the `to` it signed
/// (a model's ApiRevenueSink), never through this contract or the sender.
/// @dev Stateless and ownerless. Items are independent: one that the token refuses (nonce used
/// or canceled, expired, bad signature, balance too low) is reported with
/// `AuthorizationFailed` and in the returned flags, and the others still settle. A settled item
/// shows as the token's own `AuthorizationUsed` + `Transfer` logs (no extra event is paid for).
contract X402SettlementBatcher {
    struct Authorization {
        address from;
        address to;
        uint256 value;
        uint256 validAfter;
        uint256 validBefore;
        bytes32 nonce;
        bytes signature;
    }

    /// @notice Gas that must be left before each item's transfer is attempted. Below it the whole
    /// batch reverts, so a sender's too-low gas limit never shows up as an item "refused" by the
    /// token (an out-of-gas item would be indistinguishable from a refusal).
    uint256 public constant ITEM_GAS_FLOOR = 100_000;

    event AuthorizationFailed(
        address indexed token,
        address indexed from,
        bytes32 indexed nonce,
        uint256 index,
        bytes reason
    );

    error EmptyBatch();
    error NotAContract(address token);
    error GasBelowItemFloor(uint256 index, uint256 gasLeft);

    /// @notice Submit each authorization to `token`; returns which ones settled.
    /// @param token an ERC-20 with EIP-3009's `transferWithAuthorization(..., bytes signature)`
    /// @param items the authorizations, each as its payer signed it
    /// @return settled settled[i] is true if items[i] moved its value from its payer to its `to`
    function settle(address token, Authorization[] calldata items) external returns (bool[] memory settled) {
        uint256 n = items.length;
        if (n == 0) revert EmptyBatch();
        // a call to an address without code would "succeed" silently; refuse it up front
        if (token.code.length == 0) revert NotAContract(token);
        settled = new bool[](n);
        for (uint256 i; i < n; ++i) {
            uint256 left = gasleft();
            if (left < ITEM_GAS_FLOOR) revert GasBelowItemFloor(i, left);
            Authorization calldata a = items[i];
            try
                IERC3009Bytes(token).transferWithAuthorization(
                    a.from,
                    a.to,
                    a.value,
                    a.validAfter,
                    a.validBefore,
                    a.nonce,
                    a.signature
                )
            {
                settled[i] = true;
            } catch (bytes memory reason) {
                emit AuthorizationFailed(token, a.from, a.nonce, i, reason);
            }
        }
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The EIP-3009 entry point the batcher calls: the `bytes signature` form (USDC v2.2 and
/// the Hexs test stablecoin), which takes EOA signatures and ERC-1271 contract wallets alike.
interface IERC3009Bytes {
    function transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external;
}

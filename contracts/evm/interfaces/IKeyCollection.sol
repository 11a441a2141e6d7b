// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IKeyCollection
/// @notice The Hexs-specific surface of a model's key-NFT collection (beside ERC-721/2981/5192).
interface IKeyCollection {
    function modelId() external view returns (uint64);

    /// @notice Unix time a subscription key stops giving access; 0 for a perpetual key.
    function expiresAt(uint256 keyId) external view returns (uint64);

    /// @notice True when `account` holds at least one key that is perpetual or unexpired.
    function hasAccess(address account) external view returns (bool);

    /// @notice Mint a key; only the market calls this.
    function mint(address to, uint256 keyId, bytes calldata pluginData) external;

    /// @notice Set the expiry of the key being minted; only an attached plugin calls this, from
    /// its `onMint`.
    function setExpiry(uint256 keyId, uint64 expiry) external;

    /// @notice Apply a message of lane `srcChain` that the hub checked against its mirror: a
    /// KeyMoved to this chain (mint the key with its expiry and `locked`) or a KeyPolicySet from
    /// the model's home chain. Only the registry calls this, for the hub.
    function applyMirrored(uint8 kind, uint32 srcChain, bool locked, bytes calldata body) external;
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IKeyPlugin
/// @notice Extension point of a model's key collection. A plugin is a separate contract that
/// any developer can write; the model's creator attaches it to the collection. The collection
/// calls the hooks the plugin asks for in `pluginFlags()`. A plugin rejects an operation by
/// reverting (preferably with a custom error); the collection re-raises it as
/// `PluginRejected(plugin, reason)` so callers see which plugin refused and why.
/// `msg.sender` of every hook is the collection, so a plugin keys its configuration by it.
interface IKeyPlugin {
    /// @notice Bit set of `FLAG_*` values declaring which hooks the plugin needs.
    function pluginFlags() external view returns (uint256);

    /// @notice Called when the creator attaches the plugin, with the creator's configuration.
    function onAttach(uint64 modelId, bytes calldata config) external;

    /// @notice Called when the creator detaches the plugin; clear per-collection state here.
    function onDetach(uint64 modelId) external;

    /// @notice Called after a key is minted to `to`. `data` is the buyer's plugin data.
    function onMint(uint64 modelId, uint256 keyId, address to, bytes calldata data) external;

    /// @notice Called after a key moves between two holders (not on mint or burn).
    function onTransfer(uint64 modelId, uint256 keyId, address from, address to) external;
}

/// @notice A plugin and the creator's configuration for it, as given at publish time.
struct PluginConfig {
    address plugin;
    bytes config;
}

/// @dev Flags a plugin returns from `pluginFlags()`.
library PluginFlags {
    uint256 internal constant ON_MINT = 1 << 0;
    uint256 internal constant ON_TRANSFER = 1 << 1;
    /// @dev The plugin makes keys soul-bound (ERC-5192 locked). Such a plugin is part of the
    /// key policy: it can be attached or detached only before the first key is sold.
    uint256 internal constant LOCKS_KEYS = 1 << 2;
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IKeyPlugin} from "../interfaces/IKeyPlugin.sol";

/// @title KeyPluginBase
/// @notice No-op defaults for the hooks a plugin does not declare. Third-party plugins may
/// extend it or implement `IKeyPlugin` directly; nothing in the core depends on this base.
abstract contract KeyPluginBase is IKeyPlugin {
    function onAttach(uint64, bytes calldata) external virtual {}

    function onDetach(uint64) external virtual {}

    function onMint(uint64, uint256, address, bytes calldata) external virtual {}

    function onTransfer(uint64, uint256, address, address) external virtual {}
}

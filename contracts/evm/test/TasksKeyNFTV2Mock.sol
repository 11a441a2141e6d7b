// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IHexsRegistry} from "../interfaces/IHexsRegistry.sol";
import {KeyNFT} from "../keys/KeyNFT.sol";
import {IHexsHub} from "../interfaces/IHexsHub.sol";

/// @notice TEST ONLY (tasks tests). A layout-compatible KeyNFT beacon upgrade: one more view.
/// Collections are already initialized, and KeyNFT's `initialize` is inherited unchanged.
/// @custom:oz-upgrades-unsafe-allow missing-initializer
contract TasksKeyNFTV2Mock is KeyNFT {
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(IHexsRegistry registry_, address market_, IHexsHub hub_) KeyNFT(registry_, market_, hub_) {}

    function tasksVersion() external pure returns (string memory) {
        return "tasks-keys-v2";
    }
}

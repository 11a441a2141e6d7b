// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {HexsRegistry} from "../registry/HexsRegistry.sol";

/// @notice TEST ONLY (tasks tests). A layout-compatible registry upgrade: one more view, no storage.
contract TasksRegistryV2Mock is HexsRegistry {
    function tasksVersion() external pure returns (string memory) {
        return "tasks-v2";
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {HexsRegistry} from "../registry/HexsRegistry.sol";

/// @notice TEST ONLY. A layout-compatible registry upgrade (adds a function, no storage).
contract HexsRegistryV2 is HexsRegistry {
    function version() external pure returns (uint256) {
        return 2;
    }
}

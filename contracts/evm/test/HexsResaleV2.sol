// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {HexsResale} from "../market/HexsResale.sol";

/// @notice TEST ONLY. A layout-compatible resale upgrade: HexsResale plus `version()`.
contract HexsResaleV2 is HexsResale {
    function version() external pure returns (uint256) {
        return 2;
    }
}

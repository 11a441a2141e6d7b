// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {HexsApiPayments} from "../market/HexsApiPayments.sol";

/// @notice TEST ONLY. A layout-compatible HexsApiPayments upgrade: the same storage plus `version()`.
contract HexsApiPaymentsV2 is HexsApiPayments {
    function version() external pure returns (uint256) {
        return 2;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {HexsHub} from "../bridge/HexsHub.sol";

/// @notice TEST ONLY (protocol:upgrade tests). A compatible hub upgrade: HexsHub unchanged plus a
/// version marker, so a test can tell the proxy runs the new implementation.
contract HexsHubV2Mock is HexsHub {
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(uint32 chainId_) HexsHub(chainId_) {}

    function hubVersion() external pure returns (string memory) {
        return "hub-v2";
    }
}

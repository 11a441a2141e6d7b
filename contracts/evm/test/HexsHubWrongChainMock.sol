// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {HexsHub} from "../bridge/HexsHub.sol";

/// @notice TEST ONLY (protocol:upgrade tests). A hub implementation built for another chain than
/// the one it is deployed for (it takes the chain id and builds for the next one): what a
/// maintainer gets from a wrong chain id. Its storage layout is the hub's, so only the chain check
/// (`syncPause` in `upgradeToAndCall`) can catch it; protocol:upgrade must refuse it unscheduled.
contract HexsHubWrongChainMock is HexsHub {
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(uint32 chainId_) HexsHub(chainId_ + 1) {}
}

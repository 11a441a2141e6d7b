// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title HexsTimelock
/// @notice The protocol's governor of last resort: every registry/market upgrade, key-beacon
/// upgrade, role change and fee change is scheduled here and executes after `minDelay`.
contract HexsTimelock is TimelockController {
    constructor(
        uint256 minDelay,
        address[] memory proposers,
        address[] memory executors
    ) TimelockController(minDelay, proposers, executors, address(0)) {}
}

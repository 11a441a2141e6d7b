// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {UpgradeableBeacon} from "@openzeppelin/contracts/proxy/beacon/UpgradeableBeacon.sol";

/// @title KeyBeacon
/// @notice Beacon of every model's key collection; owned by the timelock, so one timelocked
/// `upgradeTo` upgrades all collections together.
contract KeyBeacon is UpgradeableBeacon {
    constructor(address implementation, address timelock) UpgradeableBeacon(implementation, timelock) {}
}

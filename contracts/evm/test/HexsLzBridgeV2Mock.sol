// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {HexsLzBridge} from "../bridge/HexsLzBridge.sol";
import {IHexsHub} from "../interfaces/IHexsHub.sol";

/// @notice TEST ONLY (protocol:upgrade tests). A compatible LayerZero bridge upgrade: the bridge
/// unchanged plus a version marker; its constructor takes the endpoint and hub as the bridge's does.
/// The proxy is initialised already; this V2 adds no initializer of its own.
/// @custom:oz-upgrades-unsafe-allow state-variable-immutable missing-initializer
contract HexsLzBridgeV2Mock is HexsLzBridge {
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address endpoint, IHexsHub hub_) HexsLzBridge(endpoint, hub_) {}

    function bridgeVersion() external pure returns (string memory) {
        return "bridge-v2";
    }
}

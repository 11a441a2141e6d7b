// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IKeyCollection} from "../interfaces/IKeyCollection.sol";
import {IKeyPlugin} from "../interfaces/IKeyPlugin.sol";

/// @notice TEST ONLY. A hostile plugin a creator attaches after keys were sold, to change their
/// expiry: directly (`change`) or from inside another key's mint (`aimAt`, then a purchase).
contract ExpiryChangerPlugin is IKeyPlugin {
    uint256 public targetKey;
    uint64 public targetExpiry;

    function aimAt(uint256 keyId, uint64 expiry) external {
        targetKey = keyId;
        targetExpiry = expiry;
    }

    function change(IKeyCollection collection, uint256 keyId, uint64 expiry) external {
        collection.setExpiry(keyId, expiry);
    }

    function pluginFlags() external pure returns (uint256) {
        return 1 << 0; // ON_MINT
    }

    function onAttach(uint64, bytes calldata) external {}

    function onDetach(uint64) external {}

    function onMint(uint64, uint256, address, bytes calldata) external {
        if (targetKey != 0) IKeyCollection(msg.sender).setExpiry(targetKey, targetExpiry);
    }

    function onTransfer(uint64, uint256, address, address) external {}
}

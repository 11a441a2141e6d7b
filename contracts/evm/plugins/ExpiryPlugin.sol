// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IKeyCollection} from "../interfaces/IKeyCollection.sol";
import {PluginFlags} from "../interfaces/IKeyPlugin.sol";
import {KeyPluginBase} from "./KeyPluginBase.sol";

/// @title ExpiryPlugin
/// @notice Subscription keys: each new key expires `duration` seconds after it is minted.
/// Config: `abi.encode(uint64 duration)`. The expiry itself is stored by the collection.
contract ExpiryPlugin is KeyPluginBase {
    mapping(address collection => uint64) public durationOf;

    event DurationSet(address indexed collection, uint64 duration);

    error ZeroDuration();

    function pluginFlags() external pure returns (uint256) {
        return PluginFlags.ON_MINT;
    }

    function onAttach(uint64, bytes calldata config) external override {
        uint64 duration = abi.decode(config, (uint64));
        if (duration == 0) revert ZeroDuration();
        durationOf[msg.sender] = duration;
        emit DurationSet(msg.sender, duration);
    }

    function onDetach(uint64) external override {
        delete durationOf[msg.sender];
        emit DurationSet(msg.sender, 0);
    }

    function onMint(uint64, uint256 keyId, address, bytes calldata) external override {
        IKeyCollection(msg.sender).setExpiry(keyId, uint64(block.timestamp) + durationOf[msg.sender]);
    }
}

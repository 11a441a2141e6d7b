// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IKeyCollection} from "../interfaces/IKeyCollection.sol";
import {PluginFlags} from "../interfaces/IKeyPlugin.sol";
import {KeyPluginBase} from "./KeyPluginBase.sol";

/// @title SupplyCapPlugin
/// @notice Caps how many keys a model can ever sell. Config: `abi.encode(uint64 cap)`.
contract SupplyCapPlugin is KeyPluginBase {
    mapping(address collection => uint64) public capOf;

    event CapSet(address indexed collection, uint64 cap);

    error SupplyCapReached(uint64 cap);
    error ZeroCap();

    function pluginFlags() external pure returns (uint256) {
        return PluginFlags.ON_MINT;
    }

    function onAttach(uint64, bytes calldata config) external override {
        uint64 cap = abi.decode(config, (uint64));
        if (cap == 0) revert ZeroCap();
        capOf[msg.sender] = cap;
        emit CapSet(msg.sender, cap);
    }

    function onDetach(uint64) external override {
        delete capOf[msg.sender];
        emit CapSet(msg.sender, 0);
    }

    function onMint(uint64, uint256, address, bytes calldata) external view override {
        uint64 cap = capOf[msg.sender];
        // totalMinted already counts the key being minted.
        if (IKeyCollection(msg.sender).totalMinted() > cap) revert SupplyCapReached(cap);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PluginFlags} from "../interfaces/IKeyPlugin.sol";
import {KeyPluginBase} from "./KeyPluginBase.sol";

/// @title SupplyCapPlugin
/// @notice Caps how many keys a model sells while the plugin is attached (keys sold before it
/// was attached do not count). Config: `abi.encode(uint64 cap)`.
contract SupplyCapPlugin is KeyPluginBase {
    mapping(address collection => uint64) public capOf;
    /// @dev Counted here, not in the collection, so models without a cap pay nothing for it.
    mapping(address collection => uint64) public mintedOf;

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
        delete mintedOf[msg.sender];
        emit CapSet(msg.sender, 0);
    }

    function onMint(uint64, uint256, address, bytes calldata) external override {
        uint64 cap = capOf[msg.sender];
        uint64 minted = mintedOf[msg.sender] + 1;
        if (minted > cap) revert SupplyCapReached(cap);
        mintedOf[msg.sender] = minted;
    }
}

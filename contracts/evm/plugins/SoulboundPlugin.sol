// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PluginFlags} from "../interfaces/IKeyPlugin.sol";
import {KeyPluginBase} from "./KeyPluginBase.sol";

/// @title SoulboundPlugin
/// @notice Makes a model's keys soul-bound. The collection enforces the lock itself (ERC-5192
/// `locked()`, `Locked` on mint, transfers refused) for as long as a LOCKS_KEYS plugin is
/// attached, and refuses to attach or detach one after the first sale, so the policy a buyer
/// paid under never changes. Stateless: one deployment serves every model.
contract SoulboundPlugin is KeyPluginBase {
    function pluginFlags() external pure returns (uint256) {
        return PluginFlags.LOCKS_KEYS;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IHexsRegistry} from "../interfaces/IHexsRegistry.sol";
import {KeyNFT} from "../keys/KeyNFT.sol";
import {IHexsHub} from "../interfaces/IHexsHub.sol";

/// @notice TEST ONLY. A new key-collection implementation for the beacon upgrade test.
/// Every collection behind the beacon is already initialized and V2 adds no state, so it has
/// no initializer of its own (it inherits KeyNFT's, which already ran for live collections).
/// @custom:oz-upgrades-unsafe-allow missing-initializer
contract KeyNFTV2 is KeyNFT {
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(IHexsRegistry registry_, address market_, IHexsHub hub_) KeyNFT(registry_, market_, hub_) {}

    function version() external pure returns (uint256) {
        return 2;
    }
}

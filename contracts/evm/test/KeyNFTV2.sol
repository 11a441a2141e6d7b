// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IHexsRegistry} from "../interfaces/IHexsRegistry.sol";
import {KeyNFT} from "../keys/KeyNFT.sol";
import {IHexsHub} from "../interfaces/IHexsHub.sol";

/// @notice TEST ONLY. A new key-collection implementation for the beacon upgrade test.
contract KeyNFTV2 is KeyNFT {
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(IHexsRegistry registry_, address market_, IHexsHub hub_) KeyNFT(registry_, market_, hub_) {}

    function version() external pure returns (uint256) {
        return 2;
    }
}

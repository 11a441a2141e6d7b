// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {HexsMarket} from "../market/HexsMarket.sol";

/// @notice TEST ONLY. A layout-compatible market upgrade for the upgrade tests: HexsMarket with
/// one field in a namespace of its own (the market's namespace is untouched), a reinitializer
/// that sets it, and `version()`.
contract HexsMarketV2 is HexsMarket {
    /// @custom:storage-location erc7201:hexs.storage.MarketV2
    struct MarketV2Storage {
        uint64 upgradedAt;
    }

    // keccak256(abi.encode(uint256(keccak256("hexs.storage.MarketV2")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant V2_STORAGE_SLOT = 0x2b5afd5d6940bb46c3b62c2678669d65175263fba487982f48b09caab1e8bf00;

    /// @notice V2 migration step, run atomically with the upgrade.
    function initializeV2() external reinitializer(2) {
        _v2().upgradedAt = uint64(block.timestamp);
    }

    function version() external pure returns (uint256) {
        return 2;
    }

    function upgradedAt() external view returns (uint64) {
        return _v2().upgradedAt;
    }

    function _v2() private pure returns (MarketV2Storage storage s) {
        bytes32 slot = V2_STORAGE_SLOT;
        assembly {
            s.slot := slot
        }
    }
}

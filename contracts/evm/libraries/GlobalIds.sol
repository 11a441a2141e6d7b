// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title GlobalIds
/// @notice Model and key ids are global across every Hexs chain: the origin chain's Hexs
/// chain identifier in the upper 32 bits and a per-chain serial in the lower 32 bits.
/// The cross-chain codec carries these ids unchanged.
library GlobalIds {
    error SerialExhausted();

    function make(uint32 chain, uint32 serial) internal pure returns (uint64) {
        return (uint64(chain) << 32) | uint64(serial);
    }

    function chainOf(uint64 id) internal pure returns (uint32) {
        return uint32(id >> 32);
    }

    function serialOf(uint64 id) internal pure returns (uint32) {
        return uint32(id);
    }

    /// @dev Next serial, reverting instead of wrapping into another id space.
    function next(uint32 serial) internal pure returns (uint32) {
        if (serial == type(uint32).max) revert SerialExhausted();
        unchecked {
            return serial + 1;
        }
    }
}

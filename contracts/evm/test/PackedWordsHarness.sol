// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {HexsHub} from "../bridge/HexsHub.sol";
import {PackedHolding} from "../libraries/PackedHolding.sol";
import {PackedMirrorKey, PackedMirrorKeyLibrary} from "../libraries/PackedMirrorKey.sol";

/// @notice TEST ONLY. Checks that the offsets of `PackedHolding` and `PackedMirrorKey` agree with
/// Solidity's packing of the structs that declare the hub's slots: a struct written field by field
/// reads back the same through the word's accessors, and a word written through the library reads
/// back the same through the struct.
contract PackedWordsHarness {
    HexsHub.Holding private holding;
    HexsHub.MirrorKey private key;

    function holdingThroughWord(HexsHub.Holding memory h) external returns (HexsHub.Holding memory) {
        holding = h;
        PackedHolding w;
        assembly ("memory-safe") {
            w := sload(holding.slot)
        }
        return
            HexsHub.Holding(
                w.perpetual(),
                w.subscriptions(),
                w.bestExpiry(),
                w.keyId(),
                w.resident(),
                w.expiresAt(),
                w.locked()
            );
    }

    /// @notice `h` with its key in place replaced through the word, read back through the struct.
    function holdingWithKey(
        HexsHub.Holding memory h,
        uint64 keyId,
        uint32 resident,
        uint40 expiresAt,
        bool locked
    ) external returns (HexsHub.Holding memory) {
        holding = h;
        PackedHolding w;
        assembly ("memory-safe") {
            w := sload(holding.slot)
        }
        w = w.withoutKey().withKey(keyId, resident, expiresAt, locked);
        assembly ("memory-safe") {
            sstore(holding.slot, w)
        }
        return holding;
    }

    function keyThroughWord(HexsHub.MirrorKey memory k) external returns (HexsHub.MirrorKey memory) {
        key = k;
        PackedMirrorKey w;
        assembly ("memory-safe") {
            w := sload(key.slot)
        }
        return HexsHub.MirrorKey(w.modelId(), w.expiresAt(), w.resident(), w.locked(), w.owner());
    }

    function keyThroughStruct(HexsHub.MirrorKey memory k) external returns (HexsHub.MirrorKey memory) {
        PackedMirrorKey w = PackedMirrorKeyLibrary.pack(k.modelId, k.expiresAt, k.resident, k.locked, k.owner);
        assembly ("memory-safe") {
            sstore(key.slot, w)
        }
        return key;
    }
}

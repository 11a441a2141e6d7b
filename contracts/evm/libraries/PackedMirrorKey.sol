// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice `HexsHub.MirrorKey` as one word: a mirrored key recorded apart from its holding (a
/// holder's second and further keys of one model; the first is recorded in the holding itself).
/// The hub reads and writes the slot only through this type; the struct declares the slot for the
/// upgrades plugin, and the offsets below are its Solidity packing (checked by
/// `test/evm/packed-words.test.ts`).
/// @dev Word layout, least significant bit first:
/// modelId [0,64) | expiresAt [64,104) | resident [104,136) | locked [136] | owner [144,256).
/// Trade-offs of the packing:
/// - `owner` is a 112-bit tag (the first 14 bytes of the holder's account key, see
///   `HexsHub._accountKey`). It is only compared with the holder a KeyTransferred / KeyMoved /
///   KeyBurned names, whose holding (keyed by the full 256-bit account key) is the one updated.
///   Naming a victim whose tag equals another holder's is a second preimage (2^112 work); two
///   accounts of one attacker with the same tag (~2^56 work) gain nothing. The resident chain
///   still answers exactly. A zero tag means "no key recorded".
/// - `expiresAt` is 40 bits (seconds until the year 36812); a larger codec value is stored as the
///   maximum, i.e. "does not expire in practice".
type PackedMirrorKey is uint256;

using PackedMirrorKeyLibrary for PackedMirrorKey global;

library PackedMirrorKeyLibrary {
    /// @notice No key recorded.
    PackedMirrorKey internal constant EMPTY = PackedMirrorKey.wrap(0);

    uint256 private constant MODEL_ID_OFFSET = 0;
    uint256 private constant EXPIRES_AT_OFFSET = 64;
    uint256 private constant RESIDENT_OFFSET = 104;
    uint256 private constant LOCKED_OFFSET = 136;
    uint256 private constant OWNER_OFFSET = 144;

    function pack(
        uint64 modelId_,
        uint40 expiresAt_,
        uint32 resident_,
        bool locked_,
        bytes14 owner_
    ) internal pure returns (PackedMirrorKey) {
        return
            PackedMirrorKey.wrap(
                (uint256(modelId_) << MODEL_ID_OFFSET) |
                    (uint256(expiresAt_) << EXPIRES_AT_OFFSET) |
                    (uint256(resident_) << RESIDENT_OFFSET) |
                    (locked_ ? uint256(1) << LOCKED_OFFSET : 0) |
                    (uint256(uint112(owner_)) << OWNER_OFFSET)
            );
    }

    function modelId(PackedMirrorKey k) internal pure returns (uint64) {
        return uint64(PackedMirrorKey.unwrap(k) >> MODEL_ID_OFFSET);
    }

    function expiresAt(PackedMirrorKey k) internal pure returns (uint40) {
        return uint40(PackedMirrorKey.unwrap(k) >> EXPIRES_AT_OFFSET);
    }

    function resident(PackedMirrorKey k) internal pure returns (uint32) {
        return uint32(PackedMirrorKey.unwrap(k) >> RESIDENT_OFFSET);
    }

    function locked(PackedMirrorKey k) internal pure returns (bool) {
        return (PackedMirrorKey.unwrap(k) >> LOCKED_OFFSET) & 1 == 1;
    }

    function owner(PackedMirrorKey k) internal pure returns (bytes14) {
        return bytes14(uint112(PackedMirrorKey.unwrap(k) >> OWNER_OFFSET));
    }

    /// @notice No key is recorded (the tag of a recorded key is never zero but with negligible odds).
    function isEmpty(PackedMirrorKey k) internal pure returns (bool) {
        return PackedMirrorKey.unwrap(k) >> OWNER_OFFSET == 0;
    }
}

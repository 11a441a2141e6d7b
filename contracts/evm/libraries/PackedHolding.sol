// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice `HexsHub.Holding` as one word: what one account holds of one model on other chains,
/// and one of those keys in place, so mirroring a purchase for a new holder writes one slot (the
/// messages that later move the key name its model and holder, so the key is found here). A
/// holder's further keys of the model are counted here and recorded apart (`PackedMirrorKey`).
/// The hub reads and writes the slot only through this type; the struct declares the slot, so
/// that the upgrades plugin sees the layout, and the offsets below are its Solidity packing
/// (`test/evm/packed-words.test.ts` checks that they agree).
/// @dev Word layout, least significant bit first: perpetual [0,32) | subscriptions [32,64) | bestExpiry [64,104)
/// | keyId [104,168) | resident [168,200) | expiresAt [200,240) | locked [240].
/// - perpetual, subscriptions: how many keys of each sort the account holds here.
/// - bestExpiry: the latest expiry among its subscription keys (see `HexsHub.hasMirroredAccess`).
/// - keyId, resident, expiresAt, locked: the key recorded in place (keyId 0 = none; global ids
///   are never 0), its resident chain, its expiry (0 = never) and lock. All four are zero together.
type PackedHolding is uint256;

using PackedHoldingLibrary for PackedHolding global;

library PackedHoldingLibrary {
    uint256 private constant PERPETUAL_OFFSET = 0;
    uint256 private constant SUBSCRIPTIONS_OFFSET = 32;
    uint256 private constant BEST_EXPIRY_OFFSET = 64;
    uint256 private constant KEY_ID_OFFSET = 104;
    uint256 private constant RESIDENT_OFFSET = 168;
    uint256 private constant EXPIRES_AT_OFFSET = 200;
    uint256 private constant LOCKED_OFFSET = 240;

    uint256 private constant MASK_32 = 0xffffffff;
    uint256 private constant MASK_40 = 0xffffffffff;
    uint256 private constant MASK_64 = 0xffffffffffffffff;
    /// @dev The counters (everything below the key in place).
    uint256 private constant COUNTERS_MASK = (1 << KEY_ID_OFFSET) - 1;

    function perpetual(PackedHolding h) internal pure returns (uint32) {
        return uint32(PackedHolding.unwrap(h) >> PERPETUAL_OFFSET);
    }

    function subscriptions(PackedHolding h) internal pure returns (uint32) {
        return uint32(PackedHolding.unwrap(h) >> SUBSCRIPTIONS_OFFSET);
    }

    function bestExpiry(PackedHolding h) internal pure returns (uint40) {
        return uint40(PackedHolding.unwrap(h) >> BEST_EXPIRY_OFFSET);
    }

    function keyId(PackedHolding h) internal pure returns (uint64) {
        return uint64(PackedHolding.unwrap(h) >> KEY_ID_OFFSET);
    }

    function resident(PackedHolding h) internal pure returns (uint32) {
        return uint32(PackedHolding.unwrap(h) >> RESIDENT_OFFSET);
    }

    function expiresAt(PackedHolding h) internal pure returns (uint40) {
        return uint40(PackedHolding.unwrap(h) >> EXPIRES_AT_OFFSET);
    }

    function locked(PackedHolding h) internal pure returns (bool) {
        return (PackedHolding.unwrap(h) >> LOCKED_OFFSET) & 1 == 1;
    }

    /// @notice Whether counting one more key of expiry `expiry` (0 = perpetual) would overflow.
    function isFull(PackedHolding h, uint40 expiry) internal pure returns (bool) {
        return (expiry == 0 ? h.perpetual() : h.subscriptions()) == type(uint32).max;
    }

    /// @notice `h` counting one more key of expiry `expiry` (0 = perpetual); panics on overflow.
    function countIn(PackedHolding h, uint40 expiry) internal pure returns (PackedHolding) {
        if (expiry == 0) return _set(h, PERPETUAL_OFFSET, MASK_32, h.perpetual() + 1);
        h = _set(h, SUBSCRIPTIONS_OFFSET, MASK_32, h.subscriptions() + 1);
        return expiry > h.bestExpiry() ? _set(h, BEST_EXPIRY_OFFSET, MASK_40, expiry) : h;
    }

    /// @notice `h` counting one key of expiry `expiry` fewer; panics on underflow. Releasing the
    /// subscription with the latest expiry while others remain cannot find the next-latest in
    /// constant gas, so the holding conservatively falls back to "no live subscription mirrored
    /// here" (the key's resident chain still answers exactly).
    function countOut(PackedHolding h, uint40 expiry) internal pure returns (PackedHolding) {
        if (expiry == 0) return _set(h, PERPETUAL_OFFSET, MASK_32, h.perpetual() - 1);
        uint32 left = h.subscriptions() - 1;
        h = _set(h, SUBSCRIPTIONS_OFFSET, MASK_32, left);
        return left == 0 || expiry == h.bestExpiry() ? _set(h, BEST_EXPIRY_OFFSET, MASK_40, 0) : h;
    }

    /// @notice `h` with key `id` (resident on `chain`, expiring at `expiry`, `isLocked`) in place.
    function withKey(
        PackedHolding h,
        uint64 id,
        uint32 chain,
        uint40 expiry,
        bool isLocked
    ) internal pure returns (PackedHolding) {
        return
            PackedHolding.wrap(
                (PackedHolding.unwrap(h) & COUNTERS_MASK) |
                    (uint256(id) << KEY_ID_OFFSET) |
                    (uint256(chain) << RESIDENT_OFFSET) |
                    (uint256(expiry) << EXPIRES_AT_OFFSET) |
                    (isLocked ? uint256(1) << LOCKED_OFFSET : 0)
            );
    }

    /// @notice `h` with no key in place (its counters unchanged).
    function withoutKey(PackedHolding h) internal pure returns (PackedHolding) {
        return PackedHolding.wrap(PackedHolding.unwrap(h) & COUNTERS_MASK);
    }

    function _set(PackedHolding h, uint256 offset, uint256 mask, uint256 value) private pure returns (PackedHolding) {
        return PackedHolding.wrap((PackedHolding.unwrap(h) & ~(mask << offset)) | (value << offset));
    }
}

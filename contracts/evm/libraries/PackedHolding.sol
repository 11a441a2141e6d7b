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

    /// @notice `h` counting one more key of expiry `expiry` (0 = perpetual); panics on overflow.
    function countIn(PackedHolding h, uint40 expiry) internal pure returns (PackedHolding) {
        uint256 w = PackedHolding.unwrap(h);
        uint256 offset = expiry == 0 ? PERPETUAL_OFFSET : SUBSCRIPTIONS_OFFSET;
        uint32 count = uint32(w >> offset) + 1;
        w = (w & ~(MASK_32 << offset)) | (uint256(count) << offset);
        // A perpetual key (expiry 0) never raises the best expiry.
        if (expiry > uint40(w >> BEST_EXPIRY_OFFSET)) {
            w = (w & ~(MASK_40 << BEST_EXPIRY_OFFSET)) | (uint256(expiry) << BEST_EXPIRY_OFFSET);
        }
        return PackedHolding.wrap(w);
    }

    /// @notice `h` counting one key of expiry `expiry` fewer; panics on underflow. Releasing the
    /// subscription with the latest expiry while others remain cannot find the next-latest in
    /// constant gas, so the holding conservatively falls back to "no live subscription mirrored
    /// here" (the key's resident chain still answers exactly).
    function countOut(PackedHolding h, uint40 expiry) internal pure returns (PackedHolding) {
        uint256 w = PackedHolding.unwrap(h);
        uint256 offset = expiry == 0 ? PERPETUAL_OFFSET : SUBSCRIPTIONS_OFFSET;
        uint32 left = uint32(w >> offset) - 1;
        w = (w & ~(MASK_32 << offset)) | (uint256(left) << offset);
        if (expiry != 0 && (left == 0 || expiry == uint40(w >> BEST_EXPIRY_OFFSET))) {
            w &= ~(MASK_40 << BEST_EXPIRY_OFFSET);
        }
        return PackedHolding.wrap(w);
    }

    /// @notice `h` with key `id` (resident on `chain`, expiring at `expiry`, `isLocked`) counted and
    /// in place, as `countIn` then `withKey` would make it; `ok` false (and `h` unchanged) when a
    /// key is already in place or the counter is full. One call for the hub's in-place mint path.
    function tryPlace(
        PackedHolding h,
        uint64 id,
        uint32 chain,
        uint40 expiry,
        bool isLocked
    ) internal pure returns (bool ok, PackedHolding) {
        uint256 w = PackedHolding.unwrap(h);
        uint256 offset = expiry == 0 ? PERPETUAL_OFFSET : SUBSCRIPTIONS_OFFSET;
        if (uint64(w >> KEY_ID_OFFSET) != 0 || uint32(w >> offset) == type(uint32).max) return (false, h);
        unchecked {
            w += 1 << offset; // the counter is below its maximum: no carry into the next field
        }
        if (expiry > uint40(w >> BEST_EXPIRY_OFFSET)) {
            w = (w & ~(MASK_40 << BEST_EXPIRY_OFFSET)) | (uint256(expiry) << BEST_EXPIRY_OFFSET);
        }
        w |=
            (uint256(id) << KEY_ID_OFFSET) |
            (uint256(chain) << RESIDENT_OFFSET) |
            (uint256(expiry) << EXPIRES_AT_OFFSET) |
            (isLocked ? uint256(1) << LOCKED_OFFSET : 0);
        return (true, PackedHolding.wrap(w));
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
}

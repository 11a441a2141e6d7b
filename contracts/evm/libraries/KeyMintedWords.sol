// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The first 32 bytes of a KeyMinted body (the field order of `HexsCodec.decodeKeyMinted`):
/// modelId u64 | keyId u64 | the owner account's family u8 and address length u8 | the address.
type KeyMintedHead is uint256;

/// @notice The 32 bytes of a KeyMinted body after the owner's address: expiresAt u64 | locked u8
/// (zero-padded past the body's end).
type KeyMintedTail is uint256;

using KeyMintedWords for KeyMintedHead global;
using KeyMintedWords for KeyMintedTail global;

/// @notice Named fields of a KeyMinted body's words, for the hub's in-place mint path, which
/// checks what `HexsCodec.decodeKeyMinted` checks without decoding into memory.
/// @dev Offsets are bit positions from the least significant end of the big-endian word.
library KeyMintedWords {
    /// @notice Bytes before the owner account (its family byte): modelId and keyId.
    uint256 internal constant ACCOUNT_START = 16;
    /// @notice Bytes before the owner's address: modelId, keyId, family and length.
    uint256 internal constant ADDRESS_START = 18;
    /// @notice Bytes after the owner's address: expiresAt u64 and locked u8.
    uint256 internal constant TAIL_LENGTH = 9;

    uint256 private constant MODEL_ID_OFFSET = 192;
    uint256 private constant KEY_ID_OFFSET = 128;
    uint256 private constant FAMILY_OFFSET = 120;
    uint256 private constant ADDRESS_LENGTH_OFFSET = 112;
    uint256 private constant EXPIRES_AT_OFFSET = 192;
    uint256 private constant LOCKED_OFFSET = 184;

    /// @notice The first word of `body`.
    function head(bytes calldata body) internal pure returns (KeyMintedHead w) {
        assembly ("memory-safe") {
            w := calldataload(body.offset)
        }
    }

    /// @notice The word of `body` after an owner address of `addressLength_` bytes.
    function tail(bytes calldata body, uint256 addressLength_) internal pure returns (KeyMintedTail w) {
        uint256 start = ADDRESS_START + addressLength_;
        assembly ("memory-safe") {
            w := calldataload(add(body.offset, start))
        }
    }

    function modelId(KeyMintedHead w) internal pure returns (uint64) {
        return uint64(KeyMintedHead.unwrap(w) >> MODEL_ID_OFFSET);
    }

    function keyId(KeyMintedHead w) internal pure returns (uint64) {
        return uint64(KeyMintedHead.unwrap(w) >> KEY_ID_OFFSET);
    }

    function family(KeyMintedHead w) internal pure returns (uint8) {
        return uint8(KeyMintedHead.unwrap(w) >> FAMILY_OFFSET);
    }

    function addressLength(KeyMintedHead w) internal pure returns (uint8) {
        return uint8(KeyMintedHead.unwrap(w) >> ADDRESS_LENGTH_OFFSET);
    }

    function expiresAt(KeyMintedTail w) internal pure returns (uint64) {
        return uint64(KeyMintedTail.unwrap(w) >> EXPIRES_AT_OFFSET);
    }

    /// @notice The raw `locked` byte (the codec accepts 0 and 1 only).
    function lockedByte(KeyMintedTail w) internal pure returns (uint8) {
        return uint8(KeyMintedTail.unwrap(w) >> LOCKED_OFFSET);
    }
}

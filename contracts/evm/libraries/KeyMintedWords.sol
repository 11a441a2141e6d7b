// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {HexsCodec} from "./HexsCodec.sol";

/// @notice Reads a KeyMinted body (the field order of `HexsBodies.decodeKeyMinted`: modelId u64 |
/// keyId u64 | owner account (family u8, address length u8, address) | expiresAt u64 | locked u8)
/// from two calldata words, for the hub's in-place mint path: the same checks as the decoder,
/// without decoding into memory. One call, so the hot path pays no per-field call overhead.
/// @dev Offsets are bit positions from the least significant end of a big-endian calldata word:
/// the body's first word ("head") and the word after the owner's address ("tail").
library KeyMintedWords {
    /// @notice Bytes before the owner account (its family byte): modelId and keyId.
    uint256 internal constant ACCOUNT_START = 16;
    /// @notice Bytes before the owner's address: modelId, keyId, family and length.
    uint256 internal constant ADDRESS_START = 18;
    /// @notice Bytes after the owner's address: expiresAt u64 and locked u8.
    uint256 internal constant TAIL_LENGTH = 9;

    uint256 private constant HEAD_MODEL_ID_OFFSET = 192;
    uint256 private constant HEAD_KEY_ID_OFFSET = 128;
    uint256 private constant HEAD_FAMILY_OFFSET = 120;
    uint256 private constant HEAD_ADDRESS_LENGTH_OFFSET = 112;
    uint256 private constant TAIL_EXPIRES_AT_OFFSET = 192;
    uint256 private constant TAIL_LOCKED_OFFSET = 184;

    /// @notice The fields of KeyMinted `body`, and `ok` false when `HexsBodies.decodeKeyMinted`
    /// would refuse it (then the other values are meaningless). `account` is the owner's account
    /// key: keccak256 of the account bytes, which are `HexsCodec.encodeAccount` of the owner.
    function parse(
        bytes calldata body
    ) internal pure returns (bool ok, uint64 modelId, uint64 keyId, bytes32 account, uint64 expiresAt, bool locked) {
        uint256 len = body.length;
        if (len < ADDRESS_START) return (false, 0, 0, 0, 0, false);
        uint256 head;
        assembly ("memory-safe") {
            head := calldataload(body.offset)
        }
        uint256 family = uint8(head >> HEAD_FAMILY_OFFSET);
        uint256 addressLength = uint8(head >> HEAD_ADDRESS_LENGTH_OFFSET);
        if (family == HexsCodec.FAMILY_EVM || family == HexsCodec.FAMILY_COSMOS) {
            if (addressLength != 20) return (false, 0, 0, 0, 0, false);
        } else if (family != HexsCodec.FAMILY_COSMWASM || addressLength != 32) {
            return (false, 0, 0, 0, 0, false);
        }
        if (len != ADDRESS_START + addressLength + TAIL_LENGTH) return (false, 0, 0, 0, 0, false);
        uint256 tail;
        assembly ("memory-safe") {
            tail := calldataload(add(body.offset, add(ADDRESS_START, addressLength)))
            let p := mload(0x40)
            calldatacopy(p, add(body.offset, ACCOUNT_START), add(addressLength, 2))
            account := keccak256(p, add(addressLength, 2))
        }
        uint256 lockedByte = uint8(tail >> TAIL_LOCKED_OFFSET);
        return (
            lockedByte <= 1,
            uint64(head >> HEAD_MODEL_ID_OFFSET),
            uint64(head >> HEAD_KEY_ID_OFFSET),
            account,
            uint64(tail >> TAIL_EXPIRES_AT_OFFSET),
            lockedByte == 1
        );
    }
}

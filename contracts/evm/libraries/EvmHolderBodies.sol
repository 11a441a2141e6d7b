// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {HexsCodec} from "./HexsCodec.sol";

/// @notice KeyMinted and KeyTransferred bodies for EVM holders, packed straight from their fields
/// (no Account or body struct built in memory first): the key collections' hot path. The bytes
/// equal `HexsBodies.encodeKeyMinted` / `encodeKeyTransferred` of the same facts (field order of
/// codec/schema.ts; test/evm/recorded-mint.test.ts decodes them with the TypeScript codec).
library EvmHolderBodies {
    uint8 private constant EVM_ADDRESS_LENGTH = 20;

    function keyMinted(
        uint64 modelId,
        uint64 keyId,
        address owner,
        uint64 expiresAt,
        bool locked
    ) internal pure returns (bytes memory) {
        return abi.encodePacked(modelId, keyId, HexsCodec.FAMILY_EVM, EVM_ADDRESS_LENGTH, owner, expiresAt, locked);
    }

    function keyTransferred(
        uint64 keyId,
        uint64 modelId,
        address from,
        address to
    ) internal pure returns (bytes memory) {
        uint8 evm = HexsCodec.FAMILY_EVM;
        return abi.encodePacked(keyId, modelId, evm, EVM_ADDRESS_LENGTH, from, evm, EVM_ADDRESS_LENGTH, to);
    }
}

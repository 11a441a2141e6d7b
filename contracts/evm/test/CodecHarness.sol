// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {HexsCodec} from "../libraries/HexsCodec.sol";
import {HexsBodies} from "../libraries/HexsBodies.sol";
import {BodiesHarness} from "./BodiesHarness.sol";

/// @notice Test-only wrapper exposing HexsCodec and HexsBodies to the golden-vector tests
/// (test/evm/codec.test.ts). The per-kind decoders come from BodiesHarness (generated from the schema).
contract CodecHarness is BodiesHarness {
    function decodeHeader(bytes calldata m) external pure returns (HexsCodec.Header memory h, bytes memory body) {
        return HexsCodec.decodeHeader(m);
    }

    function validate(bytes calldata m) external pure returns (HexsCodec.Header memory) {
        return HexsCodec.validate(m);
    }

    function digest(bytes calldata m) external pure returns (bytes32) {
        return HexsCodec.digestCalldata(m);
    }

    /// @notice Fully decodes a message, then re-encodes it with the Solidity encoders.
    function roundTrip(bytes calldata m) external pure returns (bytes memory) {
        (HexsCodec.Header memory h, bytes calldata b) = HexsCodec.decodeHeader(m);
        bytes memory body = _reencodeBody(h.kind, b);
        return HexsCodec.encodeMessage(h, body);
    }

    function batchRoot(
        uint32 srcChain,
        uint32 dstChain,
        uint64 firstNonce,
        bytes32[] calldata digests
    ) external pure returns (bytes32) {
        return HexsCodec.batchRoot(srcChain, dstChain, firstNonce, digests);
    }

    function batchRootOf(
        bytes[] calldata messages
    ) external pure returns (bytes32 root, HexsCodec.Header memory first) {
        return HexsCodec.batchRootOf(messages);
    }

    function encodeAccount(HexsCodec.Account calldata a) external pure returns (bytes memory) {
        return HexsCodec.encodeAccount(a);
    }

    function globalId(uint32 originChain, uint32 localSerial) external pure returns (uint64) {
        return HexsCodec.globalId(originChain, localSerial);
    }

    // ---------------------------------------------------------------- gas probes

    /// @notice Gas spent decoding one KeyMinted message (envelope + body) from calldata.
    function gasDecodeKeyMinted(bytes calldata m) external view returns (uint256 used) {
        uint256 g = gasleft();
        (, bytes calldata b) = HexsCodec.expectKind(m, HexsBodies.KIND_KEY_MINTED);
        HexsBodies.decodeKeyMinted(b);
        used = g - gasleft();
    }

    /// @notice Gas spent fully validating one message of any kind from calldata.
    function gasValidate(bytes calldata m) external view returns (uint256 used) {
        uint256 g = gasleft();
        HexsCodec.validate(m);
        used = g - gasleft();
    }

    /// @notice Gas spent computing a batch root and decoding every KeyMinted body of the batch.
    function gasBatchKeyMinted(bytes[] calldata messages) external view returns (uint256 used, bytes32 root) {
        uint256 g = gasleft();
        (root, ) = HexsCodec.batchRootOf(messages);
        for (uint256 i = 0; i < messages.length; ++i) {
            (, bytes calldata b) = HexsCodec.expectKind(messages[i], HexsBodies.KIND_KEY_MINTED);
            HexsBodies.decodeKeyMinted(b);
        }
        used = g - gasleft();
    }
}

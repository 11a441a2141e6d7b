// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {HexsCodec} from "../libraries/HexsCodec.sol";

/// @notice Test-only wrapper exposing HexsCodec to the golden-vector tests (test/evm/codec.test.ts).
contract CodecHarness {
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
        bytes memory body;
        uint8 k = h.kind;
        if (k == HexsCodec.KIND_MODEL_REGISTERED) {
            body = HexsCodec.encodeModelRegistered(HexsCodec.decodeModelRegistered(b));
        } else if (k == HexsCodec.KIND_MODEL_UPDATED) {
            body = HexsCodec.encodeModelUpdated(HexsCodec.decodeModelUpdated(b));
        } else if (k == HexsCodec.KIND_KEY_MINTED) {
            body = HexsCodec.encodeKeyMinted(HexsCodec.decodeKeyMinted(b));
        } else if (k == HexsCodec.KIND_KEY_TRANSFERRED) {
            body = HexsCodec.encodeKeyTransferred(HexsCodec.decodeKeyTransferred(b));
        } else if (k == HexsCodec.KIND_KEY_MOVED) {
            body = HexsCodec.encodeKeyMoved(HexsCodec.decodeKeyMoved(b));
        } else if (k == HexsCodec.KIND_KEY_BURNED) {
            body = HexsCodec.encodeKeyBurned(HexsCodec.decodeKeyBurned(b));
        } else if (k == HexsCodec.KIND_PURCHASE_SETTLED) {
            body = HexsCodec.encodePurchaseSettled(HexsCodec.decodePurchaseSettled(b));
        } else if (k == HexsCodec.KIND_LEASE_REPORTED) {
            body = HexsCodec.encodeLeaseReported(HexsCodec.decodeLeaseReported(b));
        } else {
            body = HexsCodec.encodePayoutAddressBound(HexsCodec.decodePayoutAddressBound(b));
        }
        return HexsCodec.encodeMessage(h, body);
    }

    function decodeModelRegistered(bytes calldata m) external pure returns (HexsCodec.ModelRegistered memory) {
        (, bytes calldata b) = HexsCodec.expectKind(m, HexsCodec.KIND_MODEL_REGISTERED);
        return HexsCodec.decodeModelRegistered(b);
    }

    function decodeModelUpdated(bytes calldata m) external pure returns (HexsCodec.ModelUpdated memory) {
        (, bytes calldata b) = HexsCodec.expectKind(m, HexsCodec.KIND_MODEL_UPDATED);
        return HexsCodec.decodeModelUpdated(b);
    }

    function decodeKeyMinted(bytes calldata m) external pure returns (HexsCodec.KeyMinted memory) {
        (, bytes calldata b) = HexsCodec.expectKind(m, HexsCodec.KIND_KEY_MINTED);
        return HexsCodec.decodeKeyMinted(b);
    }

    function decodeKeyTransferred(bytes calldata m) external pure returns (HexsCodec.KeyTransferred memory) {
        (, bytes calldata b) = HexsCodec.expectKind(m, HexsCodec.KIND_KEY_TRANSFERRED);
        return HexsCodec.decodeKeyTransferred(b);
    }

    function decodeKeyMoved(bytes calldata m) external pure returns (HexsCodec.KeyMoved memory) {
        (, bytes calldata b) = HexsCodec.expectKind(m, HexsCodec.KIND_KEY_MOVED);
        return HexsCodec.decodeKeyMoved(b);
    }

    function decodeKeyBurned(bytes calldata m) external pure returns (HexsCodec.KeyBurned memory) {
        (, bytes calldata b) = HexsCodec.expectKind(m, HexsCodec.KIND_KEY_BURNED);
        return HexsCodec.decodeKeyBurned(b);
    }

    function decodePurchaseSettled(bytes calldata m) external pure returns (HexsCodec.PurchaseSettled memory) {
        (, bytes calldata b) = HexsCodec.expectKind(m, HexsCodec.KIND_PURCHASE_SETTLED);
        return HexsCodec.decodePurchaseSettled(b);
    }

    function decodeLeaseReported(bytes calldata m) external pure returns (HexsCodec.LeaseReported memory) {
        (, bytes calldata b) = HexsCodec.expectKind(m, HexsCodec.KIND_LEASE_REPORTED);
        return HexsCodec.decodeLeaseReported(b);
    }

    function decodePayoutAddressBound(bytes calldata m) external pure returns (HexsCodec.PayoutAddressBound memory) {
        (, bytes calldata b) = HexsCodec.expectKind(m, HexsCodec.KIND_PAYOUT_ADDRESS_BOUND);
        return HexsCodec.decodePayoutAddressBound(b);
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

    function payoutBindingDigest(
        HexsCodec.Account calldata creator,
        uint32 chain,
        HexsCodec.Account calldata payout,
        uint64 bindNonce
    ) external pure returns (bytes32) {
        return HexsCodec.payoutBindingDigest(creator, chain, payout, bindNonce);
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
        (, bytes calldata b) = HexsCodec.expectKind(m, HexsCodec.KIND_KEY_MINTED);
        HexsCodec.decodeKeyMinted(b);
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
            (, bytes calldata b) = HexsCodec.expectKind(messages[i], HexsCodec.KIND_KEY_MINTED);
            HexsCodec.decodeKeyMinted(b);
        }
        used = g - gasleft();
    }
}

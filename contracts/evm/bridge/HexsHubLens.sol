// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {HexsHub} from "./HexsHub.sol";
import {HexsCodec} from "../libraries/HexsCodec.sol";
import {PackedHolding} from "../libraries/PackedHolding.sol";
import {PackedMirrorKey} from "../libraries/PackedMirrorKey.sol";

/// @title HexsHubLens
/// @notice Read-only views of any HexsHub, kept out of the hub so that its bytecode stays under
/// EIP-170 with room for its checks. Stateless: it reads the hub's storage words through
/// `HexsHub.extsload`, at the slots the compiler derives from the hub's own `HubStorage`
/// declaration (the lens never reads or writes its own storage), so the two cannot disagree on
/// the layout. One lens serves every hub of every chain.
contract HexsHubLens {
    /// @dev The hub's ERC-7201 namespace, `hexs.storage.Hub` (HexsHub.STORAGE_SLOT).
    bytes32 private constant HUB_STORAGE =
        keccak256(abi.encode(uint256(keccak256("hexs.storage.Hub")) - 1)) & ~bytes32(uint256(0xff));

    /// @notice `mirroredKey`'s answer: the record widened back to the codec's types (`owner` is
    /// the holder's account key; all zero when the key is not mirrored here for that holder).
    struct MirrorKeyView {
        uint64 modelId;
        uint64 expiresAt;
        uint32 resident;
        bool locked;
        bytes32 owner;
    }

    /// @notice Key `keyId` of model `modelId` as mirrored by `hub` for `owner` (all zero if the
    /// hub does not mirror it for that holder: unknown, held by someone else, or resident there).
    function mirroredKey(
        HexsHub hub,
        uint64 keyId,
        uint64 modelId,
        HexsCodec.Account memory owner
    ) external view returns (MirrorKeyView memory v) {
        HexsHub.HubStorage storage s = _layout();
        bytes32 account = keccak256(HexsCodec.encodeAccount(owner));
        PackedHolding h = PackedHolding.wrap(uint256(_read(hub, _slotOf(s.holdings[modelId][account]))));
        if (h.keyId() == keyId && keyId != 0) {
            (v.expiresAt, v.resident, v.locked) = (h.expiresAt(), h.resident(), h.locked());
        } else {
            PackedMirrorKey k = PackedMirrorKey.wrap(uint256(_read(hub, _slotOf(s.keys[keyId]))));
            if (k.isEmpty() || k.owner() != bytes14(account) || k.modelId() != modelId) return v;
            (v.expiresAt, v.resident, v.locked) = (k.expiresAt(), k.resident(), k.locked());
        }
        (v.modelId, v.owner) = (modelId, account);
    }

    /// @notice The hub's outbound journal: entries recorded and the hash-chain head.
    function journal(HexsHub hub) external view returns (uint64 count, bytes24 head) {
        uint256 word = uint256(_read(hub, HUB_STORAGE)); // slot 0: head (24 bytes) | count
        return (uint64(word >> 192), bytes24(uint192(word)));
    }

    /// @notice The chains `hub` has lanes to, in the order they were first configured.
    function peers(HexsHub hub) external view returns (uint32[] memory list) {
        uint32[] storage stored = _layout().peers;
        bytes32 slot;
        assembly ("memory-safe") {
            slot := stored.slot
        }
        list = new uint32[](uint256(_read(hub, slot)));
        bytes32 data = keccak256(abi.encode(slot)); // eight uint32 per word, lowest first
        for (uint256 i; i < list.length; ++i) {
            list[i] = uint32(uint256(_read(hub, bytes32(uint256(data) + i / 8))) >> (32 * (i % 8)));
        }
    }

    /// @notice The lane to `chain`'s account family (0 = not set: no key moves there) and epoch
    /// (bumped each time its transport changes).
    function laneFamily(HexsHub hub, uint32 chain) external view returns (uint8 family, uint32 epoch) {
        // Lane slot 2: sentHead (24 bytes) | family (1) | epoch (4)
        uint256 word = uint256(_read(hub, bytes32(uint256(_slotOf(_layout().lanes[chain])) + 2)));
        return (uint8(word >> 192), uint32(word >> 200));
    }

    /// @notice A message `hub` refused and still offers to `reapply` (by its digest, keccak256 of
    /// its encoding): the lane it came from (0 = none recorded), the lane's epoch then, its nonce.
    function refusal(HexsHub hub, bytes32 digest) external view returns (uint32 srcChain, uint32 epoch, uint64 nonce) {
        mapping(bytes32 => uint256) storage rejected = _layout().rejected;
        bytes32 slot;
        assembly ("memory-safe") {
            slot := rejected.slot
        }
        uint256 word = uint256(_read(hub, keccak256(abi.encode(digest, slot))));
        return (uint32(word), uint32(word >> 32), uint64(word >> 64));
    }

    /// @notice Where LeaseReported messages are accepted from and what they resolve (see
    /// `HexsHub.setLeaseReporting`).
    function leaseReporting(HexsHub hub) external view returns (uint32 akashChain, address market, address payee) {
        mapping(bytes32 => uint256) storage rejected = _layout().rejected;
        uint256 slot;
        assembly ("memory-safe") {
            slot := rejected.slot
        }
        // the two slots after `rejected`: leaseChain | leaseMarket, then leasePayee
        uint256 word = uint256(_read(hub, bytes32(slot + 1)));
        return (uint32(word), address(uint160(word >> 32)), address(uint160(uint256(_read(hub, bytes32(slot + 2))))));
    }

    /// @notice The HexsResale that applies resale orders and results there (`HexsHub.setResale`).
    function resaleOf(HexsHub hub) external view returns (address) {
        mapping(bytes32 => uint256) storage rejected = _layout().rejected;
        uint256 slot;
        assembly ("memory-safe") {
            slot := rejected.slot
        }
        // after `rejected`: leaseChain | leaseMarket, leasePayee, bindings, then resale
        return address(uint160(uint256(_read(hub, bytes32(slot + 4)))));
    }

    function _read(HexsHub hub, bytes32 slot) private view returns (bytes32) {
        return hub.extsload(slot);
    }

    function _slotOf(HexsHub.Holding storage h) private pure returns (bytes32 slot) {
        assembly ("memory-safe") {
            slot := h.slot
        }
    }

    function _slotOf(HexsHub.MirrorKey storage k) private pure returns (bytes32 slot) {
        assembly ("memory-safe") {
            slot := k.slot
        }
    }

    function _slotOf(HexsHub.Lane storage lane) private pure returns (bytes32 slot) {
        assembly ("memory-safe") {
            slot := lane.slot
        }
    }

    /// @dev The hub's `HubStorage` at its namespace: only ever used to compute slots.
    function _layout() private pure returns (HexsHub.HubStorage storage s) {
        bytes32 slot = HUB_STORAGE;
        assembly ("memory-safe") {
            s.slot := slot
        }
    }
}

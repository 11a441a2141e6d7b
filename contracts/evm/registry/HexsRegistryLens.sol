// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {HexsRegistry} from "./HexsRegistry.sol";
import {IHexsHub} from "../interfaces/IHexsHub.sol";
import {IKeyCollection} from "../interfaces/IKeyCollection.sol";
import {HexsCodec} from "../libraries/HexsCodec.sol";

/// @title HexsRegistryLens
/// @notice Read-only views of any HexsRegistry that no contract calls, kept out of the registry
/// so that its bytecode stays under EIP-170 with the push of sale terms to the market. Stateless:
/// it reads the registry's storage words through `HexsRegistry.extsload`, at the slots the
/// compiler derives from the registry's own `RegistryStorage` declaration (the lens never reads
/// or writes its own storage), so the two cannot disagree on the layout. One lens serves every
/// registry of every chain.
contract HexsRegistryLens {
    /// @dev The registry's ERC-7201 namespace, `hexs.storage.Registry` (HexsRegistry.STORAGE_SLOT).
    bytes32 private constant REGISTRY_STORAGE =
        keccak256(abi.encode(uint256(keccak256("hexs.storage.Registry")) - 1)) & ~bytes32(uint256(0xff));

    /// @notice The commitment a model publishes: binds the encrypted SDL to the image it runs.
    function commitment(bytes32 encryptedSdlHash, bytes32 imageDigest) external pure returns (bytes32) {
        return keccak256(abi.encode(encryptedSdlHash, imageDigest));
    }

    /// @notice Models published on `registry`'s chain (mirrors of other chains' models not counted).
    function modelCount(HexsRegistry registry) external view returns (uint32) {
        // slot 0: chainId (4 bytes) | modelSerial (4) | keyBeacon (20), lowest first
        return uint32(uint256(_read(registry, REGISTRY_STORAGE)) >> 32);
    }

    /// @notice The beacon every key collection of `registry` follows (address(0) until wired).
    function keyBeacon(HexsRegistry registry) external view returns (address) {
        return address(uint160(uint256(_read(registry, REGISTRY_STORAGE)) >> 64));
    }

    /// @notice Whether `registry` holds model `modelId` (published here or mirrored).
    function exists(HexsRegistry registry, uint64 modelId) public view returns (bool) {
        HexsRegistry.Model storage m = _layout().models[modelId];
        bytes32 slot;
        assembly ("memory-safe") {
            slot := m.slot
        }
        // Model slot 0: creator (20 bytes, lowest) | parentId | upstreamBps | daoBps
        return uint160(uint256(_read(registry, slot))) != 0;
    }

    /// @notice The price of a key of `modelId` in `currency` (all zero if never set).
    function priceOf(
        HexsRegistry registry,
        uint64 modelId,
        address currency
    ) external view returns (HexsRegistry.Price memory price) {
        HexsRegistry.Price storage p = _layout().prices[modelId][currency];
        bytes32 slot;
        assembly ("memory-safe") {
            slot := p.slot
        }
        // one slot: keyPrice (16 bytes, lowest) | deploymentPrice (15) | listed (1)
        uint256 word = uint256(_read(registry, slot));
        price = HexsRegistry.Price(uint128(word), uint120(word >> 128), (word >> 248) != 0);
    }

    /// @notice The currencies `modelId` is listed in on `registry` (at most HexsBodies.MAX_PRICES).
    function listedCurrencies(HexsRegistry registry, uint64 modelId) external view returns (address[] memory list) {
        address[] storage stored = _layout().currencies[modelId];
        bytes32 slot;
        assembly ("memory-safe") {
            slot := stored.slot
        }
        list = new address[](uint256(_read(registry, slot)));
        bytes32 data = keccak256(abi.encode(slot)); // one address per word
        for (uint256 i; i < list.length; ++i) {
            list[i] = address(uint160(uint256(_read(registry, bytes32(uint256(data) + i)))));
        }
    }

    /// @notice True when `account` holds a perpetual or unexpired key of `modelId` on
    /// `registry`'s chain. Keys resident on other chains count too (through the hub's mirror).
    /// Reverts `HexsRegistry.ModelNotFound` for an unknown model.
    function hasAccess(HexsRegistry registry, uint64 modelId, address account) external view returns (bool) {
        if (IKeyCollection(registry.keysOf(modelId)).hasAccess(account)) return true;
        IHexsHub hub = registry.hub();
        return address(hub) != address(0) && hub.hasMirroredAccess(modelId, HexsCodec.evmAccount(account));
    }

    /// @notice The market `registry` pushes sale terms to (address(0) until `setSaleSink`).
    function saleSink(HexsRegistry registry) external view returns (address) {
        mapping(address => HexsRegistry.Payout) storage payouts = _layout().payouts;
        uint256 slot;
        assembly ("memory-safe") {
            slot := payouts.slot
        }
        // the slot after `payouts`: saleSink
        return address(uint160(uint256(_read(registry, bytes32(slot + 1)))));
    }

    function _read(HexsRegistry registry, bytes32 slot) private view returns (bytes32) {
        return registry.extsload(slot);
    }

    /// @dev The registry's `RegistryStorage` at its namespace: only ever used to compute slots.
    function _layout() private pure returns (HexsRegistry.RegistryStorage storage s) {
        bytes32 slot = REGISTRY_STORAGE;
        assembly ("memory-safe") {
            s.slot := slot
        }
    }
}

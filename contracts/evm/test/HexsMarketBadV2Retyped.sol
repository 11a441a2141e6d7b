// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IHexsRegistry} from "../interfaces/IHexsRegistry.sol";

/// @notice TEST ONLY. Storage-INCOMPATIBLE market upgrade: the protocol fee changes type
/// (uint16 -> uint64), which changes the packing of the struct's first slot.
contract HexsMarketBadV2Retyped is Initializable, AccessControlUpgradeable, UUPSUpgradeable, ReentrancyGuardTransient {
    struct Escrow {
        address buyer;
        address currency;
        uint256 amount;
    }

    /// @custom:storage-location erc7201:hexs.storage.Market
    struct MarketStorage {
        IHexsRegistry registry;
        uint32 keySerial;
        uint32 chainId;
        uint64 protocolFeeBps; // <- was uint16
        bool paused;
        address feeRecipient;
        mapping(address currency => uint256) protocolFees;
        mapping(address currency => bool) acceptedToken;
        mapping(uint64 modelId => mapping(address currency => uint256)) vault;
        mapping(address payee => mapping(address currency => uint256)) credit;
        mapping(uint256 keyId => Escrow) escrow;
        mapping(uint64 modelId => IHexsRegistry.Lineage) lineage;
        mapping(uint64 modelId => address) dao;
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    function protocolFeeBps() external view returns (uint64) {
        return _s().protocolFeeBps;
    }

    function _authorizeUpgrade(address) internal override onlyRole(DEFAULT_ADMIN_ROLE) {}

    function _s() private pure returns (MarketStorage storage s) {
        bytes32 slot = 0x992f15a3e70dc34482e8b8da07c01d50e07e98b45d9c0fb142601ebcaa792500;
        assembly {
            s.slot := slot
        }
    }
}

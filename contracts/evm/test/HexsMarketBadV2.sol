// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IHexsRegistry} from "../interfaces/IHexsRegistry.sol";

/// @notice TEST ONLY. Storage-INCOMPATIBLE market upgrade: same bases as HexsMarket, but a
/// field is inserted at the head of the ERC-7201 namespaced struct, shifting every later field.
/// The OpenZeppelin upgrades plugin must refuse it. Never deployed behind a proxy.
contract HexsMarketBadV2 is Initializable, AccessControlUpgradeable, UUPSUpgradeable, ReentrancyGuardTransient {
    struct Escrow {
        address buyer;
        address currency;
        uint256 amount;
    }

    /// @custom:storage-location erc7201:hexs.storage.Market
    struct MarketStorage {
        uint256 insertedCounter; // <- inserted: breaks the layout
        IHexsRegistry registry;
        uint32 keySerial;
        uint32 chainId;
        uint16 protocolFeeBps;
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

    function insertedCounter() external view returns (uint256) {
        return _s().insertedCounter;
    }

    function _authorizeUpgrade(address) internal override onlyRole(DEFAULT_ADMIN_ROLE) {}

    function _s() private pure returns (MarketStorage storage s) {
        bytes32 slot = 0x992f15a3e70dc34482e8b8da07c01d50e07e98b45d9c0fb142601ebcaa792500;
        assembly {
            s.slot := slot
        }
    }
}

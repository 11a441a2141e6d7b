// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IHexsRegistry} from "../interfaces/IHexsRegistry.sol";
import {HexsResale} from "../market/HexsResale.sol";

/// @notice TEST ONLY. Storage-INCOMPATIBLE resale upgrade: the same bases as HexsResale, but a
/// field is inserted at the head of the ERC-7201 namespaced struct, shifting every later field.
/// The OpenZeppelin upgrades plugin must refuse it. Never deployed behind a proxy.
contract HexsResaleBadV2 is Initializable, AccessControlUpgradeable, UUPSUpgradeable, ReentrancyGuardTransient {
    /// @custom:storage-location erc7201:hexs.storage.Resale
    struct ResaleStorage {
        uint256 insertedCounter; // <- inserted: breaks the layout
        IHexsRegistry registry;
        bool paused;
        uint64 offerSerial;
        address market;
        mapping(uint256 keyId => HexsResale.Listing) listings;
        mapping(uint256 offerId => HexsResale.Offer) offers;
        mapping(address payee => mapping(address currency => uint256)) credit;
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    function insertedCounter() external view returns (uint256) {
        return _s().insertedCounter;
    }

    function _authorizeUpgrade(address) internal override onlyRole(DEFAULT_ADMIN_ROLE) {}

    function _s() private pure returns (ResaleStorage storage s) {
        bytes32 slot = 0xd8e02c12f4fd2e5cf58c3d89599c850c83b54ac411405de2112d0463d1a27d00;
        assembly {
            s.slot := slot
        }
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IHexsRegistry} from "../interfaces/IHexsRegistry.sol";
import {HexsMarket} from "../market/HexsMarket.sol";

/// @notice TEST ONLY. HexsResale's storage as deployed before order deadlines (RemoteOrder without
/// `deadline`), no logic: test/evm/resale-crosschain.test.ts validates the current HexsResale as an
/// upgrade of it, so the appended field cannot move existing storage.
contract HexsResaleLayoutV1 is Initializable, AccessControlUpgradeable, UUPSUpgradeable, ReentrancyGuardTransient {
    struct Listing {
        address seller;
        uint64 modelId;
        uint8 leaseEscrow;
        address currency;
        uint96 price;
    }

    struct Offer {
        address buyer;
        uint64 modelId;
        uint32 validUntil;
        address currency;
        uint96 amount;
        uint64 keyId;
        uint8 leaseEscrow;
    }

    struct RemotePrice {
        address seller;
        uint96 price;
        address currency;
    }

    struct RemoteOrder {
        address buyer;
        uint32 listingChain;
        uint64 modelId;
        address seller;
        uint96 price;
        address currency;
        uint64 keyId;
    }

    /// @custom:storage-location erc7201:hexs.storage.Resale
    struct ResaleStorage {
        IHexsRegistry registry;
        bool paused;
        uint64 offerSerial;
        HexsMarket market;
        mapping(uint256 keyId => Listing) listings;
        mapping(uint256 offerId => Offer) offers;
        mapping(address payee => mapping(address currency => uint256)) credit;
        uint32 orderSerial;
        mapping(uint32 chain => bool) resalePeers;
        mapping(uint64 orderId => RemoteOrder) orders;
        mapping(uint256 keyId => mapping(uint32 chain => RemotePrice)) remotePrices;
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    function _authorizeUpgrade(address) internal override onlyRole(DEFAULT_ADMIN_ROLE) {}
}

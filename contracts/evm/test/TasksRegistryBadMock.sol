// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";

/// @notice TEST ONLY (tasks tests). An upgrade that breaks the registry's storage: the same
/// ERC-7201 namespace with `chainId` widened and moved after the model serial, so every id the
/// registry minted would read differently. The upgrades plugin must reject it.
contract TasksRegistryBadMock is AccessControlUpgradeable, PausableUpgradeable, UUPSUpgradeable {
    /// @custom:storage-location erc7201:hexs.storage.Registry
    struct RegistryStorage {
        uint64 modelSerial;
        uint64 chainId;
        address keyBeacon;
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    function _authorizeUpgrade(address) internal override {}
}

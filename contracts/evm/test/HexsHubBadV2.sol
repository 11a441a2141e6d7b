// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";

/// @notice TEST ONLY. Storage-INCOMPATIBLE hub upgrade: the hub's bases and ERC-7201 namespace,
/// with a field inserted at the head of `HubStorage` (the journal head and count would move, and
/// every later field with them). The upgrades plugin must refuse it; never behind a proxy.
contract HexsHubBadV2 is Initializable, AccessControlUpgradeable, UUPSUpgradeable {
    /// @custom:storage-location erc7201:hexs.storage.Hub
    struct HubStorage {
        uint256 insertedCounter; // <- inserted: breaks the layout
        bytes24 head;
        uint64 count;
        address registry;
        uint32 chainId;
        bool paused;
    }

    // keccak256(abi.encode(uint256(keccak256("hexs.storage.Hub")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_SLOT = 0xed831aabcf8e62e82a355daef486871821d49f1b1e64d8888f037bee1153b000;

    /// @dev Takes the hub's constructor argument, so the task could deploy it if it did not refuse.
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(uint32) {
        _disableInitializers();
    }

    function insertedCounter() external view returns (uint256) {
        return _s().insertedCounter;
    }

    function _authorizeUpgrade(address) internal override onlyRole(DEFAULT_ADMIN_ROLE) {}

    function _s() private pure returns (HubStorage storage s) {
        bytes32 slot = STORAGE_SLOT;
        assembly {
            s.slot := slot
        }
    }
}

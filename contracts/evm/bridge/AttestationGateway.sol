// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {IHexsHub} from "../interfaces/IHexsHub.sol";
import {HexsCodec} from "../libraries/HexsCodec.sol";

/// @title AttestationGateway
/// @notice Transport for chains without LayerZero (the CosmWasm chain, the Akash lane): a
/// batch of one lane's consecutive codec messages is accepted with M-of-N secp256k1 relayer
/// signatures over its batch root, so a batch of any size costs one set of signature checks.
/// Anyone holding enough signatures may submit (self-relay). Lane order, replay protection,
/// rate limits and pause are the hub's (the same for every transport).
///
/// Signatures are 65-byte `r ‖ s ‖ v` over the raw 32-byte root (no prefix: relayer keys sign
/// nothing else), ordered by strictly increasing signer address, which rejects duplicates in
/// one pass. The outbound stream toward these chains is the hub's `Recorded` events, which the
/// relayers sign for the other side.
/// @dev UUPS; the relayer set and threshold change only through the timelock (admin); the
/// threshold is always a strict majority of the set (M > N/2).
contract AttestationGateway is Initializable, AccessControlUpgradeable, UUPSUpgradeable {
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");
    uint256 public constant MAX_RELAYERS = 32;

    /// @custom:storage-location erc7201:hexs.storage.Gateway
    struct GatewayStorage {
        IHexsHub hub;
        uint32 chainId;
        uint8 threshold;
        uint32 epoch; // increments with every relayer-set change
        address[] relayers;
        mapping(uint32 epoch => mapping(address => bool)) isRelayer;
    }

    // keccak256(abi.encode(uint256(keccak256("hexs.storage.Gateway")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_SLOT = 0x1aa1e3e2d6c00a5aaaf3b98125d41fd0d30a48b8ad9626a589b89e868eec1300;

    event RelayersSet(uint32 indexed epoch, address[] relayers, uint8 threshold);
    event BatchAccepted(uint32 indexed srcChain, uint64 firstNonce, uint256 count, bytes32 root, address submitter);

    error WrongDestination(uint32 expected, uint32 actual);
    error NotRelayer(address signer);
    error SignersNotAscending(address signer);
    error BelowThreshold(uint256 valid, uint8 threshold);
    error InvalidRelayerSet();
    error ThresholdNotMajority(uint8 threshold, uint256 relayers);

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    function initialize(
        IHexsHub hub_,
        uint32 chainId_,
        address admin,
        address[] calldata relayers_,
        uint8 threshold
    ) external initializer {
        __AccessControl_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(UPGRADER_ROLE, admin);
        GatewayStorage storage s = _s();
        s.hub = hub_;
        s.chainId = chainId_;
        _setRelayers(s, relayers_, threshold);
    }

    /// @notice Deliver a batch of one lane's consecutive messages to the hub.
    /// @param signatures relayer signatures over the batch root, ordered by signer address.
    function submitBatch(bytes[] calldata messages, bytes[] calldata signatures) external {
        GatewayStorage storage s = _s();
        (bytes32 root, HexsCodec.Header memory first) = HexsCodec.batchRootOf(messages);
        if (first.dstChain != s.chainId) revert WrongDestination(s.chainId, first.dstChain);
        _checkSignatures(s, root, signatures);
        emit BatchAccepted(first.srcChain, first.nonce, messages.length, root, msg.sender);
        _forward(s.hub, first.srcChain, messages);
    }

    /// @dev `hub.deliver(srcChain, messages)` without re-encoding the array: its calldata is
    /// `deliver.selector ‖ srcChain ‖ 0x40 ‖` this call's calldata from the array's length word
    /// on. Element offsets are relative to the array and never point before it, so the hub
    /// decodes exactly the array checked here (the trailing signatures are ignored by it).
    function _forward(IHexsHub hub, uint32 srcChain, bytes[] calldata messages) private {
        uint256 start;
        assembly ("memory-safe") {
            start := sub(messages.offset, 32)
        }
        bytes memory data = abi.encodePacked(
            IHexsHub.deliver.selector,
            uint256(srcChain),
            uint256(0x40),
            msg.data[start:]
        );
        (bool ok, bytes memory reason) = address(hub).call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(reason, 32), mload(reason))
            }
        }
    }

    /// @notice Replace the relayer set and threshold (timelock only; threshold > half the set).
    /// Signatures by the old set stop counting at once, including for batches signed but not yet submitted.
    function setRelayers(address[] calldata relayers_, uint8 threshold) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setRelayers(_s(), relayers_, threshold);
    }

    function relayers() external view returns (address[] memory set, uint8 threshold, uint32 epoch) {
        GatewayStorage storage s = _s();
        return (s.relayers, s.threshold, s.epoch);
    }

    function _checkSignatures(GatewayStorage storage s, bytes32 root, bytes[] calldata signatures) private view {
        uint32 epoch = s.epoch;
        address last = address(0);
        for (uint256 i; i < signatures.length; ++i) {
            address signer = ECDSA.recover(root, signatures[i]);
            if (!s.isRelayer[epoch][signer]) revert NotRelayer(signer);
            if (signer <= last) revert SignersNotAscending(signer);
            last = signer;
        }
        if (signatures.length < s.threshold) revert BelowThreshold(signatures.length, s.threshold);
    }

    function _setRelayers(GatewayStorage storage s, address[] calldata set, uint8 threshold) private {
        if (threshold > set.length || set.length > MAX_RELAYERS) revert InvalidRelayerSet();
        // A majority: two disjoint quorums cannot both sign, and a minority of relayers cannot forge a batch.
        if (uint256(threshold) * 2 <= set.length) revert ThresholdNotMajority(threshold, set.length);
        uint32 epoch = s.epoch + 1;
        for (uint256 i; i < set.length; ++i) {
            if (set[i] == address(0) || s.isRelayer[epoch][set[i]]) revert InvalidRelayerSet();
            s.isRelayer[epoch][set[i]] = true;
        }
        s.epoch = epoch;
        s.relayers = set;
        s.threshold = threshold;
        emit RelayersSet(epoch, set, threshold);
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}

    function _s() private pure returns (GatewayStorage storage s) {
        bytes32 slot = STORAGE_SLOT;
        assembly {
            s.slot := slot
        }
    }
}

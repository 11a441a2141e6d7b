// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {
    OAppUpgradeable,
    Origin,
    MessagingFee
} from "@layerzerolabs/oapp-evm-upgradeable/contracts/oapp/OAppUpgradeable.sol";
import {OAppOptionsType3Upgradeable} from "@layerzerolabs/oapp-evm-upgradeable/contracts/oapp/libs/OAppOptionsType3Upgradeable.sol";

import {IHexsHub, ITransport} from "../interfaces/IHexsHub.sol";

/// @title HexsLzBridge
/// @notice LayerZero V2 transport between EVM chains: carries the hub's batches of codec
/// messages (one LayerZero packet per flush) and hands received batches to the hub.
///
/// Ordering: the endpoint lets any verified nonce execute once all lower nonces are verified,
/// so order is enforced by the hub (a batch whose first lane nonce is not the next one
/// reverts, the packet stays stored in the endpoint and the executor retries it later).
/// Pause and rate limits are the hub's per-lane controls; a reverted receive (paused, rate
/// limited, out of gas) is retried with `lzReceive` on the endpoint (`bridge:retry`).
/// Enforced options (the executor gas for `lzReceive`) are set per chain by the owner from
/// measured figures (`lz:wire`), and flushers may add more per batch.
/// @dev UUPS; the owner (OApp delegate) is the timelock.
/// @custom:oz-upgrades-unsafe-allow state-variable-immutable
contract HexsLzBridge is OAppUpgradeable, OAppOptionsType3Upgradeable, UUPSUpgradeable, ITransport {
    uint16 public constant MSG_BATCH = 1;

    /// @notice The hub this bridge delivers to (fixed per implementation: a hub change is an upgrade).
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    IHexsHub private immutable HUB;

    /// @custom:storage-location erc7201:hexs.storage.LzBridge
    struct BridgeStorage {
        mapping(uint32 chain => uint32 eid) eidOf;
        mapping(uint32 eid => uint32 chain) chainOf;
    }

    // keccak256(abi.encode(uint256(keccak256("hexs.storage.LzBridge")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_SLOT = 0xa93ab8f6c69f149ce3b8f3c36f0e768b8aa2c3a3d5d528b814f57686ac2f9500;

    event ChainMapped(uint32 indexed chain, uint32 indexed eid);
    event BatchSent(uint32 indexed dstChain, bytes32 guid, uint256 messages);

    error NotHub(address caller);
    error UnknownChain(uint32 chain);
    error UnknownEid(uint32 eid);
    error BadPayload();

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address endpoint, IHexsHub hub_) OAppUpgradeable(endpoint) {
        if (address(hub_) == address(0)) revert NotHub(address(0));
        HUB = hub_;
        _disableInitializers();
    }

    /// @dev LayerZero's __OApp_init runs the empty unchained initializers of its parents.
    /// @custom:oz-upgrades-unsafe-allow missing-initializer-call incorrect-initializer-order
    function initialize(address owner_) external initializer {
        __Ownable_init(owner_);
        __OApp_init(owner_);
        __OAppOptionsType3_init();
    }

    /// @notice Map a Hexs chain identifier to its LayerZero endpoint id (both directions).
    function mapChain(uint32 chain, uint32 eid) external onlyOwner {
        BridgeStorage storage s = _s();
        s.eidOf[chain] = eid;
        s.chainOf[eid] = chain;
        emit ChainMapped(chain, eid);
    }

    /// @inheritdoc ITransport
    function send(
        uint32 dstChain,
        bytes[] calldata messages,
        bytes calldata options,
        address refundTo
    ) external payable {
        BridgeStorage storage s = _s();
        if (msg.sender != address(HUB)) revert NotHub(msg.sender);
        uint32 eid = _eid(s, dstChain);
        bytes32 guid = _lzSend(
            eid,
            abi.encode(messages),
            combineOptions(eid, MSG_BATCH, options),
            MessagingFee(msg.value, 0),
            refundTo
        ).guid;
        emit BatchSent(dstChain, guid, messages.length);
    }

    /// @notice Native fee to send `messages` to `dstChain` with extra `options`.
    function quote(
        uint32 dstChain,
        bytes[] calldata messages,
        bytes calldata options
    ) external view returns (uint256 nativeFee) {
        uint32 eid = _eid(_s(), dstChain);
        return _quote(eid, abi.encode(messages), combineOptions(eid, MSG_BATCH, options), false).nativeFee;
    }

    function hub() external view returns (IHexsHub) {
        return HUB;
    }

    function eidOf(uint32 chain) external view returns (uint32) {
        return _s().eidOf[chain];
    }

    function chainOfEid(uint32 eid) external view returns (uint32) {
        return _s().chainOf[eid];
    }

    /// @dev The OApp base has already checked the endpoint and the peer for `origin.srcEid`.
    /// The payload (`abi.encode(bytes[])`, as `send` made it) is handed to `hub.deliver` as is:
    /// its calldata is `deliver.selector ‖ srcChain ‖ payload` with the array's head offset
    /// moved by the one word that precedes it, so the messages are neither decoded into memory
    /// here nor re-encoded; the hub's ABI decoder checks the encoding as for any caller.
    /// No event of its own: the endpoint's PacketDelivered and the hub's BatchApplied say it all.
    function _lzReceive(
        Origin calldata origin,
        bytes32,
        bytes calldata payload,
        address,
        bytes calldata
    ) internal override {
        uint32 srcChain = _s().chainOf[origin.srcEid];
        if (srcChain == 0) revert UnknownEid(origin.srcEid);
        if (payload.length < 32) revert BadPayload();
        uint256 head = uint256(bytes32(payload[:32]));
        if (head > payload.length - 32) revert BadPayload();
        bytes memory data = abi.encodePacked(IHexsHub.deliver.selector, uint256(srcChain), head + 32, payload[32:]);
        (bool ok, bytes memory reason) = address(HUB).call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(reason, 32), mload(reason))
            }
        }
    }

    function _eid(BridgeStorage storage s, uint32 chain) private view returns (uint32 eid) {
        eid = s.eidOf[chain];
        if (eid == 0) revert UnknownChain(chain);
    }

    function _authorizeUpgrade(address) internal override onlyOwner {}

    function _s() private pure returns (BridgeStorage storage s) {
        bytes32 slot = STORAGE_SLOT;
        assembly {
            s.slot := slot
        }
    }
}

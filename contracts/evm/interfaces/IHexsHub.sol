// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {HexsCodec} from "../libraries/HexsCodec.sol";

/// @title IHexsHub
/// @notice The hub as seen by the registry, key collections and transports.
interface IHexsHub {
    /// @notice Record a local fact (a codec body of `kind`) in the outbound journal.
    function record(uint8 kind, bytes calldata body) external;

    /// @notice A transport delivers a lane's messages (canonical codec encodings, in order).
    function deliver(uint32 srcChain, bytes[] calldata messages) external;

    /// @notice True when `account` holds a live key of `modelId` resident on another chain.
    function hasMirroredAccess(uint64 modelId, HexsCodec.Account memory account) external view returns (bool);

    function authorizeRecorder(address recorder) external;
}

/// @title ITransport
/// @notice Carries a batch of encoded messages to another chain (LayerZero bridge, ...).
interface ITransport {
    function send(
        uint32 dstChain,
        bytes[] calldata messages,
        bytes calldata options,
        address refundTo
    ) external payable;
}

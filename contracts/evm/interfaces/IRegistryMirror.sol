// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {HexsBodies} from "../libraries/HexsBodies.sol";
import {IHexsRegistry} from "./IHexsRegistry.sol";

/// @title IRegistryMirror
/// @notice What the hub applies to the registry when other chains' messages arrive.
interface IRegistryMirror is IHexsRegistry {
    /// @notice A model (or fork) registered on its home chain; gets a local key collection.
    function mirrorModel(HexsBodies.ModelRegistered calldata m) external;

    /// @notice A mirrored model changed on its home chain, or `srcChain` published its prices.
    /// @param body the ModelUpdated body as it arrived, validated by the hub.
    function mirrorUpdate(uint32 srcChain, bytes calldata body) external;

    /// @notice Hand a KeyMoved to this chain or a KeyPolicySet to the model's local key
    /// collection (`IKeyCollection.applyMirrored`), which decodes it.
    function applyToKeys(uint8 kind, uint32 srcChain, bool locked, bytes calldata body) external;

    /// @notice A creator bound a payout account for some chain.
    function mirrorPayout(HexsBodies.PayoutAddressBound calldata b) external;
}

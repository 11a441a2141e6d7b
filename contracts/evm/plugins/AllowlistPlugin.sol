// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {PluginFlags} from "../interfaces/IKeyPlugin.sol";
import {KeyPluginBase} from "./KeyPluginBase.sol";

/// @title AllowlistPlugin
/// @notice Only recipients in a Merkle allowlist may receive newly minted keys.
/// Config: `abi.encode(bytes32 root)`. Buyer's plugin data: `abi.encode(bytes32[] proof)`.
/// Leaves are `keccak256(bytes.concat(keccak256(abi.encode(account))))` (double-hashed so a
/// leaf can never be confused with an inner node).
contract AllowlistPlugin is KeyPluginBase {
    mapping(address collection => bytes32) public rootOf;

    event RootSet(address indexed collection, bytes32 root);

    error NotAllowlisted(address account);
    error EmptyRoot();

    function pluginFlags() external pure returns (uint256) {
        return PluginFlags.ON_MINT;
    }

    function onAttach(uint64, bytes calldata config) external override {
        bytes32 root = abi.decode(config, (bytes32));
        if (root == bytes32(0)) revert EmptyRoot();
        rootOf[msg.sender] = root;
        emit RootSet(msg.sender, root);
    }

    function onDetach(uint64) external override {
        delete rootOf[msg.sender];
        emit RootSet(msg.sender, bytes32(0));
    }

    function onMint(uint64, uint256, address to, bytes calldata data) external view override {
        bytes32[] memory proof = data.length == 0 ? new bytes32[](0) : abi.decode(data, (bytes32[]));
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(to))));
        if (!MerkleProof.verify(proof, rootOf[msg.sender], leaf)) revert NotAllowlisted(to);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IKeyPlugin} from "../interfaces/IKeyPlugin.sol";

interface IAccessOracle {
    function hasAccess(address registry, uint64 modelId, address account) external view returns (bool);
}

/// @notice TEST ONLY. A third-party plugin written against `IKeyPlugin` alone (no core base
/// contract): a key of this collection may only go to an account that already has access to
/// another model (e.g. "holders of the base model only"). Checked on mint and on transfer.
contract HolderOfPlugin is IKeyPlugin {
    IAccessOracle public immutable lens; // HexsRegistryLens
    address public immutable registry;
    mapping(address collection => uint64) public requiredModelOf;

    error NotAHolder(address account, uint64 requiredModel);
    error NoRequiredModel();

    constructor(IAccessOracle lens_, address registry_) {
        lens = lens_;
        registry = registry_;
    }

    function pluginFlags() external pure returns (uint256) {
        return (1 << 0) | (1 << 1); // ON_MINT | ON_TRANSFER
    }

    function onAttach(uint64, bytes calldata config) external {
        uint64 required = abi.decode(config, (uint64));
        if (required == 0) revert NoRequiredModel();
        requiredModelOf[msg.sender] = required;
    }

    function onDetach(uint64) external {
        delete requiredModelOf[msg.sender];
    }

    function onMint(uint64, uint256, address to, bytes calldata) external view {
        _check(to);
    }

    function onTransfer(uint64, uint256, address, address to) external view {
        _check(to);
    }

    function _check(address account) private view {
        uint64 required = requiredModelOf[msg.sender];
        if (!lens.hasAccess(registry, required, account)) revert NotAHolder(account, required);
    }
}

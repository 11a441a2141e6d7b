// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IKeyPlugin} from "../interfaces/IKeyPlugin.sol";

/// @notice TEST ONLY. A third-party plugin: keys can be minted only inside a sale window.
/// Config: `abi.encode(uint64 opensAt, uint64 closesAt)`. An empty config means "always open",
/// which lets tests attach many instances cheaply.
contract TimeWindowPlugin is IKeyPlugin {
    struct Window {
        uint64 opensAt;
        uint64 closesAt;
    }

    mapping(address collection => Window) public windowOf;

    error SaleClosed(uint256 nowTs, uint64 opensAt, uint64 closesAt);

    function pluginFlags() external pure returns (uint256) {
        return 1 << 0; // ON_MINT
    }

    function onAttach(uint64, bytes calldata config) external {
        if (config.length == 0) {
            windowOf[msg.sender] = Window(0, type(uint64).max);
        } else {
            (uint64 opensAt, uint64 closesAt) = abi.decode(config, (uint64, uint64));
            windowOf[msg.sender] = Window(opensAt, closesAt);
        }
    }

    function onDetach(uint64) external {
        delete windowOf[msg.sender];
    }

    function onMint(uint64, uint256, address, bytes calldata) external view {
        Window memory w = windowOf[msg.sender];
        if (block.timestamp < w.opensAt || block.timestamp >= w.closesAt) {
            revert SaleClosed(block.timestamp, w.opensAt, w.closesAt);
        }
    }

    function onTransfer(uint64, uint256, address, address) external pure {}
}

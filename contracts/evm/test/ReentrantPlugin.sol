// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IKeyPlugin} from "../interfaces/IKeyPlugin.sol";

/// @notice TEST ONLY. A hostile plugin whose `onMint` re-enters the market with a prepared
/// call (e.g. another `buy`). The collection must report the failure as PluginRejected.
contract ReentrantPlugin is IKeyPlugin {
    address public reentryTarget;
    bytes public reentryCall;

    function arm(address target_, bytes calldata call_) external {
        reentryTarget = target_;
        reentryCall = call_;
    }

    function pluginFlags() external pure returns (uint256) {
        return 1 << 0; // ON_MINT
    }

    function onAttach(uint64, bytes calldata) external {}

    function onDetach(uint64) external {}

    function onMint(uint64, uint256, address, bytes calldata) external {
        (bool ok, bytes memory ret) = reentryTarget.call(reentryCall);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
    }

    function onTransfer(uint64, uint256, address, address) external {}
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice TEST ONLY. A payee that, when paid in the native coin, tries to re-enter the market
/// with a prepared call (e.g. `claim` again, or `buy`). It records what the re-entry returned
/// and, when `bubble` is set, makes its own receive fail with that revert data.
contract ReentrantReceiver {
    address public reentryTarget;
    bytes public reentryCall;
    bool public bubble;
    bool public attempted;
    bool public reentrySucceeded;
    bytes public reentryError;

    function arm(address target_, bytes calldata call_, bool bubble_) external {
        reentryTarget = target_;
        reentryCall = call_;
        bubble = bubble_;
    }

    function exec(address to, bytes calldata data) external payable returns (bytes memory result) {
        bool ok;
        (ok, result) = to.call{value: msg.value}(data);
        if (!ok) {
            assembly {
                revert(add(result, 32), mload(result))
            }
        }
    }

    // The re-entry attempt is what this double is for, so its receive() cannot be simple.
    // solhint-disable-next-line no-complex-fallback
    receive() external payable {
        if (reentryTarget == address(0) || attempted) return;
        attempted = true;
        (bool ok, bytes memory ret) = reentryTarget.call(reentryCall);
        reentrySucceeded = ok;
        if (!ok) {
            reentryError = ret;
            if (bubble) {
                assembly {
                    revert(add(ret, 32), mload(ret))
                }
            }
        }
    }
}

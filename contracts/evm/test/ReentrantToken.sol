// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice TEST ONLY. A malicious ERC-20: once armed, its next `transfer`/`transferFrom` first
/// calls back into `reentryTarget` with a prepared call (re-entering the market mid-payment). It
/// records the outcome; with `bubble` set the token transfer itself fails with that error.
contract ReentrantToken is ERC20 {
    address public reentryTarget;
    bytes public reentryCall;
    bool public bubble;
    bool public armed;
    bool public reentrySucceeded;
    bytes public reentryError;

    constructor() ERC20("Reentrant", "REENT") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address target_, bytes calldata call_, bool bubble_) external {
        reentryTarget = target_;
        reentryCall = call_;
        bubble = bubble_;
        armed = true;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (armed && from != address(0)) {
            armed = false;
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
        super._update(from, to, value);
    }
}

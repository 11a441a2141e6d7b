// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice TEST ONLY. A smart-contract account: forwards calls as itself, and can be told to
/// refuse every incoming native payment (a "reverting recipient").
contract ContractAccount {
    bool public rejectPayments;

    error PaymentRefused();

    function setRejectPayments(bool reject) external {
        rejectPayments = reject;
    }

    /// @dev Bubbles the callee's revert data unchanged.
    function exec(address target, bytes calldata data) external payable returns (bytes memory result) {
        bool ok;
        (ok, result) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly {
                revert(add(result, 32), mload(result))
            }
        }
    }

    receive() external payable {
        if (rejectPayments) revert PaymentRefused();
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title ApiRevenueSink
/// @notice One model's x402 `payTo`: the address API callers' EIP-3009 authorizations pay.
/// It holds no logic but handing its whole balance of a token to the contract that created it,
/// which is deterministic (CREATE2, salt = model id), so what reaches it can only be swept into
/// that one model's vault.
contract ApiRevenueSink {
    using SafeERC20 for IERC20;

    address private immutable PAYMENTS;

    error NotPayments(address caller);

    constructor() {
        PAYMENTS = msg.sender;
    }

    function release(IERC20 token) external returns (uint256 amount) {
        if (msg.sender != PAYMENTS) revert NotPayments(msg.sender);
        amount = token.balanceOf(address(this));
        if (amount != 0) token.safeTransfer(PAYMENTS, amount);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice TEST ONLY (tasks tests). A 6-decimals stablecoin-like ERC-20 with open minting.
contract TasksToken is ERC20 {
    constructor() ERC20("Tasks USD", "TUSDC") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.22;

// TEST ONLY: compiles LayerZero's EndpointV2Mock so tests get its artifact and types.
import {EndpointV2Mock} from "@layerzerolabs/test-devtools-evm-hardhat/contracts/mocks/EndpointV2Mock.sol";

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.22;

// TEST ONLY: compiles LayerZero's EndpointV2Mock so tests get its artifact and types. The import
// is the whole point of this file, so nothing here uses the name.
// solhint-disable-next-line no-unused-import
import {EndpointV2Mock} from "@layerzerolabs/test-devtools-evm-hardhat/contracts/mocks/EndpointV2Mock.sol";

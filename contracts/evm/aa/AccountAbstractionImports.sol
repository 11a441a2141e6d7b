// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Compiles the ERC-4337 v0.7 EntryPoint and SimpleAccountFactory (with SimpleAccount) from the
// @account-abstraction/contracts npm package, so the devnet, tests and benchmark deploy them from
// our own artifacts and types. The imports are the whole point of this file.
// solhint-disable no-unused-import
import {EntryPoint} from "@account-abstraction/contracts/core/EntryPoint.sol";
import {SimpleAccountFactory} from "@account-abstraction/contracts/samples/SimpleAccountFactory.sol";

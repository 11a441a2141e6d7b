// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ModelGovernor} from "../dao/ModelGovernor.sol";

/// @notice TEST ONLY. A contract that is not a model's governor yet emits the governor's
/// `InfrastructureFunded` (any model, any amount) and even forwards the native value it is sent:
/// the lease service must not take its word (it is not the DAO factory's governor of the model).
contract SpoofedGovernor is ModelGovernor {
    function spoof(uint64 modelId_, address to, string calldata purpose) external payable {
        emit InfrastructureFunded(modelId_, address(0), to, msg.value, purpose);
        (bool ok, ) = to.call{value: msg.value}("");
        if (!ok) revert NativeTransferFailed(to, msg.value);
    }
}

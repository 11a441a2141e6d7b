// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AttestationGateway} from "../bridge/AttestationGateway.sol";

/// @notice TEST ONLY (protocol:upgrade tests). A compatible gateway upgrade: the gateway unchanged
/// plus a version marker.
contract AttestationGatewayV2Mock is AttestationGateway {
    function gatewayVersion() external pure returns (string memory) {
        return "gateway-v2";
    }
}

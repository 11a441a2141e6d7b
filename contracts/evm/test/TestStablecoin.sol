// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @notice Test stablecoin (6 decimals, open minting) with EIP-2612 permits and EIP-3009
/// transfer authorizations: what an x402 "exact" payment on an EVM chain signs and settles.
/// @dev Both EIP-3009 signature forms are accepted (v,r,s and packed bytes, the latter also for
/// ERC-1271 contract wallets), as x402 facilitators call either. Authorization nonces are random
/// 32-byte values, kept apart from the sequential permit nonces.
contract TestStablecoin is ERC20, ERC20Permit {
    // keccak256("TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)")
    bytes32 public constant TRANSFER_WITH_AUTHORIZATION_TYPEHASH =
        0x7c7c6cdb67a18743f49ec6fa9b35f50d52ed05cbed4cc592e13b44501c1a2267;
    // keccak256("ReceiveWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)")
    bytes32 public constant RECEIVE_WITH_AUTHORIZATION_TYPEHASH =
        0xd099cc98ef71107a616c4f0f941f04c322d8e254fe26b3c6668db87aae413de8;
    // keccak256("CancelAuthorization(address authorizer,bytes32 nonce)")
    bytes32 public constant CANCEL_AUTHORIZATION_TYPEHASH =
        0x158b0a9edf7a828aad02f63cd515c68ef2f50ba807396f6d12842833a1597429;

    mapping(address authorizer => mapping(bytes32 nonce => bool)) private _authorizationUsed;

    event AuthorizationUsed(address indexed authorizer, bytes32 indexed nonce);
    event AuthorizationCanceled(address indexed authorizer, bytes32 indexed nonce);

    error AuthorizationNotYetValid(uint256 validAfter, uint256 nowTime);
    error AuthorizationExpired(uint256 validBefore, uint256 nowTime);
    error AuthorizationUsedOrCanceled(address authorizer, bytes32 nonce);
    error InvalidSignature(address expectedSigner);
    error CallerNotPayee(address caller, address payee);

    constructor() ERC20("Hexs Test USD", "hUSD") ERC20Permit("Hexs Test USD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice The EIP-712 domain version (EIP-3009 clients read it to build the domain).
    function version() external pure returns (string memory) {
        return "1";
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function authorizationState(address authorizer, bytes32 nonce) external view returns (bool) {
        return _authorizationUsed[authorizer][nonce];
    }

    function transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        _transferWithAuthorization(
            TRANSFER_WITH_AUTHORIZATION_TYPEHASH,
            [from, to],
            value,
            validAfter,
            validBefore,
            nonce,
            abi.encodePacked(r, s, v)
        );
    }

    function transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external {
        _transferWithAuthorization(
            TRANSFER_WITH_AUTHORIZATION_TYPEHASH,
            [from, to],
            value,
            validAfter,
            validBefore,
            nonce,
            signature
        );
    }

    /// @notice Like transferWithAuthorization, but only the payee may submit it (no front-running
    /// of a deposit by someone else).
    function receiveWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external {
        if (msg.sender != to) revert CallerNotPayee(msg.sender, to);
        _transferWithAuthorization(
            RECEIVE_WITH_AUTHORIZATION_TYPEHASH,
            [from, to],
            value,
            validAfter,
            validBefore,
            nonce,
            signature
        );
    }

    function cancelAuthorization(address authorizer, bytes32 nonce, bytes calldata signature) external {
        _useAuthorization(authorizer, nonce);
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(CANCEL_AUTHORIZATION_TYPEHASH, authorizer, nonce)));
        if (!SignatureChecker.isValidSignatureNow(authorizer, digest, signature)) revert InvalidSignature(authorizer);
        emit AuthorizationCanceled(authorizer, nonce);
    }

    /// @dev `parties` is [from, to] (an array keeps the stack shallow).
    function _transferWithAuthorization(
        bytes32 typehash,
        address[2] memory parties,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes memory signature
    ) private {
        if (block.timestamp <= validAfter) revert AuthorizationNotYetValid(validAfter, block.timestamp);
        if (block.timestamp >= validBefore) revert AuthorizationExpired(validBefore, block.timestamp);
        _useAuthorization(parties[0], nonce);
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(typehash, parties[0], parties[1], value, validAfter, validBefore, nonce))
        );
        if (!SignatureChecker.isValidSignatureNow(parties[0], digest, signature)) revert InvalidSignature(parties[0]);
        emit AuthorizationUsed(parties[0], nonce);
        _transfer(parties[0], parties[1], value);
    }

    function _useAuthorization(address authorizer, bytes32 nonce) private {
        if (_authorizationUsed[authorizer][nonce]) revert AuthorizationUsedOrCanceled(authorizer, nonce);
        _authorizationUsed[authorizer][nonce] = true;
    }
}

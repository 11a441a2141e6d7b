// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";

import {HexsCodec} from "../libraries/HexsCodec.sol";
import {HexsBodies} from "../libraries/HexsBodies.sol";

/// @dev What the bindings contract needs of the hub.
interface IBindingsHub {
    struct LaneView {
        address transport;
        bool paused;
        uint32 ratePerHour;
        uint32 windowCount;
        uint64 windowStart;
        uint64 inbound;
        uint64 sent;
        bytes24 sentHead;
    }

    function lane(uint32 chain) external view returns (LaneView memory);

    function recordBinding(HexsBodies.PayoutAddressBound calldata b) external;
}

/// @dev What the bindings contract needs of the registry.
interface IBindingsRegistry {
    function chainId() external view returns (uint32);

    function creatorOf(uint64 modelId) external view returns (address);

    function payoutNonceOf(address creator) external view returns (uint64);
}

/// @title PayoutBindings
/// @notice Checks payout bindings (PayoutAddressBound) where they are made and where they arrive.
/// Kept out of the hub (EIP-170: the hub is near the size limit).
///
/// A binding's `signature` field is a blob, byte 0 = scheme:
///   1 EIP-712 (EVM creator): u64 BE evmChainId | verifyingContract | r,s,v (v 27/28); 94 bytes
///   2 ADR-36 (Cosmos creator): pubkey x,y | r,s (low-s) | recovery id (0/1); 130 bytes
/// Both sign structHash = keccak256(abi.encode(PAYOUT_BINDING_TYPEHASH, keccak256(creatorWire),
/// chain, keccak256(payoutWire), nonce)) (codec account wire). EIP-712 domain: "Hexs", "1",
/// the source chain's EVM chain id, the source chain's PayoutBindings contract. ADR-36: sha256 of
/// the amino sign doc of a MsgSignData whose data is base64(structHash) and whose signer is the
/// creator's bech32 address with the source chain's prefix (Keplr signArbitrary).
contract PayoutBindings is AccessControl {
    /// @notice keccak256("PayoutBinding(bytes creator,uint32 chain,bytes payout,uint64 nonce)")
    bytes32 public constant PAYOUT_BINDING_TYPEHASH =
        0x2bc453af69da10a409b9e58f22eb7669241afdc30ba2d19542f9701e9de0f7d2;
    /// @dev keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    bytes32 private constant DOMAIN_TYPEHASH = 0x8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f;
    bytes32 private constant NAME_HASH = keccak256("Hexs");
    bytes32 private constant VERSION_HASH = keccak256("1");
    uint8 public constant SCHEME_EIP712 = 1;
    uint8 public constant SCHEME_ADR36 = 2;
    uint256 private constant BECH32_CONST = 1; // BIP-173 checksum constant (xor-ed in)
    uint256 private constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    IBindingsHub public immutable hub;
    IBindingsRegistry public immutable registry;
    uint32 public immutable chainId;

    /// @notice Per peer chain: its PayoutBindings contract (EVM peers: the verifying contract of
    /// the bindings it sends) and its bech32 prefix (Cosmos peers: the ADR-36 signer's prefix).
    mapping(uint32 chain => address) public remoteBindings;
    mapping(uint32 chain => string) public remoteHrp;
    /// @notice Last binding nonce made here per (creator, chain) for chains other than this one
    /// (this chain's bindings follow the registry's applied nonce).
    mapping(address creator => mapping(uint32 chain => uint64)) public sourceNonce;

    event RemoteSet(uint32 indexed chain, address bindings, string hrp);

    error NotModelCreator(address creator, uint64 modelId);
    error UnknownBindingChain(uint32 chain);
    error NotNextBinding(uint64 nonce, uint64 last);
    error BadBindingSignature(address signer);
    error BadBindingBlob(uint8 scheme, uint256 length);
    error WrongVerifyingContract(uint32 srcChain, address verifyingContract);
    error NoHrp(uint32 srcChain);
    error PubkeyNotCreator();
    error HighS();
    error ZeroAddress();

    constructor(IBindingsHub hub_, IBindingsRegistry registry_, address admin) {
        if (address(hub_) == address(0) || address(registry_) == address(0) || admin == address(0))
            revert ZeroAddress();
        hub = hub_;
        registry = registry_;
        chainId = registry_.chainId();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Configure peer `chain`: the verifying contract of its EIP-712 bindings (EVM peer)
    /// and/or the bech32 prefix of its ADR-36 signers (Cosmos peer).
    function setRemote(uint32 chain, address bindings, string calldata hrp) external onlyRole(DEFAULT_ADMIN_ROLE) {
        remoteBindings[chain] = bindings;
        remoteHrp[chain] = hrp;
        emit RemoteSet(chain, bindings, hrp);
    }

    /// @notice Make a binding at its source: `creator` (of model `modelId` in this registry: only
    /// creators may write to the journal this way) names `payout` for `chain` (this chain or a
    /// peer), with nonce = last + 1, signed with EIP-712 (`signature`: 65 bytes r,s,v).
    /// Anyone may relay it. A binding for this chain applies here; every one is recorded.
    function bindPayout(
        address creator,
        uint64 modelId,
        uint32 chain,
        HexsCodec.Account calldata payout,
        uint64 nonce,
        bytes calldata signature
    ) external {
        if (registry.creatorOf(modelId) != creator) revert NotModelCreator(creator, modelId);
        bool here = chain == chainId;
        if (!here && hub.lane(chain).transport == address(0)) revert UnknownBindingChain(chain);
        uint64 last = here ? registry.payoutNonceOf(creator) : sourceNonce[creator][chain];
        if (nonce != last + 1) revert NotNextBinding(nonce, last);
        HexsCodec.Account memory creatorAccount = HexsCodec.evmAccount(creator);
        bytes32 digest = _eip712Digest(block.chainid, address(this), structHash(creatorAccount, chain, payout, nonce));
        if (signature.length != 65) revert BadBindingBlob(SCHEME_EIP712, signature.length);
        (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecover(digest, signature);
        if (err != ECDSA.RecoverError.NoError || signer != creator) revert BadBindingSignature(signer);
        sourceNonce[creator][chain] = nonce;
        bytes memory blob = abi.encodePacked(SCHEME_EIP712, uint64(block.chainid), address(this), signature);
        hub.recordBinding(HexsBodies.PayoutAddressBound(creatorAccount, chain, payout, nonce, blob));
    }

    /// @notice Revert unless `b` (arrived from `srcChain`) carries a valid signature of its creator:
    /// scheme 1 for EVM creators, its verifying contract the one configured for `srcChain` (the
    /// domain's chain id is the blob's, not pinned per peer); scheme 2 for Cosmos creators, signed
    /// with `srcChain`'s configured prefix. The hub calls this before applying a binding.
    function verify(uint32 srcChain, HexsBodies.PayoutAddressBound calldata b) external view {
        bytes calldata blob = b.signature;
        uint8 scheme = blob.length == 0 ? 0 : uint8(blob[0]);
        bytes32 h = structHash(b.creator, b.chain, b.payout, b.bindNonce);
        if (scheme == SCHEME_EIP712 && blob.length == 94 && b.creator.family == HexsCodec.FAMILY_EVM) {
            address vc = address(bytes20(blob[9:29]));
            if (vc == address(0) || vc != remoteBindings[srcChain]) revert WrongVerifyingContract(srcChain, vc);
            bytes32 digest = _eip712Digest(uint64(bytes8(blob[1:9])), vc, h);
            // A failed recovery gives address(0): refused by its error, not by comparing with a
            // creator that could itself be address(0).
            (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecover(digest, blob[29:94]);
            if (err != ECDSA.RecoverError.NoError || signer != HexsCodec.toEvmAddress(b.creator))
                revert BadBindingSignature(signer);
        } else if (scheme == SCHEME_ADR36 && blob.length == 130 && b.creator.family == HexsCodec.FAMILY_COSMOS) {
            _verifyAdr36(srcChain, b.creator.addr, h, blob);
        } else {
            revert BadBindingBlob(scheme, blob.length);
        }
    }

    /// @notice The struct hash both schemes sign.
    function structHash(
        HexsCodec.Account memory creator,
        uint32 chain,
        HexsCodec.Account memory payout,
        uint64 nonce
    ) public pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    PAYOUT_BINDING_TYPEHASH,
                    keccak256(HexsCodec.encodeAccount(creator)),
                    chain,
                    keccak256(HexsCodec.encodeAccount(payout)),
                    nonce
                )
            );
    }

    /// @notice This contract's EIP-712 domain separator (what an EVM creator's wallet signs under).
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparator(block.chainid, address(this));
    }

    // The amino JSON needs double quotes inside its literals (prettier writes them single-quoted).
    // solhint-disable quotes, gas-small-strings
    /// @notice The ADR-36 sign doc a Cosmos creator (20-byte `creator`) signs, with prefix `hrp`.
    function adr36SignDoc(bytes32 creator, string memory hrp, bytes32 h) public pure returns (bytes memory) {
        return
            abi.encodePacked(
                '{"account_number":"0","chain_id":"","fee":{"amount":[],"gas":"0"},"memo":"","msgs":[{"type":"sign/MsgSignData","value":{"data":"',
                Base64.encode(abi.encodePacked(h)),
                '","signer":"',
                _bech32(bytes(hrp), bytes20(uint160(uint256(creator)))),
                '"}}],"sequence":"0"}'
            );
    }

    // solhint-enable quotes, gas-small-strings

    function _verifyAdr36(uint32 srcChain, bytes32 creator, bytes32 h, bytes calldata blob) private view {
        string memory hrp = remoteHrp[srcChain];
        if (bytes(hrp).length == 0) revert NoHrp(srcChain);
        bytes32 x = bytes32(blob[1:33]);
        bytes32 y = bytes32(blob[33:65]);
        bytes32 r = bytes32(blob[65:97]);
        bytes32 s = bytes32(blob[97:129]);
        uint8 v = uint8(blob[129]);
        if (uint256(s) > HALF_N) revert HighS();
        if (v > 1) revert BadBindingBlob(SCHEME_ADR36, blob.length);
        // The Cosmos account: ripemd160(sha256(compressed pubkey)).
        bytes memory compressed = abi.encodePacked(uint8(2 + (uint256(y) & 1)), x);
        if (ripemd160(abi.encodePacked(sha256(compressed))) != bytes20(uint160(uint256(creator))))
            revert PubkeyNotCreator();
        // The signature is by that pubkey: ecrecover gives keccak(x,y)'s address for the signer.
        address signer = ecrecover(sha256(adr36SignDoc(creator, hrp, h)), v + 27, r, s);
        if (signer == address(0) || signer != address(uint160(uint256(keccak256(abi.encodePacked(x, y))))))
            revert BadBindingSignature(signer);
    }

    function _eip712Digest(uint256 evmChainId, address verifyingContract, bytes32 h) private pure returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", _domainSeparator(evmChainId, verifyingContract), h));
    }

    function _domainSeparator(uint256 evmChainId, address verifyingContract) private pure returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, evmChainId, verifyingContract));
    }

    /// @dev BIP-173 bech32 of 20 bytes (32 five-bit groups) with lowercase `hrp`.
    function _bech32(bytes memory hrp, bytes20 data) private pure returns (bytes memory out) {
        bytes memory charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
        uint256 n = hrp.length;
        uint8[] memory values = new uint8[](32);
        uint256 bits = uint160(data);
        for (uint256 i; i < 32; ++i) values[i] = uint8((bits >> (155 - 5 * i)) & 31);
        uint256 chk = 1;
        for (uint256 i; i < n; ++i) chk = _polymod(chk, uint8(hrp[i]) >> 5);
        chk = _polymod(chk, 0);
        for (uint256 i; i < n; ++i) chk = _polymod(chk, uint8(hrp[i]) & 31);
        for (uint256 i; i < 32; ++i) chk = _polymod(chk, values[i]);
        for (uint256 i; i < 6; ++i) chk = _polymod(chk, 0);
        chk ^= BECH32_CONST;
        out = new bytes(n + 1 + 32 + 6);
        for (uint256 i; i < n; ++i) out[i] = hrp[i];
        out[n] = "1";
        for (uint256 i; i < 32; ++i) out[n + 1 + i] = charset[values[i]];
        for (uint256 i; i < 6; ++i) out[n + 33 + i] = charset[(chk >> (5 * (5 - i))) & 31];
    }

    function _polymod(uint256 chk, uint256 v) private pure returns (uint256) {
        uint256 top = chk >> 25;
        chk = ((chk & 0x1ffffff) << 5) ^ v;
        if (top & 1 != 0) chk ^= 0x3b6a57b2;
        if (top & 2 != 0) chk ^= 0x26508e6d;
        if (top & 4 != 0) chk ^= 0x1ea119fa;
        if (top & 8 != 0) chk ^= 0x3d4233dd;
        if (top & 16 != 0) chk ^= 0x2a1462b3;
        return chk;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title HexsCodec
/// @notice Solidity implementation of the Hexs cross-chain message codec (docs/messages.md).
/// Envelope: version u8 | kind u8 | srcChain u32 | dstChain u32 | nonce u64 | bodyLength u32 | body,
/// big-endian. Decoders read `bytes calldata` with bounds checks and accept only the canonical
/// encoding of a valid message; the digest relayers sign is keccak256 of the encoding.
/// The TypeScript (codec) and Rust (contracts/cosmwasm/codec) codecs are tested against
/// the same golden vectors (codec/vectors.json).
library HexsCodec {
    // ------------------------------------------------------------------ constants

    uint8 internal constant VERSION = 1;
    uint256 internal constant HEADER_LENGTH = 22;
    uint256 internal constant MAX_STRING_LENGTH = 1024;
    uint256 internal constant MAX_BYTES_LENGTH = 4096;
    uint256 internal constant MAX_CURRENCY_LENGTH = 128;
    uint256 internal constant MAX_PRICES = 16;

    uint8 internal constant KIND_MODEL_REGISTERED = 1;
    uint8 internal constant KIND_MODEL_UPDATED = 2;
    uint8 internal constant KIND_KEY_MINTED = 3;
    uint8 internal constant KIND_KEY_TRANSFERRED = 4;
    uint8 internal constant KIND_KEY_MOVED = 5;
    uint8 internal constant KIND_KEY_BURNED = 6;
    uint8 internal constant KIND_PURCHASE_SETTLED = 7;
    uint8 internal constant KIND_LEASE_REPORTED = 8;
    uint8 internal constant KIND_PAYOUT_ADDRESS_BOUND = 9;
    uint8 internal constant MAX_KIND = 9;

    uint8 internal constant FAMILY_EVM = 1;
    uint8 internal constant FAMILY_COSMOS = 2;
    uint8 internal constant FAMILY_COSMWASM = 3;

    /// @dev keccak256("HEXS_BATCH_V1"): domain tag of the batch root preimage.
    bytes32 internal constant BATCH_TAG = keccak256("HEXS_BATCH_V1");
    /// @dev keccak256("HEXS_PAYOUT_V1"): domain tag of the payout-binding digest.
    bytes32 internal constant PAYOUT_TAG = keccak256("HEXS_PAYOUT_V1");

    uint256 private constant ASCII_MASK = 0x8080808080808080808080808080808080808080808080808080808080808080;

    // ------------------------------------------------------------------ errors

    error Truncated();
    error TrailingBytes();
    error UnsupportedVersion(uint8 version);
    error UnknownKind(uint8 kind);
    error UnknownAccountFamily(uint8 family);
    error BadAccountLength(uint8 family, uint256 length);
    error StringTooLong(uint256 length, uint256 max);
    error BytesTooLong(uint256 length, uint256 max);
    error InvalidUtf8();
    error InvalidBool(uint8 value);
    error TooManyPrices(uint256 count);
    error EmptyBatch();
    error BatchLaneMismatch(uint256 index);
    error BatchNonceGap(uint256 index);
    error WrongKind(uint8 expected, uint8 actual);

    // ------------------------------------------------------------------ types

    struct Header {
        uint8 kind;
        uint32 srcChain;
        uint32 dstChain;
        uint64 nonce;
    }

    /// @dev Chain-agnostic account word. 20-byte addresses (EVM, Cosmos) sit in the low 20 bytes
    /// of `addr` (like bytes32(uint256(uint160(a)))); CosmWasm contract addresses use all 32 bytes.
    struct Account {
        uint8 family;
        bytes32 addr;
    }

    struct Price {
        bytes currency; // empty = native coin of the source chain; EVM: 20-byte ERC-20 address
        uint128 amount;
    }

    struct ModelRegistered {
        uint64 modelId;
        uint64 parentId; // 0 = no parent
        Account creator;
        bytes32 contentCommitment;
        bytes32 parentCommitment;
        bool soulbound;
        bool forkable;
        uint64 keyDuration; // seconds, 0 = keys never expire
        uint16 upstreamBps;
        uint16 daoBps;
        uint16 forkRoyaltyBps;
        string sdlLocator;
        string metadataUri;
    }

    struct ModelUpdated {
        uint64 modelId;
        bool retired;
        string metadataUri;
        Price[] prices; // prices on the source chain
    }

    struct KeyMinted {
        uint64 modelId;
        uint64 keyId;
        Account owner;
        uint64 expiresAt; // unix seconds, 0 = never
        bool locked;
    }

    struct KeyTransferred {
        uint64 keyId;
        uint64 modelId;
        Account from;
        Account to;
    }

    struct KeyMoved {
        uint64 keyId;
        uint64 modelId;
        uint32 fromChain;
        uint32 toChain;
        Account from; // the holder on fromChain
        Account owner; // the holder on toChain
        uint64 expiresAt;
        bool locked;
    }

    struct KeyBurned {
        uint64 keyId;
        uint64 modelId;
        Account owner;
    }

    struct PurchaseSettled {
        uint64 purchaseId;
        uint64 modelId;
        uint64 keyId;
        Account buyer;
        bytes currency;
        uint128 amount;
        bool deploymentRequested;
        bytes deploymentParams;
    }

    struct LeaseReported {
        uint64 purchaseId;
        bool ok;
        uint64 dseq;
        uint32 gseq;
        uint32 oseq;
        string provider;
        string reason;
    }

    struct PayoutAddressBound {
        Account creator;
        uint32 chain; // the chain the payout address is bound for
        Account payout;
        uint64 bindNonce;
        bytes signature;
    }

    // ------------------------------------------------------------------ envelope

    /// @notice Decodes and checks the envelope (version, kind, exact body length). The body is not parsed.
    function decodeHeader(bytes calldata m) internal pure returns (Header memory h, bytes calldata body) {
        uint256 len = m.length;
        if (len == 0) revert Truncated();
        uint256 w;
        assembly ("memory-safe") {
            w := calldataload(m.offset)
        }
        uint8 version = uint8(w >> 248);
        if (version != VERSION) revert UnsupportedVersion(version);
        if (len < 2) revert Truncated();
        uint8 kind = uint8(w >> 240);
        if (kind == 0 || kind > MAX_KIND) revert UnknownKind(kind);
        if (len < HEADER_LENGTH) revert Truncated();
        h.kind = kind;
        h.srcChain = uint32(w >> 208);
        h.dstChain = uint32(w >> 176);
        h.nonce = uint64(w >> 112);
        uint256 bodyLen = uint32(w >> 80);
        uint256 rest = len - HEADER_LENGTH;
        if (bodyLen > rest) revert Truncated();
        if (bodyLen < rest) revert TrailingBytes();
        body = m[HEADER_LENGTH:];
    }

    /// @notice Decodes the envelope and fully validates the body of whatever kind it carries.
    function validate(bytes calldata m) internal pure returns (Header memory h) {
        bytes calldata body;
        (h, body) = decodeHeader(m);
        uint8 k = h.kind;
        if (k == KIND_MODEL_REGISTERED) decodeModelRegistered(body);
        else if (k == KIND_MODEL_UPDATED) decodeModelUpdated(body);
        else if (k == KIND_KEY_MINTED) decodeKeyMinted(body);
        else if (k == KIND_KEY_TRANSFERRED) decodeKeyTransferred(body);
        else if (k == KIND_KEY_MOVED) decodeKeyMoved(body);
        else if (k == KIND_KEY_BURNED) decodeKeyBurned(body);
        else if (k == KIND_PURCHASE_SETTLED) decodePurchaseSettled(body);
        else if (k == KIND_LEASE_REPORTED) decodeLeaseReported(body);
        else decodePayoutAddressBound(body);
    }

    /// @notice Canonical encoding of a message from its header and encoded body.
    function encodeMessage(Header memory h, bytes memory body) internal pure returns (bytes memory) {
        if (h.kind == 0 || h.kind > MAX_KIND) revert UnknownKind(h.kind);
        return abi.encodePacked(VERSION, h.kind, h.srcChain, h.dstChain, h.nonce, uint32(body.length), body);
    }

    /// @notice The digest relayers sign: keccak256 of the canonical encoding.
    function digest(bytes memory encoded) internal pure returns (bytes32) {
        return keccak256(encoded);
    }

    /// @notice Digest of a message in calldata, without copying more than needed.
    function digestCalldata(bytes calldata encoded) internal pure returns (bytes32 d) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(p, encoded.offset, encoded.length)
            d := keccak256(p, encoded.length)
        }
    }

    // ------------------------------------------------------------------ batches

    /// @notice Batch root over one lane's message digests with nonces firstNonce, firstNonce+1, ...
    /// keccak256(BATCH_TAG | srcChain u32 | dstChain u32 | firstNonce u64 | count u32 | digests).
    function batchRoot(
        uint32 srcChain,
        uint32 dstChain,
        uint64 firstNonce,
        bytes32[] memory digests
    ) internal pure returns (bytes32) {
        if (digests.length == 0) revert EmptyBatch();
        return keccak256(abi.encodePacked(BATCH_TAG, srcChain, dstChain, firstNonce, uint32(digests.length), digests));
    }

    /// @notice Checks the envelopes of a batch (one lane, contiguous nonces) and returns its root and
    /// the first message's header. Bodies are not parsed here: decode each when applying it.
    function batchRootOf(bytes[] calldata messages) internal pure returns (bytes32 root, Header memory first) {
        uint256 n = messages.length;
        if (n == 0) revert EmptyBatch();
        bytes32[] memory digests = new bytes32[](n);
        (first, ) = decodeHeader(messages[0]);
        digests[0] = digestCalldata(messages[0]);
        for (uint256 i = 1; i < n; ++i) {
            (Header memory h, ) = decodeHeader(messages[i]);
            if (h.srcChain != first.srcChain || h.dstChain != first.dstChain) revert BatchLaneMismatch(i);
            if (uint256(h.nonce) != uint256(first.nonce) + i) revert BatchNonceGap(i);
            digests[i] = digestCalldata(messages[i]);
        }
        root = batchRoot(first.srcChain, first.dstChain, first.nonce, digests);
    }

    /// @notice Digest a creator signs to bind a payout address for a chain:
    /// keccak256(PAYOUT_TAG | account(creator) | chain u32 | account(payout) | bindNonce u64).
    function payoutBindingDigest(
        Account memory creator,
        uint32 chain,
        Account memory payout,
        uint64 bindNonce
    ) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(PAYOUT_TAG, encodeAccount(creator), chain, encodeAccount(payout), bindNonce));
    }

    // ------------------------------------------------------------------ ids and accounts

    /// @notice Global id of a model, key or purchase: (originChain << 32) | localSerial.
    function globalId(uint32 originChain, uint32 localSerial) internal pure returns (uint64) {
        return (uint64(originChain) << 32) | uint64(localSerial);
    }

    function originChainOf(uint64 id) internal pure returns (uint32) {
        return uint32(id >> 32);
    }

    function evmAccount(address a) internal pure returns (Account memory) {
        return Account(FAMILY_EVM, bytes32(uint256(uint160(a))));
    }

    /// @notice The EVM address of an account word; reverts for other families.
    function toEvmAddress(Account memory a) internal pure returns (address) {
        if (a.family != FAMILY_EVM) revert UnknownAccountFamily(a.family);
        return address(uint160(uint256(a.addr)));
    }

    /// @notice Canonical encoding of an account word: family u8 | length u8 | address.
    function encodeAccount(Account memory a) internal pure returns (bytes memory) {
        if (a.family == FAMILY_EVM || a.family == FAMILY_COSMOS) {
            if (uint256(a.addr) >> 160 != 0) revert BadAccountLength(a.family, 32);
            return abi.encodePacked(a.family, uint8(20), bytes20(uint160(uint256(a.addr))));
        }
        if (a.family == FAMILY_COSMWASM) return abi.encodePacked(a.family, uint8(32), a.addr);
        revert UnknownAccountFamily(a.family);
    }

    // ------------------------------------------------------------------ body encoders

    function encodeModelRegistered(ModelRegistered memory b) internal pure returns (bytes memory) {
        bytes memory head = abi.encodePacked(
            b.modelId,
            b.parentId,
            encodeAccount(b.creator),
            b.contentCommitment,
            b.parentCommitment
        );
        bytes memory tail = abi.encodePacked(
            b.soulbound,
            b.forkable,
            b.keyDuration,
            b.upstreamBps,
            b.daoBps,
            b.forkRoyaltyBps
        );
        return bytes.concat(head, tail, _encString(b.sdlLocator), _encString(b.metadataUri));
    }

    function encodeModelUpdated(ModelUpdated memory b) internal pure returns (bytes memory out) {
        uint256 n = b.prices.length;
        if (n > MAX_PRICES) revert TooManyPrices(n);
        out = abi.encodePacked(b.modelId, b.retired, _encString(b.metadataUri), uint8(n));
        for (uint256 i = 0; i < n; ++i) {
            out = bytes.concat(out, _encBytes(b.prices[i].currency, MAX_CURRENCY_LENGTH), bytes16(b.prices[i].amount));
        }
    }

    function encodeKeyMinted(KeyMinted memory b) internal pure returns (bytes memory) {
        return abi.encodePacked(b.modelId, b.keyId, encodeAccount(b.owner), b.expiresAt, b.locked);
    }

    function encodeKeyTransferred(KeyTransferred memory b) internal pure returns (bytes memory) {
        return abi.encodePacked(b.keyId, b.modelId, encodeAccount(b.from), encodeAccount(b.to));
    }

    function encodeKeyMoved(KeyMoved memory b) internal pure returns (bytes memory) {
        return
            abi.encodePacked(
                b.keyId,
                b.modelId,
                b.fromChain,
                b.toChain,
                encodeAccount(b.from),
                encodeAccount(b.owner),
                b.expiresAt,
                b.locked
            );
    }

    function encodeKeyBurned(KeyBurned memory b) internal pure returns (bytes memory) {
        return abi.encodePacked(b.keyId, b.modelId, encodeAccount(b.owner));
    }

    function encodePurchaseSettled(PurchaseSettled memory b) internal pure returns (bytes memory) {
        bytes memory head = abi.encodePacked(b.purchaseId, b.modelId, b.keyId, encodeAccount(b.buyer));
        return
            bytes.concat(
                head,
                _encBytes(b.currency, MAX_CURRENCY_LENGTH),
                bytes16(b.amount),
                abi.encodePacked(b.deploymentRequested),
                _encBytes(b.deploymentParams, MAX_BYTES_LENGTH)
            );
    }

    function encodeLeaseReported(LeaseReported memory b) internal pure returns (bytes memory) {
        return
            bytes.concat(
                abi.encodePacked(b.purchaseId, b.ok, b.dseq, b.gseq, b.oseq),
                _encString(b.provider),
                _encString(b.reason)
            );
    }

    function encodePayoutAddressBound(PayoutAddressBound memory b) internal pure returns (bytes memory) {
        return
            bytes.concat(
                encodeAccount(b.creator),
                bytes4(b.chain),
                encodeAccount(b.payout),
                bytes8(b.bindNonce),
                _encBytes(b.signature, MAX_BYTES_LENGTH)
            );
    }

    function _encString(string memory s) private pure returns (bytes memory) {
        bytes memory b = bytes(s);
        if (b.length > MAX_STRING_LENGTH) revert StringTooLong(b.length, MAX_STRING_LENGTH);
        _requireUtf8(b);
        return abi.encodePacked(uint16(b.length), b);
    }

    function _encBytes(bytes memory b, uint256 max) private pure returns (bytes memory) {
        if (b.length > max) revert BytesTooLong(b.length, max);
        return abi.encodePacked(uint16(b.length), b);
    }

    // ------------------------------------------------------------------ body decoders

    /// @notice Decodes a full message that must be of `kind`; returns the header and the body slice.
    function expectKind(bytes calldata m, uint8 kind) internal pure returns (Header memory h, bytes calldata body) {
        (h, body) = decodeHeader(m);
        if (h.kind != kind) revert WrongKind(kind, h.kind);
    }

    function decodeModelRegistered(bytes calldata b) internal pure returns (ModelRegistered memory r) {
        uint256 v;
        uint256 o;
        (v, o) = _uint(b, 0, 8);
        r.modelId = uint64(v);
        (v, o) = _uint(b, o, 8);
        r.parentId = uint64(v);
        (r.creator, o) = _account(b, o);
        (v, o) = _uint(b, o, 32);
        r.contentCommitment = bytes32(v);
        (v, o) = _uint(b, o, 32);
        r.parentCommitment = bytes32(v);
        (r.soulbound, o) = _bool(b, o);
        (r.forkable, o) = _bool(b, o);
        (v, o) = _uint(b, o, 8);
        r.keyDuration = uint64(v);
        (v, o) = _uint(b, o, 2);
        r.upstreamBps = uint16(v);
        (v, o) = _uint(b, o, 2);
        r.daoBps = uint16(v);
        (v, o) = _uint(b, o, 2);
        r.forkRoyaltyBps = uint16(v);
        (r.sdlLocator, o) = _string(b, o);
        (r.metadataUri, o) = _string(b, o);
        _end(b, o);
    }

    function decodeModelUpdated(bytes calldata b) internal pure returns (ModelUpdated memory r) {
        uint256 v;
        uint256 o;
        (v, o) = _uint(b, 0, 8);
        r.modelId = uint64(v);
        (r.retired, o) = _bool(b, o);
        (r.metadataUri, o) = _string(b, o);
        uint256 n;
        (n, o) = _uint(b, o, 1);
        if (n > MAX_PRICES) revert TooManyPrices(n);
        r.prices = new Price[](n);
        for (uint256 i = 0; i < n; ++i) {
            Price memory p = r.prices[i];
            (p.currency, o) = _bytes(b, o, MAX_CURRENCY_LENGTH);
            (v, o) = _uint(b, o, 16);
            p.amount = uint128(v);
        }
        _end(b, o);
    }

    function decodeKeyMinted(bytes calldata b) internal pure returns (KeyMinted memory r) {
        uint256 v;
        uint256 o;
        (v, o) = _uint(b, 0, 8);
        r.modelId = uint64(v);
        (v, o) = _uint(b, o, 8);
        r.keyId = uint64(v);
        (r.owner, o) = _account(b, o);
        (v, o) = _uint(b, o, 8);
        r.expiresAt = uint64(v);
        (r.locked, o) = _bool(b, o);
        _end(b, o);
    }

    function decodeKeyTransferred(bytes calldata b) internal pure returns (KeyTransferred memory r) {
        uint256 v;
        uint256 o;
        (v, o) = _uint(b, 0, 8);
        r.keyId = uint64(v);
        (v, o) = _uint(b, o, 8);
        r.modelId = uint64(v);
        (r.from, o) = _account(b, o);
        (r.to, o) = _account(b, o);
        _end(b, o);
    }

    function decodeKeyMoved(bytes calldata b) internal pure returns (KeyMoved memory r) {
        uint256 v;
        uint256 o;
        (v, o) = _uint(b, 0, 8);
        r.keyId = uint64(v);
        (v, o) = _uint(b, o, 8);
        r.modelId = uint64(v);
        (v, o) = _uint(b, o, 4);
        r.fromChain = uint32(v);
        (v, o) = _uint(b, o, 4);
        r.toChain = uint32(v);
        (r.from, o) = _account(b, o);
        (r.owner, o) = _account(b, o);
        (v, o) = _uint(b, o, 8);
        r.expiresAt = uint64(v);
        (r.locked, o) = _bool(b, o);
        _end(b, o);
    }

    function decodeKeyBurned(bytes calldata b) internal pure returns (KeyBurned memory r) {
        (uint256 v, uint256 o) = _uint(b, 0, 8);
        r.keyId = uint64(v);
        (v, o) = _uint(b, o, 8);
        r.modelId = uint64(v);
        (r.owner, o) = _account(b, o);
        _end(b, o);
    }

    function decodePurchaseSettled(bytes calldata b) internal pure returns (PurchaseSettled memory r) {
        uint256 v;
        uint256 o;
        (v, o) = _uint(b, 0, 8);
        r.purchaseId = uint64(v);
        (v, o) = _uint(b, o, 8);
        r.modelId = uint64(v);
        (v, o) = _uint(b, o, 8);
        r.keyId = uint64(v);
        (r.buyer, o) = _account(b, o);
        (r.currency, o) = _bytes(b, o, MAX_CURRENCY_LENGTH);
        (v, o) = _uint(b, o, 16);
        r.amount = uint128(v);
        (r.deploymentRequested, o) = _bool(b, o);
        (r.deploymentParams, o) = _bytes(b, o, MAX_BYTES_LENGTH);
        _end(b, o);
    }

    function decodeLeaseReported(bytes calldata b) internal pure returns (LeaseReported memory r) {
        uint256 v;
        uint256 o;
        (v, o) = _uint(b, 0, 8);
        r.purchaseId = uint64(v);
        (r.ok, o) = _bool(b, o);
        (v, o) = _uint(b, o, 8);
        r.dseq = uint64(v);
        (v, o) = _uint(b, o, 4);
        r.gseq = uint32(v);
        (v, o) = _uint(b, o, 4);
        r.oseq = uint32(v);
        (r.provider, o) = _string(b, o);
        (r.reason, o) = _string(b, o);
        _end(b, o);
    }

    function decodePayoutAddressBound(bytes calldata b) internal pure returns (PayoutAddressBound memory r) {
        uint256 v;
        uint256 o;
        (r.creator, o) = _account(b, 0);
        (v, o) = _uint(b, o, 4);
        r.chain = uint32(v);
        (r.payout, o) = _account(b, o);
        (v, o) = _uint(b, o, 8);
        r.bindNonce = uint64(v);
        (r.signature, o) = _bytes(b, o, MAX_BYTES_LENGTH);
        _end(b, o);
    }

    // ------------------------------------------------------------------ readers

    /// @dev Reads an n-byte (1..32) big-endian unsigned integer at offset o.
    function _uint(bytes calldata d, uint256 o, uint256 n) private pure returns (uint256 v, uint256 next) {
        unchecked {
            next = o + n; // o <= d.length and n <= 32: cannot overflow
        }
        if (next > d.length) revert Truncated();
        assembly ("memory-safe") {
            v := shr(sub(256, shl(3, n)), calldataload(add(d.offset, o)))
        }
    }

    function _bool(bytes calldata d, uint256 o) private pure returns (bool, uint256) {
        (uint256 v, uint256 next) = _uint(d, o, 1);
        if (v > 1) revert InvalidBool(uint8(v));
        return (v == 1, next);
    }

    function _account(bytes calldata d, uint256 o) private pure returns (Account memory a, uint256 next) {
        (uint256 head, uint256 p) = _uint(d, o, 2);
        uint8 family = uint8(head >> 8);
        uint256 len = head & 0xff;
        uint256 expected = 32;
        if (family == FAMILY_EVM || family == FAMILY_COSMOS) expected = 20;
        else if (family != FAMILY_COSMWASM) revert UnknownAccountFamily(family);
        if (len != expected) revert BadAccountLength(family, len);
        uint256 v;
        (v, next) = _uint(d, p, len);
        a.family = family;
        a.addr = bytes32(v);
    }

    function _bytes(bytes calldata d, uint256 o, uint256 max) private pure returns (bytes memory out, uint256 next) {
        (uint256 len, uint256 start) = _uint(d, o, 2);
        if (len > max) revert BytesTooLong(len, max);
        next = start + len;
        if (next > d.length) revert Truncated();
        out = d[start:next];
    }

    function _string(bytes calldata d, uint256 o) private pure returns (string memory, uint256 next) {
        (uint256 len, uint256 start) = _uint(d, o, 2);
        if (len > MAX_STRING_LENGTH) revert StringTooLong(len, MAX_STRING_LENGTH);
        next = start + len;
        if (next > d.length) revert Truncated();
        bytes memory out = d[start:next];
        _requireUtf8(out);
        return (string(out), next);
    }

    function _end(bytes calldata d, uint256 o) private pure {
        if (o != d.length) revert TrailingBytes();
    }

    /// @dev Reverts with InvalidUtf8 unless `s` is well-formed UTF-8 (RFC 3629: no overlongs, no
    /// surrogates, nothing above U+10FFFF). ASCII runs are checked a 32-byte word at a time.
    function _requireUtf8(bytes memory s) private pure {
        uint256 end = s.length;
        uint256 i = 0;
        uint256 base;
        assembly ("memory-safe") {
            base := add(s, 32)
        }
        while (i < end) {
            uint256 w;
            assembly ("memory-safe") {
                w := mload(add(base, i))
            }
            uint256 rem = end - i;
            uint256 m = w & ASCII_MASK;
            if (rem < 32) {
                uint256 shift = (32 - rem) * 8;
                m = (m >> shift) << shift; // ignore bytes past the end
            }
            if (m == 0) {
                if (rem <= 32) break;
                i += 32;
                continue;
            }
            // Skip the ASCII bytes before the first byte with its high bit set.
            uint256 j = 0;
            if (m >> 128 == 0) {
                j = 16;
                m <<= 128;
            }
            if (m >> 192 == 0) {
                j += 8;
                m <<= 64;
            }
            if (m >> 224 == 0) {
                j += 4;
                m <<= 32;
            }
            if (m >> 240 == 0) {
                j += 2;
                m <<= 16;
            }
            if (m >> 248 == 0) j += 1;
            if (j != 0) {
                i += j;
                continue;
            }
            uint256 c = w >> 248;
            uint256 n;
            uint256 lo = 0x80;
            uint256 hi = 0xbf;
            if (c >= 0xc2 && c <= 0xdf) {
                n = 1;
            } else if (c == 0xe0) {
                n = 2;
                lo = 0xa0;
            } else if (c == 0xed) {
                n = 2;
                hi = 0x9f;
            } else if (c >= 0xe1 && c <= 0xef) {
                n = 2;
            } else if (c == 0xf0) {
                n = 3;
                lo = 0x90;
            } else if (c == 0xf4) {
                n = 3;
                hi = 0x8f;
            } else if (c >= 0xf1 && c <= 0xf3) {
                n = 3;
            } else {
                revert InvalidUtf8();
            }
            if (n >= rem) revert InvalidUtf8();
            uint256 c1 = (w >> 240) & 0xff;
            if (c1 < lo || c1 > hi) revert InvalidUtf8();
            for (uint256 k = 2; k <= n; ++k) {
                uint256 ck = (w >> (248 - 8 * k)) & 0xff;
                if (ck < 0x80 || ck > 0xbf) revert InvalidUtf8();
            }
            i += n + 1;
        }
    }
}

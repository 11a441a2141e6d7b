// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {HexsBodies} from "./HexsBodies.sol";

/// @notice The first 32 bytes of an encoded message, which hold its whole header:
/// version u8 | kind u8 | srcChain u32 | dstChain u32 | nonce u64 | bodyLength u32 | (first body bytes).
/// Read it with HexsCodec's named accessors (`e.source()`, `e.nonce()`, ...), never with shifts.
type Envelope is uint256;

using HexsCodec for Envelope global;

/// @title HexsCodec
/// @notice Solidity implementation of the Hexs cross-chain message codec (docs/messages.md).
/// Envelope: version u8 | kind u8 | srcChain u32 | dstChain u32 | nonce u64 | bodyLength u32 | body,
/// big-endian. Decoders read `bytes calldata` with bounds checks and accept only the canonical
/// encoding of a valid message; the digest relayers sign is keccak256 of the encoding.
/// This file holds the envelope and the wire primitives; the kinds and body codecs are generated
/// from codec/schema.ts into HexsBodies (codec/generate.ts).
/// The TypeScript (codec) and Rust (contracts/cosmwasm/codec) codecs are tested against
/// the same golden vectors (codec/vectors.json).
library HexsCodec {
    // ------------------------------------------------------------------ constants

    uint8 internal constant VERSION = 1;
    uint256 internal constant HEADER_LENGTH = 22;
    uint8 internal constant FAMILY_EVM = 1;
    uint8 internal constant FAMILY_COSMOS = 2;
    uint8 internal constant FAMILY_COSMWASM = 3;

    /// @dev keccak256("HEXS_BATCH_V1"): domain tag of the batch root preimage.
    bytes32 internal constant BATCH_TAG = keccak256("HEXS_BATCH_V1");

    uint256 private constant MAX_STRING_LENGTH = HexsBodies.MAX_STRING_LENGTH;

    // Bit offsets of the header fields in an Envelope word.
    uint256 private constant VERSION_SHIFT = 248;
    uint256 private constant KIND_SHIFT = 240;
    uint256 private constant SOURCE_SHIFT = 208;
    uint256 private constant DESTINATION_SHIFT = 176;
    uint256 private constant NONCE_SHIFT = 112;
    uint256 private constant BODY_LENGTH_SHIFT = 80;

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

    // ------------------------------------------------------------------ envelope

    /// @notice Decodes and checks the envelope (version, kind, exact body length). The body is not parsed.
    function decodeHeader(bytes calldata m) internal pure returns (Header memory h, bytes calldata body) {
        uint256 len = m.length;
        if (len == 0) revert Truncated();
        // The accessors' shifts, inline: this runs for every message decoded.
        uint256 w = Envelope.unwrap(_firstWord(m));
        uint8 version_ = uint8(w >> VERSION_SHIFT);
        if (version_ != VERSION) revert UnsupportedVersion(version_);
        if (len < 2) revert Truncated();
        uint8 kind_ = uint8(w >> KIND_SHIFT);
        if (kind_ == 0 || kind_ > HexsBodies.MAX_KIND) revert UnknownKind(kind_);
        if (len < HEADER_LENGTH) revert Truncated();
        h.kind = kind_;
        h.srcChain = uint32(w >> SOURCE_SHIFT);
        h.dstChain = uint32(w >> DESTINATION_SHIFT);
        h.nonce = uint64(w >> NONCE_SHIFT);
        uint256 bodyLen = uint32(w >> BODY_LENGTH_SHIFT);
        uint256 rest = len - HEADER_LENGTH;
        if (bodyLen > rest) revert Truncated();
        if (bodyLen < rest) revert TrailingBytes();
        body = m[HEADER_LENGTH:];
    }

    /// @notice The envelope of `m` once it passes `decodeHeader`'s checks (version, kind, exact body
    /// length), read without copying the header to memory; a failing envelope reverts with
    /// `decodeHeader`'s error.
    function envelope(bytes calldata m) internal pure returns (Envelope e) {
        uint256 len = m.length;
        if (len >= HEADER_LENGTH) {
            e = _firstWord(m);
            uint256 w = Envelope.unwrap(e);
            uint256 kind_ = uint8(w >> KIND_SHIFT);
            if (
                uint8(w >> VERSION_SHIFT) == VERSION &&
                kind_ != 0 &&
                kind_ <= HexsBodies.MAX_KIND &&
                uint32(w >> BODY_LENGTH_SHIFT) == len - HEADER_LENGTH
            ) return e;
        }
        decodeHeader(m); // reverts with the precise reason
        revert Truncated(); // unreachable: decodeHeader accepts what the check above accepts
    }

    /// @notice The body of a message whose envelope was checked (`envelope` or `decodeHeader`).
    function bodyOf(bytes calldata m) internal pure returns (bytes calldata) {
        return m[HEADER_LENGTH:];
    }

    function version(Envelope e) internal pure returns (uint8) {
        return uint8(Envelope.unwrap(e) >> VERSION_SHIFT);
    }

    function kind(Envelope e) internal pure returns (uint8) {
        return uint8(Envelope.unwrap(e) >> KIND_SHIFT);
    }

    /// @notice The sending chain (srcChain).
    function source(Envelope e) internal pure returns (uint32) {
        return uint32(Envelope.unwrap(e) >> SOURCE_SHIFT);
    }

    /// @notice The receiving chain (dstChain).
    function destination(Envelope e) internal pure returns (uint32) {
        return uint32(Envelope.unwrap(e) >> DESTINATION_SHIFT);
    }

    /// @notice The lane nonce.
    function nonce(Envelope e) internal pure returns (uint64) {
        return uint64(Envelope.unwrap(e) >> NONCE_SHIFT);
    }

    function bodyLength(Envelope e) internal pure returns (uint256) {
        return uint32(Envelope.unwrap(e) >> BODY_LENGTH_SHIFT);
    }

    /// @dev The first calldata word of `m` (bytes past the end of calldata read as zero).
    function _firstWord(bytes calldata m) private pure returns (Envelope e) {
        assembly ("memory-safe") {
            e := calldataload(m.offset)
        }
    }

    /// @notice Decodes the envelope and fully validates the body of whatever kind it carries.
    function validate(bytes calldata m) internal pure returns (Header memory h) {
        bytes calldata body;
        (h, body) = decodeHeader(m);
        HexsBodies.validateBody(h.kind, body);
    }

    /// @notice Canonical encoding of a message from its header and encoded body.
    function encodeMessage(Header memory h, bytes memory body) internal pure returns (bytes memory) {
        if (h.kind == 0 || h.kind > HexsBodies.MAX_KIND) revert UnknownKind(h.kind);
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

    // ------------------------------------------------------------------ writers (used by HexsBodies)

    /// @notice u16 length | UTF-8 bytes; reverts on a string over MAX_STRING_LENGTH or invalid UTF-8.
    function encString(string memory s) internal pure returns (bytes memory) {
        bytes memory b = bytes(s);
        if (b.length > MAX_STRING_LENGTH) revert StringTooLong(b.length, MAX_STRING_LENGTH);
        _requireUtf8(b);
        return abi.encodePacked(uint16(b.length), b);
    }

    /// @notice u16 length | bytes, at most `max` bytes.
    function encBytes(bytes memory b, uint256 max) internal pure returns (bytes memory) {
        if (b.length > max) revert BytesTooLong(b.length, max);
        return abi.encodePacked(uint16(b.length), b);
    }

    /// @notice count u8 | (currency bytes(MAX_CURRENCY_LENGTH) | amount u128) per price.
    function encPrices(Price[] memory prices) internal pure returns (bytes memory out) {
        uint256 n = prices.length;
        if (n > HexsBodies.MAX_PRICES) revert TooManyPrices(n);
        out = abi.encodePacked(uint8(n));
        for (uint256 i = 0; i < n; ++i) {
            out = bytes.concat(
                out,
                encBytes(prices[i].currency, HexsBodies.MAX_CURRENCY_LENGTH),
                bytes16(prices[i].amount)
            );
        }
    }

    /// @notice Decodes a full message that must be of `kind`; returns the header and the body slice.
    function expectKind(bytes calldata m, uint8 kind_) internal pure returns (Header memory h, bytes calldata body) {
        (h, body) = decodeHeader(m);
        if (h.kind != kind_) revert WrongKind(kind_, h.kind);
    }

    // ------------------------------------------------------------------ readers (used by HexsBodies)

    /// @dev Reads an n-byte (1..32) big-endian unsigned integer at offset o.
    function readUint(bytes calldata d, uint256 o, uint256 n) internal pure returns (uint256 v, uint256 next) {
        unchecked {
            next = o + n; // o <= d.length and n <= 32: cannot overflow
        }
        if (next > d.length) revert Truncated();
        assembly ("memory-safe") {
            v := shr(sub(256, shl(3, n)), calldataload(add(d.offset, o)))
        }
    }

    function readBool(bytes calldata d, uint256 o) internal pure returns (bool, uint256) {
        (uint256 v, uint256 next) = readUint(d, o, 1);
        if (v > 1) revert InvalidBool(uint8(v));
        return (v == 1, next);
    }

    function readAccount(bytes calldata d, uint256 o) internal pure returns (Account memory a, uint256 next) {
        (uint256 head, uint256 p) = readUint(d, o, 2);
        uint8 family = uint8(head >> 8);
        uint256 len = head & 0xff;
        uint256 expected = 32;
        if (family == FAMILY_EVM || family == FAMILY_COSMOS) expected = 20;
        else if (family != FAMILY_COSMWASM) revert UnknownAccountFamily(family);
        if (len != expected) revert BadAccountLength(family, len);
        uint256 v;
        (v, next) = readUint(d, p, len);
        a.family = family;
        a.addr = bytes32(v);
    }

    function readBytes(
        bytes calldata d,
        uint256 o,
        uint256 max
    ) internal pure returns (bytes memory out, uint256 next) {
        (uint256 len, uint256 start) = readUint(d, o, 2);
        if (len > max) revert BytesTooLong(len, max);
        next = start + len;
        if (next > d.length) revert Truncated();
        out = d[start:next];
    }

    function readString(bytes calldata d, uint256 o) internal pure returns (string memory, uint256 next) {
        (uint256 len, uint256 start) = readUint(d, o, 2);
        if (len > MAX_STRING_LENGTH) revert StringTooLong(len, MAX_STRING_LENGTH);
        next = start + len;
        if (next > d.length) revert Truncated();
        bytes memory out = d[start:next];
        _requireUtf8(out);
        return (string(out), next);
    }

    /// @notice count u8 (at most MAX_PRICES) | (currency bytes(MAX_CURRENCY_LENGTH) | amount u128) per price.
    function readPrices(bytes calldata d, uint256 o) internal pure returns (Price[] memory prices, uint256 next) {
        uint256 n;
        (n, next) = readUint(d, o, 1);
        if (n > HexsBodies.MAX_PRICES) revert TooManyPrices(n);
        prices = new Price[](n);
        for (uint256 i = 0; i < n; ++i) {
            Price memory p = prices[i];
            (p.currency, next) = readBytes(d, next, HexsBodies.MAX_CURRENCY_LENGTH);
            uint256 v;
            (v, next) = readUint(d, next, 16);
            p.amount = uint128(v);
        }
    }

    /// @notice Reverts with TrailingBytes unless the body was read to its end.
    function readEnd(bytes calldata d, uint256 o) internal pure {
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

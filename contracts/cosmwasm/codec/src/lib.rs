//! Hexs cross-chain message codec (Rust implementation of `docs/messages.md`).
//!
//! One versioned envelope `(version, kind, srcChain, dstChain, laneNonce, body)` carries every
//! cross-chain fact. The encoding is compact big-endian with explicit lengths; decoding accepts
//! only the canonical encoding of a valid message, so `encode(decode(b)?)? == b` always holds.
//! The digest relayers sign is `keccak256(encoding)`; a batch of one lane's messages is signed
//! once, over [`batch_root`].
//!
//! The crate has one dependency (`tiny-keccak`) and builds for `wasm32-unknown-unknown`.
//!
//! This file holds the envelope and the wire primitives; the kinds, limits and body codecs are
//! generated from `codec/schema.ts` into [`bodies`] (`codec/generate.ts`) and re-exported here.

use std::fmt;
use tiny_keccak::{Hasher, Keccak};

mod bodies;
pub use bodies::*;

/// The only envelope version this codec accepts.
pub const VERSION: u8 = 1;
/// Envelope header size: version u8, kind u8, srcChain u32, dstChain u32, nonce u64, bodyLength u32.
pub const HEADER_LENGTH: usize = 22;
/// Account families of the chain-agnostic account word.
pub const FAMILY_EVM: u8 = 1;
pub const FAMILY_COSMOS: u8 = 2;
pub const FAMILY_COSMWASM: u8 = 3;

// ------------------------------------------------------------------ errors

/// Every way a message can be rejected. `code()` matches the error names of the golden vectors
/// and of the TypeScript and Solidity codecs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecError {
    Truncated,
    TrailingBytes,
    UnsupportedVersion(u8),
    UnknownKind(u8),
    UnknownAccountFamily(u8),
    BadAccountLength { family: u8, len: usize },
    StringTooLong { len: usize, max: usize },
    BytesTooLong { len: usize, max: usize },
    InvalidUtf8,
    InvalidBool(u8),
    TooManyPrices(usize),
    EmptyBatch,
    BatchLaneMismatch { index: usize },
    BatchNonceGap { index: usize },
}

impl CodecError {
    pub fn code(&self) -> &'static str {
        match self {
            CodecError::Truncated => "Truncated",
            CodecError::TrailingBytes => "TrailingBytes",
            CodecError::UnsupportedVersion(_) => "UnsupportedVersion",
            CodecError::UnknownKind(_) => "UnknownKind",
            CodecError::UnknownAccountFamily(_) => "UnknownAccountFamily",
            CodecError::BadAccountLength { .. } => "BadAccountLength",
            CodecError::StringTooLong { .. } => "StringTooLong",
            CodecError::BytesTooLong { .. } => "BytesTooLong",
            CodecError::InvalidUtf8 => "InvalidUtf8",
            CodecError::InvalidBool(_) => "InvalidBool",
            CodecError::TooManyPrices(_) => "TooManyPrices",
            CodecError::EmptyBatch => "EmptyBatch",
            CodecError::BatchLaneMismatch { .. } => "BatchLaneMismatch",
            CodecError::BatchNonceGap { .. } => "BatchNonceGap",
        }
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "hexs codec: {}", self.code())?;
        match self {
            CodecError::UnsupportedVersion(v) => write!(f, " (version {v})"),
            CodecError::UnknownKind(k) => write!(f, " (kind {k})"),
            CodecError::UnknownAccountFamily(fam) => write!(f, " (family {fam})"),
            CodecError::BadAccountLength { family, len } => {
                write!(f, " (family {family}, {len} bytes)")
            }
            CodecError::StringTooLong { len, max } | CodecError::BytesTooLong { len, max } => {
                write!(f, " ({len} > {max})")
            }
            CodecError::InvalidBool(b) => write!(f, " (byte {b})"),
            CodecError::TooManyPrices(n) => write!(f, " ({n} > {MAX_PRICES})"),
            CodecError::BatchLaneMismatch { index } | CodecError::BatchNonceGap { index } => {
                write!(f, " (message {index})")
            }
            _ => Ok(()),
        }
    }
}

impl std::error::Error for CodecError {}

// ------------------------------------------------------------------ types

/// Chain-agnostic account word: a family plus the full address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Account {
    /// EVM account (20 bytes).
    Evm([u8; 20]),
    /// Cosmos SDK account (20-byte address hash; bech32 prefix is not part of the identity).
    Cosmos([u8; 20]),
    /// CosmWasm contract address (32 bytes), e.g. a model's DAO.
    CosmWasm([u8; 32]),
}

impl Account {
    pub fn family(&self) -> u8 {
        match self {
            Account::Evm(_) => FAMILY_EVM,
            Account::Cosmos(_) => FAMILY_COSMOS,
            Account::CosmWasm(_) => FAMILY_COSMWASM,
        }
    }

    pub fn address(&self) -> &[u8] {
        match self {
            Account::Evm(a) | Account::Cosmos(a) => a,
            Account::CosmWasm(a) => a,
        }
    }

    /// Builds an account from a family byte and address bytes, checking the length.
    pub fn from_parts(family: u8, address: &[u8]) -> Result<Account, CodecError> {
        let bad = || CodecError::BadAccountLength {
            family,
            len: address.len(),
        };
        match family {
            FAMILY_EVM => Ok(Account::Evm(address.try_into().map_err(|_| bad())?)),
            FAMILY_COSMOS => Ok(Account::Cosmos(address.try_into().map_err(|_| bad())?)),
            FAMILY_COSMWASM => Ok(Account::CosmWasm(address.try_into().map_err(|_| bad())?)),
            f => Err(CodecError::UnknownAccountFamily(f)),
        }
    }

    /// Canonical encoding: family u8 ‖ length u8 ‖ address.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.account(self);
        w.buf
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    /// Empty = the source chain's native coin; EVM: 20-byte ERC-20 address; Cosmos: denom bytes.
    pub currency: Vec<u8>,
    pub amount: u128,
}

/// Envelope fields other than the body. `version` is always [`VERSION`] for a decoded message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub version: u8,
    pub kind: Kind,
    pub src_chain: u32,
    pub dst_chain: u32,
    pub nonce: u64,
}

/// A whole message (version [`VERSION`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub src_chain: u32,
    pub dst_chain: u32,
    pub nonce: u64,
    pub body: Body,
}

impl Message {
    pub fn kind(&self) -> Kind {
        self.body.kind()
    }

    pub fn encode(&self) -> Result<Vec<u8>, CodecError> {
        encode(self)
    }

    /// keccak256 of the canonical encoding.
    pub fn digest(&self) -> Result<[u8; 32], CodecError> {
        Ok(keccak256(&encode(self)?))
    }
}

// ------------------------------------------------------------------ writer

#[derive(Default)]
struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn u128(&mut self, v: u128) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn bool(&mut self, v: bool) {
        self.buf.push(v as u8);
    }
    fn raw(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }
    fn bytes(&mut self, b: &[u8], max: usize) -> Result<(), CodecError> {
        if b.len() > max {
            return Err(CodecError::BytesTooLong { len: b.len(), max });
        }
        self.u16(b.len() as u16);
        self.raw(b);
        Ok(())
    }
    fn string(&mut self, s: &str) -> Result<(), CodecError> {
        if s.len() > MAX_STRING_LENGTH {
            return Err(CodecError::StringTooLong {
                len: s.len(),
                max: MAX_STRING_LENGTH,
            });
        }
        self.u16(s.len() as u16);
        self.raw(s.as_bytes());
        Ok(())
    }
    fn account(&mut self, a: &Account) {
        let addr = a.address();
        self.u8(a.family());
        self.u8(addr.len() as u8);
        self.raw(addr);
    }
    fn prices(&mut self, prices: &[Price]) -> Result<(), CodecError> {
        if prices.len() > MAX_PRICES {
            return Err(CodecError::TooManyPrices(prices.len()));
        }
        self.u8(prices.len() as u8);
        for p in prices {
            self.bytes(&p.currency, MAX_CURRENCY_LENGTH)?;
            self.u128(p.amount);
        }
        Ok(())
    }
}

/// Encodes only a body.
pub fn encode_body_bytes(body: &Body) -> Result<Vec<u8>, CodecError> {
    let mut w = Writer::default();
    encode_body(&mut w, body)?;
    Ok(w.buf)
}

/// Canonical encoding of a message.
pub fn encode(msg: &Message) -> Result<Vec<u8>, CodecError> {
    let body = encode_body_bytes(&msg.body)?;
    let mut w = Writer {
        buf: Vec::with_capacity(HEADER_LENGTH + body.len()),
    };
    w.u8(VERSION);
    w.u8(msg.kind() as u8);
    w.u32(msg.src_chain);
    w.u32(msg.dst_chain);
    w.u64(msg.nonce);
    w.u32(body.len() as u32);
    w.raw(&body);
    Ok(w.buf)
}

// ------------------------------------------------------------------ reader

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if n > self.data.len() - self.pos {
            return Err(CodecError::Truncated);
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, CodecError> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, CodecError> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    fn u128(&mut self) -> Result<u128, CodecError> {
        Ok(u128::from_be_bytes(self.array()?))
    }
    fn bool(&mut self) -> Result<bool, CodecError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(CodecError::InvalidBool(b)),
        }
    }
    fn bytes(&mut self, max: usize) -> Result<Vec<u8>, CodecError> {
        let len = self.u16()? as usize;
        if len > max {
            return Err(CodecError::BytesTooLong { len, max });
        }
        Ok(self.take(len)?.to_vec())
    }
    fn string(&mut self) -> Result<String, CodecError> {
        let len = self.u16()? as usize;
        if len > MAX_STRING_LENGTH {
            return Err(CodecError::StringTooLong {
                len,
                max: MAX_STRING_LENGTH,
            });
        }
        let b = self.take(len)?;
        std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| CodecError::InvalidUtf8)
    }
    fn account(&mut self) -> Result<Account, CodecError> {
        let family = self.u8()?;
        let len = self.u8()? as usize;
        let expected = match family {
            FAMILY_EVM | FAMILY_COSMOS => 20,
            FAMILY_COSMWASM => 32,
            f => return Err(CodecError::UnknownAccountFamily(f)),
        };
        if len != expected {
            return Err(CodecError::BadAccountLength { family, len });
        }
        Account::from_parts(family, self.take(len)?)
    }
    fn prices(&mut self) -> Result<Vec<Price>, CodecError> {
        let count = self.u8()? as usize;
        if count > MAX_PRICES {
            return Err(CodecError::TooManyPrices(count));
        }
        let mut prices = Vec::with_capacity(count);
        for _ in 0..count {
            prices.push(Price {
                currency: self.bytes(MAX_CURRENCY_LENGTH)?,
                amount: self.u128()?,
            });
        }
        Ok(prices)
    }
    fn end(&self) -> Result<(), CodecError> {
        if self.pos != self.data.len() {
            return Err(CodecError::TrailingBytes);
        }
        Ok(())
    }
}

/// Decodes and checks the envelope (version, kind, exact body length); returns the unparsed body.
pub fn decode_header(data: &[u8]) -> Result<(Header, &[u8]), CodecError> {
    let mut r = Reader::new(data);
    let version = r.u8()?;
    if version != VERSION {
        return Err(CodecError::UnsupportedVersion(version));
    }
    let k = r.u8()?;
    let kind = Kind::from_u8(k).ok_or(CodecError::UnknownKind(k))?;
    let src_chain = r.u32()?;
    let dst_chain = r.u32()?;
    let nonce = r.u64()?;
    let len = r.u32()? as usize;
    let rest = data.len() - HEADER_LENGTH;
    if len > rest {
        return Err(CodecError::Truncated);
    }
    if len < rest {
        return Err(CodecError::TrailingBytes);
    }
    Ok((
        Header {
            version,
            kind,
            src_chain,
            dst_chain,
            nonce,
        },
        &data[HEADER_LENGTH..],
    ))
}

/// Decodes a whole message, accepting only the canonical encoding of a valid message.
pub fn decode(data: &[u8]) -> Result<Message, CodecError> {
    let (h, body) = decode_header(data)?;
    Ok(Message {
        src_chain: h.src_chain,
        dst_chain: h.dst_chain,
        nonce: h.nonce,
        body: decode_body(h.kind, body)?,
    })
}

// ------------------------------------------------------------------ hashing

pub fn keccak256(data: &[u8]) -> [u8; 32] {
    let mut k = Keccak::v256();
    k.update(data);
    let mut out = [0u8; 32];
    k.finalize(&mut out);
    out
}

/// The digest relayers sign for one message: keccak256 of its encoding. Does not validate;
/// use [`decode`] first (or [`batch_root_of_messages`]) on untrusted input.
pub fn digest(encoded: &[u8]) -> [u8; 32] {
    keccak256(encoded)
}

/// keccak256("HEXS_BATCH_V1").
pub fn batch_tag() -> [u8; 32] {
    keccak256(b"HEXS_BATCH_V1")
}

/// Batch root over the digests of one lane's messages with nonces first_nonce, first_nonce+1, …:
/// keccak256(BATCH_TAG ‖ srcChain u32 ‖ dstChain u32 ‖ firstNonce u64 ‖ count u32 ‖ digests).
pub fn batch_root(
    src_chain: u32,
    dst_chain: u32,
    first_nonce: u64,
    digests: &[[u8; 32]],
) -> Result<[u8; 32], CodecError> {
    if digests.is_empty() {
        return Err(CodecError::EmptyBatch);
    }
    let mut k = Keccak::v256();
    k.update(&batch_tag());
    k.update(&src_chain.to_be_bytes());
    k.update(&dst_chain.to_be_bytes());
    k.update(&first_nonce.to_be_bytes());
    k.update(&(digests.len() as u32).to_be_bytes());
    for d in digests {
        k.update(d);
    }
    let mut out = [0u8; 32];
    k.finalize(&mut out);
    Ok(out)
}

/// A validated batch: its lane, decoded messages, digests and root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub src_chain: u32,
    pub dst_chain: u32,
    pub first_nonce: u64,
    pub messages: Vec<Message>,
    pub digests: Vec<[u8; 32]>,
    pub root: [u8; 32],
}

/// Decodes every message of a batch, checks they share one lane with contiguous nonces, and
/// computes the batch root (what the relayer quorum signed).
pub fn batch_root_of_messages<B: AsRef<[u8]>>(encoded: &[B]) -> Result<Batch, CodecError> {
    if encoded.is_empty() {
        return Err(CodecError::EmptyBatch);
    }
    let mut messages = Vec::with_capacity(encoded.len());
    let mut digests = Vec::with_capacity(encoded.len());
    for (i, raw) in encoded.iter().enumerate() {
        let raw = raw.as_ref();
        let m = decode(raw)?;
        if let Some(first) = messages.first() {
            let first: &Message = first;
            if m.src_chain != first.src_chain || m.dst_chain != first.dst_chain {
                return Err(CodecError::BatchLaneMismatch { index: i });
            }
            if first.nonce.checked_add(i as u64) != Some(m.nonce) {
                return Err(CodecError::BatchNonceGap { index: i });
            }
        }
        digests.push(digest(raw));
        messages.push(m);
    }
    let (src_chain, dst_chain, first_nonce) = (
        messages[0].src_chain,
        messages[0].dst_chain,
        messages[0].nonce,
    );
    let root = batch_root(src_chain, dst_chain, first_nonce, &digests)?;
    Ok(Batch {
        src_chain,
        dst_chain,
        first_nonce,
        messages,
        digests,
        root,
    })
}

/// Global id of a model, key or purchase: (originChain << 32) | localSerial.
pub fn global_id(origin_chain: u32, local_serial: u32) -> u64 {
    ((origin_chain as u64) << 32) | local_serial as u64
}

/// Splits a global id into (originChain, localSerial).
pub fn split_global_id(id: u64) -> (u32, u32) {
    ((id >> 32) as u32, id as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids() {
        assert_eq!(global_id(1, 1), 4_294_967_297);
        assert_eq!(split_global_id(global_id(100, 42)), (100, 42));
    }

    #[test]
    fn rejects_over_long_on_encode() {
        let m = Message {
            src_chain: 1,
            dst_chain: 2,
            nonce: 1,
            body: Body::LeaseReported(LeaseReported {
                purchase_id: 1,
                ok: true,
                dseq: 1,
                gseq: 1,
                oseq: 1,
                provider: "x".repeat(MAX_STRING_LENGTH + 1),
                reason: String::new(),
            }),
        };
        assert_eq!(encode(&m).unwrap_err().code(), "StringTooLong");
    }
}

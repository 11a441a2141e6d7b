// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";

import {IHexsHub, ITransport} from "../interfaces/IHexsHub.sol";
import {IRegistryMirror} from "../interfaces/IRegistryMirror.sol";
import {Envelope, HexsCodec} from "../libraries/HexsCodec.sol";
import {HexsBodies} from "../libraries/HexsBodies.sol";
import {KeyMintedWords} from "../libraries/KeyMintedWords.sol";
import {PackedHolding} from "../libraries/PackedHolding.sol";
import {PackedMirrorKey, PackedMirrorKeyLibrary} from "../libraries/PackedMirrorKey.sol";

/// @dev The market's deployment-escrow entry point (LEASE_REPORTER_ROLE, held by the hub).
interface ILeaseMarket {
    function resolveDeployment(uint256 keyId, bool leased, uint64 dseq, address operator) external;
}

/// @dev Checks a payout binding's signature blob (PayoutBindings); reverts when it is not valid.
interface IBindingVerifier {
    function verify(uint32 srcChain, HexsBodies.PayoutAddressBound calldata b) external view;
}

/// @dev HexsResale applies resale orders and results (`applyMessage`, same arguments as the hub's).
interface IResaleInbox {
    function applyMessage(uint32 srcChain, bytes calldata message) external;
}

/// @title HexsHub
/// @notice This chain's single door to the other Hexs chains.
///
/// Outbound: the registry and the key collections *record* every local fact (a model
/// registered or updated, a key minted, transferred, moved or burned) in one journal. Recording
/// costs one storage write and an event, so a marketplace's `transferFrom` never pays a bridge
/// fee. Every lane carries every fact in journal order, so the lane nonce of entry `n` is `n` on
/// every lane. A permissionless payable `flush(dstChain, ...)` sends pending entries over a
/// transport (LayerZero for EVM chains); for non-EVM chains the relayer quorum signs the
/// `Recorded` events and delivers them itself.
///
/// Inbound: a lane's transport (the LayerZero bridge or the attestation gateway) delivers
/// batches; the hub applies them strictly in nonce order, rejects replays and gaps, enforces a
/// per-lane rate limit and pause, and applies each message to the mirror. A message whose
/// content is refused (e.g. an unknown model) is skipped with `MessageRejected` so that a lane
/// can never be blocked for good; only transport-level faults revert (and are retried).
///
/// Mirror: models go to the registry (with a local key collection, so keys are sold on every
/// chain); keys resident elsewhere are kept here read-only in per-(model, holder) records, so
/// `hasMirroredAccess` is constant-gas and mirroring a purchase for a new holder writes one slot.
contract HexsHub is Initializable, AccessControlUpgradeable, UUPSUpgradeable, IHexsHub {
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    /// @notice Held by the registry, which also authorizes each key collection it creates.
    bytes32 public constant REGISTRY_ROLE = keccak256("REGISTRY_ROLE");

    /// @dev A journal checkpoint every this many entries lets a flush stop before the head.
    uint64 public constant CHECKPOINT_INTERVAL = 64;
    /// @notice Most entries one flush carries (bounds the destination's receive gas).
    uint256 public constant MAX_FLUSH = 64;
    /// @dev A refused apply that left less than 1/16 of its gas ran out of gas (up to 4 calls deep).
    uint256 private constant OUT_OF_GAS_SHARE = 16;

    /// @dev Slot 0 holds all that an inbound delivery on an unlimited lane reads and writes
    /// (transport, pause, whether a rate limit applies, last applied nonce); the rate window
    /// (slot 1) is only touched when `limited`.
    struct Lane {
        address transport; // who delivers from / sends to this chain; 0 = not a peer
        bool paused;
        bool limited; // ratePerHour != 0
        uint64 inbound; // last nonce applied from this chain
        // inserted in slot 0's free bytes (no other member moves): the hub-wide pause, copied
        // into every peer's lane so that a delivery reads one word, not this and `HubStorage.paused`
        bool hubPaused;
        uint32 ratePerHour; // inbound messages per rolling hour window; 0 = unlimited
        uint32 windowCount;
        uint64 windowStart;
        uint64 sent; // last journal entry flushed to this chain (transport lanes)
        bytes24 sentHead; // journal hash-chain value after entry `sent`
        // appended: read by moves to this chain and by refusals, never by an applied delivery
        uint8 family; // account family of the chain's users (HexsCodec.FAMILY_EVM / FAMILY_COSMOS)
        uint32 epoch; // bumped when the transport changes; a refusal is re-applied only in its epoch
    }

    /// @notice `lane`'s answer (field order kept from the original record for its readers).
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

    /// @notice A mirrored key recorded apart from its holding. Declares the slot's layout for the
    /// upgrades plugin; read and written as one word through `PackedMirrorKey` (field docs there).
    struct MirrorKey {
        uint64 modelId;
        uint40 expiresAt;
        uint32 resident;
        bool locked;
        bytes14 owner;
    }

    /// @notice What one account holds of one model on other chains. Declares the slot's layout for
    /// the upgrades plugin; read and written as one word through `PackedHolding` (field docs there).
    struct Holding {
        uint32 perpetual;
        uint32 subscriptions;
        uint40 bestExpiry;
        uint64 keyId;
        uint32 resident;
        uint40 expiresAt;
        bool locked;
    }

    /// @custom:storage-location erc7201:hexs.storage.Hub
    struct HubStorage {
        // slot 0: all that recording a fact reads and writes
        bytes24 head; // hash chain over the journal (192 bits: second preimages stay infeasible)
        uint64 count; // journal entries recorded
        IRegistryMirror registry;
        uint32 chainId;
        bool paused;
        mapping(uint64 entry => bytes24) checkpoint;
        mapping(address => bool) recorder;
        mapping(uint32 chain => Lane) lanes;
        uint32[] peers;
        mapping(uint64 keyId => MirrorKey) keys; // keys recorded apart from their holding
        mapping(uint64 modelId => mapping(bytes32 account => Holding)) holdings; // by `_accountKey`
        /// @dev unused since bindings moved to PayoutBindings (kept for the storage layout)
        mapping(address creator => mapping(uint32 chain => uint64)) bindNonce;
        /// @custom:oz-retyped-from uint32
        mapping(bytes32 digest => uint256 refusal) rejected; // see `_refusal`: srcChain | epoch | nonce
        // LeaseReported (appended): the Akash lane, the market whose escrows it resolves, who is paid
        uint32 leaseChain;
        ILeaseMarket leaseMarket;
        address leasePayee;
        // appended: makes bindings at source and checks them on receipt
        IBindingVerifier bindings;
        // appended: applies ResaleOrder / ResaleResult, and records them (a recorder)
        IResaleInbox resale;
    }

    // keccak256(abi.encode(uint256(keccak256("hexs.storage.Hub")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_SLOT = 0xed831aabcf8e62e82a355daef486871821d49f1b1e64d8888f037bee1153b000;

    event Recorded(uint64 indexed entry, uint8 kind, bytes body);
    event Flushed(uint32 indexed dstChain, uint64 firstNonce, uint64 lastNonce);
    /// @notice A delivery applied lane nonces `firstNonce..lastNonce`; bit `i` of `rejected`
    /// (byte `i / 8`, least significant bit first) is set when message `firstNonce + i` was
    /// refused, and each refused one also has its `MessageRejected`. `rejected` is empty when
    /// none was refused.
    event BatchApplied(uint32 indexed srcChain, uint64 firstNonce, uint64 lastNonce, bytes rejected);
    /// @notice A message refused earlier was applied by `reapply`.
    event MessageApplied(uint32 indexed srcChain, uint64 indexed nonce, uint8 kind);
    event MessageRejected(uint32 indexed srcChain, uint64 indexed nonce, uint8 kind, bytes reason);
    event PeerSet(uint32 indexed chain, address transport, uint32 ratePerHour, uint8 family);
    event RejectedDropped(bytes32 indexed digest);
    event LanePaused(uint32 indexed chain, bool paused);
    event HubPaused(bool paused);
    event RecorderAuthorized(address recorder);
    event LeaseReportingSet(uint32 indexed akashChain, address market, address payee);
    event PayoutBindingsSet(address bindings);
    event ResaleSet(address resale);
    /// A leased key's deployment now serves its new holder (the Akash lane's LeaseHandedOver body).
    event LeaseHandedOver(uint64 indexed keyId, bytes body);

    error NotRecorder(address caller);
    error NotTransport(uint32 chain, address caller);
    error UnknownPeer(uint32 chain);
    error WrongSource(uint32 expected, uint32 actual);
    error WrongDestination(uint32 expected, uint32 actual);
    error UnexpectedNonce(uint32 srcChain, uint64 expected, uint64 actual);
    error LaneIsPaused(uint32 chain);
    error HubIsPaused();
    error RateLimited(uint32 chain, uint32 ratePerHour);
    error NothingToFlush(uint32 chain);
    error FlushTooLarge(uint256 entries, uint256 max);
    error JournalMismatch(uint64 entry);
    error OnlySelf();
    error ZeroAddress();
    error InvalidChain(uint32 chain);
    error KeyAlreadyMirrored(uint64 keyId);
    error NotRejected(bytes32 digest);
    error NotBindings(address caller);
    error BindingsNotSet();
    error NotResident(uint64 keyId, uint32 chain);
    error WrongOwner(uint64 keyId);
    error NotLeaseLane(uint32 srcChain);
    error WrongOwnerFamily(uint32 toChain, uint8 family);
    error InvalidFamily(uint8 family);
    error RateBelowFlush(uint32 ratePerHour, uint256 flushSize);
    error TransportRotated(uint32 srcChain);
    error ApplyOutOfGas(uint32 srcChain, uint64 nonce);
    error KeyIsLocked(uint64 keyId);
    /// @dev This implementation was built for another chain than `chainId` (the registry's).
    error WrongChainId(uint32 chainId);

    /// @notice This chain's Hexs chain id (the registry's). An immutable, not a storage read,
    /// because every delivery and flush checks envelopes against it.
    /// @dev Safe as an immutable: a registry's chain id never changes, `initialize` refuses a
    /// registry of another chain, and an upgrade passes `syncPause` to `upgradeToAndCall`,
    /// which refuses an implementation built for another chain than `HubStorage.chainId`.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    uint32 private immutable _chainId;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(uint32 chainId_) {
        if (chainId_ == 0) revert InvalidChain(0);
        _chainId = chainId_;
        _disableInitializers();
    }

    function initialize(IRegistryMirror registry_, address admin, address guardian) external initializer {
        if (address(registry_) == address(0) || admin == address(0) || guardian == address(0)) revert ZeroAddress();
        __AccessControl_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(UPGRADER_ROLE, admin);
        _grantRole(GUARDIAN_ROLE, guardian);
        _grantRole(REGISTRY_ROLE, address(registry_));
        HubStorage storage s = _s();
        s.registry = registry_;
        uint32 id = registry_.chainId();
        if (id != _chainId) revert WrongChainId(id);
        s.chainId = id;
        s.recorder[address(registry_)] = true;
    }

    /// @notice Check this implementation's chain id against the proxy's and copy the hub-wide
    /// pause into every lane: anyone may call (it only restates what storage says). Pass it to
    /// `upgradeToAndCall` when upgrading a hub from before the pause was kept in the lanes, so a
    /// paused hub stays paused across the upgrade.
    function syncPause() external {
        HubStorage storage s = _s();
        if (s.chainId != _chainId) revert WrongChainId(s.chainId);
        _mirrorPause(s, s.paused);
    }

    // ------------------------------------------------------------------ outbound

    /// @notice Let a key collection record its facts (called by the registry when it creates one).
    function authorizeRecorder(address recorder) external onlyRole(REGISTRY_ROLE) {
        _s().recorder[recorder] = true;
        emit RecorderAuthorized(recorder);
    }

    /// @inheritdoc IHexsHub
    /// @dev A KeyMoved (a local key leaving this chain) is also mirrored here at its new resident
    /// chain, which must be a peer other than the Akash lane, to a holder of that chain's family
    /// (an EVM account on an EVM chain; a Cosmos account or contract on a Cosmos chain, as
    /// configured with `setPeer`), so that the destination never refuses it: the key keeps counting in
    /// `hasMirroredAccess` on this chain, and the new resident's later messages about it find it here.
    function record(uint8 kind, bytes calldata body) external {
        HubStorage storage s = _s();
        if (!s.recorder[msg.sender]) revert NotRecorder(msg.sender);
        if (kind == HexsBodies.KIND_KEY_MOVED) {
            HexsBodies.KeyMoved memory m = HexsBodies.decodeKeyMoved(body);
            uint32 to = m.toChain;
            Lane storage dst = s.lanes[to];
            if (to == s.chainId || to == s.leaseChain || dst.transport == address(0)) revert UnknownPeer(to);
            // The destination refuses holders of another family: refuse the move here, not there.
            uint8 family = m.owner.family == HexsCodec.FAMILY_COSMWASM ? HexsCodec.FAMILY_COSMOS : m.owner.family;
            if (family != dst.family) revert WrongOwnerFamily(to, m.owner.family);
            _place(s, m.modelId, _accountKey(m.owner), m.keyId, to, _clampExpiry(m.expiresAt), m.locked);
        }
        _record(s, kind, body);
    }

    function _record(HubStorage storage s, uint8 kind, bytes memory body) private {
        uint64 entry = s.count + 1;
        bytes24 head = bytes24(keccak256(abi.encodePacked(s.head, keccak256(abi.encodePacked(kind, body)))));
        s.count = entry;
        s.head = head;
        if (entry % CHECKPOINT_INTERVAL == 0) s.checkpoint[entry] = head;
        emit Recorded(entry, kind, body);
    }

    /// @notice Send journal entries `sent+1 .. sent+messages.length` to `dstChain` over its
    /// transport. Anyone may call and pay; each message must be the envelope of the next entry
    /// (this chain to `dstChain`, lane nonce = entry number, kind and body as recorded), checked
    /// against the journal, so a caller can only send what was recorded, in order. The batch must
    /// end at the journal head or at a checkpoint.
    /// @param messages the entries as emitted by `Recorded`, enveloped (`HexsCodec.encodeMessage`).
    /// @param options transport options (e.g. LayerZero executor gas), passed through.
    function flush(uint32 dstChain, bytes[] calldata messages, bytes calldata options) external payable {
        HubStorage storage s = _s();
        Lane storage lane_ = s.lanes[dstChain];
        address transport = lane_.transport;
        if (transport == address(0)) revert UnknownPeer(dstChain);
        uint256 n = messages.length;
        if (n == 0) revert NothingToFlush(dstChain);
        if (n > MAX_FLUSH) revert FlushTooLarge(n, MAX_FLUSH);

        uint64 first = lane_.sent + 1;
        bytes24 head = lane_.sentHead;
        uint32 self = s.chainId;
        for (uint256 i; i < n; ++i) {
            bytes calldata message = messages[i];
            Envelope e = HexsCodec.envelope(message);
            if (e.source() != self) revert WrongSource(self, e.source());
            if (e.destination() != dstChain) revert WrongDestination(dstChain, e.destination());
            if (e.nonce() != first + i) revert UnexpectedNonce(dstChain, first + uint64(i), e.nonce());
            head = _chain(head, e.kind(), HexsCodec.bodyOf(message));
        }
        uint64 last = first + uint64(n) - 1;
        if (last > s.count || head != (last == s.count ? s.head : s.checkpoint[last])) revert JournalMismatch(last);
        lane_.sent = last;
        lane_.sentHead = head;
        emit Flushed(dstChain, first, last);
        ITransport(transport).send{value: msg.value}(dstChain, messages, options, msg.sender);
    }

    /// @notice Record a payout binding that PayoutBindings checked at its source (signature,
    /// nonce, creator, chain). A binding for this chain applies here; every one is recorded.
    function recordBinding(HexsBodies.PayoutAddressBound calldata b) external {
        HubStorage storage s = _s();
        if (msg.sender != address(s.bindings)) revert NotBindings(msg.sender);
        if (b.chain == s.chainId) s.registry.mirrorPayout(b);
        _record(s, HexsBodies.KIND_PAYOUT_ADDRESS_BOUND, HexsBodies.encodePayoutAddressBound(b));
    }

    // ------------------------------------------------------------------ inbound

    /// @inheritdoc IHexsHub
    function deliver(uint32 srcChain, bytes[] calldata messages) external {
        HubStorage storage s = _s();
        Lane storage lane_ = s.lanes[srcChain];
        if (lane_.transport == address(0) || msg.sender != lane_.transport) revert NotTransport(srcChain, msg.sender);
        if (lane_.hubPaused) revert HubIsPaused(); // the hub-wide pause as copied into this peer's lane
        if (lane_.paused) revert LaneIsPaused(srcChain);
        _spendRate(lane_, srcChain, messages.length);

        uint64 nonce = lane_.inbound;
        uint32 self = _chainId;
        bytes memory rejected = ""; // bitmap, allocated at the first refusal
        uint256 n = messages.length;
        for (uint256 i; i < n; ++i) {
            bytes calldata message = messages[i];
            Envelope e = HexsCodec.envelope(message);
            if (e.source() != srcChain) revert WrongSource(srcChain, e.source());
            if (e.destination() != self) revert WrongDestination(self, e.destination());
            if (e.nonce() != ++nonce) revert UnexpectedNonce(srcChain, nonce, e.nonce());
            uint8 kind = e.kind();
            // A KeyMinted that is certain to apply is applied in place; anything else (other
            // kinds, or a KeyMinted `applyMessage` would refuse) goes through the isolated call.
            if (kind == HexsBodies.KIND_KEY_MINTED && _mintInPlace(s, srcChain, HexsCodec.bodyOf(message))) {
                continue;
            }
            if (_refused(s, srcChain, nonce, kind, message)) {
                if (rejected.length == 0) rejected = new bytes((n + 7) / 8);
                rejected[i / 8] |= bytes1(uint8(1 << (i % 8)));
            }
        }
        lane_.inbound = nonce;
        if (n != 0) emit BatchApplied(srcChain, nonce - uint64(n) + 1, nonce, rejected);
    }

    /// @dev Apply one message in isolation; a refusal is recorded for `reapply` (with the lane's
    /// epoch) and reported. Running out of gas (at any call depth, each keeping 1/64) is the
    /// submitter's doing, not the message's: it reverts the whole delivery, which is retried
    /// with more gas, instead of recording a refusal.
    function _refused(
        HubStorage storage s,
        uint32 srcChain,
        uint64 nonce,
        uint8 kind,
        bytes calldata message
    ) private returns (bool) {
        uint256 budget = gasleft();
        try this.applyMessage(srcChain, message) {
            return false;
        } catch (bytes memory reason) {
            if (gasleft() < budget / OUT_OF_GAS_SHARE) revert ApplyOutOfGas(srcChain, nonce);
            s.rejected[HexsCodec.digestCalldata(message)] = _refusal(srcChain, s.lanes[srcChain].epoch, nonce);
            emit MessageRejected(srcChain, nonce, kind, reason);
            return true;
        }
    }

    /// @notice Apply again a message this hub refused earlier (e.g. a key of a model whose
    /// registration had not yet arrived over another lane). Anyone may call; it succeeds at
    /// most once per refused message, under the same rules as a delivery on its lane: neither
    /// the hub nor the lane paused, within the lane's rate limit, and only while the lane's
    /// transport is the one that delivered it (a refusal from a transport rotated away since is
    /// never applied). Governance may drop refusals (`dropRejected`); they do not expire.
    function reapply(bytes calldata message) external {
        HubStorage storage s = _s();
        bytes32 d = HexsCodec.digestCalldata(message);
        uint256 refusal = s.rejected[d];
        if (refusal == 0) revert NotRejected(d);
        uint32 srcChain = uint32(refusal);
        Lane storage lane_ = s.lanes[srcChain];
        if (s.paused) revert HubIsPaused();
        if (lane_.paused) revert LaneIsPaused(srcChain);
        if (uint32(refusal >> 32) != lane_.epoch) revert TransportRotated(srcChain);
        _spendRate(lane_, srcChain, 1);
        delete s.rejected[d];
        this.applyMessage(srcChain, message);
        emit MessageApplied(srcChain, uint64(refusal >> 64), HexsCodec.envelope(message).kind());
    }

    /// @notice Forget a refused message (governance): it can no longer be re-applied.
    function dropRejected(bytes32 digest) external onlyRole(DEFAULT_ADMIN_ROLE) {
        delete _s().rejected[digest];
        emit RejectedDropped(digest);
    }

    /// @notice Apply one message to the mirror. Only the hub itself calls this (inside `deliver`,
    /// so that a refused message reverts alone and is reported instead of blocking the lane).
    function applyMessage(uint32 srcChain, bytes calldata message) external {
        if (msg.sender != address(this)) revert OnlySelf();
        (HexsCodec.Header memory h, bytes calldata body) = HexsCodec.decodeHeader(message);
        HubStorage storage s = _s();
        if (h.kind == HexsBodies.KIND_KEY_MINTED) {
            HexsBodies.KeyMinted memory m = HexsBodies.decodeKeyMinted(body);
            uint32 origin = HexsCodec.originChainOf(m.keyId);
            if (origin != srcChain) revert WrongSource(srcChain, origin);
            _place(s, m.modelId, _accountKey(m.owner), m.keyId, srcChain, _clampExpiry(m.expiresAt), m.locked);
        } else if (h.kind == HexsBodies.KIND_KEY_TRANSFERRED) {
            HexsBodies.KeyTransferred memory m = HexsBodies.decodeKeyTransferred(body);
            (uint40 expiry, bool locked) = _take(s, m.modelId, _accountKey(m.from), m.keyId, srcChain);
            if (locked) revert KeyIsLocked(m.keyId); // its holder never changes, whoever says so
            _place(s, m.modelId, _accountKey(m.to), m.keyId, srcChain, expiry, false);
        } else if (h.kind == HexsBodies.KIND_KEY_BURNED) {
            HexsBodies.KeyBurned memory m = HexsBodies.decodeKeyBurned(body);
            _take(s, m.modelId, _accountKey(m.owner), m.keyId, srcChain);
        } else if (h.kind == HexsBodies.KIND_KEY_MOVED || h.kind == HexsBodies.KIND_KEY_POLICY_SET) {
            // A key arriving here and a home chain's key policy go on to the model's local key
            // collection, which decodes them (and checks a policy comes from the model's home).
            bool locked = false; // a KeyPolicySet carries no key
            if (h.kind == HexsBodies.KIND_KEY_MOVED) {
                bool arrives;
                (arrives, locked) = _applyKeyMoved(s, srcChain, HexsBodies.decodeKeyMoved(body));
                if (!arrives) return;
            }
            s.registry.applyToKeys(h.kind, srcChain, locked, body);
        } else if (h.kind == HexsBodies.KIND_MODEL_REGISTERED) {
            HexsBodies.ModelRegistered memory m = HexsBodies.decodeModelRegistered(body);
            if (HexsCodec.originChainOf(m.modelId) != srcChain)
                revert WrongSource(srcChain, HexsCodec.originChainOf(m.modelId));
            s.registry.mirrorModel(m);
        } else if (h.kind == HexsBodies.KIND_MODEL_UPDATED) {
            HexsBodies.decodeModelUpdated(body); // validates it
            s.registry.mirrorUpdate(srcChain, body);
        } else if (h.kind == HexsBodies.KIND_PAYOUT_ADDRESS_BOUND) {
            // Only a binding for this chain applies here: its creator's signature is checked first
            // (a forged one is refused, never applied).
            HexsBodies.PayoutAddressBound memory b = HexsBodies.decodePayoutAddressBound(body);
            if (b.chain == s.chainId) {
                IBindingVerifier v = s.bindings;
                if (address(v) == address(0)) revert BindingsNotSet();
                v.verify(srcChain, b);
                s.registry.mirrorPayout(b);
            }
        } else if (h.kind == HexsBodies.KIND_LEASE_REPORTED) {
            _applyLeaseReported(s, srcChain, HexsBodies.decodeLeaseReported(body));
        } else if (h.kind == HexsBodies.KIND_LEASE_HANDED_OVER) {
            // A record only (co-signers checked it): nothing changes here, so a stale or repeated
            // one cannot hurt; one from another lane is refused like a lease report.
            if (srcChain != s.leaseChain) revert NotLeaseLane(srcChain);
            emit LeaseHandedOver(HexsBodies.decodeLeaseHandedOver(body).keyId, body);
        } else if (h.kind >= HexsBodies.KIND_RESALE_ORDER) {
            // Cross-chain resale (12, 13): HexsResale decodes and checks them; unset, they are refused.
            s.resale.applyMessage(srcChain, message);
        } else if (h.kind == HexsBodies.KIND_PURCHASE_SETTLED) {
            // Consumed by the relayer, not by the mirror; validated and acknowledged here.
            HexsBodies.decodePurchaseSettled(body);
        } else {
            // Decoding only the kinds handled here keeps other kinds' decoders out of the hub.
            revert HexsCodec.UnknownKind(h.kind);
        }
    }

    // ------------------------------------------------------------------ mirror reads

    /// @inheritdoc IHexsHub
    function hasMirroredAccess(uint64 modelId, HexsCodec.Account memory account) public view returns (bool) {
        PackedHolding h = _load(_s().holdings[modelId][_accountKey(account)]);
        return h.perpetual() != 0 || (h.subscriptions() != 0 && h.bestExpiry() > block.timestamp);
    }

    function lane(uint32 chain) external view returns (LaneView memory) {
        Lane storage lane_ = _s().lanes[chain];
        return
            LaneView(
                lane_.transport,
                lane_.paused,
                lane_.ratePerHour,
                lane_.windowCount,
                lane_.windowStart,
                lane_.inbound,
                lane_.sent,
                lane_.sentHead
            );
    }

    /// @notice The raw storage word at `slot`, for HexsHubLens (read-only views kept out of the hub).
    function extsload(bytes32 slot) external view returns (bytes32 word) {
        assembly ("memory-safe") {
            word := sload(slot)
        }
    }

    function chainId() external view returns (uint32) {
        return _s().chainId;
    }

    function payoutBindings() external view returns (address) {
        return address(_s().bindings);
    }

    // ------------------------------------------------------------------ governance

    /// @notice Connect (or reconfigure) a peer chain with its transport, inbound rate limit and
    /// the account family of its users (keys move there only to holders of that family).
    /// A limited lane accepts at least a whole flush per hour: a smaller limit would let one
    /// permissionless `MAX_FLUSH`-entry flush block the lane for good. Changing the transport
    /// starts a new epoch: refusals delivered by the old transport can no longer be re-applied.
    function setPeer(
        uint32 chain,
        address transport,
        uint32 ratePerHour,
        uint8 family
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        HubStorage storage s = _s();
        if (chain == 0 || chain == s.chainId) revert InvalidChain(chain);
        if (transport == address(0)) revert ZeroAddress();
        if (ratePerHour != 0 && ratePerHour < MAX_FLUSH) revert RateBelowFlush(ratePerHour, MAX_FLUSH);
        if (family != HexsCodec.FAMILY_EVM && family != HexsCodec.FAMILY_COSMOS) revert InvalidFamily(family);
        Lane storage lane_ = s.lanes[chain];
        address old = lane_.transport;
        if (old == address(0)) s.peers.push(chain);
        if (old != transport) ++lane_.epoch;
        lane_.transport = transport;
        lane_.ratePerHour = ratePerHour;
        lane_.limited = ratePerHour != 0;
        lane_.family = family;
        lane_.hubPaused = s.paused; // a peer connected while the hub is paused starts paused
        emit PeerSet(chain, transport, ratePerHour, family);
    }

    /// @notice Accept LeaseReported from the Akash lane `akashChain` (its transport is set with
    /// `setPeer`, e.g. the attestation gateway; its rate limit bounds refunds per hour): each
    /// report resolves the purchase's deployment escrow on `market` (this hub needs the market's
    /// LEASE_REPORTER_ROLE), paying `payee` when the lease opened and crediting the buyer back
    /// otherwise. `market` = 0 stops applying them (they are then refused and can be re-applied).
    function setLeaseReporting(uint32 akashChain, address market, address payee) external onlyRole(DEFAULT_ADMIN_ROLE) {
        HubStorage storage s = _s();
        if (akashChain == 0 || akashChain == s.chainId) revert InvalidChain(akashChain);
        if (market != address(0) && payee == address(0)) revert ZeroAddress();
        s.leaseChain = akashChain;
        s.leaseMarket = ILeaseMarket(market);
        s.leasePayee = payee;
        emit LeaseReportingSet(akashChain, market, payee);
    }

    /// @notice The PayoutBindings contract that makes bindings here and checks arriving ones.
    function setPayoutBindings(address bindings) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (bindings == address(0)) revert ZeroAddress();
        _s().bindings = IBindingVerifier(bindings);
        emit PayoutBindingsSet(bindings);
    }

    /// @notice The HexsResale that applies resale orders and results here; it may record them.
    function setResale(address resale) external onlyRole(DEFAULT_ADMIN_ROLE) {
        HubStorage storage s = _s();
        s.resale = IResaleInbox(resale);
        s.recorder[resale] = true;
        emit ResaleSet(resale);
    }

    function pauseLane(uint32 chain, bool paused) external onlyRole(_pauser(paused)) {
        _s().lanes[chain].paused = paused;
        emit LanePaused(chain, paused);
    }

    /// @notice Pause or resume every inbound lane (and `reapply`). Writes the flag and each
    /// peer's lane (bounded by the peers governance connected), so a delivery reads only its lane.
    function pause(bool paused) external onlyRole(_pauser(paused)) {
        HubStorage storage s = _s();
        s.paused = paused;
        _mirrorPause(s, paused);
        emit HubPaused(paused);
    }

    function _mirrorPause(HubStorage storage s, bool paused) private {
        uint32[] storage peers = s.peers;
        uint256 n = peers.length;
        for (uint256 i; i < n; ++i) s.lanes[peers[i]].hubPaused = paused;
    }

    /// @dev Pausing is the guardian's (fast); lifting a pause is the timelock's (admin), so a
    /// compromised guardian key cannot reopen what was paused.
    function _pauser(bool paused) private pure returns (bytes32 role) {
        role = GUARDIAN_ROLE;
        assembly {
            role := mul(role, paused) // DEFAULT_ADMIN_ROLE (0) unless pausing
        }
    }

    // ------------------------------------------------------------------ internals

    /// @dev A refusal record: the lane it came from (low 32 bits, never 0), the lane's epoch then and
    /// its lane nonce. Records from before epochs (a bare srcChain) read as epoch 0.
    function _refusal(uint32 srcChain, uint32 epoch, uint64 nonce) private pure returns (uint256) {
        return uint256(srcChain) | (uint256(epoch) << 32) | (uint256(nonce) << 64);
    }

    function _chain(bytes24 head, uint8 kind, bytes calldata body) private pure returns (bytes24) {
        return bytes24(keccak256(abi.encodePacked(head, keccak256(abi.encodePacked(kind, body)))));
    }

    function _spendRate(Lane storage lane_, uint32 chain, uint256 n) private {
        if (!lane_.limited) return;
        uint32 rate = lane_.ratePerHour;
        if (block.timestamp >= lane_.windowStart + 1 hours) {
            lane_.windowStart = uint64(block.timestamp);
            lane_.windowCount = 0;
        }
        uint256 used = uint256(lane_.windowCount) + n;
        if (used > rate) revert RateLimited(chain, rate);
        lane_.windowCount = uint32(used);
    }

    /// @dev The key must be mirrored here as held by `from` on the lane's source chain (the chain
    /// it leaves). A move that arrives before that record (e.g. its KeyMinted was refused, or a
    /// message from the key's previous resident is still in flight on another lane) is refused and
    /// can be re-applied once the record is there, so a key is never mirrored twice.
    function _applyKeyMoved(
        HubStorage storage s,
        uint32 srcChain,
        HexsBodies.KeyMoved memory m
    ) private returns (bool arrives, bool locked) {
        if (m.fromChain != srcChain) revert WrongSource(srcChain, m.fromChain);
        if (m.toChain == 0 || m.toChain == srcChain) revert InvalidChain(m.toChain);
        bytes32 owner = _accountKey(m.owner);
        bytes32 from = _accountKey(m.from);
        (, bool wasLocked) = _take(s, m.modelId, from, m.keyId, srcChain);
        // A locked key keeps its lock wherever it goes, and only ever moves to its own holder.
        locked = wasLocked || m.locked;
        if (locked && owner != from) revert KeyIsLocked(m.keyId);
        arrives = m.toChain == s.chainId;
        if (!arrives) _place(s, m.modelId, owner, m.keyId, m.toChain, _clampExpiry(m.expiresAt), locked);
    }

    /// @dev A lease report is only taken from the Akash lane and only for a purchase made here.
    function _applyLeaseReported(HubStorage storage s, uint32 srcChain, HexsBodies.LeaseReported memory r) private {
        ILeaseMarket market = s.leaseMarket;
        if (srcChain != s.leaseChain || address(market) == address(0)) revert NotLeaseLane(srcChain);
        uint32 origin = HexsCodec.originChainOf(r.purchaseId);
        if (origin != s.chainId) revert WrongDestination(origin, s.chainId);
        market.resolveDeployment(r.purchaseId, r.ok, r.dseq, s.leasePayee);
    }

    /// @dev Applies a KeyMinted body exactly as `applyMessage` would, when it is certain to
    /// succeed: the canonical encoding (as `HexsBodies.decodeKeyMinted` accepts it), a key id
    /// originating on the lane's source chain, a holding with no key in place yet and counters that
    /// cannot overflow. Then the key is recorded in the holding with one SLOAD and one SSTORE.
    /// Otherwise returns false having written nothing, and the caller takes the isolated path
    /// (which records the key apart, or refuses it with the codec's or the mirror's exact reason).
    /// The account key is hashed straight from the body's account bytes, which are
    /// `HexsCodec.encodeAccount` of the decoded account.
    function _mintInPlace(HubStorage storage s, uint32 srcChain, bytes calldata body) private returns (bool) {
        (bool ok, uint64 modelId, uint64 keyId, bytes32 account, uint64 expiresAt, bool locked) = KeyMintedWords.parse(
            body
        );
        if (!ok || HexsCodec.originChainOf(keyId) != srcChain) return false;
        Holding storage holding = s.holdings[modelId][account];
        (bool placed, PackedHolding held) = _load(holding).tryPlace(keyId, srcChain, _clampExpiry(expiresAt), locked);
        if (placed) _store(holding, held);
        return placed;
    }

    /// @dev Mirror key `keyId` of `modelId`, resident on `resident`, as held by `account`: in the
    /// holding when it has no key in place, else recorded apart. Refuses a key already recorded
    /// for this holder; a counter that would overflow panics (checked arithmetic).
    function _place(
        HubStorage storage s,
        uint64 modelId,
        bytes32 account,
        uint64 keyId,
        uint32 resident,
        uint40 expiry,
        bool locked
    ) private {
        Holding storage holding = s.holdings[modelId][account];
        PackedHolding held = _load(holding);
        uint64 inPlace = held.keyId();
        if (inPlace == keyId) revert KeyAlreadyMirrored(keyId);
        if (inPlace == 0) {
            (bool placed, PackedHolding next) = held.tryPlace(keyId, resident, expiry, locked);
            if (placed) return _store(holding, next);
            // not placed with no key in place: the counter is full, and countIn panics below
        }
        held = held.countIn(expiry);
        MirrorKey storage apart = s.keys[keyId];
        if (!_load(apart).isEmpty()) revert KeyAlreadyMirrored(keyId);
        _store(apart, PackedMirrorKeyLibrary.pack(modelId, expiry, resident, locked, bytes14(account)));
        _store(holding, held);
    }

    /// @dev Remove key `keyId` of `modelId` from `account`'s mirrored keys; it must be resident on
    /// `src` (the lane the message came from). Returns its expiry and lock.
    function _take(
        HubStorage storage s,
        uint64 modelId,
        bytes32 account,
        uint64 keyId,
        uint32 src
    ) private returns (uint40 expiry, bool locked) {
        Holding storage holding = s.holdings[modelId][account];
        PackedHolding held = _load(holding);
        if (held.keyId() == keyId && keyId != 0) {
            if (held.resident() != src) revert NotResident(keyId, src);
            (expiry, locked) = (held.expiresAt(), held.locked());
            held = held.withoutKey();
        } else {
            MirrorKey storage apart = s.keys[keyId];
            PackedMirrorKey k = _load(apart);
            if (k.isEmpty() || k.resident() != src) revert NotResident(keyId, src);
            if (k.owner() != bytes14(account) || k.modelId() != modelId) revert WrongOwner(keyId);
            (expiry, locked) = (k.expiresAt(), k.locked());
            _store(apart, PackedMirrorKeyLibrary.EMPTY);
        }
        _store(holding, held.countOut(expiry));
    }

    /// @dev A Holding's slot as one word: one SLOAD (and one SSTORE below) whatever fields change.
    function _load(Holding storage h) private view returns (PackedHolding word) {
        assembly ("memory-safe") {
            word := sload(h.slot)
        }
    }

    function _store(Holding storage h, PackedHolding word) private {
        assembly ("memory-safe") {
            sstore(h.slot, word)
        }
    }

    function _load(MirrorKey storage k) private view returns (PackedMirrorKey word) {
        assembly ("memory-safe") {
            word := sload(k.slot)
        }
    }

    function _store(MirrorKey storage k, PackedMirrorKey word) private {
        assembly ("memory-safe") {
            sstore(k.slot, word)
        }
    }

    function _clampExpiry(uint64 expiresAt) private pure returns (uint40) {
        return expiresAt > type(uint40).max ? type(uint40).max : uint40(expiresAt);
    }

    /// @dev A holder's key in the mirror: keccak256 of its codec account word.
    function _accountKey(HexsCodec.Account memory a) private pure returns (bytes32) {
        return keccak256(HexsCodec.encodeAccount(a));
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}

    function _s() private pure returns (HubStorage storage s) {
        bytes32 slot = STORAGE_SLOT;
        assembly {
            s.slot := slot
        }
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {BeaconProxy} from "@openzeppelin/contracts/proxy/beacon/BeaconProxy.sol";

import {IKeyCollection} from "../interfaces/IKeyCollection.sol";
import {PluginConfig} from "../interfaces/IKeyPlugin.sol";
import {IHexsHub} from "../interfaces/IHexsHub.sol";
import {IRegistryMirror} from "../interfaces/IRegistryMirror.sol";
import {ISaleSink} from "../interfaces/ISaleSink.sol";
import {HexsCodec} from "../libraries/HexsCodec.sol";
import {HexsBodies} from "../libraries/HexsBodies.sol";
import {GlobalIds} from "../libraries/GlobalIds.sol";
import {KeyNFT} from "../keys/KeyNFT.sol";

/// @title HexsRegistry
/// @notice The models of this chain and the fork tree. Publishing or forking a model deploys
/// its key collection as a BeaconProxy of the shared KeyNFT implementation, so every
/// collection upgrades together through the beacon. Creators price their keys here per
/// payment currency (address(0) = the native coin).
///
/// Multi-chain: every chain's registry holds every model. Local publishes, forks and changes
/// are recorded in the hub for the other chains; models from other chains arrive through the
/// hub as read-only mirrors with their own local key collection, so their keys are sold here
/// too. A creator that is not an EVM account is represented here by a stand-in address derived
/// from its account word; what it earns is claimed by the payout address it binds for this
/// chain (a PayoutAddressBound message, relayed through the hub's `bindPayout` or from the
/// chain where the creator signed it).
/// @dev UUPS; upgrades, role changes and the key beacon are governed by the timelock. Views
/// that no contract calls (model count, key beacon, prices, listed currencies, access) live in
/// HexsRegistryLens, which reads this storage through `extsload`: the bytes go to the sale push.
contract HexsRegistry is
    Initializable,
    AccessControlUpgradeable,
    PausableUpgradeable,
    UUPSUpgradeable,
    IRegistryMirror
{
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @notice Held by the DAO factory, which records a model's DAO once it is created.
    bytes32 public constant DAO_FACTORY_ROLE = keccak256("DAO_FACTORY_ROLE");
    /// @dev Held by PayoutBindings: it sets prices from a creator's signed price order (a creator
    /// whose account is not of this chain's family has no account here to call setPrice with).
    bytes32 internal constant SIGNED_PRICES_ROLE = keccak256("SIGNED_PRICES_ROLE");

    /// @notice Most a fork can owe its parent, and most a model can route to its DAO.
    uint16 public constant MAX_FORK_ROYALTY_BPS = 5_000;
    uint16 public constant MAX_DAO_BPS = 4_000;
    uint16 public constant MAX_SECONDARY_ROYALTY_BPS = 2_500;

    struct PublishParams {
        bytes32 contentCommitment; // commitment(hash of the encrypted SDL, image digest)
        string sdlLocator; // where the encrypted SDL lives, e.g. a CID
        string metadataUri;
        uint16 forkRoyaltyBps; // royalty policy: share each direct fork owes this model
        uint16 daoBps; // royalty policy: share of this model's revenue for its DAO
        bool forkable;
        uint16 secondaryRoyaltyBps; // key policy: ERC-2981 royalty on key resales
        PluginConfig[] plugins; // key policy: soul-bound, allowlist, supply cap, expiry, ...
    }

    struct Model {
        // slot 0: everything settlement reads
        address creator;
        uint64 parentId;
        uint16 upstreamBps;
        uint16 daoBps;
        // slot 1: everything a sale reads
        address keys;
        uint16 forkRoyaltyBps;
        uint16 depth;
        bool forkable;
        bool retired;
        uint48 sequence; // updates made on the home chain (the last one applied, on a mirror)
        // slot 2
        address dao;
        bytes32 contentCommitment;
        bytes32 parentCommitment;
        string sdlLocator;
        string metadataUri;
    }

    /// @notice The lineage and royalty terms a model was registered with (event payload).
    struct Terms {
        uint16 depth;
        uint16 upstreamBps;
        uint16 forkRoyaltyBps;
        uint16 daoBps;
        bool forkable;
    }

    struct Price {
        uint128 keyPrice;
        uint120 deploymentPrice;
        bool listed;
    }

    /// @custom:storage-location erc7201:hexs.storage.Registry
    struct RegistryStorage {
        uint32 chainId;
        uint32 modelSerial;
        address keyBeacon;
        mapping(uint64 modelId => Model) models;
        mapping(uint64 modelId => mapping(address currency => Price)) prices;
        // multi-chain (appended)
        IHexsHub hub;
        address soulboundPlugin; // attached to mirrored models whose keys are soul-bound
        address expiryPlugin; // attached to mirrored models whose keys expire
        mapping(uint64 modelId => address[]) currencies; // listed currencies, for ModelUpdated
        mapping(address creator => Payout) payouts; // payout bound for this chain
        // appended: the market's copy of the sale terms, pushed on every price or retirement
        ISaleSink saleSink;
    }

    struct Payout {
        address account;
        uint64 nonce;
    }

    // keccak256(abi.encode(uint256(keccak256("hexs.storage.Registry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_SLOT = 0xd8efc1c520278555058ad2c0ec2a1b7cd40c77d37897f46eb6fca219307d0100;

    event ModelPublished(
        uint64 indexed modelId,
        address indexed creator,
        uint64 indexed parentId,
        address keys,
        bytes32 contentCommitment,
        bytes32 parentCommitment,
        string sdlLocator,
        string metadataUri,
        Terms terms
    );
    event ModelUpdated(uint64 indexed modelId, bytes32 contentCommitment, string sdlLocator, string metadataUri);
    event ModelRetired(uint64 indexed modelId);
    event PriceSet(
        uint64 indexed modelId,
        address indexed currency,
        uint128 keyPrice,
        uint120 deploymentPrice,
        bool listed
    );
    event DaoSet(uint64 indexed modelId, address dao);
    event KeyBeaconSet(address beacon);
    event HubSet(address hub, address soulboundPlugin, address expiryPlugin);
    event ModelMirrored(uint64 indexed modelId, address indexed creator, uint64 indexed parentId, address keys);
    event RemotePricesUpdated(uint64 indexed modelId, uint32 indexed chain, bytes prices);
    event PayoutBound(address indexed creator, uint32 indexed chain, bytes payout, uint64 nonce);
    event SaleSinkSet(address sink);

    error ModelNotFound(uint64 modelId);
    error NotCreator(uint64 modelId, address caller);
    error ModelIsRetired(uint64 modelId);
    error NotForkable(uint64 modelId);
    error RoyaltyTooHigh(uint16 bps, uint16 max);
    error EmptyCommitment();
    error KeyBeaconNotSet();
    error KeyBeaconAlreadySet();
    error ZeroAddress();
    error DaoAlreadySet(uint64 modelId);
    error NotHub(address caller);
    error HubAlreadySet();
    error NotHomeChain(uint64 modelId);
    error ModelExists(uint64 modelId);
    error TooManyCurrencies(uint64 modelId);
    error StaleBinding(uint64 nonce, uint64 last);
    error PayoutNotEvm(uint8 family);
    error SaleSinkAlreadySet();

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @param hexsChainId this chain's Hexs chain identifier (not block.chainid: several logical
    /// chains may share one network in tests); it prefixes every model and key id minted here.
    /// @param admin the timelock: admin, upgrader.
    /// @param guardian may pause publishing and forking (only the admin unpauses).
    function initialize(uint32 hexsChainId, address admin, address guardian) external initializer {
        if (admin == address(0) || guardian == address(0)) revert ZeroAddress();
        __AccessControl_init();
        __Pausable_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(UPGRADER_ROLE, admin);
        _grantRole(PAUSER_ROLE, guardian);
        _s().chainId = hexsChainId;
    }

    /// @notice One-time wiring of the KeyNFT beacon (its implementation needs this registry's
    /// address, so the beacon exists only after the registry proxy).
    function setKeyBeacon(address beacon) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (beacon == address(0)) revert ZeroAddress();
        RegistryStorage storage s = _s();
        if (s.keyBeacon != address(0)) revert KeyBeaconAlreadySet();
        s.keyBeacon = beacon;
        emit KeyBeaconSet(beacon);
    }

    /// @notice One-time wiring of the hub (cross-chain journal and mirror) and the standard
    /// plugins that express mirrored models' key policies.
    function setHub(
        IHexsHub hub_,
        address soulboundPlugin,
        address expiryPlugin
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (address(hub_) == address(0) || soulboundPlugin == address(0) || expiryPlugin == address(0)) {
            revert ZeroAddress();
        }
        RegistryStorage storage s = _s();
        if (address(s.hub) != address(0)) revert HubAlreadySet();
        s.hub = hub_;
        s.soulboundPlugin = soulboundPlugin;
        s.expiryPlugin = expiryPlugin;
        emit HubSet(address(hub_), soulboundPlugin, expiryPlugin);
    }

    /// @notice One-time wiring of the market that keeps a copy of the sale terms (it reads
    /// them at every purchase). Until it is set nothing is pushed and the market asks here.
    function setSaleSink(ISaleSink sink) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (address(sink) == address(0)) revert ZeroAddress();
        RegistryStorage storage s = _s();
        if (address(s.saleSink) != address(0)) revert SaleSinkAlreadySet();
        s.saleSink = sink;
        emit SaleSinkSet(address(sink));
    }

    // ------------------------------------------------------------------ creators

    /// @notice Publish a root model. Returns its global id.
    function publish(PublishParams calldata p) external whenNotPaused returns (uint64 modelId) {
        return _register(p, 0, 0, bytes32(0), 0);
    }

    /// @notice Fork `parentId`: the fork owes the parent the parent's fork royalty and commits
    /// to the parent's current content commitment. Cost does not depend on the fork's depth.
    function fork(uint64 parentId, PublishParams calldata p) external whenNotPaused returns (uint64 modelId) {
        Model storage parent = _model(parentId);
        if (parent.retired) revert ModelIsRetired(parentId);
        if (!parent.forkable) revert NotForkable(parentId);
        return _register(p, parentId, parent.forkRoyaltyBps, parent.contentCommitment, parent.depth + 1);
    }

    /// @notice Point the model at a new encrypted SDL version or metadata.
    function update(
        uint64 modelId,
        bytes32 contentCommitment,
        string calldata sdlLocator,
        string calldata metadataUri
    ) external {
        Model storage m = _ownHomeModel(modelId);
        if (m.retired) revert ModelIsRetired(modelId);
        if (contentCommitment == bytes32(0)) revert EmptyCommitment();
        m.contentCommitment = contentCommitment;
        m.sdlLocator = sdlLocator;
        m.metadataUri = metadataUri;
        emit ModelUpdated(modelId, contentCommitment, sdlLocator, metadataUri);
        _recordUpdated(modelId, m);
    }

    /// @notice Stop sales and forks for good. Existing keys, vaults and royalties are unaffected.
    function retire(uint64 modelId) external {
        Model storage m = _ownHomeModel(modelId);
        if (m.retired) revert ModelIsRetired(modelId);
        m.retired = true;
        emit ModelRetired(modelId);
        _recordUpdated(modelId, m);
        _pushRetired(modelId, m); // last: no state is written after the market's call
    }

    /// @notice Set (or unlist with `listed = false`) the price of a key in `currency`: the creator,
    /// or PayoutBindings applying the creator's signed price order.
    /// @param deploymentPrice extra charged when the buyer asks for an Akash deployment; it is
    /// held in the purchase's escrow, not in the vault.
    function setPrice(
        uint64 modelId,
        address currency,
        uint128 keyPrice,
        uint120 deploymentPrice,
        bool listed
    ) external {
        Model storage m = _model(modelId);
        if (m.creator != msg.sender && !hasRole(SIGNED_PRICES_ROLE, msg.sender)) revert NotCreator(modelId, msg.sender);
        RegistryStorage storage s = _s();
        Price storage price = s.prices[modelId][currency];
        if (listed && !price.listed) {
            if (s.currencies[modelId].length == HexsBodies.MAX_PRICES) revert TooManyCurrencies(modelId);
            s.currencies[modelId].push(currency);
        } else if (!listed && price.listed) {
            _removeCurrency(s.currencies[modelId], currency);
        }
        s.prices[modelId][currency] = Price(keyPrice, deploymentPrice, listed);
        emit PriceSet(modelId, currency, keyPrice, deploymentPrice, listed);
        _recordUpdated(modelId, m);
        // Last: no state is written after the market's call.
        ISaleSink sink = s.saleSink;
        if (address(sink) != address(0)) {
            sink.setSale(modelId, m.keys, m.retired, currency, listed, keyPrice, deploymentPrice);
        }
    }

    /// @notice Record the model's DAO (called by the DAO factory after the creator created it).
    function setDao(uint64 modelId, address dao) external onlyRole(DAO_FACTORY_ROLE) {
        Model storage m = _model(modelId);
        if (dao == address(0)) revert ZeroAddress();
        if (m.dao != address(0)) revert DaoAlreadySet(modelId);
        m.dao = dao;
        emit DaoSet(modelId, dao);
    }

    // ------------------------------------------------------------------ mirror (hub only)

    /// @inheritdoc IRegistryMirror
    function mirrorModel(HexsBodies.ModelRegistered calldata r) external {
        RegistryStorage storage s = _onlyHub();
        if (s.models[r.modelId].creator != address(0)) revert ModelExists(r.modelId);
        if (r.upstreamBps > MAX_FORK_ROYALTY_BPS) revert RoyaltyTooHigh(r.upstreamBps, MAX_FORK_ROYALTY_BPS);
        if (r.forkRoyaltyBps > MAX_FORK_ROYALTY_BPS) revert RoyaltyTooHigh(r.forkRoyaltyBps, MAX_FORK_ROYALTY_BPS);
        if (r.daoBps > MAX_DAO_BPS) revert RoyaltyTooHigh(r.daoBps, MAX_DAO_BPS);
        if (r.resaleRoyaltyBps > MAX_SECONDARY_ROYALTY_BPS) {
            revert RoyaltyTooHigh(r.resaleRoyaltyBps, MAX_SECONDARY_ROYALTY_BPS);
        }
        if (r.contentCommitment == bytes32(0)) revert EmptyCommitment();
        address beacon = s.keyBeacon;
        if (beacon == address(0)) revert KeyBeaconNotSet();

        Model storage m = s.models[r.modelId];
        m.creator = localCreator(r.creator);
        m.parentId = r.parentId;
        m.upstreamBps = r.parentId == 0 ? 0 : r.upstreamBps;
        m.daoBps = r.daoBps;
        m.forkRoyaltyBps = r.forkRoyaltyBps;
        // The parent may not have reached this chain yet (it can live on a third chain).
        Model storage parent = s.models[r.parentId];
        m.depth = r.parentId != 0 && parent.creator != address(0) ? parent.depth + 1 : 0;
        m.forkable = r.forkable;
        m.contentCommitment = r.contentCommitment;
        m.parentCommitment = r.parentCommitment;
        m.sdlLocator = r.sdlLocator;
        m.metadataUri = r.metadataUri;

        uint256 n = (r.soulbound ? 1 : 0) + (r.keyDuration != 0 ? 1 : 0);
        PluginConfig[] memory plugins = new PluginConfig[](n);
        if (r.soulbound) plugins[--n] = PluginConfig(s.soulboundPlugin, "");
        if (r.keyDuration != 0) plugins[--n] = PluginConfig(s.expiryPlugin, abi.encode(r.keyDuration));
        address keys = address(
            new BeaconProxy(beacon, abi.encodeCall(KeyNFT.initialize, (r.modelId, r.resaleRoyaltyBps, plugins)))
        );
        m.keys = keys;
        s.hub.authorizeRecorder(keys);
        emit ModelMirrored(r.modelId, m.creator, r.parentId, keys);
    }

    /// @inheritdoc IRegistryMirror
    /// @dev Reads the fields in place (the hub validated the body with HexsBodies): decoding it
    /// whole here would cost the registry the codec's readers. `RemotePricesUpdated` carries the
    /// source chain's price list in its codec form.
    function mirrorUpdate(uint32 srcChain, bytes calldata body) external {
        RegistryStorage storage s = _onlyHub();
        uint64 modelId = uint64(bytes8(body[:8]));
        Model storage m = _model(modelId);
        (string calldata sdlLocator, uint256 o) = _stringAt(body, 49);
        (string calldata metadataUri, uint256 pricesAt) = _stringAt(body, o);
        bool retiredNow;
        if (GlobalIds.chainOf(modelId) == srcChain) {
            uint64 sequence = uint64(bytes8(body[8:16]));
            // Only a newer update applies: a re-applied or late one never rolls the model back.
            if (sequence <= m.sequence || sequence > type(uint48).max) return;
            bytes32 content = bytes32(body[17:49]);
            if (content == bytes32(0)) revert EmptyCommitment();
            bool retired = body[16] != 0;
            retiredNow = retired && !m.retired;
            m.sequence = uint48(sequence);
            m.retired = retired;
            m.contentCommitment = content;
            m.sdlLocator = sdlLocator;
            m.metadataUri = metadataUri;
            if (retired) emit ModelRetired(modelId);
            emit ModelUpdated(modelId, content, sdlLocator, metadataUri);
        }
        if (srcChain != s.chainId) emit RemotePricesUpdated(modelId, srcChain, body[pricesAt:]);
        if (retiredNow) _pushRetired(modelId, m); // last: nothing is written or emitted after it
    }

    /// @dev A codec string (u16 length, then its bytes) at offset `o`, and the offset after it.
    function _stringAt(bytes calldata b, uint256 o) private pure returns (string calldata str, uint256 next) {
        next = o + 2 + uint16(bytes2(b[o:o + 2]));
        str = string(b[o + 2:next]);
    }

    /// @inheritdoc IRegistryMirror
    function mirrorPayout(HexsBodies.PayoutAddressBound calldata b) external {
        RegistryStorage storage s = _onlyHub();
        if (b.chain == s.chainId) _applyPayout(s, b);
    }

    /// @inheritdoc IRegistryMirror
    function applyToKeys(uint8 kind, uint32 srcChain, bool locked, bytes calldata body) external {
        _onlyHub();
        // The model id: KeyMoved's second field, KeyPolicySet's first.
        uint64 modelId = uint64(bytes8(kind == HexsBodies.KIND_KEY_MOVED ? body[8:] : body));
        IKeyCollection(_model(modelId).keys).applyMirrored(kind, srcChain, locked, body);
    }

    /// @notice The standard plugins that express mirrored models' key policies.
    function standardPlugins() external view returns (address soulbound, address expiry) {
        RegistryStorage storage s = _s();
        return (s.soulboundPlugin, s.expiryPlugin);
    }

    // ------------------------------------------------------------------ governance

    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @dev Only the timelock lifts a pause: a compromised guardian key cannot reopen publishing.
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    // ------------------------------------------------------------------ views

    function chainId() external view returns (uint32) {
        return _s().chainId;
    }

    /// @notice The raw storage word at `slot`, for HexsRegistryLens (views kept out of the registry).
    function extsload(bytes32 slot) external view returns (bytes32 word) {
        assembly ("memory-safe") {
            word := sload(slot)
        }
    }

    function model(uint64 modelId) external view returns (Model memory) {
        return _model(modelId);
    }

    function creatorOf(uint64 modelId) external view returns (address) {
        return _model(modelId).creator;
    }

    function metadataUriOf(uint64 modelId) external view returns (string memory) {
        return _model(modelId).metadataUri;
    }

    function keysOf(uint64 modelId) external view returns (address) {
        return _model(modelId).keys;
    }

    function hub() external view returns (IHexsHub) {
        return _s().hub;
    }

    /// @notice The address allowed to claim `creator`'s earnings on this chain besides itself.
    function payoutOf(address creator) external view returns (address) {
        return _s().payouts[creator].account;
    }

    /// @notice The nonce of the last payout binding applied here for `creator`.
    function payoutNonceOf(address creator) external view returns (uint64) {
        return _s().payouts[creator].nonce;
    }

    /// @notice This chain's stand-in address for a creator account word (the address itself
    /// for EVM accounts).
    function localCreator(HexsCodec.Account memory account) public pure returns (address) {
        if (account.family == HexsCodec.FAMILY_EVM) return HexsCodec.toEvmAddress(account);
        return address(bytes20(keccak256(HexsCodec.encodeAccount(account))));
    }

    function saleInfo(uint64 modelId, address currency) external view returns (SaleInfo memory info) {
        RegistryStorage storage s = _s();
        Model storage m = s.models[modelId];
        address keys = m.keys;
        if (keys == address(0)) revert ModelNotFound(modelId);
        Price memory price = s.prices[modelId][currency];
        info = SaleInfo(keys, m.retired, price.listed, price.keyPrice, price.deploymentPrice);
    }

    function lineageOf(uint64 modelId) external view returns (Lineage memory) {
        Model storage m = _model(modelId);
        return Lineage(m.creator, m.parentId, m.upstreamBps, m.daoBps);
    }

    function daoOf(uint64 modelId) external view returns (address) {
        return _model(modelId).dao;
    }

    // ------------------------------------------------------------------ internals

    /// @dev A retirement reaches the market's copy through every listed currency (at most
    /// MAX_PRICES); a currency the market has no copy of falls back to `saleInfo`, which says so.
    function _pushRetired(uint64 modelId, Model storage m) private {
        RegistryStorage storage s = _s();
        ISaleSink sink = s.saleSink;
        if (address(sink) == address(0)) return;
        address[] storage listed = s.currencies[modelId];
        for (uint256 i; i < listed.length; ++i) {
            Price storage price = s.prices[modelId][listed[i]];
            sink.setSale(modelId, m.keys, true, listed[i], true, price.keyPrice, price.deploymentPrice);
        }
    }

    function _register(
        PublishParams calldata p,
        uint64 parentId,
        uint16 upstreamBps,
        bytes32 parentCommitment,
        uint16 depth
    ) private returns (uint64 modelId) {
        if (p.contentCommitment == bytes32(0)) revert EmptyCommitment();
        if (p.forkRoyaltyBps > MAX_FORK_ROYALTY_BPS) revert RoyaltyTooHigh(p.forkRoyaltyBps, MAX_FORK_ROYALTY_BPS);
        if (p.daoBps > MAX_DAO_BPS) revert RoyaltyTooHigh(p.daoBps, MAX_DAO_BPS);
        if (p.secondaryRoyaltyBps > MAX_SECONDARY_ROYALTY_BPS) {
            revert RoyaltyTooHigh(p.secondaryRoyaltyBps, MAX_SECONDARY_ROYALTY_BPS);
        }
        RegistryStorage storage s = _s();
        address beacon = s.keyBeacon;
        if (beacon == address(0)) revert KeyBeaconNotSet();

        {
            uint32 serial = GlobalIds.next(s.modelSerial);
            s.modelSerial = serial;
            modelId = GlobalIds.make(s.chainId, serial);
        }

        Model storage m = s.models[modelId];
        m.creator = msg.sender;
        m.parentId = parentId;
        m.upstreamBps = upstreamBps;
        m.daoBps = p.daoBps;
        m.forkRoyaltyBps = p.forkRoyaltyBps;
        m.depth = depth;
        m.forkable = p.forkable;
        m.contentCommitment = p.contentCommitment;
        m.parentCommitment = parentCommitment;
        m.sdlLocator = p.sdlLocator;
        m.metadataUri = p.metadataUri;

        // The collection's initializer attaches the plugins, which read the creator from here.
        address keys = address(
            new BeaconProxy(beacon, abi.encodeCall(KeyNFT.initialize, (modelId, p.secondaryRoyaltyBps, p.plugins)))
        );
        m.keys = keys;

        _emitPublished(modelId, m, p);
        IHexsHub hub_ = s.hub;
        if (address(hub_) != address(0)) _announce(hub_, modelId, m, p.secondaryRoyaltyBps);
    }

    /// @dev Records ModelRegistered (apart from `_register` for the stack).
    function _announce(IHexsHub hub_, uint64 modelId, Model storage m, uint16 resaleRoyaltyBps) private {
        address keys = m.keys;
        hub_.authorizeRecorder(keys);
        hub_.record(
            HexsBodies.KIND_MODEL_REGISTERED,
            HexsBodies.encodeModelRegistered(_registered(modelId, m, resaleRoyaltyBps))
        );
        // ModelRegistered does not say that transfers are checked by plugins: mirrors learn it
        // from a KeyPolicySet right after it.
        KeyNFT(payable(keys)).recordPolicyAtPublish();
    }

    function _registered(
        uint64 modelId,
        Model storage m,
        uint16 resaleRoyaltyBps
    ) private view returns (HexsBodies.ModelRegistered memory r) {
        HexsBodies.KeyPolicySet memory policy = KeyNFT(payable(m.keys)).keyPolicy();
        r.modelId = modelId;
        r.parentId = m.parentId;
        r.creator = HexsCodec.evmAccount(m.creator);
        r.contentCommitment = m.contentCommitment;
        r.parentCommitment = m.parentCommitment;
        r.soulbound = policy.soulbound;
        r.forkable = m.forkable;
        r.keyDuration = policy.keyDuration;
        r.upstreamBps = m.upstreamBps;
        r.daoBps = m.daoBps;
        r.forkRoyaltyBps = m.forkRoyaltyBps;
        r.resaleRoyaltyBps = resaleRoyaltyBps;
        r.sdlLocator = m.sdlLocator;
        r.metadataUri = m.metadataUri;
    }

    /// @dev ModelUpdated carries the home chain's model state (numbered by `sequence`, which only
    /// the home chain advances) and this chain's price list.
    function _recordUpdated(uint64 modelId, Model storage m) private {
        RegistryStorage storage s = _s();
        if (GlobalIds.chainOf(modelId) == s.chainId) ++m.sequence;
        IHexsHub hub_ = s.hub;
        if (address(hub_) == address(0)) return;
        address[] storage listed = s.currencies[modelId];
        HexsCodec.Price[] memory prices = new HexsCodec.Price[](listed.length);
        for (uint256 i; i < listed.length; ++i) {
            address c = listed[i];
            prices[i] = HexsCodec.Price(
                c == address(0) ? bytes("") : abi.encodePacked(c),
                s.prices[modelId][c].keyPrice
            );
        }
        hub_.record(
            HexsBodies.KIND_MODEL_UPDATED,
            HexsBodies.encodeModelUpdated(
                HexsBodies.ModelUpdated(
                    modelId,
                    m.sequence,
                    m.retired,
                    m.contentCommitment,
                    m.sdlLocator,
                    m.metadataUri,
                    prices
                )
            )
        );
    }

    function _applyPayout(RegistryStorage storage s, HexsBodies.PayoutAddressBound memory b) private {
        if (b.payout.family != HexsCodec.FAMILY_EVM) revert PayoutNotEvm(b.payout.family);
        address creator = localCreator(b.creator);
        Payout storage p = s.payouts[creator];
        // Successor only: a skipped nonce (or max-u64) would let one binding block all later ones.
        if (b.bindNonce != p.nonce + 1) revert StaleBinding(b.bindNonce, p.nonce);
        p.account = HexsCodec.toEvmAddress(b.payout);
        p.nonce = b.bindNonce;
        emit PayoutBound(creator, b.chain, HexsCodec.encodeAccount(b.payout), b.bindNonce);
    }

    function _removeCurrency(address[] storage list, address currency) private {
        uint256 last = list.length - 1;
        for (uint256 i; i <= last; ++i) {
            if (list[i] == currency) {
                list[i] = list[last];
                list.pop();
                return;
            }
        }
    }

    function _onlyHub() private view returns (RegistryStorage storage s) {
        s = _s();
        if (msg.sender != address(s.hub)) revert NotHub(msg.sender);
    }

    function _ownHomeModel(uint64 modelId) private view returns (Model storage m) {
        m = _ownModel(modelId);
        if (GlobalIds.chainOf(modelId) != _s().chainId) revert NotHomeChain(modelId);
    }

    function _emitPublished(uint64 modelId, Model storage m, PublishParams calldata p) private {
        emit ModelPublished(
            modelId,
            m.creator,
            m.parentId,
            m.keys,
            p.contentCommitment,
            m.parentCommitment,
            p.sdlLocator,
            p.metadataUri,
            Terms(m.depth, m.upstreamBps, p.forkRoyaltyBps, p.daoBps, p.forkable)
        );
    }

    function _model(uint64 modelId) private view returns (Model storage m) {
        m = _s().models[modelId];
        if (m.creator == address(0)) revert ModelNotFound(modelId);
    }

    /// @dev The creator only: a payout binding redirects earnings, never model rights.
    function _ownModel(uint64 modelId) private view returns (Model storage m) {
        m = _model(modelId);
        if (m.creator != msg.sender) revert NotCreator(modelId, msg.sender);
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}

    function _s() private pure returns (RegistryStorage storage s) {
        bytes32 slot = STORAGE_SLOT;
        assembly {
            s.slot := slot
        }
    }
}

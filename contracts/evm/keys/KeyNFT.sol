// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC721Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC721/ERC721Upgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {IERC2981} from "@openzeppelin/contracts/interfaces/IERC2981.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {IERC5192} from "../interfaces/IERC5192.sol";
import {IHexsMarket} from "../interfaces/IHexsMarket.sol";
import {IHexsRegistry} from "../interfaces/IHexsRegistry.sol";
import {IKeyCollection} from "../interfaces/IKeyCollection.sol";
import {IKeyPlugin, PluginConfig, PluginFlags} from "../interfaces/IKeyPlugin.sol";
import {IHexsHub} from "../interfaces/IHexsHub.sol";
import {HexsCodec} from "../libraries/HexsCodec.sol";
import {HexsBodies} from "../libraries/HexsBodies.sol";
import {EvmHolderBodies} from "../libraries/EvmHolderBodies.sol";
import {GlobalIds} from "../libraries/GlobalIds.sol";
import {ExpiryPlugin} from "../plugins/ExpiryPlugin.sol";

/// @title KeyNFT
/// @notice One model's key collection: holding a key is the right to decrypt and deploy the
/// model. ERC-721 with ERC-2981 royalties (paid to this collection and swept into the model's
/// vault), ERC-5192 locks when a soul-bound plugin is part of the key policy, and
/// ERC-4907-style expiry for subscription keys.
///
/// Token gating: `hasAccess(account)` is the check to use. It is constant-gas and counts only
/// perpetual or unexpired keys. `balanceOf` stays plain ERC-721 and also counts expired keys.
///
/// Subscriptions: an account holds at most one *unexpired* subscription key per model (its
/// "subscription slot"); this is what makes `hasAccess` O(1). Receiving a second live
/// subscription key is refused with `AlreadySubscribed`.
///
/// A key's terms (its expiry and its soul-bound lock) are fixed when it is minted here or
/// arrives from another chain: a plugin sets the expiry only while the key is being minted, and
/// a later policy change applies to keys minted afterwards. Every change of holder (transfer,
/// move to another chain, arrival from one) passes the same checks: the key's lock, a mirror's
/// "holders change on the home chain only", and the ON_TRANSFER plugins.
/// @dev Beacon implementation shared by every model; per-model state lives in ERC-7201 storage.
contract KeyNFT is Initializable, ERC721Upgradeable, IERC2981, IERC5192, IKeyCollection {
    using SafeERC20 for IERC20;

    uint256 public constant MAX_PLUGINS = 8;
    /// @dev Internal bit marking a plugin as attached in `pluginFlagsOf`.
    uint256 private constant ATTACHED = 1 << 255;
    /// @dev Internal `hookMask` bit of a mirrored collection whose home chain checks every change
    /// of holder with plugins this chain does not run: holders change on the home chain only.
    uint8 private constant HOLDER_FIXED = 1 << 7;
    /// @dev Transient slot holding the id of the key being minted (the only key whose expiry a
    /// plugin may set): keccak256("hexs.transient.KeyNFT.minting").
    bytes32 private constant MINTING_SLOT = 0xaf9299e466f65c9316d741989a7a3153d07af1e3b11018e8c4393d2fd86fcb8b;

    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    IHexsRegistry public immutable registry;
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address public immutable market;
    /// @notice Where this chain records key facts for the other chains (address(0): single chain).
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    IHexsHub public immutable hub;

    /// @custom:storage-location erc7201:hexs.storage.KeyNFT
    struct KeyStorage {
        // slot 0: read and written by every mint
        uint64 modelId;
        bool sold; // a key was sold: the soul-bound policy is now fixed
        uint16 royaltyBps;
        uint8 hookMask; // OR of the attached plugins' flags, and HOLDER_FIXED
        address[] plugins;
        mapping(address plugin => uint256) pluginFlagsOf;
        mapping(uint256 keyId => KeyTerms) terms; // was `uint64 expiresAt`: same slot, expiry in the low bytes
        mapping(address account => uint256) expiringHeld; // subscription keys held, live or not
        mapping(address account => uint256) subscriptionSlot; // the live subscription key, if any
    }

    /// @notice What a key was sold (or arrived) with; fixed for the key's life on this chain.
    struct KeyTerms {
        uint64 expiresAt; // 0 = never
        bool locked; // soul-bound: the holder never changes
    }

    // keccak256(abi.encode(uint256(keccak256("hexs.storage.KeyNFT")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_SLOT = 0xb1f1dd96f6f42df1cf6e508bb71f927d614471695ea6aaf6b034ec6ea86a9700;

    event PluginAttached(address indexed plugin, uint256 flags);
    event PluginDetached(address indexed plugin);
    /// @notice ERC-4907-style: the key's user is its owner until `expires` (0 = never).
    event ExpiryUpdated(uint256 indexed keyId, uint64 expires);
    event RoyaltyReceived(address indexed from, uint256 amount);
    event RoyaltiesSwept(address indexed currency, uint256 amount);

    error NotMarket(address caller);
    error NotCreator(address caller);
    error NotAttachedPlugin(address caller);
    error PluginRejected(address plugin, bytes reason);
    error PluginAlreadyAttached(address plugin);
    error PluginNotAttached(address plugin);
    error TooManyPlugins();
    error PolicyFixed();
    error KeyLocked(uint256 keyId);
    error AlreadySubscribed(address account, uint256 liveKeyId);
    error NothingToSweep();
    error NotRegistry(address caller);
    error SingleChain();
    error ExpiryFixed(uint256 keyId);
    error NotHomeChain(uint64 modelId);
    error HolderChangesAtHome(uint256 keyId);

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(IHexsRegistry registry_, address market_, IHexsHub hub_) {
        registry = registry_;
        market = market_;
        hub = hub_;
        _disableInitializers();
    }

    /// @notice Called once by the registry through the BeaconProxy constructor.
    function initialize(uint64 modelId_, uint16 royaltyBps_, PluginConfig[] calldata plugins_) external initializer {
        __ERC721_init("", "");
        KeyStorage storage s = _s();
        s.modelId = modelId_;
        s.royaltyBps = royaltyBps_;
        for (uint256 i; i < plugins_.length; ++i) {
            _attach(s, plugins_[i].plugin, plugins_[i].config);
        }
    }

    // ------------------------------------------------------------------ minting and expiry

    /// @inheritdoc IKeyCollection
    function mint(address to, uint256 keyId, bytes calldata pluginData) external {
        if (msg.sender != market) revert NotMarket(msg.sender);
        KeyStorage storage s = _s();
        if (!s.sold) s.sold = true;
        uint256 mask = s.hookMask;
        // No onERC721Received callback: the market mints inside a reentrancy guard and the
        // buyer chose the recipient; contracts that cannot use keys should not be recipients.
        _mint(to, keyId);
        bool locks = mask & PluginFlags.LOCKS_KEYS != 0;
        if (locks) {
            s.terms[keyId].locked = true;
            emit Locked(keyId);
        }
        if (mask & PluginFlags.ON_MINT != 0) {
            _setMinting(keyId);
            uint64 modelId_ = s.modelId;
            address[] storage plugins_ = s.plugins;
            for (uint256 i; i < plugins_.length; ++i) {
                address plugin = plugins_[i];
                if (s.pluginFlagsOf[plugin] & PluginFlags.ON_MINT == 0) continue;
                try IKeyPlugin(plugin).onMint(modelId_, keyId, to, pluginData) {} catch (bytes memory reason) {
                    revert PluginRejected(plugin, reason);
                }
            }
            _setMinting(0);
        }
        if (address(hub) != address(0)) {
            // Only an ON_MINT plugin can give a key an expiry (setExpiry accepts the key being
            // minted only, see `_minting`): without one it is 0 and its slot is not read.
            uint64 expiry = mask & PluginFlags.ON_MINT == 0 ? 0 : s.terms[keyId].expiresAt;
            hub.record(
                HexsBodies.KIND_KEY_MINTED,
                EvmHolderBodies.keyMinted(s.modelId, uint64(keyId), to, expiry, locks)
            );
        }
    }

    /// @notice Move a key to another chain (ONFT-style): burned here, minted there with the same
    /// id once the hub's message is delivered, with its expiry and lock. A move to another holder
    /// passes the checks of a transfer (a soul-bound key only moves to the same EVM account; a
    /// non-EVM holder is presented to ON_TRANSFER plugins as its stand-in address, see
    /// `HexsRegistry.localCreator`). Owner or approved operator only.
    /// The hub refuses to record a move toward a chain that is not its peer (or is the Akash lane),
    /// or to an owner not of that chain's account family, so the destination never refuses it.
    /// @param owner the account that will hold the key on `toChain`.
    function moveTo(uint256 keyId, uint32 toChain, HexsCodec.Account calldata owner) external {
        if (address(hub) == address(0)) revert SingleChain();
        KeyStorage storage s = _s();
        address from = super._update(address(0), keyId, msg.sender);
        if (from == address(0)) revert ERC721NonexistentToken(keyId);
        KeyTerms memory t = s.terms[keyId];
        address to = registry.localCreator(owner);
        if (to != from) _checkHolderChange(s, keyId, t.locked, from, to, false);
        uint64 expiry = t.expiresAt;
        if (expiry != 0) _releaseSubscription(s, from, keyId);
        delete s.terms[keyId];
        hub.record(
            HexsBodies.KIND_KEY_MOVED,
            HexsBodies.encodeKeyMoved(
                HexsBodies.KeyMoved(
                    uint64(keyId),
                    s.modelId,
                    registry.chainId(),
                    toChain,
                    HexsCodec.evmAccount(from),
                    owner,
                    expiry,
                    t.locked
                )
            )
        );
    }

    /// @inheritdoc IKeyCollection
    function applyMirrored(uint8 kind, uint32 srcChain, bool keyLocked, bytes calldata body) external {
        if (msg.sender != address(registry)) revert NotRegistry(msg.sender);
        KeyStorage storage s = _s();
        if (kind == HexsBodies.KIND_KEY_MOVED) {
            HexsBodies.KeyMoved memory m = HexsBodies.decodeKeyMoved(body);
            _mintMoved(
                s,
                HexsCodec.toEvmAddress(m.owner),
                m.keyId,
                m.expiresAt,
                keyLocked,
                registry.localCreator(m.from),
                GlobalIds.chainOf(s.modelId) == srcChain
            );
        } else {
            _setMirroredPolicy(s, srcChain, HexsBodies.decodeKeyPolicySet(body));
        }
    }

    /// @dev A key that moved here from another chain, with the terms it had there. ON_MINT plugins
    /// are not consulted (they ran when the key was bought); a move that changes the holder passes
    /// the checks of a transfer here too (`from`: the previous holder, or its stand-in address),
    /// except the ones the model's home chain already ran when the key left it (`fromHome`).
    function _mintMoved(
        KeyStorage storage s,
        address to,
        uint256 keyId,
        uint64 expiry,
        bool keyLocked,
        address from,
        bool fromHome
    ) private {
        _mint(to, keyId);
        if (from != to) _checkHolderChange(s, keyId, keyLocked, from, to, fromHome);
        if (keyLocked) {
            s.terms[keyId].locked = true;
            emit Locked(keyId);
        }
        if (expiry != 0) {
            s.terms[keyId].expiresAt = expiry;
            ++s.expiringHeld[to];
            if (expiry > block.timestamp) _takeSubscriptionSlot(s, to, keyId);
            emit ExpiryUpdated(keyId, expiry);
        }
    }

    /// @inheritdoc IKeyCollection
    /// @dev Expiry lives here; only attached plugins (e.g. the subscription plugin) set it, and
    /// only from their `onMint` for the key being minted: a sold key's expiry never changes.
    function setExpiry(uint256 keyId, uint64 expiry) external {
        KeyStorage storage s = _s();
        if (s.pluginFlagsOf[msg.sender] & ATTACHED == 0) revert NotAttachedPlugin(msg.sender);
        if (_minting() != keyId) revert ExpiryFixed(keyId);
        address owner = _requireOwned(keyId);
        uint64 old = s.terms[keyId].expiresAt;
        if (old == 0 && expiry != 0) {
            ++s.expiringHeld[owner];
        } else if (old != 0 && expiry == 0) {
            --s.expiringHeld[owner];
            if (s.subscriptionSlot[owner] == keyId) delete s.subscriptionSlot[owner];
        }
        s.terms[keyId].expiresAt = expiry;
        if (expiry > block.timestamp) _takeSubscriptionSlot(s, owner, keyId);
        emit ExpiryUpdated(keyId, expiry);
    }

    // ------------------------------------------------------------------ plugins

    /// @notice Attach a plugin with its configuration; creator only, on the model's home chain
    /// (other chains follow it through KeyPolicySet). Plugins that lock keys or check transfers
    /// can be attached only before the first key is sold: they would change sold keys' terms.
    function attachPlugin(address plugin, bytes calldata config) external {
        _onlyCreator();
        KeyStorage storage s = _s();
        uint256 flags = _attach(s, plugin, config);
        if (flags & (PluginFlags.LOCKS_KEYS | PluginFlags.ON_TRANSFER) != 0 && s.sold) revert PolicyFixed();
        _recordPolicy(s);
    }

    /// @notice Detach a plugin; creator only, on the model's home chain. Locking plugins stay
    /// once a key was sold.
    function detachPlugin(address plugin) external {
        _onlyCreator();
        KeyStorage storage s = _s();
        uint256 flags = s.pluginFlagsOf[plugin];
        if (flags & ATTACHED == 0) revert PluginNotAttached(plugin);
        if (flags & PluginFlags.LOCKS_KEYS != 0 && s.sold) revert PolicyFixed();
        _detach(s, plugin);
        _recordPolicy(s);
    }

    /// @dev A mirrored model's key policy as its home chain announced it (KeyPolicySet), expressed
    /// with the registry's standard plugins. Keys already here keep their own terms.
    function _setMirroredPolicy(KeyStorage storage s, uint32 srcChain, HexsBodies.KeyPolicySet memory p) private {
        if (p.modelId != s.modelId || GlobalIds.chainOf(p.modelId) != srcChain) revert NotHomeChain(p.modelId);
        (address soulboundPlugin, address expiryPlugin) = registry.standardPlugins();
        bool hasSoulbound = s.pluginFlagsOf[soulboundPlugin] & ATTACHED != 0;
        if (hasSoulbound && !p.soulbound) _detach(s, soulboundPlugin);
        if (!hasSoulbound && p.soulbound) _attach(s, soulboundPlugin, "");
        if (s.pluginFlagsOf[expiryPlugin] & ATTACHED != 0) _detach(s, expiryPlugin);
        if (p.keyDuration != 0) _attach(s, expiryPlugin, abi.encode(p.keyDuration));
        s.hookMask = p.transferChecked ? s.hookMask | HOLDER_FIXED : s.hookMask & ~HOLDER_FIXED;
    }

    function _detach(KeyStorage storage s, address plugin) private {
        address[] storage plugins_ = s.plugins;
        uint256 last = plugins_.length - 1;
        for (uint256 i; i <= last; ++i) {
            if (plugins_[i] == plugin) {
                plugins_[i] = plugins_[last];
                plugins_.pop();
                break;
            }
        }
        delete s.pluginFlagsOf[plugin];
        _recomputeMask(s);
        emit PluginDetached(plugin);
        IKeyPlugin(plugin).onDetach(s.modelId);
    }

    function plugins() external view returns (address[] memory) {
        return _s().plugins;
    }

    // ------------------------------------------------------------------ royalties (ERC-2981)

    /// @notice Marketplaces pay resale royalties here; `sweepRoyalties` moves them to the vault.
    receive() external payable {
        emit RoyaltyReceived(msg.sender, msg.value);
    }

    /// @notice Credit the royalties held by this collection to the model's vault. Anyone may call.
    /// @param currency address(0) for the native coin, else the ERC-20 token.
    function sweepRoyalties(address currency) external {
        uint64 modelId_ = _s().modelId;
        uint256 amount;
        if (currency == address(0)) {
            amount = address(this).balance;
            if (amount == 0) revert NothingToSweep();
            emit RoyaltiesSwept(currency, amount);
            IHexsMarket(market).depositRoyalty{value: amount}(modelId_, currency, amount);
        } else {
            IERC20 token = IERC20(currency);
            amount = token.balanceOf(address(this));
            if (amount == 0) revert NothingToSweep();
            // Credit what the market actually received: a fee-on-transfer token must not
            // credit the vault more than the market holds (the buy path refuses such tokens).
            uint256 before = token.balanceOf(market);
            token.safeTransfer(market, amount);
            amount = token.balanceOf(market) - before;
            emit RoyaltiesSwept(currency, amount);
            IHexsMarket(market).depositRoyalty(modelId_, currency, amount);
        }
    }

    /// @inheritdoc IERC2981
    function royaltyInfo(uint256, uint256 salePrice) external view returns (address, uint256) {
        return (address(this), (salePrice * _s().royaltyBps) / 10_000);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IKeyCollection
    function hasAccess(address account) external view returns (bool) {
        KeyStorage storage s = _s();
        if (balanceOf(account) > s.expiringHeld[account]) return true; // a perpetual key
        uint256 live = s.subscriptionSlot[account];
        return live != 0 && s.terms[live].expiresAt > block.timestamp;
    }

    /// @inheritdoc IKeyCollection
    function expiresAt(uint256 keyId) public view returns (uint64) {
        return _s().terms[keyId].expiresAt;
    }

    /// @notice ERC-4907-style view: the key's owner while it is live, else address(0).
    function userOf(uint256 keyId) external view returns (address) {
        address owner = _requireOwned(keyId);
        uint64 expiry = expiresAt(keyId);
        return expiry == 0 || expiry > block.timestamp ? owner : address(0);
    }

    /// @notice ERC-4907-style view: when the key stops giving access (0 = never).
    function userExpires(uint256 keyId) external view returns (uint256) {
        return expiresAt(keyId);
    }

    /// @inheritdoc IERC5192
    /// @dev True for a soul-bound key, and for every key of a mirrored model whose holders
    /// change on its home chain only.
    function locked(uint256 keyId) external view returns (bool) {
        _requireOwned(keyId);
        KeyStorage storage s = _s();
        return s.terms[keyId].locked || s.hookMask & HOLDER_FIXED != 0;
    }

    /// @notice The key policy other chains can apply (they run only the standard plugins): keys
    /// minted now are soul-bound, expire after `keyDuration` (the standard expiry plugin's, 0 =
    /// never), and ON_TRANSFER plugins check every change of holder.
    function keyPolicy() public view returns (HexsBodies.KeyPolicySet memory p) {
        KeyStorage storage s = _s();
        uint256 mask = s.hookMask;
        (, address expiryPlugin) = registry.standardPlugins();
        p.modelId = s.modelId;
        p.soulbound = mask & PluginFlags.LOCKS_KEYS != 0;
        p.keyDuration = expiryPlugin == address(0) ? 0 : ExpiryPlugin(expiryPlugin).durationOf(address(this));
        p.transferChecked = mask & PluginFlags.ON_TRANSFER != 0;
    }

    function modelId() external view returns (uint64) {
        return _s().modelId;
    }

    /// @notice True when the key policy makes keys soul-bound (a LOCKS_KEYS plugin is attached).
    function soulbound() external view returns (bool) {
        return _s().hookMask & PluginFlags.LOCKS_KEYS != 0;
    }

    /// @notice True once a key was sold; the soul-bound policy is fixed from then on.
    function sold() external view returns (bool) {
        return _s().sold;
    }

    function name() public view override returns (string memory) {
        return string.concat("Hexs Key: model ", Strings.toString(_s().modelId));
    }

    function symbol() public pure override returns (string memory) {
        return "HEXSKEY";
    }

    function tokenURI(uint256 keyId) public view override returns (string memory) {
        _requireOwned(keyId);
        return registry.metadataUriOf(_s().modelId);
    }

    function supportsInterface(bytes4 interfaceId) public view override(ERC721Upgradeable, IERC165) returns (bool) {
        return
            interfaceId == type(IERC2981).interfaceId ||
            interfaceId == type(IERC5192).interfaceId ||
            super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ internals

    /// @dev Single hook for transfers and burns (mints finish in `mint`).
    function _update(address to, uint256 keyId, address auth) internal override returns (address from) {
        from = super._update(to, keyId, auth);
        if (from == address(0)) return from;
        KeyStorage storage s = _s();
        KeyTerms memory t = s.terms[keyId];
        if (to != address(0)) _checkHolderChange(s, keyId, t.locked, from, to, false);
        if (t.expiresAt != 0) {
            _releaseSubscription(s, from, keyId);
            if (to != address(0)) {
                ++s.expiringHeld[to];
                if (t.expiresAt > block.timestamp) _takeSubscriptionSlot(s, to, keyId);
            }
        }
        if (address(hub) != address(0)) {
            if (to == address(0)) {
                hub.record(
                    HexsBodies.KIND_KEY_BURNED,
                    HexsBodies.encodeKeyBurned(
                        HexsBodies.KeyBurned(uint64(keyId), s.modelId, HexsCodec.evmAccount(from))
                    )
                );
            } else {
                hub.record(
                    HexsBodies.KIND_KEY_TRANSFERRED,
                    EvmHolderBodies.keyTransferred(uint64(keyId), s.modelId, from, to)
                );
            }
        }
    }

    /// @dev The rules every change of holder passes (transfer, move away, arrival): a locked key
    /// refuses it; a mirror whose home checks holders refuses it unless the home did
    /// (`checkedAtHome`: a key arriving from there); ON_TRANSFER plugins may refuse it.
    function _checkHolderChange(
        KeyStorage storage s,
        uint256 keyId,
        bool keyLocked,
        address from,
        address to,
        bool checkedAtHome
    ) private {
        uint256 mask = s.hookMask;
        if (keyLocked) revert KeyLocked(keyId);
        if (mask & HOLDER_FIXED != 0 && !checkedAtHome) revert HolderChangesAtHome(keyId);
        if (mask & PluginFlags.ON_TRANSFER == 0) return;
        uint64 modelId_ = s.modelId;
        address[] storage plugins_ = s.plugins;
        for (uint256 i; i < plugins_.length; ++i) {
            address plugin = plugins_[i];
            if (s.pluginFlagsOf[plugin] & PluginFlags.ON_TRANSFER == 0) continue;
            try IKeyPlugin(plugin).onTransfer(modelId_, keyId, from, to) {} catch (bytes memory reason) {
                revert PluginRejected(plugin, reason);
            }
        }
    }

    function _releaseSubscription(KeyStorage storage s, address from, uint256 keyId) private {
        --s.expiringHeld[from];
        if (s.subscriptionSlot[from] == keyId) delete s.subscriptionSlot[from];
    }

    function _takeSubscriptionSlot(KeyStorage storage s, address account, uint256 keyId) private {
        uint256 current = s.subscriptionSlot[account];
        if (current == keyId) return;
        if (current != 0 && s.terms[current].expiresAt > block.timestamp) revert AlreadySubscribed(account, current);
        s.subscriptionSlot[account] = keyId;
    }

    function _attach(KeyStorage storage s, address plugin, bytes memory config) private returns (uint256 flags) {
        if (s.pluginFlagsOf[plugin] & ATTACHED != 0) revert PluginAlreadyAttached(plugin);
        if (s.plugins.length >= MAX_PLUGINS) revert TooManyPlugins();
        flags = IKeyPlugin(plugin).pluginFlags() & 0x7f;
        s.plugins.push(plugin);
        s.pluginFlagsOf[plugin] = flags | ATTACHED;
        s.hookMask |= uint8(flags);
        emit PluginAttached(plugin, flags);
        IKeyPlugin(plugin).onAttach(s.modelId, config);
    }

    /// @notice Record the key policy at publish when ModelRegistered cannot carry it all (plugins
    /// check transfers); the registry calls this right after recording ModelRegistered.
    function recordPolicyAtPublish() external {
        if (msg.sender != address(registry)) revert NotRegistry(msg.sender);
        KeyStorage storage s = _s();
        if (s.hookMask & PluginFlags.ON_TRANSFER != 0) _recordPolicy(s);
    }

    /// @dev Tell the other chains what they need of this home model's key policy (they run only
    /// the standard plugins). Other chains' collections follow their home: no plugin changes there.
    function _recordPolicy(KeyStorage storage s) private {
        if (address(hub) == address(0)) return;
        uint64 modelId_ = s.modelId;
        if (GlobalIds.chainOf(modelId_) != registry.chainId()) revert NotHomeChain(modelId_);
        hub.record(HexsBodies.KIND_KEY_POLICY_SET, HexsBodies.encodeKeyPolicySet(keyPolicy()));
    }

    function _minting() private view returns (uint256 keyId) {
        assembly ("memory-safe") {
            keyId := tload(MINTING_SLOT)
        }
    }

    function _setMinting(uint256 keyId) private {
        assembly ("memory-safe") {
            tstore(MINTING_SLOT, keyId)
        }
    }

    function _recomputeMask(KeyStorage storage s) private {
        uint256 mask = s.hookMask & HOLDER_FIXED;
        address[] storage plugins_ = s.plugins;
        for (uint256 i; i < plugins_.length; ++i) {
            mask |= s.pluginFlagsOf[plugins_[i]];
        }
        s.hookMask = uint8(mask);
    }

    function _onlyCreator() private view {
        if (registry.creatorOf(_s().modelId) != msg.sender) revert NotCreator(msg.sender);
    }

    function _s() private pure returns (KeyStorage storage s) {
        bytes32 slot = STORAGE_SLOT;
        assembly {
            s.slot := slot
        }
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC2981} from "@openzeppelin/contracts/interfaces/IERC2981.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {HexsHub} from "../bridge/HexsHub.sol";
import {IERC5192} from "../interfaces/IERC5192.sol";
import {IHexsRegistry} from "../interfaces/IHexsRegistry.sol";
import {IKeyCollection} from "../interfaces/IKeyCollection.sol";
import {KeyNFT} from "../keys/KeyNFT.sol";
import {GlobalIds} from "../libraries/GlobalIds.sol";
import {HexsBodies} from "../libraries/HexsBodies.sol";
import {HexsCodec} from "../libraries/HexsCodec.sol";
import {HexsMarket} from "./HexsMarket.sol";

/// @dev The registry's cross-chain links (HexsRegistry): its hub and creators' payout bindings.
interface IRegistryLinks {
    function hub() external view returns (address);

    function payoutOf(address account) external view returns (address);
}

/// @title HexsResale
/// @notice Secondary market for Hexs keys: fixed-price listings and escrowed offers, in the
/// native coin or an ERC-20 the primary market accepts.
///
/// Money flow of a fill at price P in currency C:
///   royalty  → `royaltyInfo(keyId, P)` of the key's collection (ERC-2981) is paid to the
///              collection and swept into the model's vault in HexsMarket in the same
///              transaction, so the model's lineage earns from resales as from sales
///   seller   → P − royalty credited here; the seller pulls it with `claim`
/// No protocol fee is taken here: the royalty pays it when the vault is settled.
///
/// A listing leaves the key with its holder, who approves this contract; a fill checks the
/// holder is still the seller, so a listing goes stale as soon as the key changes hands.
/// Soul-bound (ERC-5192 locked) and expired keys cannot be listed, offered for or filled, and
/// every fill is a plain ERC-721 transfer, so the key's ON_TRANSFER plugins still decide.
/// `leaseEscrow` states what happens to the Akash escrow of a deployment the seller runs for
/// the key when it changes hands (see docs/resale.md); the lease service follows `ResaleFilled`.
///
/// Cross-chain fills (docs/resale.md): the seller of a listing here names what buyers on another
/// EVM chain pay (`setRemotePrice`, in that chain's currency). A buyer there escrows that price with
/// `buyRemote`, which records a ResaleOrder in its hub's journal. The hub here hands the order to
/// `applyMessage`: if the listing and its remote price still match, the key moves to the buyer on
/// the paying chain (`KeyNFT.moveTo`, a KeyMoved) and a ResaleResult(filled) follows it in the
/// journal; otherwise a ResaleResult(refused). Back on the paying chain, a refusal credits the
/// escrow back to the buyer; a fill (applied only once the key has arrived there) pays the
/// royalty into the model's vault and credits the rest to the seller or their bound payout address.
/// Whichever order or local buy the listing chain applies first wins; the others are refunded.
/// @dev UUPS, ERC-7201; upgrades through the timelock; a guardian pauses new listings, offers
/// and fills (cancels and claims stay open), only the admin unpauses.
contract HexsResale is Initializable, AccessControlUpgradeable, UUPSUpgradeable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    address public constant NATIVE = address(0);

    /// @notice The deployment's remaining escrow stays with it: the new holder gets the running
    /// deployment with what is left of its escrow, priced into the sale.
    uint8 public constant LEASE_ESCROW_PRICED_IN = 0;
    /// @notice The remaining escrow is refunded to the seller on handover; the new holder funds
    /// the deployment from then on.
    uint8 public constant LEASE_ESCROW_TO_SELLER = 1;

    /// @notice How long after its deadline an unanswered order can be withdrawn by its buyer. It
    /// must outlast any answer still in flight from the listing chain (a fill made there at the
    /// deadline at the latest): that chain's clock lagging (an L2 sequencer may stamp blocks up to
    /// 24 h in the past) plus the answer's delivery, including a halted lane's recovery. See
    /// docs/resale.md, "Expired orders".
    uint32 public constant ORDER_WITHDRAW_MARGIN = 3 days;
    /// @notice The furthest deadline an order may carry, from the time it is placed.
    uint32 public constant MAX_ORDER_TTL = 30 days;

    struct Listing {
        address seller;
        uint64 modelId;
        uint8 leaseEscrow;
        address currency;
        uint96 price;
    }

    struct Offer {
        address buyer;
        uint64 modelId;
        uint32 validUntil;
        address currency;
        uint96 amount;
        uint64 keyId;
        uint8 leaseEscrow;
    }

    /// @custom:storage-location erc7201:hexs.storage.Resale
    struct ResaleStorage {
        IHexsRegistry registry;
        bool paused;
        uint64 offerSerial;
        HexsMarket market;
        mapping(uint256 keyId => Listing) listings;
        mapping(uint256 offerId => Offer) offers;
        mapping(address payee => mapping(address currency => uint256)) credit;
        // appended: cross-chain fills
        uint32 orderSerial; // orders paid here
        mapping(uint32 chain => bool) resalePeers; // chains whose HexsResale answers orders
        mapping(uint64 orderId => RemoteOrder) orders; // paid here, awaiting their result
        mapping(uint256 keyId => mapping(uint32 chain => RemotePrice)) remotePrices; // listings here
    }

    /// @notice What the seller of a listing here accepts from buyers on another chain.
    struct RemotePrice {
        address seller; // whose listing it prices: void once the listing is someone else's
        uint96 price;
        address currency; // an address on the buyer's chain (NATIVE: its native coin)
    }

    /// @notice An order paid (and escrowed) here for a key listed on `listingChain`.
    struct RemoteOrder {
        address buyer;
        uint32 listingChain;
        uint64 modelId;
        address seller;
        uint96 price;
        address currency;
        uint64 keyId;
        // appended (mapping value, packs into the last slot): unix seconds; the listing chain
        // fills only until then, the buyer may withdraw after it plus ORDER_WITHDRAW_MARGIN
        uint32 deadline;
    }

    // keccak256(abi.encode(uint256(keccak256("hexs.storage.Resale")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_SLOT = 0xd8e02c12f4fd2e5cf58c3d89599c850c83b54ac411405de2112d0463d1a27d00;

    event Listed(
        uint256 indexed keyId,
        uint64 indexed modelId,
        address indexed seller,
        address currency,
        uint256 price,
        uint8 leaseEscrow
    );
    event ListingCancelled(uint256 indexed keyId, address indexed seller);
    event OfferMade(
        uint256 indexed offerId,
        uint256 indexed keyId,
        address indexed buyer,
        uint64 modelId,
        address currency,
        uint256 amount,
        uint32 validUntil,
        uint8 leaseEscrow
    );
    event OfferCancelled(uint256 indexed offerId, address indexed buyer, uint256 refunded);
    /// @notice A key changed hands here (`offerId` 0: a listing was bought). The lease service
    /// hands a running deployment of the key from `seller` to `buyer` as `leaseEscrow` says.
    event ResaleFilled(
        uint256 indexed keyId,
        uint64 indexed modelId,
        address indexed buyer,
        address seller,
        address currency,
        uint256 price,
        uint256 royalty,
        uint256 offerId,
        uint8 leaseEscrow
    );
    event ResalePeerSet(uint32 indexed chain, bool enabled);
    event RemotePriceSet(
        uint256 indexed keyId,
        uint32 indexed chain,
        address indexed seller,
        address currency,
        uint256 price
    );
    /// @notice A buyer here escrowed `price` for a key listed on `listingChain` (a ResaleOrder).
    event RemoteOrderPlaced(
        uint64 indexed orderId,
        uint256 indexed keyId,
        address indexed buyer,
        uint32 listingChain,
        address seller,
        address currency,
        uint256 price,
        uint32 deadline
    );
    /// @notice The listing chain applied an order from `srcChain` (a ResaleResult was recorded).
    event RemoteOrderApplied(uint64 indexed orderId, uint256 indexed keyId, uint32 srcChain, bool filled);
    /// @notice An order paid here was settled: `filled` paid `payee` (and the royalty), else the buyer was refunded.
    event RemoteOrderSettled(uint64 indexed orderId, uint256 indexed keyId, bool filled, address payee);
    event Credited(address indexed payee, address indexed currency, uint256 amount);
    event Claimed(address indexed payee, address indexed currency, address to, uint256 amount);
    event Paused(address account);
    event Unpaused(address account);

    error ResalePaused();
    error ZeroAddress();
    error ZeroPrice();
    error UnknownModel(uint64 modelId);
    error UnsupportedCurrency(address currency);
    error InvalidLeaseEscrow(uint8 leaseEscrow);
    error NotKeyHolder(uint256 keyId, address caller);
    error NotApproved(uint256 keyId);
    error KeyNotTransferable(uint256 keyId);
    error KeyExpired(uint256 keyId, uint64 expiredAt);
    error NotListed(uint256 keyId);
    error ListingStale(uint256 keyId, address seller, address holder);
    error ListingChanged(uint256 keyId, address currency, uint256 price);
    error NotSeller(uint256 keyId, address caller);
    error UnknownOffer(uint256 offerId);
    error NotOfferMaker(uint256 offerId, address caller);
    error OfferExpired(uint256 offerId, uint32 validUntil);
    error WrongPayment(uint256 expected, uint256 received);
    error UnexpectedNativeValue();
    error RoyaltyTooHigh(uint256 royalty, uint256 price);
    error NothingToClaim(address payee, address currency);
    error NativeTransferFailed(address to, uint256 amount);
    error NotCrossChain();
    error NotResalePeer(uint32 chain);
    error NotHub(address caller);
    error UnknownOrder(uint64 orderId);
    error WrongListingChain(uint64 orderId, uint32 expected, uint32 actual);
    error WrongOrderSource(uint64 orderId, uint32 srcChain);
    error KeyNotArrived(uint256 keyId);
    error ApplyOutOfGas(uint64 orderId);
    error BadDeadline(uint32 deadline);
    error NotOrderBuyer(uint64 orderId, address caller);
    error OrderNotWithdrawable(uint64 orderId, uint256 withdrawableAt);
    error KeyArrived(uint256 keyId);

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @param admin the timelock (admin, upgrader). @param guardian may pause.
    function initialize(
        IHexsRegistry registry_,
        HexsMarket market_,
        address admin,
        address guardian
    ) external initializer {
        if (
            address(registry_) == address(0) ||
            address(market_) == address(0) ||
            admin == address(0) ||
            guardian == address(0)
        ) revert ZeroAddress();
        __AccessControl_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(UPGRADER_ROLE, admin);
        _grantRole(PAUSER_ROLE, guardian);
        ResaleStorage storage s = _s();
        s.registry = registry_;
        s.market = market_;
    }

    // ------------------------------------------------------------------ listings

    /// @notice List a key you hold at `price` in `currency`. Approve this contract for the key
    /// first (`approve` or `setApprovalForAll`); a new listing of the key replaces the old one.
    function list(uint64 modelId, uint256 keyId, address currency, uint96 price, uint8 leaseEscrow) external {
        ResaleStorage storage s = _s();
        _notPaused(s);
        if (price == 0) revert ZeroPrice();
        _checkTerms(s, currency, leaseEscrow);
        address keys = _keys(s, modelId);
        if (IERC721(keys).ownerOf(keyId) != msg.sender) revert NotKeyHolder(keyId, msg.sender);
        if (
            IERC721(keys).getApproved(keyId) != address(this) &&
            !IERC721(keys).isApprovedForAll(msg.sender, address(this))
        ) revert NotApproved(keyId);
        _checkTradable(keys, keyId);
        s.listings[keyId] = Listing(msg.sender, modelId, leaseEscrow, currency, price);
        emit Listed(keyId, modelId, msg.sender, currency, price, leaseEscrow);
    }

    /// @notice Withdraw your listing (also once it went stale).
    function cancelListing(uint256 keyId) external {
        ResaleStorage storage s = _s();
        address seller = s.listings[keyId].seller;
        if (seller == address(0)) revert NotListed(keyId);
        if (seller != msg.sender) revert NotSeller(keyId, msg.sender);
        delete s.listings[keyId];
        emit ListingCancelled(keyId, msg.sender);
    }

    /// @notice Buy a listed key at the listing's price. `currency` and `price` must match the
    /// listing (so a re-listing cannot change what the buyer pays); native payments send it as
    /// value, ERC-20 payments approve this contract first.
    function buy(uint256 keyId, address currency, uint256 price) external payable nonReentrant {
        ResaleStorage storage s = _s();
        _notPaused(s);
        Listing memory lst = s.listings[keyId];
        if (lst.seller == address(0)) revert NotListed(keyId);
        if (lst.currency != currency || lst.price != price) revert ListingChanged(keyId, lst.currency, lst.price);
        address keys = _keys(s, lst.modelId);
        address holder = IERC721(keys).ownerOf(keyId);
        if (holder != lst.seller) revert ListingStale(keyId, lst.seller, holder);
        _checkNotExpired(keys, keyId);

        delete s.listings[keyId];
        _collect(s, currency, price);
        _fill(s, keys, lst.modelId, keyId, lst.seller, msg.sender, currency, price, 0, lst.leaseEscrow);
    }

    // ------------------------------------------------------------------ offers

    /// @notice Offer `amount` of `currency` for a key, escrowed here until it is accepted or
    /// cancelled. Valid until `validUntil` (unix seconds); it can be cancelled at any time.
    function makeOffer(
        uint64 modelId,
        uint256 keyId,
        address currency,
        uint96 amount,
        uint32 validUntil,
        uint8 leaseEscrow
    ) external payable nonReentrant returns (uint256 offerId) {
        ResaleStorage storage s = _s();
        _notPaused(s);
        if (amount == 0) revert ZeroPrice();
        if (validUntil <= block.timestamp) revert OfferExpired(0, validUntil);
        _checkTerms(s, currency, leaseEscrow);
        address keys = _keys(s, modelId);
        IERC721(keys).ownerOf(keyId); // the key exists here
        _checkTradable(keys, keyId);

        offerId = ++s.offerSerial;
        s.offers[offerId] = Offer(
            msg.sender,
            modelId,
            validUntil,
            currency,
            amount,
            SafeCast.toUint64(keyId),
            leaseEscrow
        );
        emit OfferMade(offerId, keyId, msg.sender, modelId, currency, amount, validUntil, leaseEscrow);
        _collect(s, currency, amount);
    }

    /// @notice Withdraw your offer; its escrow is credited back to you (`claim`). Open while paused.
    function cancelOffer(uint256 offerId) external {
        ResaleStorage storage s = _s();
        Offer memory o = s.offers[offerId];
        if (o.buyer == address(0)) revert UnknownOffer(offerId);
        if (o.buyer != msg.sender) revert NotOfferMaker(offerId, msg.sender);
        delete s.offers[offerId];
        emit OfferCancelled(offerId, msg.sender, o.amount);
        _credit(s, msg.sender, o.currency, o.amount);
    }

    /// @notice Accept an offer for a key you hold (approve this contract for the key first): the
    /// key goes to the offer's maker, the escrow pays the royalty and your credit.
    function acceptOffer(uint256 offerId) external nonReentrant {
        ResaleStorage storage s = _s();
        _notPaused(s);
        Offer memory o = s.offers[offerId];
        if (o.buyer == address(0)) revert UnknownOffer(offerId);
        if (o.validUntil < block.timestamp) revert OfferExpired(offerId, o.validUntil);
        address keys = _keys(s, o.modelId);
        if (IERC721(keys).ownerOf(o.keyId) != msg.sender) revert NotKeyHolder(o.keyId, msg.sender);
        _checkNotExpired(keys, o.keyId);

        delete s.offers[offerId];
        if (s.listings[o.keyId].seller != address(0)) delete s.listings[o.keyId];
        _fill(s, keys, o.modelId, o.keyId, msg.sender, o.buyer, o.currency, o.amount, offerId, o.leaseEscrow);
    }

    // ------------------------------------------------------------------ cross-chain fills

    /// @notice On the listing's chain: accept buyers on `chain` paying `price` of `currency` (an
    /// address on `chain`; NATIVE for its native coin) for your listed key. Price 0 withdraws it.
    /// It applies only while the key is listed by you: cancelling, selling or re-listing by
    /// someone else voids it; your own later listing of the key revives it (set 0 to prevent that).
    function setRemotePrice(uint256 keyId, uint32 chain, address currency, uint96 price) external {
        ResaleStorage storage s = _s();
        _notPaused(s);
        address seller = s.listings[keyId].seller;
        if (seller == address(0)) revert NotListed(keyId);
        if (seller != msg.sender) revert NotSeller(keyId, msg.sender);
        if (!s.resalePeers[chain]) revert NotResalePeer(chain);
        s.remotePrices[keyId][chain] = RemotePrice(msg.sender, price, currency);
        emit RemotePriceSet(keyId, chain, msg.sender, currency, price);
    }

    /// @notice On the paying chain: buy key `keyId` of `modelId` listed by `seller` on
    /// `listingChain`, at the remote price the seller set for this chain (`currency`, `price`).
    /// The payment is escrowed here until the listing chain answers: a fill moves the key to
    /// you here and pays the seller from the escrow; a refusal (listing gone, changed, or filled
    /// first, or arrived after `deadline`) credits it back to you in full (`claim`). If no answer
    /// has come by `deadline` + ORDER_WITHDRAW_MARGIN, `withdrawOrder` takes the escrow back.
    function buyRemote(
        uint32 listingChain,
        uint64 modelId,
        uint64 keyId,
        address seller,
        address currency,
        uint96 price,
        uint32 deadline
    ) external payable nonReentrant returns (uint64 orderId) {
        ResaleStorage storage s = _s();
        _notPaused(s);
        if (price == 0) revert ZeroPrice();
        if (deadline <= block.timestamp || deadline > block.timestamp + MAX_ORDER_TTL) revert BadDeadline(deadline);
        if (seller == address(0)) revert ZeroAddress();
        _checkTerms(s, currency, 0);
        if (!s.resalePeers[listingChain]) revert NotResalePeer(listingChain);
        _keys(s, modelId); // the model is known here: the key can arrive, the royalty has a vault

        uint32 serial = GlobalIds.next(s.orderSerial);
        s.orderSerial = serial;
        orderId = GlobalIds.make(s.registry.chainId(), serial);
        RemoteOrder memory o = RemoteOrder(msg.sender, listingChain, modelId, seller, price, currency, keyId, deadline);
        s.orders[orderId] = o;
        emit RemoteOrderPlaced(orderId, keyId, msg.sender, listingChain, seller, currency, price, deadline);
        _collect(s, currency, price);
        _recordOrder(s, orderId, o);
    }

    /// @dev The ResaleOrder in this chain's journal (separate from `buyRemote` for the stack).
    function _recordOrder(ResaleStorage storage s, uint64 orderId, RemoteOrder memory o) private {
        HexsHub(_hub(s)).record(
            HexsBodies.KIND_RESALE_ORDER,
            HexsBodies.encodeResaleOrder(
                HexsBodies.ResaleOrder(
                    orderId,
                    o.listingChain,
                    o.modelId,
                    o.keyId,
                    HexsCodec.evmAccount(o.seller),
                    HexsCodec.evmAccount(o.buyer),
                    abi.encodePacked(o.currency),
                    o.price,
                    o.deadline
                )
            )
        );
    }

    /// @notice On the paying chain: take back the escrow of your order that the listing chain has
    /// not answered by its deadline + ORDER_WITHDRAW_MARGIN; it is credited to you (`claim`). The
    /// listing chain refuses the order after its deadline, so it can no longer send you the key,
    /// and its answer arriving later finds no order here and changes nothing. Refused while the
    /// key is here: its KeyMoved precedes a fill's result, which is then on its way or waiting at
    /// the hub. Open while paused.
    function withdrawOrder(uint64 orderId) external nonReentrant {
        ResaleStorage storage s = _s();
        RemoteOrder memory o = s.orders[orderId];
        if (o.buyer == address(0)) revert UnknownOrder(orderId);
        if (o.buyer != msg.sender) revert NotOrderBuyer(orderId, msg.sender);
        uint256 at = uint256(o.deadline) + ORDER_WITHDRAW_MARGIN;
        // Orders placed before deadlines existed (deadline 0) wait for their answer.
        if (o.deadline == 0 || block.timestamp <= at) revert OrderNotWithdrawable(orderId, at);
        try IERC721(s.registry.keysOf(o.modelId)).ownerOf(o.keyId) returns (address) {
            revert KeyArrived(o.keyId);
        } catch {}
        delete s.orders[orderId];
        emit RemoteOrderSettled(orderId, o.keyId, false, msg.sender);
        _credit(s, msg.sender, o.currency, o.price);
    }

    /// @notice Apply a ResaleOrder or ResaleResult delivered to this chain's hub (the hub only,
    /// in lane order). Every peer's hub receives every journal entry, so an order for another
    /// listing chain, or a result for another paying chain, is ignored. A reverted result stays
    /// refused at the hub and can be re-applied there (e.g. once the key has arrived).
    function applyMessage(uint32 srcChain, bytes calldata message) external nonReentrant {
        ResaleStorage storage s = _s();
        if (msg.sender != _hub(s)) revert NotHub(msg.sender);
        (HexsCodec.Header memory h, bytes calldata body) = HexsCodec.decodeHeader(message);
        uint32 self = s.registry.chainId();
        if (h.kind == HexsBodies.KIND_RESALE_ORDER) {
            HexsBodies.ResaleOrder memory o = HexsBodies.decodeResaleOrder(body);
            if (o.listingChain == self) _applyOrder(s, srcChain, o);
        } else if (h.kind == HexsBodies.KIND_RESALE_RESULT) {
            HexsBodies.ResaleResult memory r = HexsBodies.decodeResaleResult(body);
            if (GlobalIds.chainOf(r.orderId) == self) _settle(s, srcChain, r);
        } else {
            revert HexsCodec.UnknownKind(h.kind);
        }
    }

    /// @notice Let orders go to (and remote prices name) `chain`, an EVM chain whose HexsResale
    /// answers them; an order to a chain that never answers would stay escrowed.
    function setResalePeer(uint32 chain, bool enabled) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (chain == 0 || chain == _s().registry.chainId()) revert NotResalePeer(chain);
        _s().resalePeers[chain] = enabled;
        emit ResalePeerSet(chain, enabled);
    }

    // ------------------------------------------------------------------ payouts

    /// @notice Pull everything credited to you in `currency` (sale proceeds, refunded offers), to `to`.
    function claim(address currency, address to) external nonReentrant returns (uint256 amount) {
        if (to == address(0)) revert ZeroAddress();
        ResaleStorage storage s = _s();
        amount = s.credit[msg.sender][currency];
        if (amount == 0) revert NothingToClaim(msg.sender, currency);
        s.credit[msg.sender][currency] = 0;
        emit Claimed(msg.sender, currency, to, amount);
        if (currency == NATIVE) {
            (bool ok, ) = to.call{value: amount}("");
            if (!ok) revert NativeTransferFailed(to, amount);
        } else {
            IERC20(currency).safeTransfer(to, amount);
        }
    }

    // ------------------------------------------------------------------ governance

    function pause() external onlyRole(PAUSER_ROLE) {
        _s().paused = true;
        emit Paused(msg.sender);
    }

    /// @dev Only the timelock lifts a pause, as on the market.
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _s().paused = false;
        emit Unpaused(msg.sender);
    }

    // ------------------------------------------------------------------ views

    function paused() external view returns (bool) {
        return _s().paused;
    }

    function registry() external view returns (IHexsRegistry) {
        return _s().registry;
    }

    function market() external view returns (HexsMarket) {
        return _s().market;
    }

    /// @notice The listing of a key (seller address(0): none). It may be stale: the SDK's
    /// `listingOf` checks it is fillable (holder, approval, lock, expiry) with the key's reads.
    function listingOf(uint256 keyId) external view returns (Listing memory) {
        return _s().listings[keyId];
    }

    function orderOf(uint64 orderId) external view returns (RemoteOrder memory) {
        return _s().orders[orderId];
    }

    function remotePriceOf(uint256 keyId, uint32 chain) external view returns (RemotePrice memory) {
        return _s().remotePrices[keyId][chain];
    }

    function isResalePeer(uint32 chain) external view returns (bool) {
        return _s().resalePeers[chain];
    }

    function ordersPlaced() external view returns (uint32) {
        return _s().orderSerial;
    }

    function offerOf(uint256 offerId) external view returns (Offer memory) {
        return _s().offers[offerId];
    }

    function offersMade() external view returns (uint64) {
        return _s().offerSerial;
    }

    function creditOf(address payee, address currency) external view returns (uint256) {
        return _s().credit[payee][currency];
    }

    // ------------------------------------------------------------------ internals

    /// @dev Effects (seller credit, event) before the interactions: royalty into the model's
    /// vault through the collection, then the key transfer (its plugins may refuse it).
    function _fill(
        ResaleStorage storage s,
        address keys,
        uint64 modelId,
        uint256 keyId,
        address seller,
        address buyer,
        address currency,
        uint256 price,
        uint256 offerId,
        uint8 leaseEscrow
    ) private {
        (address receiver, uint256 royalty) = IERC2981(keys).royaltyInfo(keyId, price);
        if (royalty > price) revert RoyaltyTooHigh(royalty, price);
        if (price != royalty) _credit(s, seller, currency, price - royalty);
        emit ResaleFilled(keyId, modelId, buyer, seller, currency, price, royalty, offerId, leaseEscrow);
        _payRoyalty(keys, currency, receiver, royalty);
        IERC721(keys).transferFrom(seller, buyer, keyId);
    }

    function _payRoyalty(address keys, address currency, address receiver, uint256 royalty) private {
        if (royalty == 0) return;
        if (currency == NATIVE) {
            (bool ok, ) = receiver.call{value: royalty}("");
            if (!ok) revert NativeTransferFailed(receiver, royalty);
        } else {
            IERC20(currency).safeTransfer(receiver, royalty);
        }
        // A Hexs collection is its own royalty receiver: sweeping credits the model's vault now.
        if (receiver == keys) KeyNFT(payable(keys)).sweepRoyalties(currency);
    }

    /// @dev On the listing chain: fill the order if the listing and the seller's remote price for
    /// the order's chain still match, else refuse it; either way record the ResaleResult (after the
    /// KeyMoved of a fill, so the paying chain sees the key arrive before it pays).
    function _applyOrder(ResaleStorage storage s, uint32 srcChain, HexsBodies.ResaleOrder memory o) private {
        // An order comes from the chain that escrowed it (its id's upper bits).
        if (GlobalIds.chainOf(o.orderId) != srcChain) revert WrongOrderSource(o.orderId, srcChain);
        Listing memory lst = s.listings[o.keyId];
        bool filled = _matches(s, srcChain, o, lst);
        uint256 royalty;
        if (filled) {
            address keys = s.registry.keysOf(lst.modelId);
            // The listing chain's royalty policy applies (a mirrored collection may have none).
            (, royalty) = IERC2981(keys).royaltyInfo(o.keyId, o.price);
            delete s.listings[o.keyId];
            delete s.remotePrices[o.keyId][srcChain];
            uint256 budget = gasleft();
            // The collection's move checks (approval, lock, ON_TRANSFER plugins, the hub's peer and
            // account family) may refuse: then the order is refused and the listing stays.
            try KeyNFT(payable(keys)).moveTo(o.keyId, srcChain, o.buyer) {} catch {
                // Out of gas is the deliverer's doing: revert so the hub retries rather than refuses.
                if (gasleft() < budget / 16) revert ApplyOutOfGas(o.orderId);
                s.listings[o.keyId] = lst;
                s.remotePrices[o.keyId][srcChain] = RemotePrice(lst.seller, uint96(o.price), _currency(o.currency));
                (filled, royalty) = (false, 0);
            }
        }
        emit RemoteOrderApplied(o.orderId, o.keyId, srcChain, filled);
        HexsHub(_hub(s)).record(
            HexsBodies.KIND_RESALE_RESULT,
            HexsBodies.encodeResaleResult(
                HexsBodies.ResaleResult(
                    o.orderId,
                    o.keyId,
                    filled,
                    filled ? lst.leaseEscrow : 0,
                    SafeCast.toUint128(royalty)
                )
            )
        );
    }

    /// @dev The listing is live and fillable now and the order pays what its seller asked of `srcChain`.
    function _matches(
        ResaleStorage storage s,
        uint32 srcChain,
        HexsBodies.ResaleOrder memory o,
        Listing memory lst
    ) private view returns (bool) {
        // Past its deadline the order is refused, so a buyer who withdrew on the paying chain is
        // never sent the key (ORDER_WITHDRAW_MARGIN covers an answer made at the deadline).
        if (s.paused || lst.seller == address(0) || lst.modelId != o.modelId || o.deadline < block.timestamp)
            return false;
        if (o.seller.family != HexsCodec.FAMILY_EVM || o.currency.length != 20) return false;
        if (HexsCodec.toEvmAddress(o.seller) != lst.seller) return false;
        RemotePrice memory rp = s.remotePrices[o.keyId][srcChain];
        if (rp.seller != lst.seller || rp.price != o.price || rp.currency != _currency(o.currency)) return false;
        address keys = s.registry.keysOf(lst.modelId);
        try IERC721(keys).ownerOf(o.keyId) returns (address holder) {
            if (holder != lst.seller) return false;
        } catch {
            return false;
        }
        uint64 expiry = IKeyCollection(keys).expiresAt(o.keyId);
        return expiry == 0 || expiry > block.timestamp;
    }

    /// @dev On the paying chain: settle order `r.orderId` once, from its listing chain only.
    function _settle(ResaleStorage storage s, uint32 srcChain, HexsBodies.ResaleResult memory r) private {
        RemoteOrder memory o = s.orders[r.orderId];
        if (o.buyer == address(0)) revert UnknownOrder(r.orderId); // never placed, or settled already
        if (srcChain != o.listingChain || r.keyId != o.keyId)
            revert WrongListingChain(r.orderId, o.listingChain, srcChain);
        address keys = s.registry.keysOf(o.modelId);
        // A fill's KeyMoved precedes it on the lane; if that was refused here, so is this result
        // (re-applied at the hub once the key is here), so the seller is never paid for a key in limbo.
        if (r.filled) {
            try IERC721(keys).ownerOf(o.keyId) returns (address) {} catch {
                revert KeyNotArrived(o.keyId);
            }
        }
        delete s.orders[r.orderId];
        if (!r.filled) {
            emit RemoteOrderSettled(r.orderId, o.keyId, false, o.buyer);
            _credit(s, o.buyer, o.currency, o.price);
            return;
        }
        // The royalty is the listing chain's (its collection's ERC-2981 of this price), paid into the
        // model's vault here through this chain's collection.
        uint256 royalty = r.royalty;
        if (royalty > o.price) revert RoyaltyTooHigh(royalty, o.price);
        address payee = IRegistryLinks(address(s.registry)).payoutOf(o.seller);
        if (payee == address(0)) payee = o.seller;
        emit RemoteOrderSettled(r.orderId, o.keyId, true, payee);
        emit ResaleFilled(o.keyId, o.modelId, o.buyer, o.seller, o.currency, o.price, royalty, 0, uint8(r.leaseEscrow));
        if (o.price != royalty) _credit(s, payee, o.currency, o.price - royalty);
        _payRoyalty(keys, o.currency, keys, royalty);
    }

    function _currency(bytes memory b) private pure returns (address) {
        return address(bytes20(b));
    }

    function _hub(ResaleStorage storage s) private view returns (address hub) {
        hub = IRegistryLinks(address(s.registry)).hub();
        if (hub == address(0)) revert NotCrossChain();
    }

    function _collect(ResaleStorage storage s, address currency, uint256 total) private {
        if (currency == NATIVE) {
            if (msg.value != total) revert WrongPayment(total, msg.value);
            return;
        }
        if (msg.value != 0) revert UnexpectedNativeValue();
        if (!s.market.isAccepted(currency)) revert UnsupportedCurrency(currency);
        IERC20 token = IERC20(currency);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), total);
        // Fee-on-transfer or rebasing tokens would break the accounting: refuse them.
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != total) revert WrongPayment(total, received);
    }

    function _credit(ResaleStorage storage s, address payee, address currency, uint256 amount) private {
        s.credit[payee][currency] += amount;
        emit Credited(payee, currency, amount);
    }

    function _checkTerms(ResaleStorage storage s, address currency, uint8 leaseEscrow) private view {
        if (leaseEscrow > LEASE_ESCROW_TO_SELLER) revert InvalidLeaseEscrow(leaseEscrow);
        if (currency != NATIVE && !s.market.isAccepted(currency)) revert UnsupportedCurrency(currency);
    }

    function _checkTradable(address keys, uint256 keyId) private view {
        if (IERC5192(keys).locked(keyId)) revert KeyNotTransferable(keyId);
        _checkNotExpired(keys, keyId);
    }

    function _checkNotExpired(address keys, uint256 keyId) private view {
        uint64 expiry = IKeyCollection(keys).expiresAt(keyId);
        if (expiry != 0 && expiry <= block.timestamp) revert KeyExpired(keyId, expiry);
    }

    function _keys(ResaleStorage storage s, uint64 modelId) private view returns (address keys) {
        keys = s.registry.keysOf(modelId);
        if (keys == address(0)) revert UnknownModel(modelId);
    }

    function _notPaused(ResaleStorage storage s) private view {
        if (s.paused) revert ResalePaused();
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}

    function _s() private pure returns (ResaleStorage storage s) {
        bytes32 slot = STORAGE_SLOT;
        assembly {
            s.slot := slot
        }
    }
}

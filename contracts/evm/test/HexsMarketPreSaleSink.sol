// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IHexsMarket} from "../interfaces/IHexsMarket.sol";
import {IHexsRegistry} from "../interfaces/IHexsRegistry.sol";
import {IKeyCollection} from "../interfaces/IKeyCollection.sol";
import {GlobalIds} from "../libraries/GlobalIds.sol";
import {IPayouts} from "../market/HexsMarket.sol";

/// @notice TEST ONLY. HexsMarket as deployed before gas lever A (commit bcd9507's parent): no
/// copy of the sale terms (no setSale, no saleOf); `buy` asks the registry. test/evm/upgrade-sale-sink.test.ts
/// deploys it behind the market proxy to stand for a deployment made before lever A.
contract HexsMarketPreSaleSink is
    Initializable,
    AccessControlUpgradeable,
    UUPSUpgradeable,
    ReentrancyGuardTransient,
    IHexsMarket
{
    using SafeERC20 for IERC20;

    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    bytes32 public constant TREASURER_ROLE = keccak256("TREASURER_ROLE");
    /// @notice Reports the outcome of a requested deployment (the relayer quorum's contract).
    bytes32 public constant LEASE_REPORTER_ROLE = keccak256("LEASE_REPORTER_ROLE");
    /// @notice Deposits paid API calls into model vaults (HexsApiPayments).
    bytes32 public constant API_REVENUE_ROLE = keccak256("API_REVENUE_ROLE");

    uint16 public constant MAX_PROTOCOL_FEE_BPS = 1_000;
    address public constant NATIVE = address(0);
    /// @notice How long a buyer waits for a lease report before reclaiming the escrow, unless
    /// governance set another timeout (bounded so a buyer's exit is never removed).
    uint64 public constant DEFAULT_ESCROW_TIMEOUT = 24 hours;
    uint64 public constant MIN_ESCROW_TIMEOUT = 1 hours;
    uint64 public constant MAX_ESCROW_TIMEOUT = 30 days;

    struct Escrow {
        address buyer;
        address currency;
        uint256 amount;
        // appended (mapping values may grow), one slot: the exit is fixed at purchase, so a later
        // timeout change never delays an exit a buyer already counted on; the model lets the
        // lease co-signers check a reported deployment against the model's SDL
        uint64 reclaimableAt;
        uint64 modelId;
    }

    /// @custom:storage-location erc7201:hexs.storage.Market
    struct MarketStorage {
        // slot 0: everything a purchase reads and writes
        IHexsRegistry registry;
        uint32 keySerial;
        uint32 chainId; // cached from the registry: prefixes every key id sold here
        uint16 protocolFeeBps;
        bool paused; // kept here rather than in Pausable's slot: a purchase reads this slot anyway
        address feeRecipient;
        mapping(address currency => uint256) protocolFees;
        mapping(address currency => bool) acceptedToken;
        mapping(uint64 modelId => mapping(address currency => uint256)) vault;
        mapping(address payee => mapping(address currency => uint256)) credit;
        mapping(uint256 keyId => Escrow) escrow;
        // Caches of registry facts that never change once set (see IHexsRegistry.Lineage):
        // a warm settlement reads one slot here instead of calling the registry.
        mapping(uint64 modelId => IHexsRegistry.Lineage) lineage;
        mapping(uint64 modelId => address) dao;
        // appended: the buyer's exit and the one-purchase-per-deployment rule
        uint64 escrowTimeout; // 0 = DEFAULT_ESCROW_TIMEOUT
        mapping(uint64 dseq => uint256 keyId) purchaseOfDseq;
        // appended: creator shares apart from other credit (a payout address reaches these only)
        mapping(address payee => mapping(address currency => uint256)) earnings;
    }

    // keccak256(abi.encode(uint256(keccak256("hexs.storage.Market")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_SLOT = 0x992f15a3e70dc34482e8b8da07c01d50e07e98b45d9c0fb142601ebcaa792500;

    /// @notice A key was sold. The key id is also the purchase id. `deploymentParams` is
    /// non-empty when the buyer asked for an Akash deployment (the relayer runs the lease).
    event Purchased(
        uint256 indexed keyId,
        uint64 indexed modelId,
        address indexed buyer,
        address recipient,
        address currency,
        uint256 keyPrice,
        uint256 deploymentEscrow,
        bytes deploymentParams
    );
    /// @notice One lineage level settled: the creator and DAO were credited, the parent's vault
    /// grew by `parentShare` (see the registry for who they are).
    event Settled(
        uint64 indexed modelId,
        address indexed currency,
        uint256 creatorShare,
        uint256 parentShare,
        uint256 daoShare,
        uint256 protocolFee
    );
    event Credited(address indexed payee, address indexed currency, uint256 amount);
    event Claimed(address indexed payee, address indexed currency, address to, uint256 amount);
    event RoyaltyDeposited(uint64 indexed modelId, address indexed currency, uint256 amount);
    event ApiRevenueDeposited(uint64 indexed modelId, address indexed currency, uint256 amount);
    /// @dev `dseq`: the Akash deployment a lease was reported for (0 when the deployment failed).
    event DeploymentResolved(uint256 indexed keyId, bool leased, address payee, uint256 amount, uint64 dseq);
    event EscrowReclaimed(uint256 indexed keyId, address indexed buyer, uint256 amount);
    event EscrowTimeoutSet(uint64 timeoutSeconds);
    event TokenAccepted(address indexed token, bool accepted);
    event ProtocolFeeSet(uint16 bps, address recipient);
    event Paused(address account);
    event Unpaused(address account);

    error MarketPaused();
    error UnsupportedCurrency(address currency);
    error NotForSale(uint64 modelId, address currency);
    error ModelIsRetired(uint64 modelId);
    error WrongPayment(uint256 expected, uint256 received);
    error UnexpectedNativeValue();
    error NothingToSettle(uint64 modelId, address currency);
    error NothingToClaim(address payee, address currency);
    error NotKeyCollection(uint64 modelId, address caller);
    error NoEscrow(uint256 keyId);
    error FeeTooHigh(uint16 bps);
    error ZeroAddress();
    error NativeTransferFailed(address to, uint256 amount);
    error NotPayout(address payee, address caller);
    error NotBuyer(uint256 keyId, address caller);
    error EscrowNotExpired(uint256 keyId, uint64 reclaimableAt);
    error DseqAlreadyUsed(uint64 dseq, uint256 keyId);
    error NoDeployment(uint256 keyId);
    error InvalidEscrowTimeout(uint64 timeoutSeconds);

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @param admin the timelock (admin, upgrader, treasurer).
    /// @param guardian may pause sales (only the admin unpauses).
    function initialize(
        IHexsRegistry registry_,
        address admin,
        address guardian,
        address feeRecipient,
        uint16 protocolFeeBps
    ) external initializer {
        if (address(registry_) == address(0) || admin == address(0) || guardian == address(0)) revert ZeroAddress();
        __AccessControl_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(UPGRADER_ROLE, admin);
        _grantRole(TREASURER_ROLE, admin);
        _grantRole(PAUSER_ROLE, guardian);
        MarketStorage storage s = _s();
        s.registry = registry_;
        s.chainId = registry_.chainId();
        _setProtocolFee(s, protocolFeeBps, feeRecipient);
    }

    // ------------------------------------------------------------------ buying

    /// @notice Buy a key of `modelId` paying in `currency` (address(0) = native coin).
    /// @param recipient who receives the key.
    /// @param deploymentParams empty for a key only; otherwise the buyer asks for an Akash
    /// deployment with these parameters and also pays the model's deployment price, which is
    /// held in this purchase's escrow until the lease is reported.
    /// @param pluginData handed to the collection's plugins (e.g. an allowlist proof).
    /// @return keyId the new key's global id, also the purchase id.
    function buy(
        uint64 modelId,
        address currency,
        address recipient,
        bytes calldata deploymentParams,
        bytes calldata pluginData
    ) external payable nonReentrant returns (uint256 keyId) {
        MarketStorage storage s = _s();
        if (s.paused) revert MarketPaused();
        IHexsRegistry.SaleInfo memory sale = s.registry.saleInfo(modelId, currency);
        if (sale.retired) revert ModelIsRetired(modelId);
        if (!sale.listed) revert NotForSale(modelId, currency);
        uint256 escrowed = deploymentParams.length == 0 ? 0 : sale.deploymentPrice;

        // Effects first: ids, vault and escrow.
        uint32 serial = GlobalIds.next(s.keySerial);
        s.keySerial = serial;
        keyId = GlobalIds.make(s.chainId, serial);
        s.vault[modelId][currency] += sale.keyPrice;
        if (escrowed != 0)
            s.escrow[keyId] = Escrow(
                msg.sender,
                currency,
                escrowed,
                uint64(block.timestamp) + escrowTimeout(),
                modelId
            );
        _emitPurchased(keyId, modelId, recipient, currency, sale.keyPrice, escrowed, deploymentParams);

        // Interactions: take payment, then mint (plugins may reject and revert everything).
        _collect(currency, sale.keyPrice + escrowed);
        IKeyCollection(sale.keys).mint(recipient, keyId, pluginData);
    }

    // ------------------------------------------------------------------ royalties

    /// @notice Split one model's vault one lineage level up. Anyone may call.
    /// @dev Makes no state-changing external call (registry reads only), so needs no guard.
    function settle(uint64 modelId, address currency) external {
        MarketStorage storage s = _s();
        uint256 amount = s.vault[modelId][currency];
        if (amount == 0) revert NothingToSettle(modelId, currency);
        s.vault[modelId][currency] = 0;
        IHexsRegistry.Lineage memory lineage = _lineage(s, modelId);
        address dao = lineage.daoBps == 0 ? address(0) : _dao(s, modelId);

        uint256 fee = (amount * s.protocolFeeBps) / 10_000;
        uint256 parentShare = lineage.parentId == 0 ? 0 : (amount * lineage.upstreamBps) / 10_000;
        // Until the model has a DAO, the DAO share stays with the creator.
        uint256 daoShare = dao == address(0) ? 0 : (amount * lineage.daoBps) / 10_000;
        uint256 creatorShare = amount - fee - parentShare - daoShare;

        // Settled carries every share; no per-payee Credited events on this hot path.
        if (parentShare != 0) s.vault[lineage.parentId][currency] += parentShare;
        if (daoShare != 0) s.credit[dao][currency] += daoShare;
        if (fee != 0) s.protocolFees[currency] += fee;
        if (creatorShare != 0) s.earnings[lineage.creator][currency] += creatorShare;
        emit Settled(modelId, currency, creatorShare, parentShare, daoShare, fee);
    }

    /// @notice Pull everything credited to the caller in `currency` (earnings and other credit), to `to`.
    function claim(address currency, address to) external nonReentrant returns (uint256 amount) {
        if (to == address(0)) revert ZeroAddress();
        MarketStorage storage s = _s();
        uint256 credit = s.credit[msg.sender][currency];
        uint256 earned = s.earnings[msg.sender][currency];
        amount = credit + earned;
        if (amount == 0) revert NothingToClaim(msg.sender, currency);
        if (credit != 0) s.credit[msg.sender][currency] = 0;
        if (earned != 0) s.earnings[msg.sender][currency] = 0;
        emit Claimed(msg.sender, currency, to, amount);
        _pay(currency, to, amount);
    }

    /// @notice Claim `payee`'s creator earnings as its bound payout address on this chain (how a
    /// creator whose identity lives on another chain family collects what it earned here). Other
    /// credit of `payee` (refunds, escrow, DAO shares) stays claimable by `payee` only.
    function claimAs(address payee, address currency, address to) external nonReentrant returns (uint256 amount) {
        if (IPayouts(address(_s().registry)).payoutOf(payee) != msg.sender) revert NotPayout(payee, msg.sender);
        if (to == address(0)) revert ZeroAddress();
        MarketStorage storage s = _s();
        amount = s.earnings[payee][currency];
        if (amount == 0) revert NothingToClaim(payee, currency);
        s.earnings[payee][currency] = 0;
        emit Claimed(payee, currency, to, amount);
        _pay(currency, to, amount);
    }

    /// @notice Pay the protocol fees accrued in `currency` to the fee recipient. Anyone may call.
    function claimProtocolFees(address currency) external nonReentrant returns (uint256 amount) {
        MarketStorage storage s = _s();
        amount = s.protocolFees[currency];
        if (amount == 0) revert NothingToClaim(s.feeRecipient, currency);
        s.protocolFees[currency] = 0;
        emit Claimed(s.feeRecipient, currency, s.feeRecipient, amount);
        _pay(currency, s.feeRecipient, amount);
    }

    /// @inheritdoc IHexsMarket
    function depositRoyalty(uint64 modelId, address currency, uint256 amount) external payable nonReentrant {
        MarketStorage storage s = _s();
        if (s.registry.keysOf(modelId) != msg.sender) revert NotKeyCollection(modelId, msg.sender);
        if (currency == NATIVE ? msg.value != amount : msg.value != 0) revert WrongPayment(amount, msg.value);
        s.vault[modelId][currency] += amount;
        emit RoyaltyDeposited(modelId, currency, amount);
    }

    /// @notice Credit paid API calls to `modelId`'s vault and the endpoint operator's share to
    /// `operator` (claimed like any credit). The caller transfers both amounts in this call.
    /// @dev HexsApiPayments only: it sweeps the model's own payment sink, so the revenue cannot
    /// be attributed to another model.
    function depositApiRevenue(
        uint64 modelId,
        address currency,
        uint256 vaultAmount,
        address operator,
        uint256 operatorAmount
    ) external onlyRole(API_REVENUE_ROLE) nonReentrant {
        if (currency == NATIVE) revert UnsupportedCurrency(currency);
        if (operatorAmount != 0 && operator == address(0)) revert ZeroAddress();
        MarketStorage storage s = _s();
        s.vault[modelId][currency] += vaultAmount;
        if (operatorAmount != 0) _credit(s, operator, currency, operatorAmount);
        emit ApiRevenueDeposited(modelId, currency, vaultAmount);

        uint256 total = vaultAmount + operatorAmount;
        IERC20 token = IERC20(currency);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), total);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != total) revert WrongPayment(total, received);
    }

    // ------------------------------------------------------------------ deployments

    /// @notice Resolve a purchase's deployment escrow: when the lease was opened it pays the
    /// deployment operator, otherwise it is credited back to the buyer to claim.
    /// @param dseq the Akash deployment reported for this purchase (0: none was created). A
    /// deployment serves one purchase only: a lease naming a dseq an earlier lease named is
    /// refused, so one lease cannot release several escrows. (A failure report refunds the buyer
    /// whatever dseq it names: the dseq a failed job reserved may never have reached the chain.)
    function resolveDeployment(
        uint256 keyId,
        bool leased,
        uint64 dseq,
        address operator
    ) external onlyRole(LEASE_REPORTER_ROLE) nonReentrant {
        MarketStorage storage s = _s();
        Escrow memory e = s.escrow[keyId];
        if (e.amount == 0) revert NoEscrow(keyId);
        if (leased && operator == address(0)) revert ZeroAddress();
        if (leased) {
            if (dseq == 0) revert NoDeployment(keyId);
            uint256 prior = s.purchaseOfDseq[dseq];
            if (prior != 0) revert DseqAlreadyUsed(dseq, prior);
            s.purchaseOfDseq[dseq] = keyId;
        }
        delete s.escrow[keyId];
        address payee = leased ? operator : e.buyer;
        _credit(s, payee, e.currency, e.amount);
        emit DeploymentResolved(keyId, leased, payee, e.amount, leased ? dseq : 0);
    }

    /// @notice The buyer takes back a deployment escrow that no lease report resolved before
    /// its timeout (credited, then `claim`). A report arriving later finds no escrow and is
    /// refused (`NoEscrow`), which the hub records without halting the Akash lane.
    function reclaimEscrow(uint256 keyId) external {
        MarketStorage storage s = _s();
        Escrow memory e = s.escrow[keyId];
        if (e.amount == 0) revert NoEscrow(keyId);
        if (msg.sender != e.buyer) revert NotBuyer(keyId, msg.sender);
        if (block.timestamp < e.reclaimableAt) revert EscrowNotExpired(keyId, e.reclaimableAt);
        delete s.escrow[keyId];
        _credit(s, e.buyer, e.currency, e.amount);
        emit EscrowReclaimed(keyId, e.buyer, e.amount);
    }

    // ------------------------------------------------------------------ governance

    /// @notice Seconds after a purchase its buyer may reclaim an unreported deployment escrow
    /// (applies to purchases made from now on).
    function setEscrowTimeout(uint64 timeoutSeconds) external onlyRole(TREASURER_ROLE) {
        if (timeoutSeconds < MIN_ESCROW_TIMEOUT || timeoutSeconds > MAX_ESCROW_TIMEOUT) {
            revert InvalidEscrowTimeout(timeoutSeconds);
        }
        _s().escrowTimeout = timeoutSeconds;
        emit EscrowTimeoutSet(timeoutSeconds);
    }

    function setAcceptedToken(address token, bool accepted) external onlyRole(TREASURER_ROLE) {
        if (token == NATIVE) revert UnsupportedCurrency(token);
        _s().acceptedToken[token] = accepted;
        emit TokenAccepted(token, accepted);
    }

    function setProtocolFee(uint16 bps, address recipient) external onlyRole(TREASURER_ROLE) {
        _setProtocolFee(_s(), bps, recipient);
    }

    function pause() external onlyRole(PAUSER_ROLE) {
        _s().paused = true;
        emit Paused(msg.sender);
    }

    /// @dev Only the timelock lifts a pause: a compromised guardian key cannot reopen sales.
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _s().paused = false;
        emit Unpaused(msg.sender);
    }

    function paused() external view returns (bool) {
        return _s().paused;
    }

    // ------------------------------------------------------------------ views

    function registry() external view returns (IHexsRegistry) {
        return _s().registry;
    }

    function vaultOf(uint64 modelId, address currency) external view returns (uint256) {
        return _s().vault[modelId][currency];
    }

    /// @notice All `payee` may claim itself in `currency`: creator earnings and other credit.
    function creditOf(address payee, address currency) external view returns (uint256) {
        MarketStorage storage s = _s();
        return s.credit[payee][currency] + s.earnings[payee][currency];
    }

    /// @notice `payee`'s creator earnings in `currency` (what its bound payout address may claim).
    function earningsOf(address payee, address currency) external view returns (uint256) {
        return _s().earnings[payee][currency];
    }

    function escrowOf(uint256 keyId) external view returns (Escrow memory) {
        return _s().escrow[keyId];
    }

    function escrowTimeout() public view returns (uint64) {
        uint64 t = _s().escrowTimeout;
        return t == 0 ? DEFAULT_ESCROW_TIMEOUT : t;
    }

    /// @notice The purchase a deployment (Akash dseq) was reported for; 0 if none.
    function purchaseOfDseq(uint64 dseq) external view returns (uint256) {
        return _s().purchaseOfDseq[dseq];
    }

    function isAccepted(address currency) external view returns (bool) {
        return currency == NATIVE || _s().acceptedToken[currency];
    }

    function protocolFee() external view returns (uint16 bps, address recipient) {
        MarketStorage storage s = _s();
        return (s.protocolFeeBps, s.feeRecipient);
    }

    function protocolFeesOf(address currency) external view returns (uint256) {
        return _s().protocolFees[currency];
    }

    function keysSold() external view returns (uint32) {
        return _s().keySerial;
    }

    // ------------------------------------------------------------------ internals

    function _lineage(MarketStorage storage s, uint64 modelId) private returns (IHexsRegistry.Lineage memory lineage) {
        lineage = s.lineage[modelId];
        if (lineage.creator == address(0)) {
            lineage = s.registry.lineageOf(modelId);
            s.lineage[modelId] = lineage;
        }
    }

    function _dao(MarketStorage storage s, uint64 modelId) private returns (address dao) {
        dao = s.dao[modelId];
        if (dao == address(0)) {
            dao = s.registry.daoOf(modelId);
            if (dao != address(0)) s.dao[modelId] = dao;
        }
    }

    function _emitPurchased(
        uint256 keyId,
        uint64 modelId,
        address recipient,
        address currency,
        uint256 keyPrice,
        uint256 escrowed,
        bytes calldata deploymentParams
    ) private {
        emit Purchased(keyId, modelId, msg.sender, recipient, currency, keyPrice, escrowed, deploymentParams);
    }

    function _collect(address currency, uint256 total) private {
        if (currency == NATIVE) {
            if (msg.value != total) revert WrongPayment(total, msg.value);
            return;
        }
        if (msg.value != 0) revert UnexpectedNativeValue();
        if (!_s().acceptedToken[currency]) revert UnsupportedCurrency(currency);
        if (total == 0) return;
        IERC20 token = IERC20(currency);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), total);
        // Fee-on-transfer or rebasing tokens would break the accounting: refuse them.
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != total) revert WrongPayment(total, received);
    }

    function _pay(address currency, address to, uint256 amount) private {
        if (currency == NATIVE) {
            (bool ok, ) = to.call{value: amount}("");
            if (!ok) revert NativeTransferFailed(to, amount);
        } else {
            IERC20(currency).safeTransfer(to, amount);
        }
    }

    function _credit(MarketStorage storage s, address payee, address currency, uint256 amount) private {
        s.credit[payee][currency] += amount;
        emit Credited(payee, currency, amount);
    }

    function _setProtocolFee(MarketStorage storage s, uint16 bps, address recipient) private {
        if (bps > MAX_PROTOCOL_FEE_BPS) revert FeeTooHigh(bps);
        if (recipient == address(0)) revert ZeroAddress();
        s.protocolFeeBps = bps;
        s.feeRecipient = recipient;
        emit ProtocolFeeSet(bps, recipient);
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}

    function _s() private pure returns (MarketStorage storage s) {
        bytes32 slot = STORAGE_SLOT;
        assembly {
            s.slot := slot
        }
    }
}

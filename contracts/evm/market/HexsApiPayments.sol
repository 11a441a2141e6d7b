// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IHexsRegistry} from "../interfaces/IHexsRegistry.sol";
import {IApiRevenueMarket} from "../interfaces/IApiRevenueMarket.sol";
import {ApiRevenueSink} from "./ApiRevenueSink.sol";

/// @title HexsApiPayments
/// @notice API prices of models (paid per call over x402) and the sweep of what callers paid
/// into the model's vault in HexsMarket, where settle/claim pays the lineage exactly as for
/// key sales. The endpoint operator's share is credited alongside, to claim from the market.
/// @dev UUPS; ERC-7201 storage. A guardian pauses sweeps and price changes; only the admin
/// (timelock) unpauses. Payment into a sink needs no call here: the x402 facilitator settles
/// a transferWithAuthorization straight to `sinkOf(modelId)`.
/// Prepaid mode (for frequent callers): a payer deposits once into a channel (payer, model,
/// currency, gateway) and signs an EIP-712 voucher per call for the cumulative amount owed; the
/// named gateway redeems the latest voucher per channel in batches, into the same sink, so a
/// sweep credits the vault and the operator exactly as for x402. The payer takes back what was
/// not redeemed only VOUCHER_WITHDRAW_DELAY after asking, and the gateway may redeem meanwhile.
contract HexsApiPayments is Initializable, AccessControlUpgradeable, UUPSUpgradeable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    uint16 public constant MAX_OPERATOR_BPS = 10_000;
    /// @notice How long a payer waits between asking for its unspent deposit and taking it: the
    /// gateway's window to redeem the vouchers it served against.
    uint256 public constant VOUCHER_WITHDRAW_DELAY = 1 days;
    // EIP-712 type strings are what wallets sign, so they cannot be shortened; hashed at compile time.
    // solhint-disable gas-small-strings
    bytes32 public constant VOUCHER_TYPEHASH = keccak256(
        "Voucher(address payer,uint64 modelId,address currency,address gateway,uint256 cumulative,uint64 expiry)"
    );
    bytes32 private constant DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );
    // solhint-enable gas-small-strings
    bytes32 private constant DOMAIN_NAME_HASH = keccak256("HexsApiPayments");
    bytes32 private constant DOMAIN_VERSION_HASH = keccak256("1");

    /// @notice A model's API terms in one currency, set by its creator. One slot.
    struct ApiPrice {
        uint96 perCall; // charged for every call
        uint96 per1kOutputTokens; // optional, charged per 1,000 output tokens (rounded up)
        uint16 operatorBps; // the endpoint operator's share of every sweep
        bool listed;
    }

    /// @custom:storage-location erc7201:hexs.storage.ApiPayments
    struct ApiPaymentsStorage {
        IHexsRegistry registry;
        IApiRevenueMarket market;
        bool paused;
        mapping(uint64 modelId => mapping(address currency => ApiPrice)) prices;
        mapping(uint64 modelId => address) operator;
        // appended (prepaid mode): one slot per channel, read and written once per redemption
        mapping(bytes32 channelId => Channel) channels;
    }

    /// @notice A prepaid channel. `deposited - redeemed` is what the payer may still spend or
    /// withdraw; a withdrawal sets `deposited = redeemed`, so old vouchers stay spent.
    struct Channel {
        uint96 deposited;
        uint96 redeemed; // the highest cumulative voucher redeemed
        uint64 withdrawableAt; // 0: no withdrawal asked for
    }

    /// @notice What a payer signs per call: it owes `cumulative` in total on this channel.
    struct Voucher {
        address payer;
        uint64 modelId;
        address currency;
        address gateway;
        uint256 cumulative;
        uint64 expiry;
    }

    // keccak256(abi.encode(uint256(keccak256("hexs.storage.ApiPayments")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_SLOT = 0xf942d3e1c14021e222a2745906acf9799ff49774efb6015e34e222017966c400;

    event ApiPriceSet(
        uint64 indexed modelId,
        address indexed currency,
        uint96 perCall,
        uint96 per1kOutputTokens,
        uint16 operatorBps,
        bool listed
    );
    event ApiOperatorSet(uint64 indexed modelId, address indexed operator);
    event SinkDeployed(uint64 indexed modelId, address sink);
    event ApiRevenueSwept(
        uint64 indexed modelId,
        address indexed currency,
        uint256 vaultAmount,
        address operator,
        uint256 operatorAmount
    );
    event VoucherDeposit(
        bytes32 indexed channel,
        address indexed payer,
        uint64 indexed modelId,
        address currency,
        address gateway,
        uint256 amount
    );
    event VoucherRedeemed(bytes32 indexed channel, uint256 cumulative, uint256 amount);
    event VoucherWithdrawalRequested(bytes32 indexed channel, uint256 withdrawableAt);
    event VoucherWithdrawn(bytes32 indexed channel, address indexed payer, uint256 amount);
    event Paused(address account);
    event Unpaused(address account);

    error ZeroAddress();
    error ApiPaymentsPaused();
    error NotCreator(uint64 modelId, address caller);
    error UnsupportedCurrency(address currency);
    error OperatorShareTooHigh(uint16 bps);
    error NotListed(uint64 modelId, address currency);
    error NothingToSweep(uint64 modelId, address currency);
    error WrongAmountReleased(uint256 expected, uint256 received);
    error ZeroAmount();
    error LengthMismatch(uint256 vouchers, uint256 signatures);
    error NotVoucherGateway(address gateway, address caller);
    error VoucherExpired(uint256 index, uint64 expiry);
    error VoucherStale(uint256 index, uint256 cumulative, uint256 redeemed);
    error VoucherAboveDeposit(uint256 index, uint256 cumulative, uint256 deposited);
    error VoucherBadSignature(uint256 index, address payer);
    error WithdrawalNotRequested(bytes32 channel);
    error WithdrawalTooEarly(bytes32 channel, uint256 withdrawableAt);
    error NothingToWithdraw(bytes32 channel);

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @param admin the timelock (admin, upgrader). @param guardian may pause.
    function initialize(
        IHexsRegistry registry_,
        IApiRevenueMarket market_,
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
        ApiPaymentsStorage storage s = _s();
        s.registry = registry_;
        s.market = market_;
    }

    // ------------------------------------------------------------------ creators

    /// @notice Set (or unlist with `listed = false`) the API price of `modelId` in the ERC-20
    /// `currency`. The model's creator only. A gateway honours terms it already quoted until
    /// the quote expires, so a change applies to quotes made after it.
    function setApiPrice(
        uint64 modelId,
        address currency,
        uint96 perCall,
        uint96 per1kOutputTokens,
        uint16 operatorBps,
        bool listed
    ) external {
        ApiPaymentsStorage storage s = _s();
        if (s.paused) revert ApiPaymentsPaused();
        _onlyCreator(s, modelId);
        if (currency == address(0)) revert UnsupportedCurrency(currency);
        if (operatorBps > MAX_OPERATOR_BPS) revert OperatorShareTooHigh(operatorBps);
        s.prices[modelId][currency] = ApiPrice(perCall, per1kOutputTokens, operatorBps, listed);
        emit ApiPriceSet(modelId, currency, perCall, per1kOutputTokens, operatorBps, listed);
    }

    /// @notice Who operates the model's endpoint (pays its lease) and earns the operator share.
    /// address(0): nobody, the whole sweep goes to the vault. The model's creator only.
    function setApiOperator(uint64 modelId, address operator) external {
        ApiPaymentsStorage storage s = _s();
        if (s.paused) revert ApiPaymentsPaused();
        _onlyCreator(s, modelId);
        s.operator[modelId] = operator;
        emit ApiOperatorSet(modelId, operator);
    }

    // ------------------------------------------------------------------ revenue

    /// @notice Move everything paid to `modelId`'s sink in `currency` into the model's vault,
    /// crediting the endpoint operator its share. Anyone may call: the money can only go there.
    /// Deploys the sink on first use.
    function sweep(uint64 modelId, address currency) external nonReentrant returns (uint256 amount) {
        ApiPaymentsStorage storage s = _s();
        if (s.paused) revert ApiPaymentsPaused();
        address sink = _deploySink(modelId);
        uint256 expected = IERC20(currency).balanceOf(sink);
        if (expected == 0) revert NothingToSweep(modelId, currency);

        address operator = s.operator[modelId];
        uint256 operatorAmount =
            operator == address(0) ? 0 : (expected * s.prices[modelId][currency].operatorBps) / 10_000;
        uint256 vaultAmount = expected - operatorAmount;
        emit ApiRevenueSwept(modelId, currency, vaultAmount, operator, operatorAmount);

        // The sink and the market are trusted (ours); the token is checked to move exactly.
        uint256 before = IERC20(currency).balanceOf(address(this));
        amount = ApiRevenueSink(sink).release(IERC20(currency));
        uint256 received = IERC20(currency).balanceOf(address(this)) - before;
        if (amount != expected || received != expected) revert WrongAmountReleased(expected, received);
        IERC20(currency).forceApprove(address(s.market), expected);
        s.market.depositApiRevenue(modelId, currency, vaultAmount, operator, operatorAmount);
    }

    // ------------------------------------------------------------------ prepaid vouchers

    /// @notice Escrow `amount` of `currency` (approved to this contract) for calls to `modelId`
    /// through `gateway`, paid with vouchers. Adds to the channel's deposit.
    function depositForVouchers(uint64 modelId, address currency, address gateway, uint256 amount) public nonReentrant {
        ApiPaymentsStorage storage s = _s();
        if (s.paused) revert ApiPaymentsPaused();
        if (currency == address(0)) revert UnsupportedCurrency(currency);
        if (gateway == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        bytes32 id = channelId(msg.sender, modelId, currency, gateway);
        // credit what arrived (a fee-on-transfer token credits less, never more)
        uint256 before = IERC20(currency).balanceOf(address(this));
        IERC20(currency).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(currency).balanceOf(address(this)) - before;
        if (received == 0) revert ZeroAmount();
        Channel storage ch = s.channels[id];
        ch.deposited = SafeCast.toUint96(uint256(ch.deposited) + received);
        emit VoucherDeposit(id, msg.sender, modelId, currency, gateway, received);
    }

    /// @notice `depositForVouchers` with an EIP-2612 permit instead of a prior approval. A permit
    /// already used (e.g. front-run) is ignored when the allowance is there anyway.
    function depositForVouchersWithPermit(
        uint64 modelId,
        address currency,
        address gateway,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s_
    ) external {
        if (currency == address(0)) revert UnsupportedCurrency(currency);
        try IERC20Permit(currency).permit(msg.sender, address(this), amount, deadline, v, r, s_) {} catch {} // solhint-disable-line no-empty-blocks
        depositForVouchers(modelId, currency, gateway, amount);
    }

    /// @notice Redeem the latest voucher of each channel (the caller is their gateway) into the
    /// models' sinks; any bad voucher reverts the whole batch. Consecutive vouchers of one
    /// (model, currency) are paid with one transfer, so order batches by model and currency.
    function redeemVouchers(Voucher[] calldata vouchers, bytes[] calldata signatures) external nonReentrant {
        ApiPaymentsStorage storage s = _s();
        if (s.paused) revert ApiPaymentsPaused();
        if (vouchers.length != signatures.length) revert LengthMismatch(vouchers.length, signatures.length);
        bytes32 domain = voucherDomainSeparator();
        uint64 runModel;
        address runCurrency;
        uint256 runAmount;
        for (uint256 i; i < vouchers.length; ++i) {
            Voucher calldata vc = vouchers[i];
            if (vc.gateway != msg.sender) revert NotVoucherGateway(vc.gateway, msg.sender);
            if (vc.expiry < block.timestamp) revert VoucherExpired(i, vc.expiry);
            bytes32 id = channelId(vc.payer, vc.modelId, vc.currency, vc.gateway);
            Channel storage ch = s.channels[id];
            Channel memory c = ch;
            if (vc.cumulative <= c.redeemed) revert VoucherStale(i, vc.cumulative, c.redeemed);
            if (vc.cumulative > c.deposited) revert VoucherAboveDeposit(i, vc.cumulative, c.deposited);
            bytes32 digest = MessageHashUtils.toTypedDataHash(domain, _voucherHash(vc));
            if (!SignatureChecker.isValidSignatureNow(vc.payer, digest, signatures[i]))
                revert VoucherBadSignature(i, vc.payer);
            uint256 amount = vc.cumulative - c.redeemed;
            ch.redeemed = uint96(vc.cumulative); // <= deposited, which fits
            emit VoucherRedeemed(id, vc.cumulative, amount);
            if (runAmount != 0 && (vc.modelId != runModel || vc.currency != runCurrency)) {
                IERC20(runCurrency).safeTransfer(sinkOf(runModel), runAmount);
                runAmount = 0;
            }
            (runModel, runCurrency) = (vc.modelId, vc.currency);
            runAmount += amount;
        }
        if (runAmount != 0) IERC20(runCurrency).safeTransfer(sinkOf(runModel), runAmount);
    }

    /// @notice Ask for the unspent deposit back; it can be taken VOUCHER_WITHDRAW_DELAY later.
    function requestVoucherWithdrawal(uint64 modelId, address currency, address gateway) external {
        ApiPaymentsStorage storage s = _s();
        if (s.paused) revert ApiPaymentsPaused();
        bytes32 id = channelId(msg.sender, modelId, currency, gateway);
        Channel storage ch = s.channels[id];
        if (ch.deposited == ch.redeemed) revert NothingToWithdraw(id);
        uint64 at = uint64(block.timestamp + VOUCHER_WITHDRAW_DELAY);
        ch.withdrawableAt = at;
        emit VoucherWithdrawalRequested(id, at);
    }

    /// @notice Take back what the gateway has not redeemed, once the delay has passed.
    function withdrawVoucherDeposit(
        uint64 modelId,
        address currency,
        address gateway
    ) external nonReentrant returns (uint256 amount) {
        ApiPaymentsStorage storage s = _s();
        if (s.paused) revert ApiPaymentsPaused();
        bytes32 id = channelId(msg.sender, modelId, currency, gateway);
        Channel storage ch = s.channels[id];
        Channel memory c = ch;
        if (c.withdrawableAt == 0) revert WithdrawalNotRequested(id);
        if (block.timestamp < c.withdrawableAt) revert WithdrawalTooEarly(id, c.withdrawableAt);
        amount = c.deposited - c.redeemed;
        if (amount == 0) revert NothingToWithdraw(id);
        ch.deposited = c.redeemed;
        ch.withdrawableAt = 0;
        emit VoucherWithdrawn(id, msg.sender, amount);
        IERC20(currency).safeTransfer(msg.sender, amount);
    }

    // ------------------------------------------------------------------ guardian

    function pause() external onlyRole(PAUSER_ROLE) {
        _s().paused = true;
        emit Paused(msg.sender);
    }

    /// @dev Only the timelock lifts a pause.
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

    function market() external view returns (IApiRevenueMarket) {
        return _s().market;
    }

    function apiPriceOf(uint64 modelId, address currency) external view returns (ApiPrice memory) {
        return _s().prices[modelId][currency];
    }

    function apiOperatorOf(uint64 modelId) external view returns (address) {
        return _s().operator[modelId];
    }

    /// @notice What a call producing at most `outputTokens` tokens costs (reverts when unlisted).
    function quote(uint64 modelId, address currency, uint256 outputTokens) external view returns (uint256) {
        ApiPrice memory p = _s().prices[modelId][currency];
        if (!p.listed) revert NotListed(modelId, currency);
        return uint256(p.perCall) + (uint256(p.per1kOutputTokens) * outputTokens + 999) / 1000;
    }

    /// @notice The x402 `payTo` of `modelId` (whether or not deployed yet).
    function sinkOf(uint64 modelId) public view returns (address) {
        return Create2.computeAddress(bytes32(uint256(modelId)), keccak256(type(ApiRevenueSink).creationCode));
    }

    function channelId(address payer, uint64 modelId, address currency, address gateway) public pure returns (bytes32) {
        return keccak256(abi.encode(payer, modelId, currency, gateway));
    }

    function channelOf(
        address payer,
        uint64 modelId,
        address currency,
        address gateway
    ) external view returns (Channel memory) {
        return _s().channels[channelId(payer, modelId, currency, gateway)];
    }

    /// @notice The EIP-712 domain of vouchers: name "HexsApiPayments", version "1", this proxy.
    function voucherDomainSeparator() public view returns (bytes32) {
        return
            keccak256(abi.encode(DOMAIN_TYPEHASH, DOMAIN_NAME_HASH, DOMAIN_VERSION_HASH, block.chainid, address(this)));
    }

    // ------------------------------------------------------------------ internals

    function _voucherHash(Voucher calldata v) private pure returns (bytes32) {
        return
            keccak256(abi.encode(VOUCHER_TYPEHASH, v.payer, v.modelId, v.currency, v.gateway, v.cumulative, v.expiry));
    }

    function _onlyCreator(ApiPaymentsStorage storage s, uint64 modelId) private view {
        if (s.registry.creatorOf(modelId) != msg.sender) revert NotCreator(modelId, msg.sender);
    }

    function _deploySink(uint64 modelId) private returns (address sink) {
        sink = sinkOf(modelId);
        if (sink.code.length == 0) {
            sink = Create2.deploy(0, bytes32(uint256(modelId)), type(ApiRevenueSink).creationCode);
            emit SinkDeployed(modelId, sink);
        }
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}

    function _s() private pure returns (ApiPaymentsStorage storage s) {
        bytes32 slot = STORAGE_SLOT;
        assembly {
            s.slot := slot
        }
    }
}

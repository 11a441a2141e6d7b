// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

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
contract HexsApiPayments is Initializable, AccessControlUpgradeable, UUPSUpgradeable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    uint16 public constant MAX_OPERATOR_BPS = 10_000;

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

    // ------------------------------------------------------------------ internals

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

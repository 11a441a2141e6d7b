// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BasePaymaster} from "@account-abstraction/contracts/core/BasePaymaster.sol";
import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {SimpleAccount} from "@account-abstraction/contracts/samples/SimpleAccount.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {IHexsRegistry} from "../interfaces/IHexsRegistry.sol";

/// @title HexsPaymaster
/// @notice ERC-4337 (EntryPoint v0.7) paymaster that pays the gas of Hexs actions only: a
/// SimpleAccount `execute`/`executeBatch` whose every call is an allowlisted (target, selector)
/// — market buy, ERC-20 approve of the market, key transfer and move on a Hexs key collection —
/// with per-account and global hourly caps, and only with paymasterData signed by the policy
/// signer (validUntil/validAfter bound).
/// @dev Not upgradeable: a new policy is a new paymaster (the deposit is withdrawn to the owner).
/// The owner is the timelock; a guardian may pause, only the owner unpauses. Validation reads no
/// clock (TIMESTAMP is banned in ERC-7562 validation): the hour of an operation is the hour of its
/// signed `validAfter`, whose window the signer keeps at most one hour long. Validation reads only
/// this contract's storage, so a staked paymaster passes a safe-mode bundler's storage rules.
contract HexsPaymaster is BasePaymaster {
    /// @notice What a call into an allowlisted target may be.
    /// @param allowed the (target, selector) pair may be sponsored
    /// @param firstArgIsSender the call's first argument must be the smart account itself
    ///        (a key transfer's `from`), so a sponsored call only moves the account's own keys
    /// @param firstArg if set, the call's first argument must be this address (approve's spender)
    struct Rule {
        bool allowed;
        bool firstArgIsSender;
        address firstArg;
    }

    /// @notice Sponsored operations so far in one hour (window = validAfter / 3600).
    struct HourUse {
        uint64 hour;
        uint64 ops;
        uint128 wei_;
    }

    // ------------------------------------------------------------------ errors
    error ZeroAddress();
    error NotGuardian(address caller);
    error PaymasterPaused();
    error NotAnAccountCall(bytes4 selector);
    error TargetNotAllowed(address target, bytes4 selector);
    error ArgumentNotAllowed(address target, bytes4 selector);
    error FactoryNotAllowed(address factory);
    error BadPaymasterData(uint256 length);
    error BadValidityWindow(uint48 validAfter, uint48 validUntil);
    error AccountCapReached(address account, uint64 hour, uint64 cap);
    error HourlyBudgetReached(uint64 hour, uint256 spent, uint256 maxCost, uint256 budget);
    error NotAHexsModel(uint64 modelId);

    // ------------------------------------------------------------------ events
    event PolicySignerSet(address signer);
    event GuardianSet(address guardian);
    event CapsSet(uint64 opsPerAccountPerHour, uint128 weiPerHour);
    event RuleSet(address indexed target, bytes4 indexed selector, Rule rule);
    event CollectionRuleSet(bytes4 indexed selector, Rule rule);
    event CollectionAllowed(uint64 indexed modelId, address collection);
    event FactoryAllowed(address factory, bool allowed);
    event Paused(address by);
    event Unpaused(address by);
    event Sponsored(address indexed account, uint64 indexed hour, uint256 maxCost);

    uint256 private constant SIG_FAILED = 1;
    uint48 public constant MAX_WINDOW = 3600;
    bytes4 private constant EXECUTE = SimpleAccount.execute.selector;
    bytes4 private constant EXECUTE_BATCH = SimpleAccount.executeBatch.selector;

    IHexsRegistry public immutable registry;
    address public policySigner;
    address public guardian;
    bool public paused;
    uint64 public opsPerAccountPerHour;
    uint128 public weiPerHour;
    mapping(address target => mapping(bytes4 selector => Rule)) public rules;
    /// Rules for calls into any Hexs key collection that `allowCollection` has admitted.
    mapping(bytes4 selector => Rule) public collectionRules;
    mapping(address collection => bool) public isCollection;
    mapping(address factory => bool) public factoryAllowed;
    mapping(address account => HourUse) private _accountUse;
    HourUse private _globalUse;

    constructor(
        IEntryPoint entryPoint_,
        IHexsRegistry registry_,
        address policySigner_,
        address guardian_,
        uint64 opsPerAccountPerHour_,
        uint128 weiPerHour_
    ) BasePaymaster(entryPoint_) {
        if (address(registry_) == address(0) || policySigner_ == address(0)) revert ZeroAddress();
        registry = registry_;
        policySigner = policySigner_;
        guardian = guardian_;
        opsPerAccountPerHour = opsPerAccountPerHour_;
        weiPerHour = weiPerHour_;
        emit PolicySignerSet(policySigner_);
        emit GuardianSet(guardian_);
        emit CapsSet(opsPerAccountPerHour_, weiPerHour_);
    }

    // ------------------------------------------------------------------ admin (owner = timelock)

    function setPolicySigner(address signer) external onlyOwner {
        if (signer == address(0)) revert ZeroAddress();
        policySigner = signer;
        emit PolicySignerSet(signer);
    }

    function setGuardian(address guardian_) external onlyOwner {
        guardian = guardian_;
        emit GuardianSet(guardian_);
    }

    function setCaps(uint64 opsPerAccountPerHour_, uint128 weiPerHour_) external onlyOwner {
        opsPerAccountPerHour = opsPerAccountPerHour_;
        weiPerHour = weiPerHour_;
        emit CapsSet(opsPerAccountPerHour_, weiPerHour_);
    }

    function setRule(address target, bytes4 selector, Rule calldata rule) external onlyOwner {
        if (target == address(0)) revert ZeroAddress();
        rules[target][selector] = rule;
        emit RuleSet(target, selector, rule);
    }

    function setCollectionRule(bytes4 selector, Rule calldata rule) external onlyOwner {
        collectionRules[selector] = rule;
        emit CollectionRuleSet(selector, rule);
    }

    function setFactory(address factory, bool allowed) external onlyOwner {
        if (factory == address(0)) revert ZeroAddress();
        factoryAllowed[factory] = allowed;
        emit FactoryAllowed(factory, allowed);
    }

    /// @notice Admit a model's key collection as a sponsored target. Anyone may call: the address
    /// comes from the registry, so only real Hexs collections are ever admitted.
    function allowCollection(uint64 modelId) external {
        address keys = registry.keysOf(modelId);
        if (keys == address(0)) revert NotAHexsModel(modelId);
        if (!isCollection[keys]) {
            isCollection[keys] = true;
            emit CollectionAllowed(modelId, keys);
        }
    }

    function pause() external {
        if (msg.sender != guardian && msg.sender != owner()) revert NotGuardian(msg.sender);
        paused = true;
        emit Paused(msg.sender);
    }

    function unpause() external onlyOwner {
        paused = false;
        emit Unpaused(msg.sender);
    }

    // ------------------------------------------------------------------ views

    /// @notice The hash the policy signer signs (EIP-191 personal message of it).
    function getHash(
        PackedUserOperation calldata userOp,
        uint48 validUntil,
        uint48 validAfter
    ) public view returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    userOp.sender,
                    userOp.nonce,
                    keccak256(userOp.initCode),
                    keccak256(userOp.callData),
                    userOp.accountGasLimits,
                    bytes32(userOp.paymasterAndData[PAYMASTER_VALIDATION_GAS_OFFSET:PAYMASTER_DATA_OFFSET]),
                    userOp.preVerificationGas,
                    userOp.gasFees,
                    block.chainid,
                    address(this),
                    validUntil,
                    validAfter
                )
            );
    }

    /// @notice Sponsored operations of `account` in `hour` (unix time / 3600).
    function accountOpsIn(address account, uint64 hour) external view returns (uint64) {
        HourUse memory u = _accountUse[account];
        return u.hour == hour ? u.ops : 0;
    }

    /// @notice Wei of gas sponsored in `hour` (by each operation's maximum cost).
    function weiSpentIn(uint64 hour) external view returns (uint256) {
        HourUse memory u = _globalUse;
        return u.hour == hour ? u.wei_ : 0;
    }

    /// @notice Whether the policy allows `callData` (a SimpleAccount call) from `account`;
    /// reverts with the reason otherwise.
    function checkCallData(address account, bytes calldata callData) public view {
        if (callData.length < 4) revert NotAnAccountCall(bytes4(0));
        bytes4 sel = bytes4(callData[:4]);
        if (sel == EXECUTE) {
            (address dest, , bytes memory func) = abi.decode(callData[4:], (address, uint256, bytes));
            _checkCall(account, dest, func);
        } else if (sel == EXECUTE_BATCH) {
            (address[] memory dest, , bytes[] memory func) = abi.decode(callData[4:], (address[], uint256[], bytes[]));
            // SimpleAccount reverts on mismatched lengths; check every call it would make.
            for (uint256 i = 0; i < dest.length && i < func.length; ++i) _checkCall(account, dest[i], func[i]);
        } else {
            revert NotAnAccountCall(sel);
        }
    }

    // ------------------------------------------------------------------ ERC-4337

    function _validatePaymasterUserOp(
        PackedUserOperation calldata userOp,
        bytes32,
        uint256 maxCost
    ) internal override returns (bytes memory context, uint256 validationData) {
        if (paused) revert PaymasterPaused();
        bytes calldata data = userOp.paymasterAndData[PAYMASTER_DATA_OFFSET:];
        if (data.length != 12 + 65) revert BadPaymasterData(data.length);
        uint48 validUntil = uint48(bytes6(data[0:6]));
        uint48 validAfter = uint48(bytes6(data[6:12]));
        if (validUntil <= validAfter || validUntil - validAfter > MAX_WINDOW)
            revert BadValidityWindow(validAfter, validUntil);

        bytes32 digest = MessageHashUtils.toEthSignedMessageHash(getHash(userOp, validUntil, validAfter));
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(digest, data[12:]);
        if (err != ECDSA.RecoverError.NoError || recovered != policySigner)
            return ("", _pack(SIG_FAILED, validUntil, validAfter));

        if (userOp.initCode.length != 0) {
            address factory = address(bytes20(userOp.initCode[:20]));
            if (!factoryAllowed[factory]) revert FactoryNotAllowed(factory);
        }
        checkCallData(userOp.sender, userOp.callData);

        _count(userOp.sender, uint64(validAfter / 3600), maxCost);
        return ("", _pack(0, validUntil, validAfter));
    }

    /// Counted at the maximum cost, with no postOp refund: a cheaper and simpler bound.
    function _count(address account, uint64 hour, uint256 maxCost) private {
        HourUse memory a = _accountUse[account];
        if (a.hour != hour) a = HourUse(hour, 0, 0);
        if (a.ops >= opsPerAccountPerHour) revert AccountCapReached(account, hour, opsPerAccountPerHour);
        HourUse memory g = _globalUse;
        if (g.hour != hour) g = HourUse(hour, 0, 0);
        if (uint256(g.wei_) + maxCost > weiPerHour) revert HourlyBudgetReached(hour, g.wei_, maxCost, weiPerHour);
        a.ops += 1;
        g.ops += 1;
        g.wei_ += uint128(maxCost);
        _accountUse[account] = a;
        _globalUse = g;
        emit Sponsored(account, hour, maxCost);
    }

    function _checkCall(address account, address target, bytes memory func) private view {
        if (func.length < 4) revert TargetNotAllowed(target, bytes4(0));
        bytes4 sel = bytes4(func);
        Rule memory r = rules[target][sel];
        if (!r.allowed && isCollection[target]) r = collectionRules[sel];
        if (!r.allowed) revert TargetNotAllowed(target, sel);
        if (r.firstArgIsSender || r.firstArg != address(0)) {
            if (func.length < 36) revert ArgumentNotAllowed(target, sel);
            uint256 word;
            assembly ("memory-safe") {
                word := mload(add(func, 36))
            }
            address want = r.firstArgIsSender ? account : r.firstArg;
            if (word != uint256(uint160(want))) revert ArgumentNotAllowed(target, sel);
        }
    }

    function _pack(uint256 sigFailed, uint48 validUntil, uint48 validAfter) private pure returns (uint256) {
        return sigFailed | (uint256(validUntil) << 160) | (uint256(validAfter) << 208);
    }
}

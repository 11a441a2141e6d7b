// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {GovernorUpgradeable} from "@openzeppelin/contracts-upgradeable/governance/GovernorUpgradeable.sol";
import {GovernorSettingsUpgradeable} from "@openzeppelin/contracts-upgradeable/governance/extensions/GovernorSettingsUpgradeable.sol";
import {GovernorCountingSimpleUpgradeable} from "@openzeppelin/contracts-upgradeable/governance/extensions/GovernorCountingSimpleUpgradeable.sol";
import {GovernorVotesUpgradeable} from "@openzeppelin/contracts-upgradeable/governance/extensions/GovernorVotesUpgradeable.sol";
import {GovernorVotesQuorumFractionUpgradeable} from "@openzeppelin/contracts-upgradeable/governance/extensions/GovernorVotesQuorumFractionUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IHexsRegistry} from "../interfaces/IHexsRegistry.sol";

interface IMarketCredits {
    function creditOf(address payee, address currency) external view returns (uint256);
    function claim(address currency, address to) external returns (uint256);
}

/// @title ModelGovernor
/// @notice One model's DAO: an OpenZeppelin Governor over the model's membership token. The
/// governor is the DAO treasury: the market credits it the model's DAO share. Members propose
/// and vote on `fundInfrastructure` calls; execution pays from the treasury and emits
/// `InfrastructureFunded`, which the relayer turns into Akash escrow top-ups. The model's
/// creator may also cancel a pending proposal (a veto before voting starts).
contract ModelGovernor is
    Initializable,
    GovernorUpgradeable,
    GovernorSettingsUpgradeable,
    GovernorCountingSimpleUpgradeable,
    GovernorVotesUpgradeable,
    GovernorVotesQuorumFractionUpgradeable
{
    using SafeERC20 for IERC20;

    /// @custom:storage-location erc7201:hexs.storage.ModelGovernor
    struct ModelGovernorStorage {
        IHexsRegistry registry;
        IMarketCredits market;
        uint64 modelId;
    }

    // keccak256(abi.encode(uint256(keccak256("hexs.storage.ModelGovernor")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_SLOT = 0x10ee5cd7d0501c3c2f1b84308684fb366cd0ef6770635639b0f31df39e9a4700;

    /// @notice Treasury spent on infrastructure. `purpose` says what for, e.g.
    /// "akash-escrow:<owner>/<dseq>" for a deployment top-up the relayer executes.
    event InfrastructureFunded(
        uint64 indexed modelId,
        address indexed currency,
        address indexed to,
        uint256 amount,
        string purpose
    );

    error InsufficientTreasury(address currency, uint256 wanted, uint256 available);
    error NativeTransferFailed(address to, uint256 amount);

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    function initialize(
        IVotes membership,
        IHexsRegistry registry_,
        IMarketCredits market_,
        uint64 modelId_,
        uint48 votingDelay_,
        uint32 votingPeriod_,
        uint256 quorumPercent
    ) external initializer {
        __Governor_init(string.concat("Hexs model DAO ", Strings.toString(modelId_)));
        __GovernorSettings_init(votingDelay_, votingPeriod_, 1);
        __GovernorCountingSimple_init();
        __GovernorVotes_init(membership);
        __GovernorVotesQuorumFraction_init(quorumPercent);
        ModelGovernorStorage storage s = _s();
        s.registry = registry_;
        s.market = market_;
        s.modelId = modelId_;
    }

    /// @notice Pay `amount` of `currency` (address(0) = native) from the treasury to `to`.
    /// Only callable by a successful proposal. Pulls the DAO's credited share from the market
    /// first when the governor's own balance is short.
    function fundInfrastructure(
        address currency,
        address to,
        uint256 amount,
        string calldata purpose
    ) external onlyGovernance {
        ModelGovernorStorage storage s = _s();
        uint256 held = _balance(currency);
        if (held < amount) {
            uint256 credited = s.market.creditOf(address(this), currency);
            if (held + credited < amount) revert InsufficientTreasury(currency, amount, held + credited);
            held += s.market.claim(currency, address(this));
        }
        emit InfrastructureFunded(s.modelId, currency, to, amount, purpose);
        if (currency == address(0)) {
            (bool ok, ) = to.call{value: amount}("");
            if (!ok) revert NativeTransferFailed(to, amount);
        } else {
            IERC20(currency).safeTransfer(to, amount);
        }
    }

    function modelId() external view returns (uint64) {
        return _s().modelId;
    }

    /// @notice Treasury held by the governor plus what the market has credited to it.
    function treasury(address currency) external view returns (uint256) {
        return _balance(currency) + _s().market.creditOf(address(this), currency);
    }

    /// @dev The proposer (before voting starts, as in Governor) or the model's creator may cancel.
    function _validateCancel(uint256 proposalId, address caller) internal view override returns (bool) {
        ModelGovernorStorage storage s = _s();
        return
            super._validateCancel(proposalId, caller) ||
            (caller == s.registry.creatorOf(s.modelId) && state(proposalId) == ProposalState.Pending);
    }

    function _balance(address currency) private view returns (uint256) {
        return currency == address(0) ? address(this).balance : IERC20(currency).balanceOf(address(this));
    }

    // Solidity requires these overrides to pick the settings extension's values.
    function votingDelay() public view override(GovernorUpgradeable, GovernorSettingsUpgradeable) returns (uint256) {
        return super.votingDelay();
    }

    function votingPeriod() public view override(GovernorUpgradeable, GovernorSettingsUpgradeable) returns (uint256) {
        return super.votingPeriod();
    }

    function proposalThreshold()
        public
        view
        override(GovernorUpgradeable, GovernorSettingsUpgradeable)
        returns (uint256)
    {
        return super.proposalThreshold();
    }

    /// @dev Rounded up: with 3 members and a 50% quorum, 2 votes are needed, not 1.
    function quorum(
        uint256 timepoint
    ) public view override(GovernorUpgradeable, GovernorVotesQuorumFractionUpgradeable) returns (uint256) {
        return
            Math.mulDiv(
                token().getPastTotalSupply(timepoint),
                quorumNumerator(timepoint),
                quorumDenominator(),
                Math.Rounding.Ceil
            );
    }

    function _s() private pure returns (ModelGovernorStorage storage s) {
        bytes32 slot = STORAGE_SLOT;
        assembly {
            s.slot := slot
        }
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";

import {IHexsRegistry} from "../interfaces/IHexsRegistry.sol";
import {DaoMembership} from "./DaoMembership.sol";
import {IMarketCredits, ModelGovernor} from "./ModelGovernor.sol";

interface IRegistryDaoSink {
    function setDao(uint64 modelId, address dao) external;
}

/// @title DaoFactory
/// @notice Creates a model's DAO (membership token + governor, as minimal clones) at its
/// creator's request and records the governor as the model's DAO treasury in the registry.
/// A model has at most one DAO; the registry refuses a second.
contract DaoFactory {
    IHexsRegistry public immutable registry;
    IMarketCredits public immutable market;
    address public immutable membershipImplementation;
    address public immutable governorImplementation;

    /// @notice The governor this factory created for a model (0: none). The lease service
    /// executes DAO infrastructure spends only from these.
    mapping(uint64 modelId => address governor) public governorOf;

    uint32 public constant MIN_VOTING_PERIOD = 2;
    uint256 public constant MIN_QUORUM_PERCENT = 1;

    event DaoCreated(uint64 indexed modelId, address governor, address membership, uint256 members);

    error NotCreator(uint64 modelId, address caller);
    error InvalidSettings();

    constructor(
        IHexsRegistry registry_,
        IMarketCredits market_,
        address membershipImplementation_,
        address governorImplementation_
    ) {
        registry = registry_;
        market = market_;
        membershipImplementation = membershipImplementation_;
        governorImplementation = governorImplementation_;
    }

    /// @param votingDelay blocks between proposal and voting start.
    /// @param votingPeriod blocks voting stays open.
    /// @param quorumPercent share of all members' votes (for + abstain) a proposal needs.
    function createDao(
        uint64 modelId,
        address[] calldata members,
        uint48 votingDelay,
        uint32 votingPeriod,
        uint256 quorumPercent
    ) external returns (address governor, address membership) {
        if (registry.creatorOf(modelId) != msg.sender) revert NotCreator(modelId, msg.sender);
        if (votingPeriod < MIN_VOTING_PERIOD || quorumPercent < MIN_QUORUM_PERCENT || quorumPercent > 100) {
            revert InvalidSettings();
        }
        membership = Clones.clone(membershipImplementation);
        governor = Clones.clone(governorImplementation);
        governorOf[modelId] = governor;
        DaoMembership(membership).initialize(registry, modelId, address(this));
        ModelGovernor(payable(governor)).initialize(
            IVotes(membership),
            registry,
            market,
            modelId,
            votingDelay,
            votingPeriod,
            quorumPercent
        );
        for (uint256 i; i < members.length; ++i) {
            DaoMembership(membership).addMember(members[i]);
        }
        DaoMembership(membership).endFounding();
        IRegistryDaoSink(address(registry)).setDao(modelId, governor);
        emit DaoCreated(modelId, governor, membership, members.length);
    }
}

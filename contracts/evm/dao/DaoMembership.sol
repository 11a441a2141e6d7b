// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC721Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC721/ERC721Upgradeable.sol";
import {ERC721VotesUpgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC721/extensions/ERC721VotesUpgradeable.sol";
import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";

import {IHexsRegistry} from "../interfaces/IHexsRegistry.sol";

/// @title DaoMembership
/// @notice Soul-bound ERC721Votes membership of one model's DAO: one token, one vote. The
/// model's creator adds and removes members; members vote without delegating (a new member
/// delegates to themself). Cloned per model by the DAO factory.
contract DaoMembership is Initializable, ERC721Upgradeable, EIP712Upgradeable, ERC721VotesUpgradeable {
    /// @custom:storage-location erc7201:hexs.storage.DaoMembership
    struct MembershipStorage {
        IHexsRegistry registry;
        uint64 modelId;
        address factory;
        uint256 serial;
        mapping(address member => uint256) tokenOf;
    }

    // keccak256(abi.encode(uint256(keccak256("hexs.storage.DaoMembership")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_SLOT = 0xcc3373640a5dfb1fb48b60dd3234fea9d7212ff1275a76ea27b929ada1502300;

    event MemberAdded(address indexed member);
    event MemberRemoved(address indexed member);

    error NotCreator(address caller);
    error AlreadyMember(address account);
    error NotMember(address account);
    error MembershipIsSoulbound();

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @dev The factory may add the founding members in the same transaction.
    function initialize(IHexsRegistry registry_, uint64 modelId_, address factory_) external initializer {
        __ERC721_init("Hexs DAO membership", "HEXSDAO");
        __EIP712_init("Hexs DAO membership", "1");
        __ERC721Votes_init();
        MembershipStorage storage s = _s();
        s.registry = registry_;
        s.modelId = modelId_;
        s.factory = factory_;
    }

    /// @notice Add a member; the model's creator (or the factory while founding) only.
    function addMember(address account) external {
        _onlyCreatorOrFactory();
        MembershipStorage storage s = _s();
        if (s.tokenOf[account] != 0) revert AlreadyMember(account);
        uint256 tokenId = ++s.serial;
        s.tokenOf[account] = tokenId;
        _mint(account, tokenId);
        _delegate(account, account);
        emit MemberAdded(account);
    }

    /// @notice Remove a member; the model's creator only. Votes already cast stay counted.
    function removeMember(address account) external {
        _onlyCreatorOrFactory();
        MembershipStorage storage s = _s();
        uint256 tokenId = s.tokenOf[account];
        if (tokenId == 0) revert NotMember(account);
        delete s.tokenOf[account];
        _burn(tokenId);
        emit MemberRemoved(account);
    }

    function isMember(address account) external view returns (bool) {
        return _s().tokenOf[account] != 0;
    }

    function modelId() external view returns (uint64) {
        return _s().modelId;
    }

    /// @dev Factory rights end once founding is done: the factory renounces them.
    function endFounding() external {
        if (msg.sender != _s().factory) revert NotCreator(msg.sender);
        _s().factory = address(0);
    }

    function _update(
        address to,
        uint256 tokenId,
        address auth
    ) internal override(ERC721Upgradeable, ERC721VotesUpgradeable) returns (address from) {
        from = _ownerOf(tokenId);
        if (from != address(0) && to != address(0)) revert MembershipIsSoulbound();
        return super._update(to, tokenId, auth);
    }

    function _increaseBalance(
        address account,
        uint128 amount
    ) internal override(ERC721Upgradeable, ERC721VotesUpgradeable) {
        super._increaseBalance(account, amount);
    }

    function _onlyCreatorOrFactory() private view {
        MembershipStorage storage s = _s();
        if (msg.sender != s.factory && msg.sender != s.registry.creatorOf(s.modelId)) revert NotCreator(msg.sender);
    }

    function _s() private pure returns (MembershipStorage storage s) {
        bytes32 slot = STORAGE_SLOT;
        assembly {
            s.slot := slot
        }
    }
}

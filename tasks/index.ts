// Hardhat tasks: every user action and protocol upgrade.
export {};

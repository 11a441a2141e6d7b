// Model APIs through the Hexs gateway: signing calls as a key holder (Node: uses node:crypto).
export * from "./request";
export * from "./client";

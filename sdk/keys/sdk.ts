// The unmodified Lighthouse SDK, pointed at a key service. Its base URLs are plain config
// objects; this is the only thing that differs between production Lighthouse and ours.
import kavachConfig from "@lighthouse-web3/kavach/dist/config";
import { lighthouseConfig } from "@lighthouse-web3/sdk/dist/lighthouse.config";
import type { Endpoints } from "./client";

export const LIGHTHOUSE: Endpoints = {
  keyNodes: "https://encryption.lighthouse.storage",
  upload: "https://upload.lighthouse.storage",
  gateway: "https://gateway.lighthouse.storage",
  mode: "lighthouse",
};

/** Re-point the SDK (and kavach inside it) at `e`. Process-wide: the SDK has no per-call config. */
export function pointSdkAt(e: Endpoints): void {
  kavachConfig.lighthouseAuthNode = e.keyNodes;
  kavachConfig.lighthouseBLSNode = e.keyNodes;
  kavachConfig.isDev = false;
  lighthouseConfig.lighthouseBLSNode = e.keyNodes;
  lighthouseConfig.lighthouseNode = e.upload;
  lighthouseConfig.lighthouseGateway = e.gateway;
}

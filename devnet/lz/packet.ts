// LayerZero V2 packets as EndpointV2 emits them in `PacketSent.encodedPayload` (PacketV1 codec)
// and as SimpleMessageLib.validatePacket takes them back, byte for byte.
import {
  concat,
  dataLength,
  dataSlice,
  getAddress,
  keccak256,
  toBeHex,
  toBigInt,
  toNumber,
  zeroPadValue,
  type BytesLike,
} from "ethers";

/** Header length: version(1) nonce(8) srcEid(4) sender(32) dstEid(4) receiver(32). */
export const PACKET_HEADER_LENGTH = 81;

export interface Packet {
  /** The whole encoded packet (header ‖ guid ‖ message). */
  raw: string;
  version: number;
  nonce: bigint;
  srcEid: number;
  /** Sender OApp as bytes32. */
  sender: string;
  dstEid: number;
  /** Receiver OApp as bytes32 and as an address. */
  receiver: string;
  receiverAddress: string;
  guid: string;
  message: string;
  /** keccak256(guid ‖ message): what the endpoint stores as the inbound payload hash. */
  payloadHash: string;
}

export function decodePacket(raw: BytesLike): Packet {
  const hex = typeof raw === "string" ? raw : concat([raw]);
  const len = dataLength(hex);
  if (len < PACKET_HEADER_LENGTH + 32) throw new Error(`LayerZero packet too short: ${len} bytes (need at least 113)`);
  const version = toNumber(dataSlice(hex, 0, 1));
  if (version !== 1) throw new Error(`unsupported LayerZero packet version ${version}`);
  const receiver = dataSlice(hex, 49, 81);
  return {
    raw: hex.toLowerCase(),
    version,
    nonce: toBigInt(dataSlice(hex, 1, 9)),
    srcEid: toNumber(dataSlice(hex, 9, 13)),
    sender: dataSlice(hex, 13, 45),
    dstEid: toNumber(dataSlice(hex, 45, 49)),
    receiver,
    receiverAddress: getAddress(dataSlice(receiver, 12)),
    guid: dataSlice(hex, 81, 113),
    message: dataSlice(hex, 113),
    payloadHash: keccak256(dataSlice(hex, 81)),
  };
}

/** Build a packet (tests and tools); the inverse of decodePacket. */
export function encodePacket(p: Omit<Packet, "raw" | "version" | "receiverAddress" | "payloadHash">): string {
  return concat([
    "0x01",
    zeroPadValue(toBeHex(p.nonce), 8),
    zeroPadValue(toBeHex(p.srcEid), 4),
    zeroPadValue(p.sender, 32),
    zeroPadValue(toBeHex(p.dstEid), 4),
    zeroPadValue(p.receiver, 32),
    p.guid,
    p.message,
  ]).toLowerCase();
}

/** A stable key of a packet's path position: srcEid:sender>dstEid:receiver#nonce. */
export function packetKey(p: Pick<Packet, "srcEid" | "sender" | "dstEid" | "receiver" | "nonce">): string {
  return `${p.srcEid}:${p.sender.toLowerCase()}>${p.dstEid}:${p.receiver.toLowerCase()}#${p.nonce}`;
}

export function addressToBytes32(address: string): string {
  return zeroPadValue(getAddress(address), 32).toLowerCase();
}

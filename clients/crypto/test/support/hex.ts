import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

export const hex = (bytes: Uint8Array): string => bytesToHex(bytes);
export const unhex = (text: string): Uint8Array => hexToBytes(text);

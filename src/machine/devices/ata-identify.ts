/**
 * IDENTIFY DEVICE data of the emulated ATA disk (ATA/ATAPI-6, T13/1410D
 * rev 3b, 8.15, Table 27): 256 little-endian words.
 *
 *   word    content
 *   0       0x0040 general configuration: ATA, fixed (non-removable) device
 *   1,3,6   default cylinders, heads, sectors per track
 *   10–19   serial number (20 ASCII characters)
 *   23–26   firmware revision (8)        27–46  model number (40)
 *           strings hold two characters per word, the first in the high byte
 *   47      0x8000 | 16: READ/WRITE MULTIPLE up to 16 sectors
 *   49      capabilities: LBA (bit 9), DMA (bit 8), IORDY (bit 11)
 *   53      words 54–58, 64–70 and 88 are valid
 *   54–58   current cylinders, heads, sectors/track, capacity (CHS)
 *   59      current multiple setting (bit 8 = valid)
 *   60–61   user-addressable sectors for 28-bit commands (max 0x0FFFFFFF)
 *   63      multiword DMA modes 0–2 supported, selected mode in bits 10:8
 *   64      PIO modes 3–4 supported     65–68  cycle times 120 ns
 *   80      major version: ATA-1 .. ATA-6
 *   83/86   48-bit address (bit 10), FLUSH CACHE (12), FLUSH CACHE EXT (13)
 *   88      Ultra DMA modes 0–5 supported, selected mode in bits 13:8
 *   100–103 user-addressable sectors for 48-bit commands
 *   255     integrity word: 0xA5 signature, checksum byte making the sum of
 *           all 512 bytes zero (modulo 256)
 */

export interface IdentifyParams {
  sectors: number;
  cylinders: number;
  heads: number;
  sectorsPerTrack: number;
  currentCylinders: number;
  currentHeads: number;
  currentSectorsPerTrack: number;
  /** Sectors per READ/WRITE MULTIPLE block, 0 when disabled. */
  multiple: number;
  /** Selected transfer mode as SET FEATURES 0x03 gives it (0x20|n MWDMA, 0x40|n UDMA), or 0. */
  dmaMode: number;
}

export const MODEL = "TSXEN HARDDISK";
export const SERIAL = "TSX00001";
export const FIRMWARE = "0.1";
export const MAX_MULTIPLE = 16;

export function buildIdentify(p: IdentifyParams): Uint8Array {
  const w = new Uint16Array(256);
  w[0] = 0x0040;
  w[1] = p.cylinders;
  w[3] = p.heads;
  w[6] = p.sectorsPerTrack;
  putString(w, 10, 20, SERIAL);
  w[20] = 3; // obsolete buffer type, as drives of the time reported
  w[21] = 512;
  putString(w, 23, 8, FIRMWARE);
  putString(w, 27, 40, MODEL);
  w[47] = 0x8000 | MAX_MULTIPLE;
  w[49] = (1 << 11) | (1 << 9) | (1 << 8);
  w[50] = 0x4000;
  w[51] = 0x0200; // obsolete PIO timing mode 2
  w[53] = 0x0007;
  w[54] = p.currentCylinders;
  w[55] = p.currentHeads;
  w[56] = p.currentSectorsPerTrack;
  const chsCapacity = p.currentCylinders * p.currentHeads * p.currentSectorsPerTrack;
  w[57] = chsCapacity & 0xffff;
  w[58] = chsCapacity >>> 16;
  if (p.multiple !== 0) w[59] = 0x0100 | p.multiple;
  const lba28 = Math.min(p.sectors, 0x0fffffff);
  w[60] = lba28 & 0xffff;
  w[61] = lba28 >>> 16;
  w[63] = 0x0007 | ((p.dmaMode & 0xf8) === 0x20 ? 0x100 << (p.dmaMode & 7) : 0);
  w[64] = 0x0003;
  w[65] = w[66] = w[67] = w[68] = 120;
  w[80] = 0x007e;
  w[82] = 0x0000;
  w[83] = 0x4000 | (1 << 13) | (1 << 12) | (1 << 10);
  w[84] = 0x4000;
  w[85] = 0x0000;
  w[86] = (1 << 13) | (1 << 12) | (1 << 10);
  w[87] = 0x4000;
  w[88] = 0x003f | ((p.dmaMode & 0xf8) === 0x40 ? 0x100 << (p.dmaMode & 7) : 0);
  // Words 100–103: a 64-bit count; sector counts here stay below 2^53.
  w[100] = p.sectors % 0x10000;
  w[101] = Math.floor(p.sectors / 0x10000) % 0x10000;
  w[102] = Math.floor(p.sectors / 0x100000000) % 0x10000;
  w[103] = 0;
  const bytes = new Uint8Array(512);
  for (let i = 0; i < 256; i++) {
    bytes[2 * i] = w[i]! & 0xff;
    bytes[2 * i + 1] = w[i]! >>> 8;
  }
  bytes[510] = 0xa5;
  let sum = 0;
  for (let i = 0; i < 511; i++) sum += bytes[i]!;
  bytes[511] = -sum & 0xff;
  return bytes;
}

/** ATA string: space padded, two characters per word, first character in the high byte. */
function putString(w: Uint16Array, word: number, length: number, text: string): void {
  const padded = text.padEnd(length, " ");
  for (let i = 0; i < length; i += 2) w[word + i / 2] = (padded.charCodeAt(i) << 8) | padded.charCodeAt(i + 1);
}

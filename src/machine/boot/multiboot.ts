/**
 * Multiboot v1 loading: what GRUB or QEMU's `-kernel` does for a bare-metal
 * image. Finds the Multiboot header, loads the kernel (ELF PT_LOAD segments at
 * p_paddr, or the a.out kludge's flat range), places modules, and builds the
 * Multiboot information structure in low RAM.
 *
 * Spec: Multiboot Specification 0.6.96 — §3.1 OS image format (header, flags,
 * a.out kludge), §3.2 machine state, §3.3 boot information format. ELF per
 * elf32.ts (TIS ELF 1.2).
 *
 * Header (§3.1.1), 4-byte aligned and wholly within the first 8192 bytes:
 *   +0 magic 0x1BADB002  +4 flags  +8 checksum (magic+flags+checksum = 0 mod 2^32)
 *   +12 header_addr +16 load_addr +20 load_end_addr +24 bss_end_addr +28 entry_addr
 *   (the last five only when flags bit 16, the a.out kludge, is set)
 * Flags bits 0–15 are requirements: we honour 0 (page-align modules: we always
 * do), 1 (memory information: we always give it) and 2 (video mode table: we
 * accept it and give none, as the spec allows); any other bit in 0–15 is
 * refused. Bits 16–31 are optional features; 16 selects the a.out kludge,
 * which takes precedence over the ELF headers (§3.1.3).
 *
 * The information area, in low memory below the EBDA like QEMU's:
 *
 *   0x09000 ┌─────────────────────────────────────┐ INFO_ADDR (EBX)
 *           │ multiboot_info, 116 bytes (§3.3),    │ flags = mem|cmdline|mods|
 *           │ unused fields zero                   │   mmap|boot_loader_name
 *   0x09080 ├─────────────────────────────────────┤ MMAP_ADDR
 *           │ memory map, 24 bytes per entry:      │ +0 size (= 20) +4 base_addr
 *           │ 0..9FC00 avail, 9FC00..A0000 rsvd,   │ +12 length +20 type
 *           │ F0000..100000 rsvd, 1M..size avail   │ (1 available, 2 reserved)
 *   0x09100 ├─────────────────────────────────────┤ MODS_ADDR
 *           │ module list, 16 bytes per module:    │ +0 mod_start +4 mod_end
 *           │                                      │ +8 string +12 reserved (0)
 *           ├─────────────────────────────────────┤ 16-aligned after the list
 *           │ "tsxen\0", kernel cmdline\0,         │
 *           │ module cmdlines\0 ... (UTF-8)        │
 *           ├─────────────────────────────────────┤ info end: ≤ 0x9FC00
 *   0x9FC00 │ EBDA (reserved in the map)           │
 *
 * Modules go in RAM page-aligned, the first at the first page boundary at or
 * above both the kernel's highest loaded byte (bss included) and 1 MiB; each
 * next one at the page after its predecessor. mod_end is exclusive, as in GRUB
 * and QEMU.
 *
 * Invariant: everything (header, ELF, RAM fit, overlap with the information
 * area, module fit) is validated before the first write to RAM, so a refused
 * image leaves RAM exactly as it was.
 */
import type { Ram } from "../memory/ram.js";
import { LoaderError, PT_LOAD, isElf, parseElf32, readU32 } from "./elf32.js";

export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
/** EAX at kernel entry (§3.2). */
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
/** The header must lie wholly within this many leading bytes (§3.1.1). */
export const MULTIBOOT_SEARCH = 8192;

/** Header flags (§3.1.2). */
export const MULTIBOOT_PAGE_ALIGN = 1 << 0;
export const MULTIBOOT_MEMORY_INFO = 1 << 1;
export const MULTIBOOT_VIDEO_MODE = 1 << 2;
export const MULTIBOOT_AOUT_KLUDGE = 1 << 16;
const SUPPORTED_REQUIRED = MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO | MULTIBOOT_VIDEO_MODE;

/** multiboot_info flags (§3.3). */
export const MBI_FLAG_MEM = 1 << 0;
export const MBI_FLAG_CMDLINE = 1 << 2;
export const MBI_FLAG_MODS = 1 << 3;
export const MBI_FLAG_MMAP = 1 << 6;
export const MBI_FLAG_LOADER_NAME = 1 << 9;

/** Byte offsets of multiboot_info fields (§3.3). */
export const MBI = {
  flags: 0, memLower: 4, memUpper: 8, bootDevice: 12, cmdline: 16, modsCount: 20, modsAddr: 24,
  syms: 28, mmapLength: 44, mmapAddr: 48, drivesLength: 52, drivesAddr: 56, configTable: 60,
  bootLoaderName: 64, apmTable: 68, vbeControlInfo: 72, size: 116,
} as const;

export const INFO_ADDR = 0x9000;
export const MMAP_ADDR = 0x9080;
export const MODS_ADDR = 0x9100;
/** The information area must end at or below the EBDA. */
export const INFO_LIMIT = 0x9fc00;
export const BOOT_LOADER_NAME = "tsxen";

export const MMAP_AVAILABLE = 1;
export const MMAP_RESERVED = 2;
const MMAP_ENTRY = 24;
const MOD_ENTRY = 16;
const PAGE = 4096;
const ONE_MIB = 0x100000;

/**
 * Machine state at kernel entry (§3.2). Selector values, ESP, GDTR and IDTR are
 * undefined by the spec; the OS must load its own before using them. Segment
 * descriptors are given as their access byte and G/D flags.
 */
export const MULTIBOOT_MACHINE_STATE = {
  eax: MULTIBOOT_BOOTLOADER_MAGIC,
  /** EBX = infoAddr returned by loadMultiboot. */
  cs: { base: 0, limit: 0xffffffff, access: 0x9b, big: true, granularity: true }, // present, DPL 0, code exec/read, 32-bit
  data: { base: 0, limit: 0xffffffff, access: 0x93, big: true, granularity: true }, // DS ES FS GS SS: data read/write
  cr0: 0x00000001, // PE = 1, PG = 0
  eflags: 0x00000002, // VM = 0, IF = 0 (bit 1 is reserved-one)
  a20: true,
} as const;

export interface MultibootModule {
  bytes: Uint8Array;
  cmdline: string;
}

export interface MultibootOptions {
  cmdline?: string;
  modules?: MultibootModule[];
}

export interface MultibootHeader {
  /** File offset of the header. */
  offset: number;
  flags: number;
  /** Present when flags bit 16 is set. */
  aout?: { headerAddr: number; loadAddr: number; loadEndAddr: number; bssEndAddr: number; entryAddr: number };
}

/** A range to place in RAM: `bytes` at `paddr`, then zeros up to `memsz`. */
interface Placement {
  paddr: number;
  bytes: Uint8Array;
  memsz: number;
  what: string;
}

const hex = (n: number): string => `0x${n.toString(16)}`;
const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/**
 * Find the Multiboot header: the first 4-aligned magic in the first 8192 bytes
 * whose checksum holds (QEMU and GRUB keep scanning past a magic with a bad
 * checksum). Throws LoaderError("no-multiboot") if there is none, or if the
 * header asks for a feature we do not provide.
 */
export function parseMultibootHeader(image: Uint8Array): MultibootHeader {
  const limit = Math.min(image.length, MULTIBOOT_SEARCH);
  let badChecksumAt = -1;
  for (let off = 0; off + 12 <= limit; off += 4) {
    if (readU32(image, off) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = readU32(image, off + 4);
    if (((MULTIBOOT_HEADER_MAGIC + flags + readU32(image, off + 8)) >>> 0) !== 0) {
      if (badChecksumAt < 0) badChecksumAt = off;
      continue;
    }
    const unsupported = flags & 0xffff & ~SUPPORTED_REQUIRED;
    if (unsupported !== 0) {
      throw new LoaderError("no-multiboot", `Multiboot header at ${hex(off)} requires unsupported feature flags ${hex(unsupported)}`);
    }
    if ((flags & MULTIBOOT_AOUT_KLUDGE) === 0) return { offset: off, flags };
    if (off + 32 > limit) throw new LoaderError("no-multiboot", `Multiboot a.out kludge fields at ${hex(off)} extend past the first ${MULTIBOOT_SEARCH} bytes or the file`);
    const w = (i: number): number => readU32(image, off + 12 + 4 * i, "no-multiboot");
    return { offset: off, flags, aout: { headerAddr: w(0), loadAddr: w(1), loadEndAddr: w(2), bssEndAddr: w(3), entryAddr: w(4) } };
  }
  if (badChecksumAt >= 0) throw new LoaderError("no-multiboot", `Multiboot header at ${hex(badChecksumAt)} has a bad checksum`);
  if (!isElf(image)) throw new LoaderError("not-elf", `not an ELF file and no Multiboot header in the first ${MULTIBOOT_SEARCH} bytes`);
  throw new LoaderError("no-multiboot", `no Multiboot header in the first ${MULTIBOOT_SEARCH} bytes`);
}

/** True when the image has a valid Multiboot v1 header (magic and checksum) we can honour. */
export function hasMultibootHeader(image: Uint8Array): boolean {
  try {
    parseMultibootHeader(image);
    return true;
  } catch (e) {
    if (e instanceof LoaderError) return false;
    throw e;
  }
}

/** The kernel's placements and entry from the a.out kludge fields (§3.1.3). */
function planAout(image: Uint8Array, h: MultibootHeader & { aout: NonNullable<MultibootHeader["aout"]> }): { entry: number; parts: Placement[] } {
  const { headerAddr, loadAddr, loadEndAddr, bssEndAddr, entryAddr } = h.aout;
  if (loadAddr > headerAddr) throw new LoaderError("no-multiboot", `a.out kludge: load_addr ${hex(loadAddr)} above header_addr ${hex(headerAddr)}`);
  const fileStart = h.offset - (headerAddr - loadAddr);
  if (fileStart < 0) throw new LoaderError("no-multiboot", `a.out kludge: header_addr - load_addr (${hex(headerAddr - loadAddr)}) exceeds the header's file offset ${hex(h.offset)}`);
  let loadSize: number;
  if (loadEndAddr === 0) {
    loadSize = image.length - fileStart;
  } else {
    if (loadEndAddr < loadAddr) throw new LoaderError("no-multiboot", `a.out kludge: load_end_addr ${hex(loadEndAddr)} below load_addr ${hex(loadAddr)}`);
    loadSize = loadEndAddr - loadAddr;
    if (fileStart + loadSize > image.length) {
      throw new LoaderError("bad-elf", `a.out kludge: load range of ${hex(loadSize)} bytes from file offset ${hex(fileStart)} extends beyond end of file (${hex(image.length)} bytes)`);
    }
  }
  let memsz = loadSize;
  if (bssEndAddr !== 0) {
    if (bssEndAddr < loadAddr + loadSize) throw new LoaderError("no-multiboot", `a.out kludge: bss_end_addr ${hex(bssEndAddr)} below end of loaded data ${hex(loadAddr + loadSize)}`);
    memsz = bssEndAddr - loadAddr;
  }
  return { entry: entryAddr, parts: [{ paddr: loadAddr, bytes: image.subarray(fileStart, fileStart + loadSize), memsz, what: "a.out kludge image" }] };
}

/**
 * The kernel's placements and entry from its PT_LOAD segments. As GRUB 2 does,
 * an e_entry inside a segment whose p_vaddr differs from its p_paddr is
 * translated to the physical address.
 */
function planElf(image: Uint8Array): { entry: number; parts: Placement[] } {
  const elf = parseElf32(image);
  const loads = elf.segments.filter((s) => s.type === PT_LOAD && s.memsz > 0);
  if (loads.length === 0) throw new LoaderError("bad-elf", "ELF has no PT_LOAD segment with contents");
  let entry = elf.entry;
  for (const s of loads) {
    if (entry >= s.vaddr && entry < s.vaddr + s.memsz) {
      entry = (entry - s.vaddr + s.paddr) >>> 0;
      break;
    }
  }
  const parts = loads.map((s, i) => ({ paddr: s.paddr, bytes: image.subarray(s.offset, s.offset + s.filesz), memsz: s.memsz, what: `PT_LOAD segment ${i} (${hex(s.paddr)}+${hex(s.memsz)})` }));
  return { entry, parts };
}

/** The information area as bytes, to be written at INFO_ADDR. */
function buildInfo(ramSize: number, cmdline: string, mods: { start: number; end: number; cmdline: string }[]): Uint8Array {
  const mmap: [number, number, number][] = [
    [0, 0x9fc00, MMAP_AVAILABLE],
    [0x9fc00, 0x400, MMAP_RESERVED],
    [0xf0000, 0x10000, MMAP_RESERVED],
  ];
  if (ramSize > ONE_MIB) mmap.push([ONE_MIB, ramSize - ONE_MIB, MMAP_AVAILABLE]);

  const stringsAddr = alignUp(MODS_ADDR + mods.length * MOD_ENTRY, 16);
  const strings = [BOOT_LOADER_NAME, cmdline, ...mods.map((m) => m.cmdline)].map(utf8);
  const stringAddrs: number[] = [];
  let end = stringsAddr;
  for (const s of strings) {
    stringAddrs.push(end);
    end += s.length + 1;
  }
  if (end > INFO_LIMIT) throw new LoaderError("too-big", `Multiboot information (command lines, ${mods.length} modules) needs ${hex(end - INFO_ADDR)} bytes, more than the ${hex(INFO_LIMIT - INFO_ADDR)} below the EBDA`);

  const buf = new Uint8Array(end - INFO_ADDR);
  const dv = new DataView(buf.buffer);
  const put = (addr: number, v: number): void => dv.setUint32(addr - INFO_ADDR, v >>> 0, true);
  put(INFO_ADDR + MBI.flags, MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MODS | MBI_FLAG_MMAP | MBI_FLAG_LOADER_NAME);
  put(INFO_ADDR + MBI.memLower, 640);
  put(INFO_ADDR + MBI.memUpper, Math.max(0, Math.floor((ramSize - ONE_MIB) / 1024)));
  put(INFO_ADDR + MBI.cmdline, stringAddrs[1]!);
  put(INFO_ADDR + MBI.modsCount, mods.length);
  put(INFO_ADDR + MBI.modsAddr, MODS_ADDR);
  put(INFO_ADDR + MBI.mmapLength, mmap.length * MMAP_ENTRY);
  put(INFO_ADDR + MBI.mmapAddr, MMAP_ADDR);
  put(INFO_ADDR + MBI.bootLoaderName, stringAddrs[0]!);
  mmap.forEach(([base, length, type], i) => {
    const e = MMAP_ADDR + i * MMAP_ENTRY;
    put(e, MMAP_ENTRY - 4);
    put(e + 4, base);
    put(e + 8, Math.floor(base / 2 ** 32));
    put(e + 12, length);
    put(e + 16, Math.floor(length / 2 ** 32));
    put(e + 20, type);
  });
  mods.forEach((m, i) => {
    const e = MODS_ADDR + i * MOD_ENTRY;
    put(e, m.start);
    put(e + 4, m.end);
    put(e + 8, stringAddrs[2 + i]!);
    put(e + 12, 0);
  });
  strings.forEach((s, i) => buf.set(s, stringAddrs[i]! - INFO_ADDR));
  return buf;
}

/** UTF-8 bytes of a string (no TextEncoder: the core targets plain ES2022). */
function utf8(s: string): Uint8Array {
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Uint8Array.from(out);
}

const ZEROS = new Uint8Array(64 * 1024);

function zeroFill(ram: Ram, paddr: number, length: number): void {
  for (let done = 0; done < length; done += ZEROS.length) {
    ram.writePhys(paddr + done, ZEROS.subarray(0, Math.min(ZEROS.length, length - done)));
  }
}

/**
 * Load a Multiboot v1 kernel and its modules into `ram` and build the
 * information structure. Returns the physical entry point and the information
 * address for EBX; see MULTIBOOT_MACHINE_STATE for the rest of the entry
 * state. Throws LoaderError, with RAM untouched, if anything does not fit.
 */
export function loadMultiboot(ram: Ram, image: Uint8Array, opts: MultibootOptions = {}): { entry: number; infoAddr: number } {
  if (ram.size < ONE_MIB) throw new LoaderError("too-big", `RAM of ${hex(ram.size)} bytes is below the 1 MiB Multiboot needs`);
  const header = parseMultibootHeader(image);
  const plan = header.aout ? planAout(image, { ...header, aout: header.aout }) : planElf(image);

  const modsIn = opts.modules ?? [];
  const mods: { start: number; end: number; cmdline: string; bytes: Uint8Array }[] = [];
  let kernelEnd = 0;
  for (const p of plan.parts) kernelEnd = Math.max(kernelEnd, p.paddr + p.memsz);
  let next = alignUp(Math.max(kernelEnd, ONE_MIB), PAGE);
  for (const [i, m] of modsIn.entries()) {
    if (next + m.bytes.length > ram.size) throw new LoaderError("too-big", `module ${i} (${hex(m.bytes.length)} bytes at ${hex(next)}) does not fit in RAM of ${hex(ram.size)} bytes`);
    mods.push({ start: next, end: next + m.bytes.length, cmdline: m.cmdline, bytes: m.bytes });
    next = alignUp(next + m.bytes.length, PAGE);
  }
  const info = buildInfo(ram.size, opts.cmdline ?? "", mods);
  const infoEnd = INFO_ADDR + info.length;

  for (const p of plan.parts) {
    if (p.paddr + p.memsz > ram.size) throw new LoaderError("too-big", `${p.what} ends at ${hex(p.paddr + p.memsz)}, beyond RAM of ${hex(ram.size)} bytes`);
    if (p.paddr < infoEnd && p.paddr + p.memsz > INFO_ADDR) {
      throw new LoaderError("too-big", `${p.what} overlaps the Multiboot information area ${hex(INFO_ADDR)}..${hex(infoEnd)}`);
    }
  }

  // Validated: now write. Kernel, bss, modules, then the information area.
  for (const p of plan.parts) {
    ram.writePhys(p.paddr, p.bytes);
    zeroFill(ram, p.paddr + p.bytes.length, p.memsz - p.bytes.length);
  }
  for (const m of mods) ram.writePhys(m.start, m.bytes);
  ram.writePhys(INFO_ADDR, info);
  return { entry: plan.entry, infoAddr: INFO_ADDR };
}

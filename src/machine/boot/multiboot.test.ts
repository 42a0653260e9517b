/** Multiboot v1 loading (Multiboot Specification 0.6.96 §3): placement, information structure, refusals. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Ram } from "../memory/ram.js";
import { LoaderError, PT_NOTE } from "./elf32.js";
import {
  INFO_ADDR, MBI, MBI_FLAG_CMDLINE, MBI_FLAG_LOADER_NAME, MBI_FLAG_MEM, MBI_FLAG_MMAP, MBI_FLAG_MODS, MMAP_ADDR, MODS_ADDR,
  MULTIBOOT_BOOTLOADER_MAGIC, MULTIBOOT_MACHINE_STATE, hasMultibootHeader, loadMultiboot, parseMultibootHeader,
} from "./multiboot.js";
import { TEST_ELF_PHOFF, buildTestElf, elfNote, multibootHeader } from "./test-elf.js";

const MiB = 0x100000;
const fill = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);
const cstr = (ram: Ram, addr: number): string => {
  let s = "";
  for (let a = addr; ram.read8(a) !== 0; a++) s += String.fromCharCode(ram.read8(a));
  return s;
};
const u32 = (ram: Ram, a: number): number => ram.read32(a) >>> 0;
const allZero = (ram: Ram): boolean => ram.i32.every((w) => w === 0);
const le32 = (b: Uint8Array, off: number, v: number): void => new DataView(b.buffer, b.byteOffset).setUint32(off, v >>> 0, true);

/** A kernel like the bench one: text, rodata, data+bss, GNU_STACK. */
function kernel(): Uint8Array {
  return buildTestElf({
    entry: 0x10000c,
    segments: [
      { paddr: 0x100000, data: fill(0x1172, 0xc3), align: 0x1000 },
      { paddr: 0x102000, data: fill(0x212, 0x52), align: 0x1000 },
      { paddr: 0x103000, data: fill(0x38, 0xda), memsz: 0x3000, align: 0x1000 },
      { type: 0x6474e551, paddr: 0 },
    ],
  });
}

function refuses(kind: LoaderError["kind"], image: Uint8Array, opts = {}, ramSize = 4 * MiB, match?: RegExp): void {
  const ram = new Ram(ramSize);
  assert.throws(() => loadMultiboot(ram, image, opts), (e: unknown) => {
    assert.ok(e instanceof LoaderError, `expected LoaderError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    if (match) assert.match(e.message, match);
    return true;
  });
  assert.ok(allZero(ram), "RAM must be untouched after a refusal");
}

test("loads PT_LOAD segments at p_paddr and zeroes bss", () => {
  const ram = new Ram(4 * MiB);
  ram.u8.fill(0xee, 0x100000, 0x110000);
  const r = loadMultiboot(ram, kernel(), {});
  assert.deepEqual(r, { entry: 0x10000c, infoAddr: INFO_ADDR });
  assert.ok(ram.u8.subarray(0x100000, 0x101172).every((b) => b === 0xc3));
  assert.equal(ram.read8(0x101172), 0xee); // gap between segments is not touched
  assert.ok(ram.u8.subarray(0x102000, 0x102212).every((b) => b === 0x52));
  assert.ok(ram.u8.subarray(0x103000, 0x103038).every((b) => b === 0xda));
  assert.ok(ram.u8.subarray(0x103038, 0x106000).every((b) => b === 0), "bss zeroed");
  assert.equal(ram.read8(0x106000), 0xee);
});

test("builds the information structure, memory map and strings at the documented offsets", () => {
  const ram = new Ram(32 * MiB);
  const { infoAddr } = loadMultiboot(ram, kernel(), { cmdline: "console=ttyS0 root=/dev/hda" });
  assert.equal(infoAddr, 0x9000);
  assert.equal(u32(ram, infoAddr + MBI.flags), MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MODS | MBI_FLAG_MMAP | MBI_FLAG_LOADER_NAME);
  assert.equal(u32(ram, infoAddr + MBI.flags), 0x24d);
  assert.equal(u32(ram, infoAddr + 4), 640); // mem_lower
  assert.equal(u32(ram, infoAddr + 8), (32 * MiB - MiB) / 1024); // mem_upper
  assert.equal(cstr(ram, u32(ram, infoAddr + 16)), "console=ttyS0 root=/dev/hda");
  assert.equal(u32(ram, infoAddr + 20), 0); // mods_count
  assert.equal(u32(ram, infoAddr + 24), MODS_ADDR);
  assert.equal(u32(ram, infoAddr + 44), 4 * 24); // mmap_length
  assert.equal(u32(ram, infoAddr + 48), MMAP_ADDR);
  assert.equal(cstr(ram, u32(ram, infoAddr + 64)), "tsxen");
  for (const off of [12, 28, 32, 36, 40, 52, 56, 60, 68, 72, 76, 80, 84, 88, 112]) assert.equal(u32(ram, infoAddr + off), 0, `field at +${off}`);
  // The memory map, byte for byte: size(20), base lo/hi, length lo/hi, type.
  const expected = [
    [20, 0, 0, 0x9fc00, 0, 1],
    [20, 0x9fc00, 0, 0x400, 0, 2],
    [20, 0xf0000, 0, 0x10000, 0, 2],
    [20, 0x100000, 0, 31 * MiB, 0, 1],
  ];
  const got = expected.map((_, i) => [0, 4, 8, 12, 16, 20].map((o) => u32(ram, MMAP_ADDR + 24 * i + o)));
  assert.deepEqual(got, expected);
  // Everything we wrote in low memory lies within 0x9000..0x9FC00.
  assert.ok(ram.u8.subarray(0, 0x9000).every((b) => b === 0));
  assert.ok(ram.u8.subarray(0x9fc00, 0x100000).every((b) => b === 0));
});

test("no cmdline gives an empty string; 1 MiB of RAM has no high map entry", () => {
  const ram = new Ram(2 * MiB);
  const { infoAddr } = loadMultiboot(ram, kernel());
  assert.equal(cstr(ram, u32(ram, infoAddr + 16)), "");
  assert.equal(u32(ram, infoAddr + 8), 1024);
  const tiny = buildTestElf({ segments: [{ paddr: 0x10000, data: fill(16, 0x90) }] });
  const small = new Ram(MiB);
  loadMultiboot(small, tiny);
  assert.equal(u32(small, INFO_ADDR + 8), 0);
  assert.equal(u32(small, INFO_ADDR + 44), 3 * 24);
});

test("places modules page-aligned after the kernel with their strings", () => {
  const ram = new Ram(8 * MiB);
  const m0 = fill(5000, 0x11);
  const m1 = fill(3, 0x22);
  const m2 = fill(4096, 0x33);
  const { infoAddr } = loadMultiboot(ram, kernel(), {
    cmdline: "k",
    modules: [{ bytes: m0, cmdline: "initrd.img ro" }, { bytes: m1, cmdline: "second" }, { bytes: m2, cmdline: "é" }],
  });
  assert.equal(u32(ram, infoAddr + 20), 3);
  const mods = [0, 1, 2].map((i) => [0, 4, 8, 12].map((o) => u32(ram, MODS_ADDR + 16 * i + o)));
  // Kernel ends at 0x106000 (bss included); modules follow on page boundaries.
  assert.deepEqual(mods.map((m) => [m[0], m[1], m[3]]), [[0x106000, 0x106000 + 5000, 0], [0x108000, 0x108003, 0], [0x109000, 0x10a000, 0]]);
  assert.deepEqual(mods.map((m) => cstr(ram, m[2]!)), ["initrd.img ro", "second", "\xc3\xa9"]); // UTF-8 bytes of "é"
  assert.ok(ram.u8.subarray(0x106000, 0x106000 + 5000).every((b) => b === 0x11));
  assert.ok(ram.u8.subarray(0x108000, 0x108003).every((b) => b === 0x22));
  assert.ok(ram.u8.subarray(0x109000, 0x10a000).every((b) => b === 0x33));
  assert.equal(cstr(ram, u32(ram, infoAddr + 16)), "k");
  // Strings sit after the module list, below the EBDA.
  assert.ok(mods.every((m) => m[2]! >= MODS_ADDR + 3 * 16 && m[2]! < 0x9fc00));
});

test("a.out kludge loads a flat image as the header fields say", () => {
  // Flat binary: 0x20 bytes of code, then the header at file offset 0x20, then data.
  const loadAddr = 0x200000;
  const image = new Uint8Array(0x100).fill(0x90);
  const hdr = multibootHeader({ flags: 0x10003, aout: { headerAddr: loadAddr + 0x20, loadAddr, loadEndAddr: loadAddr + 0xc0, bssEndAddr: loadAddr + 0x2000, entryAddr: loadAddr + 4 } });
  image.set(hdr, 0x20);
  const ram = new Ram(4 * MiB);
  ram.u8.fill(0xee, loadAddr, loadAddr + 0x3000);
  assert.ok(hasMultibootHeader(image));
  const r = loadMultiboot(ram, image);
  assert.equal(r.entry, loadAddr + 4);
  assert.deepEqual(Array.from(ram.u8.subarray(loadAddr, loadAddr + 0xc0)), Array.from(image.subarray(0, 0xc0)));
  assert.ok(ram.u8.subarray(loadAddr + 0xc0, loadAddr + 0x2000).every((b) => b === 0), "bss zeroed");
  assert.equal(ram.read8(loadAddr + 0x2000), 0xee);
  // load_end_addr 0: the rest of the file; bss_end_addr 0: no bss. The header may sit past the load start.
  const image2 = new Uint8Array(0x40).fill(0x41);
  image2.set(multibootHeader({ flags: 0x10000, aout: { headerAddr: 0x300010, loadAddr: 0x300000, loadEndAddr: 0, bssEndAddr: 0, entryAddr: 0x300000 } }), 0x10);
  const ram2 = new Ram(4 * MiB);
  loadMultiboot(ram2, image2);
  assert.deepEqual(Array.from(ram2.u8.subarray(0x300000, 0x300040)), Array.from(image2));
  assert.equal(ram2.read8(0x300040), 0);
});

test("the a.out kludge takes precedence over the ELF headers", () => {
  const img = buildTestElf({ segments: [{ paddr: 0x100000, data: fill(0x10, 0x90) }], multiboot: null });
  const off = TEST_ELF_PHOFF + 32 + 12; // leave room after the phdr; the header goes in the file body
  const grown = new Uint8Array(off + 64);
  grown.set(img);
  grown.set(multibootHeader({ flags: 0x10000, aout: { headerAddr: 0x400000 + off, loadAddr: 0x400000, loadEndAddr: 0x400000 + off + 32, bssEndAddr: 0, entryAddr: 0x400000 } }), off);
  const ram = new Ram(8 * MiB);
  assert.equal(loadMultiboot(ram, grown).entry, 0x400000);
  assert.deepEqual(Array.from(ram.u8.subarray(0x400000, 0x400004)), [0x7f, 0x45, 0x4c, 0x46]); // the file itself, from offset 0
  assert.equal(ram.read8(0x100000), 0);
});

test("translates a higher-half e_entry to its physical address; accepts flag bit 2 and PT_NOTE", () => {
  const img = buildTestElf({
    entry: 0xc0100020,
    multiboot: multibootHeader({ flags: 0x7 }),
    segments: [
      { paddr: 0x100000, vaddr: 0xc0100000, data: fill(0x40, 0x90) },
      { type: PT_NOTE, paddr: 0, data: elfNote("Xen", 1, fill(4, 0)) },
    ],
  });
  const ram = new Ram(4 * MiB);
  assert.equal(loadMultiboot(ram, img).entry, 0x100020);
  assert.equal(ram.read8(0x10003f), 0x90);
});

test("the entry state the spec requires is exported", () => {
  assert.equal(MULTIBOOT_BOOTLOADER_MAGIC, 0x2badb002);
  assert.equal(MULTIBOOT_MACHINE_STATE.eax, 0x2badb002);
  assert.equal(MULTIBOOT_MACHINE_STATE.cr0 & 0x80000001, 1); // PE=1, PG=0
  assert.equal(MULTIBOOT_MACHINE_STATE.eflags & ((1 << 17) | (1 << 9)), 0); // VM=0, IF=0
  assert.equal(MULTIBOOT_MACHINE_STATE.cs.limit, 0xffffffff);
  assert.equal(MULTIBOOT_MACHINE_STATE.cs.access & 0x1a, 0x1a); // code segment, readable
  assert.equal(MULTIBOOT_MACHINE_STATE.data.access & 0x1a, 0x12); // data segment, writable
});

test("header search: 4-aligned, within 8192 bytes, checksum held", () => {
  const at = (off: number, h = multibootHeader()): Uint8Array => {
    const b = new Uint8Array(off + 64);
    b.set(h, off);
    return b;
  };
  assert.equal(parseMultibootHeader(at(8180)).offset, 8180);
  assert.equal(hasMultibootHeader(at(8184)), false); // would end past 8192
  assert.equal(hasMultibootHeader(at(0x102)), false); // misaligned
  // A bad-checksum magic is skipped in favour of a later good one.
  const two = at(0x400);
  two.set(multibootHeader({ checksum: 0 }), 0x100);
  assert.equal(parseMultibootHeader(two).offset, 0x400);
  assert.equal(hasMultibootHeader(kernel()), true);
  assert.equal(hasMultibootHeader(new Uint8Array(3)), false);
});

test("malformed images are refused with the right kind and RAM untouched", () => {
  const seg = [{ paddr: 0x100000, data: fill(16, 0x90) }];
  // Not ELF: a blob with neither, and a valid header without the a.out kludge.
  refuses("not-elf", fill(4096, 0x55));
  refuses("not-elf", multibootHeader());
  refuses("bad-elf", buildTestElf({ segments: seg, cls: 2 }), {}, 4 * MiB, /class/);
  refuses("bad-elf", buildTestElf({ segments: seg, machine: 40 }), {}, 4 * MiB, /machine/);
  const cut = buildTestElf({ segments: seg, multiboot: null });
  const withMb = new Uint8Array(cut.length + 12);
  withMb.set(cut.subarray(0, TEST_ELF_PHOFF + 16));
  withMb.set(multibootHeader(), TEST_ELF_PHOFF + 16); // header inside the cut phdr table's bytes
  refuses("bad-elf", withMb.subarray(0, TEST_ELF_PHOFF + 28), {}, 4 * MiB, /program header table/);
  const past = kernel();
  le32(past, TEST_ELF_PHOFF + 32 * 2 + 16, past.length); // segment 2 filesz
  le32(past, TEST_ELF_PHOFF + 32 * 2 + 20, past.length);
  refuses("bad-elf", past, {}, 4 * MiB, /beyond end of file/);
  refuses("too-big", kernel(), {}, MiB + 0x4000, /beyond RAM/);
  refuses("too-big", kernel(), { modules: [{ bytes: fill(3 * MiB, 1), cmdline: "" }] }, 4 * MiB, /module 0/);
  refuses("too-big", buildTestElf({ segments: [{ paddr: 0x8000, data: fill(16, 1), memsz: 0x1010 }] }), {}, 4 * MiB, /information area/);
  refuses("too-big", kernel(), { cmdline: "x".repeat(0x9fc00 - 0x9000) }, 4 * MiB, /below the EBDA/);
  refuses("too-big", kernel(), {}, 0x80000, /1 MiB/);
  refuses("no-multiboot", buildTestElf({ segments: seg, multiboot: null }), {}, 4 * MiB, /no Multiboot header/);
  refuses("no-multiboot", buildTestElf({ segments: seg, multiboot: multibootHeader({ checksum: 1 }) }), {}, 4 * MiB, /bad checksum/);
  refuses("no-multiboot", buildTestElf({ segments: seg, multiboot: multibootHeader({ flags: 0x3 | 0x8 }) }), {}, 4 * MiB, /unsupported feature flags 0x8/);
  refuses("no-multiboot", buildTestElf({ segments: seg, multiboot: multibootHeader({ flags: 0x8000 }) }), {}, 4 * MiB, /0x8000/);
  refuses("bad-elf", buildTestElf({ segments: [{ type: 0x6474e551, paddr: 0 }] }), {}, 4 * MiB, /no PT_LOAD/);
  // a.out kludge inconsistencies.
  const aout = (a: { headerAddr: number; loadAddr: number; loadEndAddr: number; bssEndAddr: number }, size = 0x100): Uint8Array => {
    const b = new Uint8Array(size);
    b.set(multibootHeader({ flags: 0x10000, aout: { ...a, entryAddr: a.loadAddr } }), 0x20);
    return b;
  };
  refuses("no-multiboot", aout({ headerAddr: 0x200020, loadAddr: 0x200040, loadEndAddr: 0, bssEndAddr: 0 }), {}, 4 * MiB, /above header_addr/);
  refuses("no-multiboot", aout({ headerAddr: 0x200100, loadAddr: 0x200000, loadEndAddr: 0, bssEndAddr: 0 }), {}, 4 * MiB, /exceeds the header's file offset/);
  refuses("bad-elf", aout({ headerAddr: 0x200020, loadAddr: 0x200000, loadEndAddr: 0x200200, bssEndAddr: 0 }), {}, 4 * MiB, /beyond end of file/);
  refuses("no-multiboot", aout({ headerAddr: 0x200020, loadAddr: 0x200000, loadEndAddr: 0x200080, bssEndAddr: 0x200040 }), {}, 4 * MiB, /bss_end_addr/);
  refuses("too-big", aout({ headerAddr: 0x3fff020, loadAddr: 0x3fff000, loadEndAddr: 0, bssEndAddr: 0x4001000 }), {}, 4 * MiB, /beyond RAM/);
  const shortHdr = new Uint8Array(0x2c);
  shortHdr.set(multibootHeader({ flags: 0x10000 }).subarray(0, 12), 0x20);
  refuses("no-multiboot", shortHdr, {}, 4 * MiB, /a.out kludge fields/);
});

/**
 * The PV domain builder (docs/xen-pv32-abi.md §1.5–§1.11) on a synthetic
 * pv32pae image built in memory: layout, start_info, P2M/M2P, the bootstrap
 * PAE tables (walked in software), typing/pinning, the invariant checker,
 * refused images leaving the frame table untouched, and the BSD_SYMTAB block
 * (§1.4; expected bytes checked against Xen's own libelf on the same images).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { XEN_ELFNOTE } from "../../abi/elfnotes.js";
import { M2P, PTE, xenCr3ToPfn } from "../../abi/memory-layout.js";
import { offsetOf } from "../../abi/layout.js";
import { startInfo } from "../../abi/structs.js";
import { FLAT } from "../../abi/segments.js";
import type { DomId, Mfn } from "../../lib/brand.js";
import { LoaderError } from "../../machine/boot/elf32.js";
import { Ram } from "../../machine/memory/ram.js";
import { buildTestElf, concatBytes, elfNote } from "../../machine/boot/test-elf.js";
import { FrameTable, PGT, baseType } from "../core/frame-table.js";
import { buildPvDomain, type BuiltDomain } from "./domain-builder.js";
import { checkInvariants } from "./invariants.js";
import { paeTranslate } from "./pae-walk.js";
import { PvPageTables } from "./page-types.js";

const D = 1 as DomId;
const str = (s: string): Uint8Array => Uint8Array.from([...s, "\0"], (c) => c.charCodeAt(0));
const num = (n: number): Uint8Array => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);

const BASE_NOTES: Array<[number, Uint8Array]> = [
  [XEN_ELFNOTE.GUEST_OS, str("test")],
  [XEN_ELFNOTE.LOADER, str("generic")],
  [XEN_ELFNOTE.XEN_VERSION, str("xen-3.0")],
  [XEN_ELFNOTE.PAE_MODE, str("yes")],
  [XEN_ELFNOTE.FEATURES, str("!writable_page_tables|pae_pgdir_above_4gb")],
  [XEN_ELFNOTE.HYPERCALL_PAGE, num(0x102000)],
];
const KERNEL = Uint8Array.from({ length: 0x3000 }, (_, i) => (i * 7 + 3) & 0xff);

function image(notes: Array<[number, Uint8Array]> = BASE_NOTES, memsz = 0x5000): Uint8Array {
  const noteBytes = concatBytes(...notes.map(([type, desc]) => elfNote("Xen", type, desc)));
  const segments = [{ paddr: 0x100000, data: KERNEL, memsz }];
  return buildTestElf({
    segments: notes.length > 0 ? [...segments, { type: 4, paddr: 0, data: noteBytes, flags: 4 }] : segments,
    multiboot: null,
  });
}

function machine(bytes = 16 << 20) {
  const ram = new Ram(bytes);
  const frames = new FrameTable(ram.size >>> 12);
  const tables = new PvPageTables(ram, frames);
  const m2p = new Map<number, number>();
  return { ram, frames, tables, m2p };
}

function build(img: Uint8Array, memoryBytes = 8 << 20, mach = machine()) {
  const r = buildPvDomain({
    mem: mach.ram, frames: mach.frames, tables: mach.tables, domid: D, image: img, memoryBytes,
    cmdline: "hello world", consoleEvtchn: 2, storeEvtchn: 1, m2p: (mfn, pfn) => mach.m2p.set(mfn, pfn),
  });
  return { ...mach, r };
}

function built(r: BuiltDomain | LoaderError): BuiltDomain {
  if (r instanceof LoaderError) assert.fail(r.message);
  return r;
}

test("layout follows §1.5: kernel, P2M, start_info, store, console, tables, stack", () => {
  const { r } = build(image());
  const d = built(r);
  // 8 MiB → 2048 pages; kernel PFNs 256–260, P2M 261–262, start_info 263, store 264,
  // console 265, L3 266, L2 267–270, L1 271–272, stack 273; mapping ends at 4 MiB.
  assert.equal(d.entry, 0x100000);
  assert.equal(d.mfnListVa, 0x105000);
  assert.equal(d.startInfoVa, 0x107000);
  assert.equal(d.ptBaseVa, 0x10a000);
  assert.equal(d.nrPtFrames, 7);
  assert.equal(d.stackTopVa, 0x112000);
  assert.equal(d.mappedEndVa, 0x400000);
  assert.equal(d.vcpu.esi, d.startInfoVa);
  assert.equal(d.vcpu.esp, d.stackTopVa);
  assert.equal(d.vcpu.eip, 0x100000);
  assert.equal(d.vcpu.cs, FLAT.RING1_CS);
  assert.equal(d.vcpu.ss, FLAT.RING1_DS);
  assert.equal(d.vcpu.cr3, d.cr3);
  assert.equal(xenCr3ToPfn(d.cr3), d.l3Mfn);
  assert.equal(d.vcpu.vmAssist, 1 << 3);
  assert.equal(d.allocated.length, 2049);
});

test("start_info fields sit at their §2.1 offsets", () => {
  const { r, ram } = build(image());
  const d = built(r);
  const si = d.startInfoMfn * 4096;
  const f = (path: string): number => ram.read32(si + offsetOf(startInfo, path)) >>> 0;
  const magic = String.fromCharCode(...Array.from({ length: 16 }, (_, i) => ram.read8(si + i)));
  assert.equal(magic, "xen-3.0-x86_32p\0");
  assert.equal(f("nr_pages"), 2048);
  assert.equal(f("shared_info"), d.sharedInfoMfn * 4096);
  assert.equal(f("flags"), 0);
  assert.equal(f("store_mfn"), d.storeMfn);
  assert.equal(f("store_evtchn"), 1);
  assert.equal(f("console.domU.mfn"), d.consoleMfn);
  assert.equal(f("console.domU.evtchn"), 2);
  assert.equal(f("pt_base"), d.ptBaseVa);
  assert.equal(f("nr_pt_frames"), 7);
  assert.equal(f("mfn_list"), d.mfnListVa);
  assert.equal(f("first_p2m_pfn"), 0);
  assert.equal(f("nr_p2m_frames"), 0);
  const cmd = String.fromCharCode(...Array.from({ length: 12 }, (_, i) => ram.read8(si + 80 + i)));
  assert.equal(cmd, "hello world\0");
  assert.equal(ram.read8(d.consoleMfn * 4096 + 3088), 1, "console starts disconnected");
  assert.equal(ram.read8(d.sharedInfoMfn * 4096 + 64 * 5 + 1), 1, "events masked in vcpu_info");
});

test("P2M and M2P are exact inverses, not the identity, and the P2M is readable at mfn_list", () => {
  const { r, ram, m2p, frames } = build(image());
  const d = built(r);
  assert.ok(d.p2m.some((mfn, pfn) => mfn !== pfn), "identity P2M");
  assert.ok(d.p2m.some((mfn, pfn) => pfn > 0 && Math.abs(mfn - d.p2m[pfn - 1]!) !== 1), "contiguous P2M");
  assert.equal(new Set(d.p2m).size, d.p2m.length);
  d.p2m.forEach((mfn, pfn) => {
    assert.equal(m2p.get(mfn), pfn);
    assert.equal(frames.ownerOf(mfn as Mfn), D);
    if (pfn < 1024) {
      const t = paeTranslate(ram, d.cr3, d.mfnListVa + 4 * pfn);
      assert.ok(t);
      assert.equal(ram.read32(t.maddr) >>> 0, mfn);
    }
  });
  assert.equal(m2p.get(d.sharedInfoMfn), M2P.INVALID_ENTRY);
  assert.ok(!d.p2m.includes(d.sharedInfoMfn));
});

test("bootstrap tables: typed, L3 pinned, mapped read-only; everything else RW, no US in L1", () => {
  const { r, ram, frames } = build(image());
  const d = built(r);
  assert.ok(frames.pinned(d.l3Mfn));
  assert.equal(baseType(frames.typeInfo[d.l3Mfn]!), PGT.L3);
  const ptPfn0 = (d.ptBaseVa - d.virtBase) / 4096;
  for (let i = 0; i < d.nrPtFrames; i++) {
    const mfn = d.p2m[ptPfn0 + i]! as Mfn;
    const want = i === 0 ? PGT.L3 : i <= 4 ? PGT.L2 : PGT.L1;
    assert.equal(baseType(frames.typeInfo[mfn]!), want, `pt frame ${i}`);
    assert.ok(frames.validated(mfn));
    const t = paeTranslate(ram, d.cr3, d.ptBaseVa + i * 4096);
    assert.ok(t);
    assert.equal(t.writable, false, `pt frame ${i} mapped writable`);
  }
  for (let va = 0; va < d.mappedEndVa; va += 4096) {
    const t = paeTranslate(ram, d.cr3, va);
    assert.ok(t, `VA ${va.toString(16)} unmapped`);
    assert.equal(t.maddr, d.p2m[va / 4096]! * 4096);
    assert.equal(t.l1e & PTE.USER, 0);
    const isPt = va >= d.ptBaseVa && va < d.ptBaseVa + d.nrPtFrames * 4096;
    assert.equal(t.writable, !isPt);
  }
  assert.equal(paeTranslate(ram, d.cr3, d.mappedEndVa), undefined);
  assert.deepEqual(checkInvariants(ram, frames, { external: [{ mfn: d.l3Mfn, general: 1, type: 1 }] }), []);
});

test("the kernel is readable at its virtual addresses, bss zero, hypercall page written", () => {
  const { r, ram } = build(image());
  const d = built(r);
  const at = (va: number): number => ram.read8(paeTranslate(ram, d.cr3, va)!.maddr);
  for (let i = 0; i < KERNEL.length; i += 61) if (i < 0x2000 || i >= 0x3000) assert.equal(at(0x100000 + i), KERNEL[i]);
  assert.equal(at(0x101fff), KERNEL[0x1fff]);
  assert.equal(at(0x103000), 0);
  assert.equal(at(0x104fff), 0);
  assert.deepEqual([0, 1, 5, 6, 7].map((i) => at(0x102000 + i)), [0xb8, 0, 0xcd, 0x82, 0xc3]);
  assert.equal(at(0x102000 + 32 * 23), 0x50, "iret stub");
});

function refused(img: Uint8Array, memoryBytes: number, why: RegExp): void {
  const mach = machine();
  const before = mach.frames.freeCount;
  const { r, m2p } = build(img, memoryBytes, mach);
  assert.ok(r instanceof LoaderError, "expected a LoaderError");
  assert.match(r.message, why);
  assert.equal(mach.frames.freeCount, before);
  assert.equal(m2p.size, 0);
  assert.deepEqual(checkInvariants(mach.ram, mach.frames), []);
}

test("malformed images and impossible sizes are refused with nothing allocated", () => {
  refused(image([]), 8 << 20, /no Xen ELF notes/);
  refused(image(BASE_NOTES.map(([t, v]) => [t, t === XEN_ELFNOTE.PAE_MODE ? str("no") : v])), 8 << 20, /PAE_MODE/);
  refused(image(BASE_NOTES.filter(([t]) => t !== XEN_ELFNOTE.PAE_MODE)), 8 << 20, /PAE_MODE note absent/);
  refused(image(BASE_NOTES.filter(([t]) => t !== XEN_ELFNOTE.XEN_VERSION)), 8 << 20, /XEN_VERSION/);
  refused(image([...BASE_NOTES, [XEN_ELFNOTE.PAE_MODE, str("bimodal")]]), 8 << 20, /twice/);
  refused(image([...BASE_NOTES, [XEN_ELFNOTE.PADDR_OFFSET, num(0)]]), 8 << 20, /without VIRT_BASE/);
  refused(image(BASE_NOTES.map(([t, v]) => [t, t === XEN_ELFNOTE.FEATURES ? str("!no_such_feature") : v])), 8 << 20, /unknown feature/);
  refused(image([...BASE_NOTES, [XEN_ELFNOTE.ENTRY, num(0x900000)]]), 8 << 20, /entry/);
  refused(image(BASE_NOTES, 0x900000), 8 << 20, /beyond the domain/);
  refused(image(), 2 << 20, /beyond the domain|bootstrap region/);
  refused(image(), 3 << 20, /bootstrap region/);
  refused(image(), 20 << 20, /free/);
  refused(Uint8Array.of(1, 2, 3), 8 << 20, /ELF/);
});

test("a refused build after a successful one leaves the first domain sound", () => {
  const mach = machine(32 << 20);
  const first = build(image(), 8 << 20, mach);
  const d = built(first.r);
  const before = mach.frames.freeCount;
  const second = build(image(), 30 << 20, mach);
  assert.ok(second.r instanceof LoaderError);
  assert.equal(mach.frames.freeCount, before);
  assert.deepEqual(checkInvariants(mach.ram, mach.frames, { external: [{ mfn: d.l3Mfn, general: 1, type: 1 }] }), []);
  const again = build(image(), 8 << 20, mach);
  const d2 = built(again.r);
  assert.ok(d2.allocated.every((m) => !d.allocated.includes(m)));
  assert.deepEqual(checkInvariants(mach.ram, mach.frames, {
    external: [{ mfn: d.l3Mfn, general: 1, type: 1 }, { mfn: d2.l3Mfn, general: 1, type: 1 }],
  }), []);
});

// ── BSD_SYMTAB "yes" (§1.4; libelf elf_parse_bsdsyms / elf_load_bsdsyms) ──

const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const SYMS = Uint8Array.from({ length: 0x30 }, (_, i) => (i * 13 + 1) & 0xff);
const STRS = str("\0foo\0bar");

interface SymtabImageOptions {
  memsz?: number;
  syms?: Uint8Array;
  strs?: Uint8Array;
  /** Section order: the string table first exercises the sh_link lookup. */
  strtabFirst?: boolean;
  /** Overrides the symtab's sh_link (default: the string table's index). */
  link?: number;
  /** Overrides the symtab's sh_size. */
  symSize?: number;
  note?: string;
}

/** A kernel at 0x100000 with a .symtab (sh_entsize 16, sh_info 1) and its .strtab; notes + BSD_SYMTAB. */
function symtabImage(o: SymtabImageOptions = {}): Uint8Array {
  const syms = { name: ".symtab", type: SHT_SYMTAB, data: o.syms ?? SYMS };
  const strs = { name: ".strtab", type: SHT_STRTAB, data: o.strs ?? STRS, addralign: 1 };
  const sections = o.strtabFirst ? [strs, syms] : [syms, strs];
  const noteBytes = concatBytes(...[...BASE_NOTES, [XEN_ELFNOTE.BSD_SYMTAB, str(o.note ?? "yes")] as [number, Uint8Array]]
    .map(([type, desc]) => elfNote("Xen", type, desc)));
  const img = buildTestElf({
    segments: [{ paddr: 0x100000, data: KERNEL, memsz: o.memsz ?? 0x5001 }, { type: 4, paddr: 0, data: noteBytes, flags: 4 }],
    sections,
    multiboot: null,
  });
  const view = new DataView(img.buffer, img.byteOffset, img.byteLength);
  const shdr = (i: number): number => view.getUint32(32, true) + 40 * i;
  const symIndex = o.strtabFirst ? 2 : 1;
  view.setUint32(shdr(symIndex) + 24, o.link ?? (o.strtabFirst ? 1 : 2), true);
  view.setUint32(shdr(symIndex) + 28, 1, true);
  view.setUint32(shdr(symIndex) + 36, 16, true);
  if (o.symSize !== undefined) view.setUint32(shdr(symIndex) + 20, o.symSize, true);
  return img;
}

/** Read guest bytes through the bootstrap page tables. */
function reader(ram: Ram, d: BuiltDomain) {
  const u8 = (va: number): number => ram.read8(paeTranslate(ram, d.cr3, va)!.maddr);
  const bytes = (va: number, n: number): number[] => Array.from({ length: n }, (_, i) => u8(va + i));
  const u16 = (va: number): number => u8(va) | (u8(va + 1) << 8);
  const u32 = (va: number): number => (u16(va) | (u16(va + 2) << 16)) >>> 0;
  return { u8, bytes, u16, u32 };
}

test("BSD_SYMTAB: the block sits at round_up(pend, 4) and matches libelf byte for byte", () => {
  for (const strtabFirst of [false, true]) {
    const img = symtabImage({ strtabFirst });
    const { r, ram } = build(img);
    const d = built(r);
    const { u8, bytes, u16, u32 } = reader(ram, d);
    // pend 0x105001 → S 0x105004; libelf sizes it 192 + 0x30 + 9 → 0xfc: virt_kend 0x105100.
    const S = 0x105004;
    const sym = S + 260;
    const strAt = sym + SYMS.length;
    assert.deepEqual(d.bsdSymtab && { ...d.bsdSymtab, writes: undefined }, {
      startVa: S, endVa: 0x105100, symtabVa: sym, strtabVa: strAt, writtenEndVa: strAt + STRS.length, writes: undefined, skipped: [],
    });
    // The kernel piece grows to 6 pages: every later piece moves up one page.
    assert.equal(d.mfnListVa, 0x106000);
    assert.equal(d.startInfoVa, 0x108000);
    assert.equal(d.ptBaseVa, 0x10b000);

    assert.equal(u32(S), strAt + STRS.length - (S + 4), "size = strtab end − (S+4)");
    const eh = S + 4;
    assert.deepEqual(bytes(eh, 16), [...img.subarray(0, 16)], "e_ident copied");
    assert.deepEqual([u16(eh + 16), u16(eh + 18), u32(eh + 20), u32(eh + 24)], [2, 3, 1, 0x100000], "type, machine, version, entry");
    assert.deepEqual([u32(eh + 28), u32(eh + 32), u32(eh + 36)], [0, 64, 0], "phoff, shoff, flags");
    assert.deepEqual([40, 42, 44, 46, 48, 50].map((o) => u16(eh + o)), [52, 0, 0, 40, 3, 0], "ehsize phentsize phnum shentsize shnum shstrndx");
    assert.ok(bytes(eh + 52, 12).every((b) => b === 0), "XSA-194: zero between e_ehsize and e_shoff");
    assert.ok(bytes(eh + 64, 40).every((b) => b === 0), "section 0 is null");

    const view = new DataView(img.buffer, img.byteOffset, img.byteLength);
    const shoff = view.getUint32(32, true);
    const fileShdr = (i: number, field: number): number => view.getUint32(shoff + 40 * i + field, true);
    const [symIdx, strIdx] = strtabFirst ? [2, 1] : [1, 2];
    const sh = (i: number, field: number): number => u32(eh + 64 + 40 * i + field);
    for (const field of [0, 4, 8, 12, 20, 28, 32, 36]) {
      assert.equal(sh(1, field), fileShdr(symIdx, field), `symtab shdr +${field} copied`);
      assert.equal(sh(2, field), fileShdr(strIdx, field), `strtab shdr +${field} copied`);
    }
    assert.deepEqual([sh(1, 4), sh(1, 16), sh(1, 20), sh(1, 24)], [SHT_SYMTAB, sym - eh, SYMS.length, 2]);
    assert.deepEqual([sh(2, 4), sh(2, 16), sh(2, 20), sh(2, 24)], [SHT_STRTAB, strAt - eh, STRS.length, 0]);
    assert.ok(bytes(S + 188, 72).every((b) => b === 0), "gap to S+260 is zero");
    assert.deepEqual(bytes(sym, SYMS.length), [...SYMS]);
    assert.deepEqual(bytes(strAt, STRS.length), [...STRS]);
    assert.ok(bytes(strAt + STRS.length, 0x106000 - (strAt + STRS.length)).every((b) => b === 0), "rest of the page zero");
    assert.equal(u8(0x105000), 0, "bss before the block");
  }
});

test("BSD_SYMTAB: a table that would leave the page-rounded kernel segment is skipped, as libelf does", () => {
  // pend 0x105000: libelf reserves S + round4(192 + 0xe00 + 300) = 0x105fec, but the strtab
  // goes at S + 260 + 0xe00 = 0x105f04 and would end at 0x106030, past the kernel's last page.
  const syms = Uint8Array.from({ length: 0xe00 }, (_, i) => (i + 5) & 0xff);
  const strs = Uint8Array.from({ length: 300 }, (_, i) => (i % 250) + 1);
  const { r, ram } = build(symtabImage({ memsz: 0x5000, syms, strs }));
  const d = built(r);
  const { bytes, u32 } = reader(ram, d);
  assert.equal(d.bsdSymtab?.endVa, 0x105fec);
  assert.deepEqual(d.bsdSymtab?.skipped, ["strtab"]);
  assert.equal(d.mfnListVa, 0x106000);
  assert.equal(u32(0x105000), 0x106030 - 0x105004, "size still covers the strtab");
  assert.equal(u32(0x105004 + 64 + 80 + 16), 0x105f04 - 0x105004, "strtab sh_offset still set");
  assert.deepEqual(bytes(0x105104, syms.length), [...syms]);
  assert.ok(bytes(0x105f04, 0x106000 - 0x105f04).every((b) => b === 0), "strtab not copied");
  assert.equal(u32(0x106000), d.p2m[0], "the P2M follows untouched");
});

test("BSD_SYMTAB: a stripped image loads without a block; other note values are ignored", () => {
  const stripped = image([...BASE_NOTES, [XEN_ELFNOTE.BSD_SYMTAB, str("yes")]]);
  const d = built(build(stripped).r);
  assert.equal(d.bsdSymtab, undefined);
  assert.equal(d.mfnListVa, 0x105000);
  const no = built(build(symtabImage({ note: "no" })).r);
  assert.equal(no.bsdSymtab, undefined);
  assert.equal(no.mfnListVa, 0x106000, "memsz 0x5001 still needs 6 pages");
});

test("BSD_SYMTAB: malformed symbol tables are refused with nothing allocated", () => {
  refused(symtabImage({ link: 0 }), 8 << 20, /BSD_SYMTAB: symbol table \(section 1\) sh_link 0 does not name a section/);
  refused(symtabImage({ link: 9 }), 8 << 20, /sh_link 9 does not name a section \(1–3\)/);
  refused(symtabImage({ link: 1 }), 8 << 20, /sh_link 1 names a section of type 2, not SHT_STRTAB/);
  refused(symtabImage({ symSize: 0x100000 }), 8 << 20, /section 1 .*extends beyond end of file/);
  refused(symtabImage({ symSize: 0xfffffff0 }), 8 << 20, /beyond end of file/);
});

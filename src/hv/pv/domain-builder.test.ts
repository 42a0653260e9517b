/**
 * The PV domain builder (docs/xen-pv32-abi.md §1.5–§1.11) on a synthetic
 * pv32pae image built in memory: layout, start_info, P2M/M2P, the bootstrap
 * PAE tables (walked in software), typing/pinning, the invariant checker, and
 * refused images leaving the frame table untouched.
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

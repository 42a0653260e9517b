/**
 * The PV domain builder on a real guest image: guests/build/tests/pv-hello.elf
 * (built by `make -s -C guests`). Checks the §1.5 layout, start_info, the
 * P2M/M2P pair, the bootstrap tables (walked in software) and the invariants.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { offsetOf } from "../../src/abi/layout.js";
import { startInfo } from "../../src/abi/structs.js";
import { FLAT } from "../../src/abi/segments.js";
import type { DomId, Mfn } from "../../src/lib/brand.js";
import { LoaderError, PT_LOAD, parseElf32 } from "../../src/machine/boot/elf32.js";
import { Ram } from "../../src/machine/memory/ram.js";
import { FrameTable, PGT, baseType } from "../../src/hv/core/frame-table.js";
import { buildPvDomain } from "../../src/hv/pv/domain-builder.js";
import { checkInvariants } from "../../src/hv/pv/invariants.js";
import { paeTranslate, type PaeTranslation } from "../../src/hv/pv/pae-walk.js";
import { PvPageTables } from "../../src/hv/pv/page-types.js";

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("repository root not found");
    dir = up;
  }
  return dir;
}

const ELF = join(repoRoot(), "guests", "build", "tests", "pv-hello.elf");
const D = 3 as DomId;

test("pv-hello.elf builds into a sound domain", { skip: existsSync(ELF) ? false : "run `make -s -C guests` first" }, () => {
  const image = new Uint8Array(readFileSync(ELF));
  const ram = new Ram(64 << 20);
  const frames = new FrameTable(ram.size >>> 12);
  const tables = new PvPageTables(ram, frames);
  const m2p = new Map<number, number>();
  const before = frames.freeCount;
  const r = buildPvDomain({
    mem: ram, frames, tables, domid: D, image, memoryBytes: 32 << 20, cmdline: "hypercall",
    consoleEvtchn: 2, storeEvtchn: 1, m2p: (mfn, pfn) => m2p.set(mfn, pfn),
  });
  if (r instanceof LoaderError) assert.fail(r.message);
  assert.equal(frames.freeCount, before - 8193);
  assert.equal(r.entry, 0x100000);
  assert.equal(r.hypercallPageVa, 0x101000);
  assert.equal(r.vcpu.cs, FLAT.RING1_CS);
  assert.equal(r.vcpu.esi, r.startInfoVa);

  // start_info
  const si = r.startInfoMfn * 4096;
  const f = (path: string): number => ram.read32(si + offsetOf(startInfo, path)) >>> 0;
  assert.equal(String.fromCharCode(...Array.from({ length: 15 }, (_, i) => ram.read8(si + i))), "xen-3.0-x86_32p");
  assert.equal(f("nr_pages"), 8192);
  assert.equal(f("shared_info"), r.sharedInfoMfn * 4096);
  assert.equal(f("store_mfn"), r.storeMfn);
  assert.equal(f("console.domU.mfn"), r.consoleMfn);
  assert.equal(f("console.domU.evtchn"), 2);
  assert.equal(f("store_evtchn"), 1);
  assert.equal(f("pt_base"), r.ptBaseVa);
  assert.equal(f("nr_pt_frames"), r.nrPtFrames);
  assert.equal(f("mfn_list"), r.mfnListVa);
  assert.equal(r.mfnListVa, 0x10c000, "P2M right after the kernel (memsz 0xc000)");
  assert.equal(r.startInfoVa, r.mfnListVa + 8 * 4096);

  // P2M / M2P
  assert.ok(r.p2m.some((mfn, pfn) => mfn !== pfn));
  r.p2m.forEach((mfn, pfn) => assert.equal(m2p.get(mfn), pfn));
  for (let pfn = 0; pfn < r.mappedEndVa / 4096; pfn += 97) {
    const t: PaeTranslation = paeTranslate(ram, r.cr3, r.mfnListVa + 4 * pfn)!;
    assert.equal(ram.read32(t.maddr) >>> 0, r.p2m[pfn]);
  }

  // kernel bytes through the tables
  const elf = parseElf32(image);
  for (const s of elf.segments.filter((x) => x.type === PT_LOAD)) {
    for (let i = 0; i < s.memsz; i++) {
      const va = s.paddr + i;
      if (va >= 0x101000 && va < 0x102000) continue; // the hypercall page
      const t = paeTranslate(ram, r.cr3, va);
      assert.ok(t);
      assert.equal(ram.read8(t.maddr), i < s.filesz ? image[s.offset + i] : 0, `byte at ${va.toString(16)}`);
    }
  }
  assert.equal(ram.read8(paeTranslate(ram, r.cr3, 0x101000)!.maddr), 0xb8);

  // tables: typed, L3 pinned, read-only
  assert.ok(frames.pinned(r.l3Mfn));
  const ptPfn = r.ptBaseVa / 4096;
  for (let i = 0; i < r.nrPtFrames; i++) {
    const mfn = r.p2m[ptPfn + i]! as Mfn;
    assert.equal(baseType(frames.typeInfo[mfn]!), i === 0 ? PGT.L3 : i <= 4 ? PGT.L2 : PGT.L1);
    assert.equal(paeTranslate(ram, r.cr3, r.ptBaseVa + i * 4096)!.writable, false);
  }
  assert.equal(paeTranslate(ram, r.cr3, r.stackTopVa - 4)!.writable, true);
  assert.deepEqual(checkInvariants(ram, frames, { external: [{ mfn: r.l3Mfn, general: 1, type: 1 }] }), []);
});

test("pv-hello.elf in too little memory is refused with nothing allocated", { skip: existsSync(ELF) ? false : "no guest build" }, () => {
  const ram = new Ram(16 << 20);
  const frames = new FrameTable(ram.size >>> 12);
  const tables = new PvPageTables(ram, frames);
  const before = frames.freeCount;
  const r = buildPvDomain({
    mem: ram, frames, tables, domid: D, image: new Uint8Array(readFileSync(ELF)), memoryBytes: 1 << 20, cmdline: "",
    consoleEvtchn: 2, storeEvtchn: 1, m2p: () => assert.fail("m2p called on a refused build"),
  });
  assert.ok(r instanceof LoaderError);
  assert.equal(frames.freeCount, before);
});

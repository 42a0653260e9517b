/** ELF note types, descriptor reading and FEATURES parsing (docs/xen-pv32-abi.md §1.2, §4.15). */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ELFNOTE_KIND,
  MINIMAL_PV32_FEATURES,
  XENFEAT,
  XEN_ELFNOTE,
  XEN_PV32_DOMU_FEATURES,
  parseFeatures,
  readNoteDesc,
} from "./elfnotes.js";

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const ascii = (s: string): Uint8Array => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));

test("§1.2: note type numbers 0–19", () => {
  assert.deepEqual(Object.values(XEN_ELFNOTE), [...Array(20).keys()]);
  assert.equal(XEN_ELFNOTE.HYPERCALL_PAGE, 2);
  assert.equal(XEN_ELFNOTE.PAE_MODE, 9);
  assert.equal(XEN_ELFNOTE.SUPPORTED_FEATURES, 17);
});

test("§1.2: numeric notes are little-endian; 4 and 8 bytes (libelf also takes 1 and 2, anything else reads 0)", () => {
  assert.equal(ELFNOTE_KIND.HYPERCALL_PAGE, "numeric");
  assert.deepEqual(readNoteDesc(XEN_ELFNOTE.HYPERCALL_PAGE, bytes(0x00, 0x50, 0x10, 0x00)), { kind: "numeric", value: 0x105000n });
  assert.deepEqual(readNoteDesc(XEN_ELFNOTE.VIRT_BASE, bytes(0, 0, 0, 0x80, 0xff, 0xff, 0xff, 0xff)), {
    kind: "numeric",
    value: 0xffffffff80000000n,
  });
  assert.deepEqual(readNoteDesc(XEN_ELFNOTE.ENTRY, bytes(0x34, 0x12)), { kind: "numeric", value: 0x1234n });
  assert.deepEqual(readNoteDesc(XEN_ELFNOTE.ENTRY, bytes(1, 2, 3)), { kind: "numeric", value: 0n });
});

test("§1.2: string notes end at the NUL; a missing NUL is broken", () => {
  assert.deepEqual(readNoteDesc(XEN_ELFNOTE.XEN_VERSION, ascii("xen-3.0\0\0\0")), { kind: "string", value: "xen-3.0" });
  assert.deepEqual(readNoteDesc(XEN_ELFNOTE.LOADER, ascii("generic\0")), { kind: "string", value: "generic" });
  assert.equal(readNoteDesc(XEN_ELFNOTE.GUEST_OS, ascii("XTF")).kind, "broken");
});

test("§1.2: SUPPORTED_FEATURES and PHYS32_RELOC are u32 arrays; INFO and unknown types are ignored", () => {
  assert.deepEqual(readNoteDesc(XEN_ELFNOTE.SUPPORTED_FEATURES, bytes(0x30, 0, 2, 0)), { kind: "words", words: [0x20030] });
  assert.deepEqual(readNoteDesc(XEN_ELFNOTE.PHYS32_RELOC, bytes(0, 0x10, 0, 0, 0, 0, 0x10, 0)), {
    kind: "words",
    words: [0x1000, 0x100000],
  });
  assert.deepEqual(readNoteDesc(XEN_ELFNOTE.SUPPORTED_FEATURES, bytes(1, 2, 3)), { kind: "words", words: [] });
  assert.deepEqual(readNoteDesc(XEN_ELFNOTE.L1_MFN_VALID, bytes(1, 2, 3, 4)), { kind: "none" });
  assert.deepEqual(readNoteDesc(XEN_ELFNOTE.INFO, ascii("A=B\0")), { kind: "ignored" });
  assert.deepEqual(readNoteDesc(20, bytes(1)), { kind: "ignored" });
});

test("§1.2: XTF's FEATURES string marks writable_page_tables required and both supported", () => {
  const xtf = parseFeatures("!writable_page_tables|pae_pgdir_above_4gb");
  assert.deepEqual(xtf, { supported: (1 << 0) | (1 << 4), required: 1 << 0 });
  assert.deepEqual(parseFeatures("no_such_feature|dom0"), { supported: 1 << 11, required: 0 });
  assert.equal(parseFeatures("!no_such_feature").unknownRequired, "no_such_feature");
  // Only the seven names libelf knows count: mmu_pt_update_preserve_ad is a XENFEAT bit but no FEATURES name.
  assert.deepEqual(parseFeatures("!mmu_pt_update_preserve_ad").unknownRequired, "mmu_pt_update_preserve_ad");
  // A token longer than 63 characters is cut: the 64th character starts a new token.
  assert.deepEqual(parseFeatures(`${"x".repeat(63)}dom0`), { supported: 1 << 11, required: 0 });
});

test("§4.15: feature submap values", () => {
  assert.equal(XENFEAT.pae_pgdir_above_4gb, 4);
  assert.equal(XENFEAT.dom0, 11);
  assert.equal(XENFEAT.dm_msix_all_writes, 20);
  assert.equal(XEN_PV32_DOMU_FEATURES, 0x001e20f0);
  assert.equal(MINIMAL_PV32_FEATURES, 0x00020030);
});

/** ELF32 parsing and notes (TIS ELF 1.2): accepted shapes and every refusal. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { LoaderError, PF_R, PF_W, PF_X, PT_LOAD, PT_NOTE, SHT_NOBITS, SHT_NOTE, elfNotes, isElf, parseElf32 } from "./elf32.js";
import { TEST_ELF_PHOFF, buildTestElf, concatBytes, elfNote } from "./test-elf.js";

const PT_GNU_STACK = 0x6474e551;
const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const le32 = (b: Uint8Array, off: number, v: number): void => new DataView(b.buffer, b.byteOffset).setUint32(off, v >>> 0, true);

function sample(): Uint8Array {
  return buildTestElf({
    entry: 0x100010,
    segments: [
      { paddr: 0x100000, data: bytes(1, 2, 3, 4), flags: PF_R | PF_X, align: 0x1000 },
      { paddr: 0x101000, vaddr: 0xc0101000, data: bytes(5, 6), memsz: 0x2000, flags: PF_R | PF_W },
      { type: PT_GNU_STACK, paddr: 0, flags: PF_R | PF_W },
    ],
  });
}

function throwsKind(fn: () => unknown, kind: LoaderError["kind"], match?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof LoaderError, `expected LoaderError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    if (match) assert.match(e.message, match);
    return true;
  });
}

test("parses header and PT_LOAD segments, skipping PT_GNU_STACK", () => {
  const img = sample();
  const elf = parseElf32(img);
  assert.equal(elf.entry, 0x100010);
  assert.equal(elf.sections.length, 0);
  assert.equal(elf.segments.length, 2);
  const [a, b] = elf.segments;
  assert.deepEqual({ ...a!, offset: 0 }, { type: PT_LOAD, offset: 0, vaddr: 0x100000, paddr: 0x100000, filesz: 4, memsz: 4, flags: PF_R | PF_X, align: 0x1000 });
  assert.deepEqual(Array.from(img.subarray(a!.offset, a!.offset + 4)), [1, 2, 3, 4]);
  assert.equal(b!.vaddr, 0xc0101000);
  assert.equal(b!.paddr, 0x101000);
  assert.equal(b!.filesz, 2);
  assert.equal(b!.memsz, 0x2000);
  assert.ok(isElf(img));
});

test("reads notes from PT_NOTE segments (Xen-style notes)", () => {
  const desc = bytes(0x00, 0x00, 0x00, 0xc0);
  const img = buildTestElf({
    segments: [
      { paddr: 0x100000, data: bytes(0x90) },
      { type: PT_NOTE, paddr: 0, data: concatBytes(elfNote("Xen", 1, desc), elfNote("Xen", 6, bytes(0x6c, 0x69, 0x6e, 0x75, 0x78, 0))) },
      { type: PT_NOTE, paddr: 0, data: elfNote("GNU", 3, bytes(9, 9, 9)) },
    ],
    // Sections repeating the note must not double it: PT_NOTE wins.
    sections: [{ name: ".note.Xen", type: SHT_NOTE, data: elfNote("Xen", 99, bytes()) }],
  });
  const notes = elfNotes(img);
  assert.deepEqual(notes.map((n) => [n.name, n.type, Array.from(n.desc)]), [
    ["Xen", 1, [0, 0, 0, 0xc0]],
    ["Xen", 6, [0x6c, 0x69, 0x6e, 0x75, 0x78, 0]],
    ["GNU", 3, [9, 9, 9]],
  ]);
  assert.deepEqual(elfNotes(parseElf32(img)).length, 3);
});

test("reads notes from SHT_NOTE sections when there is no PT_NOTE, and section names", () => {
  const img = buildTestElf({
    segments: [{ paddr: 0x100000, data: bytes(0x90), memsz: 0x100 }],
    sections: [
      { name: ".text", type: 1, data: bytes(0x90), addr: 0x100000 },
      { name: ".bss", type: SHT_NOBITS, size: 0x10000000 },
      { name: ".note.Xen", type: SHT_NOTE, data: concatBytes(elfNote("Xen", 2, bytes(1, 2, 3, 4, 5)), elfNote("Xen", 3, bytes(7))) },
    ],
  });
  const elf = parseElf32(img);
  assert.deepEqual(elf.sections.map((s) => s.name), ["", ".text", ".bss", ".note.Xen", ".shstrtab"]);
  assert.equal(elf.sections[2]!.size, 0x10000000); // NOBITS is not held to the file size
  assert.deepEqual(elfNotes(elf).map((n) => [n.name, n.type, Array.from(n.desc)]), [["Xen", 2, [1, 2, 3, 4, 5]], ["Xen", 3, [7]]]);
});

test("a note whose last desc omits its padding is accepted", () => {
  const note = elfNote("Xen", 5, bytes(1, 2, 3)).subarray(0, 12 + 4 + 3);
  const img = buildTestElf({ segments: [{ paddr: 0x100000, data: bytes(1) }, { type: PT_NOTE, paddr: 0, data: note }] });
  assert.deepEqual(Array.from(elfNotes(img)[0]!.desc), [1, 2, 3]);
});

test("refuses what is not an ELF", () => {
  throwsKind(() => parseElf32(bytes()), "not-elf");
  throwsKind(() => parseElf32(bytes(0x7f, 0x45, 0x4c)), "not-elf");
  throwsKind(() => parseElf32(new Uint8Array(100)), "not-elf");
  throwsKind(() => parseElf32(sample().subarray(0, 40)), "bad-elf", /header truncated/);
});

test("refuses a wrong class, encoding, type or machine", () => {
  const seg = [{ paddr: 0x100000, data: bytes(1) }];
  throwsKind(() => parseElf32(buildTestElf({ segments: seg, cls: 2 })), "bad-elf", /class 2/);
  throwsKind(() => parseElf32(buildTestElf({ segments: seg, data: 2 })), "bad-elf", /data encoding/);
  throwsKind(() => parseElf32(buildTestElf({ segments: seg, machine: 62 })), "bad-elf", /machine 62/);
  throwsKind(() => parseElf32(buildTestElf({ segments: seg, type: 3 })), "bad-elf", /type 3/);
});

test("refuses tables and segments outside the file", () => {
  const img = sample();
  // Program header table cut short.
  throwsKind(() => parseElf32(img.subarray(0, TEST_ELF_PHOFF + 32 + 10)), "bad-elf", /program header table/);
  // p_offset + p_filesz past the end.
  const past = sample();
  le32(past, TEST_ELF_PHOFF + 16, past.length);
  throwsKind(() => parseElf32(past), "bad-elf", /PT_LOAD segment 0.*beyond end of file/);
  // A huge p_offset (no wrap to a small number).
  const huge = sample();
  le32(huge, TEST_ELF_PHOFF + 4, 0xfffffff0);
  throwsKind(() => parseElf32(huge), "bad-elf");
  // p_filesz > p_memsz.
  const fm = sample();
  le32(fm, TEST_ELF_PHOFF + 20, 2);
  throwsKind(() => parseElf32(fm), "bad-elf", /exceeds p_memsz/);
  // A segment wrapping 4 GiB.
  const wrap = sample();
  le32(wrap, TEST_ELF_PHOFF + 12, 0xfffff000);
  le32(wrap, TEST_ELF_PHOFF + 20, 0x2000);
  throwsKind(() => parseElf32(wrap), "bad-elf", /wraps/);
  // e_phentsize too small.
  const ent = sample();
  ent[42] = 16;
  throwsKind(() => parseElf32(ent), "bad-elf", /e_phentsize/);
});

test("refuses broken section tables and notes", () => {
  const withSecs = (): Uint8Array => buildTestElf({ segments: [{ paddr: 0x100000, data: bytes(1) }], sections: [{ name: ".note", type: SHT_NOTE, data: elfNote("Xen", 1, bytes(1, 2, 3, 4)) }] });
  const cut = withSecs();
  throwsKind(() => parseElf32(cut.subarray(0, cut.length - 8)), "bad-elf", /section header table/);
  const badOff = withSecs();
  const shoff = new DataView(badOff.buffer).getUint32(32, true);
  le32(badOff, shoff + 40 + 20, 0x100000); // section 1 sh_size
  throwsKind(() => parseElf32(badOff), "bad-elf", /section 1/);
  const badStr = withSecs();
  badStr[50] = 9;
  throwsKind(() => parseElf32(badStr), "bad-elf", /e_shstrndx/);
  const badNote = withSecs();
  le32(badNote, shoff + 40 + 20, 12); // section keeps the header but not the name/desc
  throwsKind(() => elfNotes(badNote), "bad-elf", /runs past/);
  const bigDesc = buildTestElf({ segments: [{ paddr: 0x100000, data: bytes(1) }, { type: PT_NOTE, paddr: 0, data: elfNote("Xen", 1, bytes(1, 2, 3, 4)) }] });
  const noteOff = new DataView(bigDesc.buffer).getUint32(TEST_ELF_PHOFF + 32 + 4, true);
  le32(bigDesc, noteOff + 4, 0xffffffff);
  throwsKind(() => elfNotes(bigDesc), "bad-elf", /runs past/);
});

test("no truncation or byte corruption gives anything but LoaderError", () => {
  const img = buildTestElf({
    segments: [{ paddr: 0x100000, data: bytes(1, 2, 3) }, { type: PT_NOTE, paddr: 0, data: elfNote("Xen", 1, bytes(1, 2, 3, 4)) }],
    sections: [{ name: ".note", type: SHT_NOTE, data: elfNote("Xen", 1, bytes(1)) }],
  });
  const tryAll = (b: Uint8Array): void => {
    try {
      elfNotes(parseElf32(b));
    } catch (e) {
      assert.ok(e instanceof LoaderError, `non-LoaderError: ${String(e)}`);
    }
  };
  for (let n = 0; n < img.length; n++) tryAll(img.subarray(0, n));
  let seed = 12345;
  const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8);
  for (let i = 0; i < 3000; i++) {
    const b = img.slice();
    for (let k = 0; k < 1 + (rand() % 4); k++) b[rand() % Math.min(b.length, 200)] = rand() & 0xff;
    if (rand() % 2) b[rand() % b.length] = 0xff;
    tryAll(b);
  }
});

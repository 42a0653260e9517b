/**
 * A tiny ELF32 writer for tests: builds ET_EXEC EM_386 images with chosen
 * program headers, optional sections, notes and a Multiboot header, so loader
 * tests (here, in the hypervisor's domain builder, in the toolstack) need no
 * compiler. Plain code, no Node API.
 *
 * Spec: TIS ELF 1.2 (Elf32_Ehdr, Elf32_Phdr, Elf32_Shdr, note layout);
 * Multiboot Specification 0.6.96 §3.1.1 (header).
 *
 * File layout produced:
 *
 *   0x00  Elf32_Ehdr (52)
 *   0x34  Elf32_Phdr × segments.length          (TEST_ELF_PHOFF + 32·i)
 *         Multiboot header, if any (4-aligned)  (returned as multibootOffset)
 *         segment bytes, each 16-aligned, in order
 *         section bytes, then .shstrtab
 *         Elf32_Shdr × (1 + sections + 1), 4-aligned (only if sections given)
 */

export const TEST_ELF_PHOFF = 52;

export interface TestElfSegment {
  /** p_type; default PT_LOAD (1). */
  type?: number;
  paddr: number;
  /** Default: paddr. */
  vaddr?: number;
  /** File contents (p_filesz = data.length); default empty. */
  data?: Uint8Array;
  /** Default: data.length. */
  memsz?: number;
  /** Default: PF_R | PF_W | PF_X. */
  flags?: number;
  /** Default: 4. */
  align?: number;
}

export interface TestElfSection {
  name: string;
  type: number;
  data?: Uint8Array;
  /** sh_size for SHT_NOBITS sections (which have no data). */
  size?: number;
  addr?: number;
  flags?: number;
  addralign?: number;
}

export interface TestElfOptions {
  /** e_entry; default the first segment's vaddr. */
  entry?: number;
  segments: TestElfSegment[];
  /** When given, a section header table is written: a null section, these, then .shstrtab. */
  sections?: TestElfSection[];
  /** Bytes placed after the program headers; default a valid header with flags 0x3. null: none. */
  multiboot?: Uint8Array | null;
  /** Header overrides for malformed-image tests. */
  cls?: number;
  data?: number;
  machine?: number;
  type?: number;
}

export interface MultibootHeaderOptions {
  flags?: number;
  magic?: number;
  /** Default: the value that makes magic + flags + checksum == 0. */
  checksum?: number;
  aout?: { headerAddr: number; loadAddr: number; loadEndAddr: number; bssEndAddr: number; entryAddr: number };
}

function le32(out: Uint8Array, off: number, v: number): void {
  out[off] = v & 0xff;
  out[off + 1] = (v >>> 8) & 0xff;
  out[off + 2] = (v >>> 16) & 0xff;
  out[off + 3] = (v >>> 24) & 0xff;
}
function le16(out: Uint8Array, off: number, v: number): void {
  out[off] = v & 0xff;
  out[off + 1] = (v >>> 8) & 0xff;
}
const align = (n: number, a: number): number => Math.ceil(n / a) * a;
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** A Multiboot v1 header: 12 bytes, or 32 with the a.out kludge fields. */
export function multibootHeader(opts: MultibootHeaderOptions = {}): Uint8Array {
  const magic = opts.magic ?? 0x1badb002;
  const flags = opts.flags ?? 0x3;
  const h = new Uint8Array(opts.aout ? 32 : 12);
  le32(h, 0, magic);
  le32(h, 4, flags);
  le32(h, 8, opts.checksum ?? -(magic + flags));
  if (opts.aout) {
    const a = opts.aout;
    [a.headerAddr, a.loadAddr, a.loadEndAddr, a.bssEndAddr, a.entryAddr].forEach((v, i) => le32(h, 12 + 4 * i, v));
  }
  return h;
}

/** One ELF note (Elf32_Nhdr, name with its NUL, desc, each padded to 4). */
export function elfNote(name: string, type: number, desc: Uint8Array): Uint8Array {
  const namesz = name.length + 1;
  const out = new Uint8Array(12 + align(namesz, 4) + align(desc.length, 4));
  le32(out, 0, namesz);
  le32(out, 4, desc.length);
  le32(out, 8, type);
  out.set(ascii(name), 12);
  out.set(desc, 12 + align(namesz, 4));
  return out;
}

/** Concatenate byte arrays (e.g. several notes into one PT_NOTE). */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Build the image. Returns its bytes and where the Multiboot header went. */
export function buildTestElf(opts: TestElfOptions): Uint8Array & { multibootOffset: number } {
  const segs = opts.segments;
  const mb = opts.multiboot === undefined ? multibootHeader() : opts.multiboot;
  let at = TEST_ELF_PHOFF + 32 * segs.length;
  const mbOffset = mb ? (at = align(at, 4)) : -1;
  if (mb) at += mb.length;
  const segOffsets = segs.map((s) => {
    const off = align(at, 16);
    at = off + (s.data?.length ?? 0);
    return off;
  });
  const secs = opts.sections;
  let secOffsets: number[] = [];
  let shstr = new Uint8Array(0);
  let shstrOff = 0;
  let shoff = 0;
  const nameOffs: number[] = [];
  if (secs) {
    secOffsets = secs.map((s) => {
      const off = align(at, 4);
      at = off + (s.data?.length ?? 0);
      return off;
    });
    const names = [...secs.map((s) => s.name), ".shstrtab"];
    let strlen = 1;
    for (const n of names) {
      nameOffs.push(strlen);
      strlen += n.length + 1;
    }
    shstr = new Uint8Array(strlen);
    names.forEach((n, i) => shstr.set(ascii(n), nameOffs[i]!));
    shstrOff = at;
    at += shstr.length;
    shoff = align(at, 4);
    at = shoff + 40 * (secs.length + 2);
  }

  const out = new Uint8Array(at) as Uint8Array & { multibootOffset: number };
  out.multibootOffset = mbOffset;
  out.set([0x7f, 0x45, 0x4c, 0x46, opts.cls ?? 1, opts.data ?? 1, 1], 0);
  le16(out, 16, opts.type ?? 2);
  le16(out, 18, opts.machine ?? 3);
  le32(out, 20, 1);
  le32(out, 24, opts.entry ?? segs[0]?.vaddr ?? segs[0]?.paddr ?? 0);
  le32(out, 28, segs.length > 0 ? TEST_ELF_PHOFF : 0);
  le32(out, 32, shoff);
  le16(out, 40, 52);
  le16(out, 42, 32);
  le16(out, 44, segs.length);
  le16(out, 46, 40);
  le16(out, 48, secs ? secs.length + 2 : 0);
  le16(out, 50, secs ? secs.length + 1 : 0);
  segs.forEach((s, i) => {
    const p = TEST_ELF_PHOFF + 32 * i;
    const filesz = s.data?.length ?? 0;
    [s.type ?? 1, segOffsets[i]!, s.vaddr ?? s.paddr, s.paddr, filesz, s.memsz ?? filesz, s.flags ?? 7, s.align ?? 4].forEach((v, j) => le32(out, p + 4 * j, v));
    if (s.data) out.set(s.data, segOffsets[i]!);
  });
  if (mb) out.set(mb, mbOffset);
  if (secs) {
    const shdr = (i: number, f: number[]): void => f.forEach((v, j) => le32(out, shoff + 40 * i + 4 * j, v));
    secs.forEach((s, i) => {
      if (s.data) out.set(s.data, secOffsets[i]!);
      shdr(i + 1, [nameOffs[i]!, s.type, s.flags ?? 0, s.addr ?? 0, secOffsets[i]!, s.data?.length ?? s.size ?? 0, 0, 0, s.addralign ?? 4, 0]);
    });
    out.set(shstr, shstrOff);
    shdr(secs.length + 1, [nameOffs[secs.length]!, 3, 0, 0, shstrOff, shstr.length, 0, 0, 1, 0]);
  }
  return out;
}

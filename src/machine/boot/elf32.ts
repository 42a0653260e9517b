/**
 * ELF32 executables for IA-32: the header, the program headers a loader needs
 * (PT_LOAD, PT_NOTE), the optional section headers, and the notes.
 *
 * Spec: System V ABI / Tool Interface Standard (TIS) ELF 1.2, Book I ch. 1
 * ("ELF Header", "Sections", "Note Section") and ch. 2 ("Program Header");
 * Book III (i386) for EM_386. Extended numbering (PN_XNUM, e_shnum == 0) is
 * from the System V gABI (4.1 update).
 *
 *   file offset 0                                                     length
 *   | Elf32_Ehdr (52) | ... | Elf32_Phdr × e_phnum | ... segment bytes ... |
 *                            ^ e_phoff                 Elf32_Shdr × e_shnum  ^ e_shoff
 *
 *   Elf32_Phdr (32 bytes)                    Elf32_Nhdr + payload (4-aligned)
 *   +0 p_type   +16 p_filesz                 +0 namesz  +4 descsz  +8 type
 *   +4 p_offset +20 p_memsz                  +12 name[namesz] pad to 4
 *   +8 p_vaddr  +24 p_flags                  desc[descsz] pad to 4
 *   +12 p_paddr +28 p_align
 *
 * What is accepted: ELFCLASS32, ELFDATA2LSB, EV_CURRENT, ET_EXEC, EM_386.
 * Program headers other than PT_LOAD and PT_NOTE (PT_GNU_STACK, PT_PHDR, ...)
 * are skipped without looking inside them.
 *
 * Invariant: every offset and size taken from the file is checked against the
 * file before it is used, so a truncated or hostile image ends in a
 * LoaderError, never a RangeError or a half-read structure. Parsing never
 * writes anywhere; callers can validate fully before they touch memory.
 */

/** Why an image was refused. */
export type LoaderErrorKind = "not-elf" | "bad-elf" | "no-multiboot" | "too-big";

/**
 * An image that cannot be loaded.
 *   not-elf      no ELF magic where an ELF file is required
 *   bad-elf      a malformed or unsupported image (class, machine, a table or
 *                segment outside the file, ...)
 *   no-multiboot no usable Multiboot header (missing, bad checksum, required
 *                feature we do not provide, header fields inconsistent)
 *   too-big      the image, its modules or the boot information do not fit
 */
export class LoaderError extends Error {
  override name = "LoaderError";
  constructor(readonly kind: LoaderErrorKind, message: string) {
    super(message);
  }
}

export const ELFCLASS32 = 1;
export const ELFDATA2LSB = 1;
export const EV_CURRENT = 1;
export const ET_EXEC = 2;
export const EM_386 = 3;

export const PT_LOAD = 1;
export const PT_NOTE = 4;
/** p_flags bits. */
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export const SHT_NULL = 0;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;

const EHDR_SIZE = 52;
const PHDR_SIZE = 32;
const SHDR_SIZE = 40;
const PN_XNUM = 0xffff;
const SHN_UNDEF = 0;
const SHN_XINDEX = 0xffff;

/** A PT_LOAD or PT_NOTE program header. */
export interface ElfSegment {
  readonly type: number;
  readonly offset: number;
  readonly vaddr: number;
  readonly paddr: number;
  readonly filesz: number;
  readonly memsz: number;
  readonly flags: number;
  readonly align: number;
}

export interface ElfSection {
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly addr: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly addralign: number;
  readonly entsize: number;
}

export interface ElfImage {
  readonly bytes: Uint8Array;
  readonly entry: number;
  readonly flags: number;
  /** PT_LOAD and PT_NOTE headers in file order; every other type is dropped. */
  readonly segments: readonly ElfSegment[];
  /** Empty when the file has no section header table (e_shoff == 0). */
  readonly sections: readonly ElfSection[];
}

export interface ElfNote {
  readonly name: string;
  readonly type: number;
  readonly desc: Uint8Array;
}

/** Little-endian reads that refuse to leave the file. */
function u16(b: Uint8Array, off: number): number {
  if (off < 0 || off + 2 > b.length) throw new LoaderError("bad-elf", `ELF truncated: half at ${off} beyond end of file (${b.length} bytes)`);
  return b[off]! | (b[off + 1]! << 8);
}
/** Unsigned 32-bit little-endian read, bounds-checked; also used by multiboot.ts. */
export function readU32(b: Uint8Array, off: number, kind: LoaderErrorKind = "bad-elf"): number {
  if (off < 0 || off + 4 > b.length) throw new LoaderError(kind, `image truncated: word at ${off} beyond end of file (${b.length} bytes)`);
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}

/** [off, off+size) lies inside the file. Offsets and sizes are u32, so sums stay exact in doubles. */
function checkRange(b: Uint8Array, off: number, size: number, what: string): void {
  if (off + size > b.length) {
    throw new LoaderError("bad-elf", `${what} at file offset 0x${off.toString(16)} size 0x${size.toString(16)} extends beyond end of file (0x${b.length.toString(16)} bytes)`);
  }
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** True when the image starts with the ELF magic \x7fELF. */
export function isElf(image: Uint8Array): boolean {
  return image.length >= 4 && image[0] === 0x7f && image[1] === 0x45 && image[2] === 0x4c && image[3] === 0x46;
}

/** Parse and validate an ELF32 LE EM_386 executable. Throws LoaderError. */
export function parseElf32(b: Uint8Array): ElfImage {
  if (!isElf(b)) throw new LoaderError("not-elf", "not an ELF file (no \\x7fELF magic)");
  if (b.length < EHDR_SIZE) throw new LoaderError("bad-elf", `ELF header truncated: file is ${b.length} bytes, header needs ${EHDR_SIZE}`);
  const cls = b[4]!;
  if (cls !== ELFCLASS32) throw new LoaderError("bad-elf", `ELF class ${cls} not supported (need ELFCLASS32)`);
  const data = b[5]!;
  if (data !== ELFDATA2LSB) throw new LoaderError("bad-elf", `ELF data encoding ${data} not supported (need ELFDATA2LSB)`);
  if (b[6] !== EV_CURRENT) throw new LoaderError("bad-elf", `ELF ident version ${b[6]!} not supported`);
  const type = u16(b, 16);
  if (type !== ET_EXEC) throw new LoaderError("bad-elf", `ELF type ${type} not supported (need ET_EXEC)`);
  const machine = u16(b, 18);
  if (machine !== EM_386) throw new LoaderError("bad-elf", `ELF machine ${machine} not supported (need EM_386)`);
  const version = readU32(b, 20);
  if (version !== EV_CURRENT) throw new LoaderError("bad-elf", `ELF version ${version} not supported`);
  const entry = readU32(b, 24);
  const phoff = readU32(b, 28);
  const shoff = readU32(b, 32);
  const flags = readU32(b, 36);
  const phentsize = u16(b, 42);
  let phnum = u16(b, 44);
  const shentsize = u16(b, 46);
  let shnum = u16(b, 48);
  let shstrndx = u16(b, 50);

  // Extended numbering: the real counts live in section 0 (gABI).
  if (shoff !== 0 && (shnum === 0 || phnum === PN_XNUM || shstrndx === SHN_XINDEX)) {
    if (shentsize < SHDR_SIZE) throw new LoaderError("bad-elf", `e_shentsize ${shentsize} smaller than ${SHDR_SIZE}`);
    checkRange(b, shoff, SHDR_SIZE, "section header 0");
    if (shnum === 0) shnum = readU32(b, shoff + 20);
    if (phnum === PN_XNUM) phnum = readU32(b, shoff + 28);
    if (shstrndx === SHN_XINDEX) shstrndx = readU32(b, shoff + 24);
  }

  const segments: ElfSegment[] = [];
  if (phnum > 0) {
    if (phentsize < PHDR_SIZE) throw new LoaderError("bad-elf", `e_phentsize ${phentsize} smaller than ${PHDR_SIZE}`);
    checkRange(b, phoff, phnum * phentsize, `program header table (${phnum} entries)`);
    for (let i = 0; i < phnum; i++) {
      const p = phoff + i * phentsize;
      const ptype = readU32(b, p);
      if (ptype !== PT_LOAD && ptype !== PT_NOTE) continue;
      const seg: ElfSegment = {
        type: ptype, offset: readU32(b, p + 4), vaddr: readU32(b, p + 8), paddr: readU32(b, p + 12),
        filesz: readU32(b, p + 16), memsz: readU32(b, p + 20), flags: readU32(b, p + 24), align: readU32(b, p + 28),
      };
      const what = `${ptype === PT_LOAD ? "PT_LOAD" : "PT_NOTE"} segment ${i}`;
      checkRange(b, seg.offset, seg.filesz, what);
      if (ptype === PT_LOAD) {
        if (seg.filesz > seg.memsz) throw new LoaderError("bad-elf", `${what}: p_filesz ${hex(seg.filesz)} exceeds p_memsz ${hex(seg.memsz)}`);
        if (seg.paddr + seg.memsz > 2 ** 32 || seg.vaddr + seg.memsz > 2 ** 32) {
          throw new LoaderError("bad-elf", `${what}: ${hex(seg.paddr)}+${hex(seg.memsz)} wraps the 32-bit address space`);
        }
      }
      segments.push(seg);
    }
  }

  const sections = shoff === 0 ? [] : parseSections(b, shoff, shentsize, shnum, shstrndx);
  return { bytes: b, entry, flags, segments, sections };
}

function parseSections(b: Uint8Array, shoff: number, shentsize: number, shnum: number, shstrndx: number): ElfSection[] {
  if (shnum === 0) return [];
  if (shentsize < SHDR_SIZE) throw new LoaderError("bad-elf", `e_shentsize ${shentsize} smaller than ${SHDR_SIZE}`);
  checkRange(b, shoff, shnum * shentsize, `section header table (${shnum} entries)`);
  const raw: (Omit<ElfSection, "name"> & { nameOff: number })[] = [];
  for (let i = 0; i < shnum; i++) {
    const s = shoff + i * shentsize;
    const sec = {
      nameOff: readU32(b, s), type: readU32(b, s + 4), flags: readU32(b, s + 8), addr: readU32(b, s + 12),
      offset: readU32(b, s + 16), size: readU32(b, s + 20), link: readU32(b, s + 24), info: readU32(b, s + 28),
      addralign: readU32(b, s + 32), entsize: readU32(b, s + 36),
    };
    // Section 0 holds extended counts, not contents; NOBITS occupies no file space.
    if (i !== 0 && sec.type !== SHT_NULL && sec.type !== SHT_NOBITS) checkRange(b, sec.offset, sec.size, `section ${i}`);
    raw.push(sec);
  }
  let strtab: { offset: number; size: number } | undefined;
  if (shstrndx !== SHN_UNDEF) {
    if (shstrndx >= shnum) {
      throw new LoaderError("bad-elf", `e_shstrndx ${shstrndx} out of range (${shnum} sections)`);
    }
    const st = raw[shstrndx]!;
    if (st.type === SHT_NOBITS) throw new LoaderError("bad-elf", "section name string table is SHT_NOBITS");
    strtab = { offset: st.offset, size: st.size };
  }
  return raw.map(({ nameOff, ...rest }, i) => ({ ...rest, name: strtab ? cString(b, strtab.offset, strtab.size, nameOff, `name of section ${i}`) : "" }));
}

/** A NUL-terminated string at `off` inside the table [base, base+size). */
function cString(b: Uint8Array, base: number, size: number, off: number, what: string): string {
  if (off >= size) throw new LoaderError("bad-elf", `${what}: offset ${off} beyond string table (${size} bytes)`);
  let s = "";
  for (let i = base + off; i < base + size; i++) {
    const c = b[i]!;
    if (c === 0) return s;
    s += String.fromCharCode(c);
  }
  throw new LoaderError("bad-elf", `${what}: string not NUL-terminated inside its table`);
}

/**
 * The notes of an image, in file order. Like Xen's libelf (elf_xen_parse),
 * notes come from the PT_NOTE segments when there are any, otherwise from the
 * SHT_NOTE sections, so a note covered by both is reported once. `desc` is a
 * view into the image bytes. A note that runs past its segment or section is
 * a LoaderError("bad-elf").
 */
export function elfNotes(image: ElfImage | Uint8Array): ElfNote[] {
  const elf = image instanceof Uint8Array ? parseElf32(image) : image;
  const notes: ElfNote[] = [];
  const segs = elf.segments.filter((s) => s.type === PT_NOTE);
  if (segs.length > 0) {
    for (const s of segs) parseNotes(elf.bytes, s.offset, s.filesz, s.align === 8 ? 8 : 4, notes);
  } else {
    for (const s of elf.sections) if (s.type === SHT_NOTE) parseNotes(elf.bytes, s.offset, s.size, s.addralign === 8 ? 8 : 4, notes);
  }
  return notes;
}

function parseNotes(b: Uint8Array, start: number, size: number, align: number, out: ElfNote[]): void {
  const end = start + size; // already checked against the file
  const up = (n: number): number => Math.ceil(n / align) * align;
  let p = start;
  while (p < end) {
    if (p + 12 > end) throw new LoaderError("bad-elf", `note header at file offset ${hex(p)} truncated by the end of its segment`);
    const namesz = readU32(b, p);
    const descsz = readU32(b, p + 4);
    const type = readU32(b, p + 8);
    const nameAt = p + 12;
    const descAt = nameAt + up(namesz);
    // The final desc may omit its padding; name and desc themselves must fit.
    if (nameAt + namesz > end || descAt + descsz > end) {
      throw new LoaderError("bad-elf", `note at file offset ${hex(p)} (namesz ${namesz}, descsz ${descsz}) runs past the end of its segment`);
    }
    let name = "";
    for (let i = 0; i < namesz; i++) {
      const c = b[nameAt + i]!;
      if (c === 0) break;
      name += String.fromCharCode(c);
    }
    out.push({ name, type, desc: b.subarray(descAt, descAt + descsz) });
    p = descAt + up(descsz);
  }
}

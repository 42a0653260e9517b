/**
 * The BSD symbol-table block a PV kernel asks for with the Xen ELF note
 * BSD_SYMTAB "yes" (docs/xen-pv32-abi.md §1.4; Xen
 * xen/common/libelf/libelf-loader.c elf_init, elf_parse_bsdsyms,
 * elf_load_bsdsyms; libelf-dominfo.c elf_xen_addr_calc_check).
 *
 * The builder copies the image's symbol table and its string table behind the
 * kernel, under a fake ELF file header, so the guest can find its symbols.
 * Offsets from S = round_up(pend, 4) + virt_offset (pend = end of the last
 * PT_LOAD in paddr space; 4 = sizeof(long) for ELFCLASS32):
 *
 *   S+0    u32 size = end of strtab − (S+4)
 *   S+4    Elf32_Ehdr (52): the image's, with e_version 1, e_phoff 0,
 *          e_shoff 64, e_ehsize 52, e_phentsize 0, e_phnum 0,
 *          e_shentsize 40, e_shnum 3, e_shstrndx 0
 *   S+56   12 zero bytes (libelf's header slot is a 64-byte Elf32/Elf64
 *          union; XSA-194 leaked stack here, XTF xsa-194 checks for zero)
 *   S+68   Elf32_Shdr 0: zero
 *   S+108  Elf32_Shdr 1: the image's SHT_SYMTAB header (raw 40 bytes),
 *          sh_offset = symtab − (S+4), sh_link = 2
 *   S+148  Elf32_Shdr 2: the header its sh_link names (raw), sh_offset =
 *          strtab − (S+4)
 *   S+188  zero up to S+260 (libelf's struct holds 64-byte section slots)
 *   round_up(S+260, 4)             symbol table contents
 *   round_up(symtab end, 4)        string table contents
 *
 * virt_kend becomes S + round_up(round_up(192 + symtab size, 4) + strtab
 * size, 4): libelf sizes the block with 32-bit section headers (and the size
 * word counted twice), 68 bytes less than it writes. We keep Xen's virt_kend,
 * so the block may end up to 68 bytes past it. The toolstack (xg_dom_elfloader.c)
 * lets libelf write anywhere in the page-rounded kernel segment and silently
 * skips a copy (symtab or strtab) that would leave it (elf_memcpy_safe); we
 * do the same and name what was skipped. The headers always fit (S+188 ≤
 * virt_kend).
 *
 * Where libelf quietly loads nothing because the tables are inconsistent (the
 * first SHT_SYMTAB's sh_link is 0 or out of range, or names a section that is
 * not SHT_STRTAB) or copies nothing because a table lies outside the file,
 * we refuse the image with a LoaderError instead. An image with no
 * SHT_SYMTAB at all (stripped) is accepted with no block, as in libelf.
 *
 * Plain arithmetic on the image: nothing here touches guest memory.
 */
import { LoaderError, readU32, type ElfImage } from "../../machine/boot/elf32.js";

const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const EV_CURRENT = 1;
const EHDR32 = 52;
const SHDR32 = 40;
/** Size word, Elf32_Ehdr padded to sizeof(Elf64_Ehdr), three 64-byte section slots: sizeof(struct elf_sym_header). */
const SYM_HEADER_SLOT = 4 + 64 + 3 * 64;
/** offsetof(struct elf_sym_header, elf_header.section): the size word plus the 64-byte ELF header slot. */
const SECTIONS_AT = 4 + 64;
/** elf_parse_bsdsyms' header estimate: sizeof(uint32_t) + offsetof(…, elf_header.section) + 3 × sizeof(Elf32_Shdr). */
const PARSED_HEADER_SIZE = 4 + SECTIONS_AT + 3 * SHDR32;
const SYMTAB_INDEX = 1;
const STRTAB_INDEX = 2;
/** Bytes written from S: size word, ELF header slot, three Elf32_Shdr. */
export const BSD_HEADER_BYTES = SECTIONS_AT + 3 * SHDR32;

/** One contiguous copy into the kernel's virtual range. */
export interface BsdSymtabWrite {
  readonly va: number;
  readonly bytes: Uint8Array;
}

export interface BsdSymtab {
  /** S: VA of the size word. */
  readonly startVa: number;
  /** The new virt_kend (libelf's bsd_symtab_pend + virt_offset). */
  readonly endVa: number;
  readonly symtabVa: number;
  readonly strtabVa: number;
  /** End of what libelf writes (strtab end); may exceed endVa by up to 68 bytes. */
  readonly writtenEndVa: number;
  /** Size word and headers (BSD_HEADER_BYTES), symtab, strtab, minus any skipped. */
  readonly writes: readonly BsdSymtabWrite[];
  /** Tables not copied because they would leave the page-rounded kernel segment. */
  readonly skipped: readonly ("symtab" | "strtab")[];
}

const bad = (message: string): LoaderError => new LoaderError("bad-elf", message);
const round4 = (n: number): number => Math.ceil(n / 4) * 4;
const PAGE_SIZE = 4096;

function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
}
function put32(b: Uint8Array, off: number, v: number): void {
  put16(b, off, v);
  put16(b, off + 2, v >>> 16);
}

/**
 * Plan the block for an image whose loadable segments end at paddr `pend`.
 * `virtKstart` must be the (page-aligned) kernel start; the kernel segment
 * then spans [virtKstart, virtKstart + page_round(endVa − virtKstart)).
 * Returns undefined when the image has no symbol table.
 */
export function planBsdSymtab(elf: ElfImage, pend: number, virtOffset: number, virtKstart: number): BsdSymtab | undefined | LoaderError {
  const b = elf.bytes;
  // libelf counts sections by the raw e_shnum (no extended numbering).
  const count = b.length >= EHDR32 ? Math.min(b[48]! | (b[49]! << 8), elf.sections.length) : 0;
  let symIndex = -1;
  for (let i = 1; i < count; i++) {
    if (elf.sections[i]!.type === SHT_SYMTAB) {
      symIndex = i;
      break;
    }
  }
  if (symIndex < 0) return undefined;
  const sym = elf.sections[symIndex]!;
  if (sym.link === 0 || sym.link >= count) {
    return bad(`BSD_SYMTAB: symbol table (section ${symIndex}) sh_link ${sym.link} does not name a section (1–${count - 1})`);
  }
  const str = elf.sections[sym.link]!;
  if (str.type !== SHT_STRTAB) {
    return bad(`BSD_SYMTAB: symbol table (section ${symIndex}) sh_link ${sym.link} names a section of type ${str.type}, not SHT_STRTAB`);
  }
  for (const [what, i, s] of [["symbol table", symIndex, sym], ["string table", sym.link, str]] as const) {
    if (s.offset + s.size > b.length) {
      return bad(`BSD_SYMTAB: ${what} (section ${i}) at file offset 0x${s.offset.toString(16)} size 0x${s.size.toString(16)} extends beyond end of file (0x${b.length.toString(16)} bytes)`);
    }
  }

  // elf_parse_bsdsyms: the extent, in paddr space, that becomes virt_kend.
  const pstart = round4(pend);
  const sz = round4(round4(round4(PARSED_HEADER_SIZE) + sym.size) + str.size);
  const startVa = pstart + virtOffset;
  const endVa = pstart + sz + virtOffset;

  // elf_load_bsdsyms: positions, rounded relative to the page-aligned kernel start.
  const headerVa = startVa + 4;
  const symtabVa = virtKstart + round4(startVa + SYM_HEADER_SLOT - virtKstart);
  const strtabVa = virtKstart + round4(symtabVa + sym.size - virtKstart);
  const writtenEndVa = strtabVa + str.size;

  const header = new Uint8Array(BSD_HEADER_BYTES);
  put32(header, 0, writtenEndVa - headerVa);
  header.set(b.subarray(0, EHDR32), 4);
  const eh = (off: number): number => 4 + off;
  put32(header, eh(20), EV_CURRENT);
  put32(header, eh(28), 0);
  put32(header, eh(32), SECTIONS_AT - 4);
  put16(header, eh(40), EHDR32);
  put16(header, eh(42), 0);
  put16(header, eh(44), 0);
  put16(header, eh(46), SHDR32);
  put16(header, eh(48), 3);
  put16(header, eh(50), 0);
  const shoff = readU32(b, 32);
  const shentsize = b[46]! | (b[47]! << 8);
  const rawShdr = (i: number): Uint8Array => b.subarray(shoff + i * shentsize, shoff + i * shentsize + SHDR32);
  const slot = (i: number): number => SECTIONS_AT + i * SHDR32;
  header.set(rawShdr(symIndex), slot(SYMTAB_INDEX));
  put32(header, slot(SYMTAB_INDEX) + 16, symtabVa - headerVa);
  put32(header, slot(SYMTAB_INDEX) + 24, STRTAB_INDEX);
  header.set(rawShdr(sym.link), slot(STRTAB_INDEX));
  put32(header, slot(STRTAB_INDEX) + 16, strtabVa - headerVa);

  // The toolstack's destination is the page-rounded kernel segment.
  const segmentEnd = virtKstart + Math.ceil((endVa - virtKstart) / PAGE_SIZE) * PAGE_SIZE;
  const writes: BsdSymtabWrite[] = [{ va: startVa, bytes: header }];
  const skipped: ("symtab" | "strtab")[] = [];
  const copy = (what: "symtab" | "strtab", va: number, off: number, size: number): void => {
    if (va + size <= segmentEnd) writes.push({ va, bytes: b.subarray(off, off + size) });
    else skipped.push(what);
  };
  copy("symtab", symtabVa, sym.offset, sym.size);
  copy("strtab", strtabVa, str.offset, str.size);
  return { startVa, endVa, symtabVa, strtabVa, writtenEndVa, writes, skipped };
}

/**
 * Checking a PV kernel image before anything is allocated
 * (docs/xen-pv32-abi.md §1.1 image, §1.2 Xen ELF notes, §1.3 address
 * calculation; Xen xen/common/libelf/libelf-dominfo.c elf_xen_note_check,
 * elf_xen_addr_calc_check).
 *
 * `inspectPvImage` parses the ELF, reads its "Xen" notes and computes the
 * kernel's virtual extent. It never touches memory; every refusal is a
 * LoaderError whose message names the rule broken.
 *
 * BSD_SYMTAB "yes" (§1.4) plans the symbol-table block (bsd-symtab.ts) and
 * extends virt_kend over it, as libelf's elf_xen_addr_calc_check does, before
 * the entry, hypercall-page and address-space checks.
 *
 * Not supported (refused with a clear error): the legacy `__xen_guest`
 * section, non-PAE images.
 */
import {
  ELFNOTE_STRING,
  XEN_ELFNOTE,
  parseFeatures,
  readNoteDesc,
  type NoteValue,
} from "../../abi/elfnotes.js";
import { PAGE } from "../../abi/memory-layout.js";
import { planBsdSymtab, type BsdSymtab } from "./bsd-symtab.js";
import { LoaderError, PF_R, PF_W, PF_X, PT_LOAD, elfNotes, parseElf32, type ElfImage, type ElfSegment } from "../../machine/boot/elf32.js";

export interface PvImage {
  readonly elf: ElfImage;
  /** PT_LOAD segments with at least one of R/W/X (§1.1). */
  readonly segments: readonly ElfSegment[];
  readonly virtBase: number;
  /** virt_base − paddr_offset: added to p_paddr to get a load address. */
  readonly virtOffset: number;
  readonly virtKstart: number;
  /** End of the kernel image, or of the BSD symbol-table block when there is one. */
  readonly virtKend: number;
  /** BSD_SYMTAB "yes" with a symbol table in the image: what to write behind the kernel. */
  readonly bsdSymtab: BsdSymtab | undefined;
  readonly entry: number;
  /** VA of the hypercall page, or undefined when the note is absent. */
  readonly hypercallPage: number | undefined;
  /** PAE_MODE "yes" or bimodal: VMASST_TYPE_pae_extended_cr3 goes in the initial vm_assist. */
  readonly extendedCr3: boolean;
  readonly supportedFeatures: number;
  readonly requiredFeatures: number;
}

const bad = (message: string): LoaderError => new LoaderError("bad-elf", message);
const hex = (n: number): string => `0x${n.toString(16)}`;

const noteKey = (v: NoteValue): string => {
  switch (v.kind) {
    case "numeric": return `n${v.value}`;
    case "string": return `s${v.value}`;
    case "words": return `w${v.words.join(",")}`;
    case "broken": return `b${v.reason}`;
    default: return v.kind;
  }
};

/** The "Xen" notes by type; a type given twice with different values is refused. */
function collectNotes(elf: ElfImage): Map<number, NoteValue> | LoaderError {
  const notes = elfNotes(elf).filter((n) => n.name === ELFNOTE_STRING.NAME);
  if (notes.length === 0) {
    return bad("no Xen ELF notes (PT_NOTE/SHT_NOTE named \"Xen\"); the legacy __xen_guest section is not supported");
  }
  const byType = new Map<number, NoteValue>();
  for (const note of notes) {
    const value = readNoteDesc(note.type, note.desc);
    if (value.kind === "broken") return bad(`Xen ELF note ${note.type}: ${value.reason}`);
    const earlier = byType.get(note.type);
    if (earlier !== undefined && noteKey(earlier) !== noteKey(value)) {
      return bad(`Xen ELF note ${note.type} given twice with different values`);
    }
    byType.set(note.type, value);
  }
  return byType;
}

function stringNote(notes: Map<number, NoteValue>, type: number): string | undefined {
  const v = notes.get(type);
  return v?.kind === "string" ? v.value : undefined;
}

function numericNote(notes: Map<number, NoteValue>, type: number, name: string): number | undefined | LoaderError {
  const v = notes.get(type);
  if (v?.kind !== "numeric") return undefined;
  if (v.value > 0xffffffffn) return bad(`Xen ELF note ${name} = 0x${v.value.toString(16)} does not fit in 32 bits`);
  return Number(v.value);
}

/** Parse and check a pv32pae kernel image (§1.1–§1.3). */
export function inspectPvImage(image: Uint8Array): PvImage | LoaderError {
  let elf: ElfImage;
  let collected: Map<number, NoteValue> | LoaderError;
  try {
    elf = parseElf32(image);
    collected = collectNotes(elf);
  } catch (e) {
    if (e instanceof LoaderError) return e;
    throw e;
  }
  if (collected instanceof LoaderError) return collected;
  const notes = collected;

  const xenVersion = stringNote(notes, XEN_ELFNOTE.XEN_VERSION) ?? "";
  if (!xenVersion.startsWith(ELFNOTE_STRING.XEN_VERSION_PREFIX)) {
    return bad(`XEN_VERSION note "${xenVersion}" does not start with "${ELFNOTE_STRING.XEN_VERSION_PREFIX}"`);
  }
  const loader = stringNote(notes, XEN_ELFNOTE.LOADER) ?? "";
  const guestOs = stringNote(notes, XEN_ELFNOTE.GUEST_OS) ?? "";
  if (!loader.startsWith(ELFNOTE_STRING.LOADER_GENERIC) && !guestOs.startsWith(ELFNOTE_STRING.GUEST_OS_LINUX)) {
    return bad(`LOADER note "${loader}" is not "generic" and GUEST_OS "${guestOs}" is not Linux`);
  }
  const pae = stringNote(notes, XEN_ELFNOTE.PAE_MODE);
  const paeYes = pae === ELFNOTE_STRING.PAE_YES || (pae?.includes(ELFNOTE_STRING.PAE_BIMODAL) ?? false);
  if (!paeYes) {
    return bad(`PAE_MODE note ${pae === undefined ? "absent" : `"${pae}"`}: only PAE guests (xen-3.0-x86_32p) are supported`);
  }
  const features = parseFeatures(stringNote(notes, XEN_ELFNOTE.FEATURES) ?? "");
  if (features.unknownRequired !== undefined) return bad(`FEATURES note requires unknown feature "${features.unknownRequired}"`);
  const supportedWords = notes.get(XEN_ELFNOTE.SUPPORTED_FEATURES);
  const supported = (features.supported | (supportedWords?.kind === "words" ? (supportedWords.words[0] ?? 0) : 0)) >>> 0;
  if ((features.required & ~supported) !== 0) return bad("FEATURES note requires features it does not support");

  const virtBaseNote = numericNote(notes, XEN_ELFNOTE.VIRT_BASE, "VIRT_BASE");
  const paddrOffsetNote = numericNote(notes, XEN_ELFNOTE.PADDR_OFFSET, "PADDR_OFFSET");
  const entryNote = numericNote(notes, XEN_ELFNOTE.ENTRY, "ENTRY");
  const hypercallNote = numericNote(notes, XEN_ELFNOTE.HYPERCALL_PAGE, "HYPERCALL_PAGE");
  if (virtBaseNote instanceof LoaderError) return virtBaseNote;
  if (paddrOffsetNote instanceof LoaderError) return paddrOffsetNote;
  if (entryNote instanceof LoaderError) return entryNote;
  if (hypercallNote instanceof LoaderError) return hypercallNote;
  const virtBase = virtBaseNote ?? 0;
  if (paddrOffsetNote !== undefined && virtBaseNote === undefined) return bad("PADDR_OFFSET note given without VIRT_BASE");
  const paddrOffset = paddrOffsetNote ?? 0;

  const segments = elf.segments.filter((s) => s.type === PT_LOAD && (s.flags & (PF_R | PF_W | PF_X)) !== 0);
  if (segments.length === 0) return bad("no loadable (PT_LOAD) segment");
  for (const s of segments) {
    if (s.filesz > s.memsz) return bad(`segment at paddr ${hex(s.paddr)}: p_filesz ${hex(s.filesz)} > p_memsz ${hex(s.memsz)}`);
  }
  const pstart = Math.min(...segments.map((s) => s.paddr));
  const pend = Math.max(...segments.map((s) => s.paddr + s.memsz));
  const virtOffset = virtBase - paddrOffset;
  const virtKstart = pstart + virtOffset;
  let virtKend = pend + virtOffset;
  let bsdSymtab: BsdSymtab | undefined;
  if (stringNote(notes, XEN_ELFNOTE.BSD_SYMTAB) === ELFNOTE_STRING.BSD_SYMTAB_YES) {
    const planned = planBsdSymtab(elf, pend, virtOffset, virtKstart);
    if (planned instanceof LoaderError) return planned;
    bsdSymtab = planned;
    if (planned !== undefined) virtKend = planned.endVa;
  }
  const entry = entryNote ?? elf.entry;
  if (virtKstart < 0 || virtKend > 0x100000000) return bad(`kernel [${hex(virtKstart)}, ${hex(virtKend)}) outside the 32-bit address space`);
  if (virtKstart > virtKend) return bad(`virt_kstart ${hex(virtKstart)} > virt_kend ${hex(virtKend)}`);
  if (entry < virtKstart || entry > virtKend) return bad(`entry ${hex(entry)} outside the kernel [${hex(virtKstart)}, ${hex(virtKend)}]`);
  if (virtBase > virtKstart) return bad(`VIRT_BASE ${hex(virtBase)} above the kernel start ${hex(virtKstart)}`);
  if (virtBase % PAGE.SIZE !== 0 || virtKstart % PAGE.SIZE !== 0) {
    return bad(`VIRT_BASE ${hex(virtBase)} and kernel start ${hex(virtKstart)} must be page-aligned`);
  }
  const hypercallPage = hypercallNote;
  if (hypercallPage !== undefined && (hypercallPage % PAGE.SIZE !== 0 || hypercallPage < virtKstart || hypercallPage + PAGE.SIZE > Math.ceil(virtKend / PAGE.SIZE) * PAGE.SIZE)) {
    return bad(`HYPERCALL_PAGE ${hex(hypercallPage)} is not a page inside the kernel [${hex(virtKstart)}, ${hex(virtKend)})`);
  }
  return {
    elf,
    segments,
    virtBase,
    virtOffset,
    virtKstart,
    virtKend,
    bsdSymtab,
    entry,
    hypercallPage,
    extendedCr3: paeYes,
    supportedFeatures: supported,
    requiredFeatures: features.required,
  };
}

/**
 * Xen ELF notes and feature flags (docs/xen-pv32-abi.md §1.2, §4.15; Xen
 * xen/include/public/elfnote.h, features.h, xen/common/libelf/libelf-dominfo.c
 * and libelf-tools.c for how each descriptor is read).
 *
 * A note is a standard ELF note whose name is "Xen":
 *
 *   u32 namesz | u32 descsz | u32 type | name, padded to 4 | desc, padded to 4
 *
 * How libelf reads a descriptor, by kind:
 *   numeric  descsz 1, 2, 4 or 8: little-endian unsigned of that size;
 *            any other size reads as 0 (the document says "4 or 8")
 *   string   NUL-terminated
 *   words    array of u32 (SUPPORTED_FEATURES: submap i = word i, only
 *            XENFEAT_NR_SUBMAPS = 1 read; PHYS32_RELOC: align, min, max);
 *            a descsz that is not a multiple of 4 reads as all zeros
 *   none     recognised, descriptor not read (L1_MFN_VALID)
 *   ignored  not known to libelf (INFO, and any type > 19)
 */
import { group, type ConstGroup } from "./constants.js";

export const XEN_ELFNOTE = {
  INFO: 0,
  ENTRY: 1,
  HYPERCALL_PAGE: 2,
  VIRT_BASE: 3,
  PADDR_OFFSET: 4,
  XEN_VERSION: 5,
  GUEST_OS: 6,
  GUEST_VERSION: 7,
  LOADER: 8,
  PAE_MODE: 9,
  FEATURES: 10,
  BSD_SYMTAB: 11,
  HV_START_LOW: 12,
  L1_MFN_VALID: 13,
  SUSPEND_CANCEL: 14,
  INIT_P2M: 15,
  MOD_START_PFN: 16,
  SUPPORTED_FEATURES: 17,
  PHYS32_ENTRY: 18,
  PHYS32_RELOC: 19,
} as const;

export type ElfNoteName = keyof typeof XEN_ELFNOTE;
export type ElfNoteKind = "numeric" | "string" | "words" | "none" | "ignored";

/** How each note type's descriptor is read (§1.2 table; libelf's note_desc[]). */
export const ELFNOTE_KIND: Readonly<Record<ElfNoteName, ElfNoteKind>> = {
  INFO: "ignored",
  ENTRY: "numeric",
  HYPERCALL_PAGE: "numeric",
  VIRT_BASE: "numeric",
  PADDR_OFFSET: "numeric",
  XEN_VERSION: "string",
  GUEST_OS: "string",
  GUEST_VERSION: "string",
  LOADER: "string",
  PAE_MODE: "string",
  FEATURES: "string",
  BSD_SYMTAB: "string",
  HV_START_LOW: "numeric",
  L1_MFN_VALID: "none",
  SUSPEND_CANCEL: "numeric",
  INIT_P2M: "numeric",
  MOD_START_PFN: "numeric",
  SUPPORTED_FEATURES: "words",
  PHYS32_ENTRY: "numeric",
  PHYS32_RELOC: "words",
};

/** Strings the builder compares note values with (§1.1, §1.2). */
export const ELFNOTE_STRING = {
  NAME: "Xen",
  XEN_VERSION_PREFIX: "xen-3.0",
  LOADER_GENERIC: "generic",
  GUEST_OS_LINUX: "linux",
  PAE_YES: "yes",
  PAE_BIMODAL: "bimodal",
  BSD_SYMTAB_YES: "yes",
  GUEST_TYPE_PAE: "xen-3.0-x86_32p",
  LEGACY_SECTION: "__xen_guest",
} as const;

export const ELFNOTE_LIMIT = {
  /** libelf's ELF_MAX_TOTAL_NOTE_COUNT: more notes mark the image broken. */
  MAX_TOTAL_NOTES: 65536,
  /** A FEATURES token longer than this is cut into pieces of this length. */
  MAX_FEATURE_NAME: 63,
} as const;

export type NoteValue =
  | { readonly kind: "numeric"; readonly value: bigint }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "words"; readonly words: readonly number[] }
  | { readonly kind: "none" }
  | { readonly kind: "ignored" }
  | { readonly kind: "broken"; readonly reason: string };

function elfNoteName(type: number): ElfNoteName | undefined {
  return (Object.keys(XEN_ELFNOTE) as ElfNoteName[]).find((name) => XEN_ELFNOTE[name] === type);
}

function littleEndian(desc: Uint8Array, at: number, size: number): bigint {
  let value = 0n;
  for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(desc[at + i] ?? 0);
  return value;
}

/** Reads the descriptor of a "Xen" note of `type` the way libelf does. */
export function readNoteDesc(type: number, desc: Uint8Array): NoteValue {
  const name = elfNoteName(type);
  const kind = name === undefined ? "ignored" : ELFNOTE_KIND[name];
  switch (kind) {
    case "numeric": {
      const n = desc.length;
      return { kind, value: n === 1 || n === 2 || n === 4 || n === 8 ? littleEndian(desc, 0, n) : 0n };
    }
    case "string": {
      const end = desc.indexOf(0);
      if (end < 0) return { kind: "broken", reason: `note ${name ?? type}: string not NUL-terminated` };
      return { kind, value: String.fromCharCode(...desc.subarray(0, end)) };
    }
    case "words": {
      if (desc.length % 4 !== 0) return { kind, words: [] };
      const words: number[] = [];
      for (let at = 0; at < desc.length; at += 4) words.push(Number(littleEndian(desc, at, 4)));
      return { kind, words };
    }
    case "none":
    case "ignored":
      return { kind };
  }
}

/** Feature bits (features.h). XENFEAT_NR_SUBMAPS = 1: all fit in one 32-bit submap. */
export const XENFEAT = {
  writable_page_tables: 0,
  writable_descriptor_tables: 1,
  auto_translated_physmap: 2,
  supervisor_mode_kernel: 3,
  pae_pgdir_above_4gb: 4,
  mmu_pt_update_preserve_ad: 5,
  highmem_assist: 6,
  gnttab_map_avail_bits: 7,
  hvm_callback_vector: 8,
  hvm_safe_pvclock: 9,
  hvm_pirqs: 10,
  dom0: 11,
  // 12 was grant_map_identity, deprecated (commented out in features.h).
  memory_op_vnode_supported: 13,
  ARM_SMCCC_supported: 14,
  linux_rsdp_unrestricted: 15,
  not_direct_mapped: 16,
  direct_mapped: 17,
  runstate_phys_area: 18,
  vcpu_time_phys_area: 19,
  dm_msix_all_writes: 20,
  NR_SUBMAPS: 1,
} as const;

type FeatureName = Exclude<keyof typeof XENFEAT, "NR_SUBMAPS">;

/** The names the FEATURES note may use (§1.2; libelf's elf_xen_feature_names). */
export const ELFNOTE_FEATURE_NAMES: readonly FeatureName[] = [
  "writable_page_tables",
  "writable_descriptor_tables",
  "auto_translated_physmap",
  "supervisor_mode_kernel",
  "pae_pgdir_above_4gb",
  "hvm_callback_vector",
  "dom0",
];

export const featureBits = (...names: FeatureName[]): number =>
  names.reduce((mask, name) => (mask | (1 << XENFEAT[name])) >>> 0, 0);

/** Submap 0 that Xen reports to a 32-bit PV domU with pae_extended_cr3 set (§4.15). */
export const XEN_PV32_DOMU_FEATURES = featureBits(
  "pae_pgdir_above_4gb",
  "mmu_pt_update_preserve_ad",
  "highmem_assist",
  "gnttab_map_avail_bits",
  "memory_op_vnode_supported",
  "direct_mapped",
  "runstate_phys_area",
  "vcpu_time_phys_area",
  "dm_msix_all_writes",
);

/** The minimal honest submap 0 the document suggests (§4.15). */
export const MINIMAL_PV32_FEATURES = featureBits("pae_pgdir_above_4gb", "mmu_pt_update_preserve_ad", "direct_mapped");

export interface ParsedFeatures {
  /** Submap 0 bits the kernel declares it supports ('!name' counts too). */
  readonly supported: number;
  /** Submap 0 bits the kernel requires. */
  readonly required: number;
  /** A '!'-marked name libelf does not know: the image is rejected. */
  readonly unknownRequired?: string;
}

/**
 * Parses a FEATURES note string exactly as libelf's elf_xen_parse_features:
 * tokens separated by '|', a token of more than 63 characters is cut into
 * 63-character pieces, '!' marks a required feature, unknown optional names
 * are ignored and the first unknown required name stops the parse.
 */
export function parseFeatures(features: string): ParsedFeatures {
  let supported = 0;
  let required = 0;
  let pos = 0;
  while (pos < features.length) {
    let len = 0;
    let token = "";
    for (;;) {
      if (len >= ELFNOTE_LIMIT.MAX_FEATURE_NAME) break;
      const c = features[pos + len];
      if (c === undefined) break;
      if (c === "|") {
        len++;
        break;
      }
      token += c;
      len++;
    }
    pos += len;
    const isRequired = token.startsWith("!");
    const name = isRequired ? token.slice(1) : token;
    const bit = ELFNOTE_FEATURE_NAMES.indexOf(name as FeatureName) < 0 ? -1 : XENFEAT[name as FeatureName];
    if (bit >= 0) {
      supported = (supported | (1 << bit)) >>> 0;
      if (isRequired) required = (required | (1 << bit)) >>> 0;
    } else if (isRequired) {
      return { supported, required, unknownRequired: name };
    }
  }
  return { supported, required };
}

export const elfNoteConstants: readonly ConstGroup[] = [
  group("XEN_ELFNOTE_", XEN_ELFNOTE, "ELF note types (name \"Xen\")", "§1.2", "elfnote.h"),
  group("XEN_ELFNOTE_STRING_", ELFNOTE_STRING, "strings the builder checks (tsxen names)", "§1.1, §1.2", "elfnote.h"),
  group("XEN_ELFNOTE_LIMIT_", ELFNOTE_LIMIT, "libelf limits (tsxen names)", "§1.2", "libelf"),
];

export const featureConstants: readonly ConstGroup[] = [
  group("XENFEAT_", XENFEAT, "feature bit numbers (submap 0)", "§1.2, §4.15", "features.h"),
  group("", { XEN_PV32_DOMU_FEATURES, MINIMAL_PV32_FEATURES }, "submap 0 values (tsxen names)", "§4.15", "features.h", { hex: true }),
];

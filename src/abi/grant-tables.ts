/**
 * Grant tables (docs/xen-pv32-abi.md §4.18, §1.8, §11.4; Xen
 * xen/include/public/grant_table.h).
 *
 * A domain grants another access to one of its frames by writing a grant
 * entry in its grant-table frames (obtained with GNTTABOP_setup_table and
 * mapped by the guest); the grantee maps it with GNTTABOP_map_grant_ref.
 *
 *   grant_entry_v1 (8 bytes)
 *   0  flags  u16   bits 1:0 type (GTF_permit_access …), 2 readonly,
 *                   3 reading, 4 writing, 5–7 PWT/PCD/PAT, 8 sub_page
 *   2  domid  u16   the grantee
 *   4  frame  u32   the granted frame
 *
 * Entries 0–7 are reserved for the toolstack: 0 console ring, 1 xenstore.
 * Per-operation errors go in each structure's `status` (GNTST_*, negative);
 * the hypercall itself returns 0 unless the structure is unreadable.
 */
import { group, type ConstGroup } from "./constants.js";
import { i16, ptr, struct, u16, u32, u64, union, type Compound, type Provenance } from "./layout.js";
import { domid_t, grant_handle_t, grant_ref_t, xen_pfn_t } from "./structs.js";

const from = (section: string): Provenance => ({ section, header: "grant_table.h" });

export const grantEntryV1 = struct("grant_entry_v1", 8, [
  ["flags", u16, 0, "GTF_*"],
  ["domid", domid_t, 2],
  ["frame", u32, 4],
], from("§4.18"));

export const gnttabMapGrantRef = struct("gnttab_map_grant_ref", 32, [
  ["host_addr", u64, 0],
  ["flags", u32, 8, "GNTMAP_*"],
  ["ref", grant_ref_t, 12],
  ["dom", domid_t, 16],
  ["status", i16, 18, "out: GNTST_*"],
  ["handle", grant_handle_t, 20, "out"],
  ["dev_bus_addr", u64, 24, "out"],
], from("§4.18"));

export const gnttabUnmapGrantRef = struct("gnttab_unmap_grant_ref", 24, [
  ["host_addr", u64, 0],
  ["dev_bus_addr", u64, 8],
  ["handle", grant_handle_t, 16],
  ["status", i16, 20, "out"],
], from("§4.18"));

export const gnttabSetupTable = struct("gnttab_setup_table", 16, [
  ["dom", domid_t, 0],
  ["nr_frames", u32, 4],
  ["status", i16, 8, "out"],
  ["frame_list", ptr(xen_pfn_t), 12, "out: MFNs of the grant frames"],
], from("§4.18"));

export const gnttabDumpTable = struct("gnttab_dump_table", 4, [
  ["dom", domid_t, 0],
  ["status", i16, 2, "out"],
], from("§4.18"));

export const gnttabTransfer = struct("gnttab_transfer", 16, [
  ["mfn", xen_pfn_t, 0],
  ["domid", domid_t, 4],
  ["ref", grant_ref_t, 8],
  ["status", i16, 12, "out"],
], from("§4.18"));

export const gnttabCopyPtrU = union("gnttab_copy_ptr_u", 4, [
  ["ref", grant_ref_t, 0],
  ["gmfn", xen_pfn_t, 0],
], from("§4.18"));

export const gnttabCopyPtr = struct("gnttab_copy_ptr", 8, [
  ["u", gnttabCopyPtrU, 0],
  ["domid", domid_t, 4],
  ["offset", u16, 6],
], from("§4.18"));

export const gnttabCopy = struct("gnttab_copy", 24, [
  ["source", gnttabCopyPtr, 0],
  ["dest", gnttabCopyPtr, 8],
  ["len", u16, 16],
  ["flags", u16, 18, "GNTCOPY_*"],
  ["status", i16, 20, "out"],
], from("§4.18"));

export const gnttabQuerySize = struct("gnttab_query_size", 16, [
  ["dom", domid_t, 0],
  ["nr_frames", u32, 4, "out"],
  ["max_nr_frames", u32, 8, "out"],
  ["status", i16, 12, "out"],
], from("§4.18"));

export const gnttabSetVersion = struct("gnttab_set_version", 4, [
  ["version", u32, 0, "in: 1 or 2; out: the version in force"],
], from("§4.18"));

/** v2 only (§4.18 "get_status_frames 12 B"); frame_list points at u64 GMFNs. */
export const gnttabGetStatusFrames = struct("gnttab_get_status_frames", 12, [
  ["nr_frames", u32, 0],
  ["dom", domid_t, 4],
  ["status", i16, 6, "out: GNTST_*"],
  ["frame_list", ptr(u64), 8, "out: GMFNs of the status frames"],
], from("§4.18"));

export const gnttabGetVersion = struct("gnttab_get_version", 8, [
  ["dom", domid_t, 0],
  ["pad", u16, 2],
  ["version", u32, 4, "out"],
], from("§4.18"));

/** Nested types first. */
export const grantTableStructs: readonly Compound[] = [
  grantEntryV1,
  gnttabMapGrantRef,
  gnttabUnmapGrantRef,
  gnttabSetupTable,
  gnttabDumpTable,
  gnttabTransfer,
  gnttabCopyPtrU,
  gnttabCopyPtr,
  gnttabCopy,
  gnttabQuerySize,
  gnttabSetVersion,
  gnttabGetStatusFrames,
  gnttabGetVersion,
];

/** grant_entry_v1.flags (§4.18). */
export const GTF = {
  invalid: 0,
  permit_access: 1,
  accept_transfer: 2,
  transitive: 3,
  type_mask: 3,
  readonly: 1 << 2,
  reading: 1 << 3,
  writing: 1 << 4,
  PWT: 1 << 5,
  PCD: 1 << 6,
  PAT: 1 << 7,
  sub_page: 1 << 8,
} as const;

/** gnttab_map_grant_ref.flags (§4.18); bits 16–31 are guest-available PTE bits. */
export const GNTMAP = {
  device_map: 1 << 0,
  host_map: 1 << 1,
  readonly: 1 << 2,
  application_map: 1 << 3,
  contains_pte: 1 << 4,
  /** Bits 16–31: guest-available PTE bits (Xen's GNTMAP_guest_avail_mask). */
  guest_avail_mask: 0xffff0000,
} as const;

/** gnttab_copy.flags (§4.18). */
export const GNTCOPY = { source_gref: 1 << 0, dest_gref: 1 << 1 } as const;

/** Per-operation status codes (§4.18). */
export const GNTST = {
  okay: 0,
  general_error: -1,
  bad_domain: -2,
  bad_gntref: -3,
  bad_handle: -4,
  bad_virt_addr: -5,
  bad_dev_addr: -6,
  no_device_space: -7,
  permission_denied: -8,
  bad_page: -9,
  bad_copy_arg: -10,
  address_too_big: -11,
  eagain: -12,
  no_space: -13,
} as const;

/** Toolstack-reserved entries (§1.8, §11.4). */
export const GNTTAB_RESERVED = {
  CONSOLE: 0,
  XENSTORE: 1,
} as const;

export const GNTTAB = {
  NR_RESERVED_ENTRIES: 8,
  /** Grant frames a domain may have by default (setup_table beyond → GNTST_general_error). */
  DEFAULT_MAX_FRAMES: 64,
  ENTRY_V1_SIZE: 8,
  ENTRY_V2_SIZE: 16,
} as const;

export const grantTableConstants: readonly ConstGroup[] = [
  group("GTF_", GTF, "grant entry flags", "§4.18", "grant_table.h", { hex: true }),
  group("GNTMAP_", GNTMAP, "map_grant_ref flags", "§4.18", "grant_table.h", { hex: true }),
  group("GNTCOPY_", GNTCOPY, "gnttab_copy flags", "§4.18", "grant_table.h"),
  group("GNTST_", GNTST, "operation status codes", "§4.18", "grant_table.h"),
  group("GNTTAB_RESERVED_", GNTTAB_RESERVED, "toolstack-reserved entries", "§1.8", "grant_table.h"),
  group("GNTTAB_", GNTTAB, "grant table sizes (tsxen names but NR_RESERVED_ENTRIES)", "§4.18", "grant_table.h"),
];

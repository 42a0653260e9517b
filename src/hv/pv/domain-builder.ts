/**
 * The PV domain builder (docs/xen-pv32-abi.md §1.5–§1.11; Xen
 * tools/libs/guest/xg_dom_core.c, xg_dom_x86.c, xg_dom_boot.c).
 *
 * Start-of-day layout, in PFN and virtual space alike (VA = virt_base + 4096·PFN):
 *
 *   padding │ kernel (hypercall page inside) │ P2M │ start_info │ xenstore │
 *   console │ L3, L2×4, L1s │ boot stack │ padding … virt_pgtab_end │ unmapped RAM …
 *
 * With BSD_SYMTAB "yes" the kernel piece runs on to the end of the symbol-table
 * block (§1.4, bsd-symtab.ts): virt_kend is the block's end, so the P2M and
 * everything after start on the page after it.
 *
 * Order of work: check the image and the layout (nothing allocated), allocate
 * every frame (PFN → MFN deliberately not the identity), zero them, load the
 * segments and the BSD symbol-table block, write P2M, start_info, rings, the bootstrap PAE tables and the
 * hypercall page, then pin the L3 (validating the whole tree) and take the
 * CR3 reference. A failure after allocation frees everything again; M2P
 * entries are only reported once the domain is built.
 */
import { PAGE, BOOT_MAPPING, BOOT_PTE, HYPERVISOR, M2P, PAE_L3_MFN_LIMIT, xenPfnToCr3 } from "../../abi/memory-layout.js";
import { offsetOf } from "../../abi/layout.js";
import { MAX_GUEST_CMDLINE, START_INFO, LEGACY_MAX_VCPUS, sharedInfo, startInfo } from "../../abi/structs.js";
import { XENCONSOLE, xenconsInterface } from "../../abi/rings.js";
import { FLAT } from "../../abi/segments.js";
import { VMASST_TYPE } from "../../abi/hypercalls.js";
import { hypercallPage } from "../../abi/hypercall-page.js";
import type { DomId, Mfn } from "../../lib/brand.js";
import { LoaderError } from "../../machine/boot/elf32.js";
import { FrameTable, PGT } from "../core/frame-table.js";
import { zeroFrame, type MachineMemory } from "../core/machine-memory.js";
import type { PvPageTables } from "./page-types.js";
import { inspectPvImage, type PvImage } from "./xen-image.js";
import type { BsdSymtab } from "./bsd-symtab.js";

export interface BuildPvDomainOptions {
  mem: MachineMemory;
  frames: FrameTable;
  /** The FrameTable's TypeOps (its constructor installed itself with frames.setTypeOps). */
  tables: PvPageTables;
  domid: DomId;
  image: Uint8Array;
  /** Guest RAM; a positive multiple of 4 KiB (nr_pages = memoryBytes / 4096). */
  memoryBytes: number;
  cmdline: string;
  consoleEvtchn: number;
  storeEvtchn: number;
  /** Record M2P[mfn] = pfn (pfn M2P.INVALID_ENTRY for shared_info). */
  m2p: (mfn: Mfn, pfn: number) => void;
}

/** §1.11: vCPU 0 at entry. Registers not listed are 0. */
export interface InitialVcpuState {
  readonly eip: number;
  readonly esp: number;
  readonly esi: number;
  readonly eflags: number;
  readonly cs: number;
  readonly ds: number;
  readonly es: number;
  readonly fs: number;
  readonly gs: number;
  readonly ss: number;
  readonly kernelSs: number;
  readonly kernelSp: number;
  /** Extended-CR3 format (§1.7). */
  readonly cr3: number;
  /** vm_assist bitmap (pae_extended_cr3 set for PAE_MODE yes/bimodal). */
  readonly vmAssist: number;
}

export interface BuiltDomain {
  readonly entry: number;
  readonly nrPages: number;
  readonly virtBase: number;
  readonly startInfoVa: number;
  readonly mfnListVa: number;
  readonly ptBaseVa: number;
  readonly nrPtFrames: number;
  readonly stackTopVa: number;
  /** End of the bootstrap mapping (virt_pgtab_end). */
  readonly mappedEndVa: number;
  readonly hypercallPageVa: number | undefined;
  /** The BSD symbol-table block written behind the kernel (BSD_SYMTAB "yes"), if any. */
  readonly bsdSymtab: BsdSymtab | undefined;
  readonly l3Mfn: Mfn;
  /**
   * CR3 value (machine address of the L3, extended format). The builder holds,
   * for the caller's vCPU, one general and one L3 type reference on l3Mfn
   * besides the pin (§1.7).
   */
  readonly cr3: number;
  readonly startInfoMfn: Mfn;
  readonly sharedInfoMfn: Mfn;
  readonly consoleMfn: Mfn;
  readonly storeMfn: Mfn;
  /** PFN → MFN. */
  readonly p2m: Uint32Array;
  /** Every frame allocated: the P2M's MFNs, then shared_info. */
  readonly allocated: readonly Mfn[];
  readonly vcpu: InitialVcpuState;
}

/** §1.5 pieces, as PFNs. */
interface Layout {
  readonly kernelPfn: number;
  readonly p2mPfn: number;
  readonly p2mPages: number;
  readonly startInfoPfn: number;
  readonly storePfn: number;
  readonly consolePfn: number;
  readonly ptPfn: number;
  readonly nrPtFrames: number;
  readonly nrL1: number;
  readonly stackPfn: number;
  /** PFNs 0 … mappedPages − 1 are mapped by the bootstrap tables. */
  readonly mappedPages: number;
}

const SZ_2M = 1 << PAGE.L2_SHIFT;
const L2_COUNT = 4;
const pages = (bytes: number): number => Math.ceil(bytes / PAGE.SIZE);
const hex = (n: number): string => `0x${n.toString(16)}`;
const tooBig = (message: string): LoaderError => new LoaderError("too-big", message);

/** §1.5 layout and the bootstrap mapping's size (iterated: the L1 count depends on the mapped range). */
function planLayout(img: PvImage, nrPages: number): Layout | LoaderError {
  const kernelPfn = (img.virtKstart - img.virtBase) / PAGE.SIZE;
  const kernelEndPfn = pages(img.virtKend - img.virtBase);
  if (kernelEndPfn > nrPages) {
    return tooBig(`kernel ends at ${hex(img.virtKend)} (PFN ${kernelEndPfn}), beyond the domain's ${nrPages} pages`);
  }
  const p2mPfn = kernelEndPfn;
  const p2mPages = pages(nrPages * M2P.ENTRY_SIZE);
  const startInfoPfn = p2mPfn + p2mPages;
  const storePfn = startInfoPfn + 1;
  const consolePfn = storePfn + 1;
  const ptPfn = consolePfn + 1;
  const firstL2Index = Math.floor(img.virtBase / SZ_2M);
  let nrL1 = 0;
  let mappedEnd = 0;
  for (;;) {
    const nrPtFrames = 1 + L2_COUNT + nrL1;
    const afterStack = img.virtBase + (ptPfn + nrPtFrames + 1) * PAGE.SIZE;
    mappedEnd = Math.ceil((afterStack + BOOT_MAPPING.SLACK) / BOOT_MAPPING.ALIGN) * BOOT_MAPPING.ALIGN;
    const need = Math.ceil(mappedEnd / SZ_2M) - firstL2Index;
    if (need === nrL1) break;
    nrL1 = need;
  }
  if (mappedEnd > HYPERVISOR.VIRT_START) {
    return tooBig(`bootstrap mapping would end at ${hex(mappedEnd)}, inside the hypervisor hole`);
  }
  const mappedPages = (mappedEnd - img.virtBase) / PAGE.SIZE;
  if (mappedPages > nrPages) {
    return tooBig(`bootstrap region needs ${mappedPages} pages, the domain has ${nrPages}`);
  }
  const nrPtFrames = 1 + L2_COUNT + nrL1;
  return { kernelPfn, p2mPfn, p2mPages, startInfoPfn, storePfn, consolePfn, ptPfn, nrPtFrames, nrL1, stackPfn: ptPfn + nrPtFrames, mappedPages };
}

/** Interleave: PFN 2k takes the k-th frame from the front, PFN 2k+1 from the back (never the identity). */
function spread(mfns: readonly Mfn[]): Uint32Array {
  const n = mfns.length;
  const p2m = new Uint32Array(n);
  for (let pfn = 0; pfn < n; pfn++) p2m[pfn] = mfns[pfn % 2 === 0 ? pfn / 2 : n - 1 - (pfn - 1) / 2]!;
  return p2m;
}

/** Build a PV domain from a pv32pae kernel image; a LoaderError leaves the frame table as it was. */
export function buildPvDomain(opts: BuildPvDomainOptions): BuiltDomain | LoaderError {
  const { mem, frames, domid } = opts;
  const img = inspectPvImage(opts.image);
  if (img instanceof LoaderError) return img;
  if (!Number.isInteger(opts.memoryBytes) || opts.memoryBytes <= 0 || opts.memoryBytes % PAGE.SIZE !== 0) {
    return tooBig(`memory size ${opts.memoryBytes} is not a positive multiple of 4 KiB`);
  }
  if (opts.cmdline.length >= MAX_GUEST_CMDLINE) return tooBig(`command line longer than ${MAX_GUEST_CMDLINE - 1} characters`);
  if (opts.tables.frames !== frames) return new LoaderError("bad-elf", "page-table validator belongs to another frame table");
  const nrPages = opts.memoryBytes / PAGE.SIZE;
  const layout = planLayout(img, nrPages);
  if (layout instanceof LoaderError) return layout;
  if (frames.freeCount < nrPages + 1) {
    return tooBig(`domain needs ${nrPages + 1} frames, the machine has ${frames.freeCount} free`);
  }

  // ── allocate (nothing can fail below without being undone) ──
  const taken: Mfn[] = [];
  for (let i = 0; i < nrPages; i++) {
    const m = frames.allocate(domid);
    if (m < 0) return rollback(frames, taken, undefined, tooBig("frame allocation failed"));
    taken.push(m as Mfn);
  }
  const p2m = spread(taken);
  const sharedInfoMfn = frames.allocate(domid) as Mfn;
  if (sharedInfoMfn < 0) return rollback(frames, taken, undefined, tooBig("no frame for shared_info"));
  frames.free(sharedInfoMfn);
  if (frames.shareWithGuest(sharedInfoMfn, domid) !== 0) return rollback(frames, taken, undefined, tooBig("shared_info frame refused"));

  const mfnOf = (pfn: number): Mfn => p2m[pfn]! as Mfn;
  const l3Mfn = mfnOf(layout.ptPfn);
  if (l3Mfn >= PAE_L3_MFN_LIMIT && !img.extendedCr3) {
    return rollback(frames, taken, sharedInfoMfn, tooBig(`L3 frame ${hex(l3Mfn)} above 4 GiB without extended CR3`));
  }

  // ── contents ──
  for (const m of taken) zeroFrame(mem, m);
  zeroFrame(mem, sharedInfoMfn);
  const va = (pfn: number): number => img.virtBase + pfn * PAGE.SIZE;
  const maddr = (v: number): number => mfnOf(Math.floor((v - img.virtBase) / PAGE.SIZE)) * PAGE.SIZE + (v % PAGE.SIZE);

  for (const s of img.segments) {
    const base = s.paddr + img.virtOffset;
    for (let i = 0; i < s.filesz; i++) mem.write8(maddr(base + i), img.elf.bytes[s.offset + i]!);
  }
  for (const w of img.bsdSymtab?.writes ?? []) {
    for (let i = 0; i < w.bytes.length; i++) mem.write8(maddr(w.va + i), w.bytes[i]!);
  }
  for (let pfn = 0; pfn < nrPages; pfn++) mem.write32(maddr(va(layout.p2mPfn) + 4 * pfn), p2m[pfn]!);

  const si = mfnOf(layout.startInfoPfn) * PAGE.SIZE;
  const put32 = (field: string, value: number): void => mem.write32(si + offsetOf(startInfo, field), value >>> 0);
  for (let i = 0; i < START_INFO.MAGIC.length; i++) mem.write8(si + i, START_INFO.MAGIC.charCodeAt(i));
  put32("nr_pages", nrPages);
  put32("shared_info", sharedInfoMfn * PAGE.SIZE);
  put32("flags", 0);
  put32("store_mfn", mfnOf(layout.storePfn));
  put32("store_evtchn", opts.storeEvtchn);
  put32("console.domU.mfn", mfnOf(layout.consolePfn));
  put32("console.domU.evtchn", opts.consoleEvtchn);
  put32("pt_base", va(layout.ptPfn));
  put32("nr_pt_frames", layout.nrPtFrames);
  put32("mfn_list", va(layout.p2mPfn));
  put32("mod_start", 0);
  put32("mod_len", 0);
  const cmd = si + offsetOf(startInfo, "cmd_line");
  for (let i = 0; i < opts.cmdline.length; i++) mem.write8(cmd + i, opts.cmdline.charCodeAt(i) & 0xff);
  put32("first_p2m_pfn", 0);
  put32("nr_p2m_frames", 0);

  mem.write8(mfnOf(layout.consolePfn) * PAGE.SIZE + offsetOf(xenconsInterface, "connection"), XENCONSOLE.DISCONNECTED);
  for (let v = 0; v < LEGACY_MAX_VCPUS; v++) {
    mem.write8(sharedInfoMfn * PAGE.SIZE + offsetOf(sharedInfo, `vcpu_info[${v}].evtchn_upcall_mask`), 1);
  }
  writeBootTables(mem, img, layout, mfnOf);
  if (img.hypercallPage !== undefined) {
    const page = hypercallPage();
    const at = maddr(img.hypercallPage);
    for (let i = 0; i < PAGE.SIZE; i++) mem.write8(at + i, page[i]!);
  }

  // ── type, pin, CR3 reference ──
  const rc = frames.pin(l3Mfn, domid, PGT.L3);
  if (rc !== 0) return rollback(frames, taken, sharedInfoMfn, new LoaderError("bad-elf", `pinning the bootstrap L3 failed (${rc})`));
  const cr3rc = frames.getPageAndType(l3Mfn, domid, PGT.L3);
  if (cr3rc !== 0) {
    frames.unpin(l3Mfn, domid);
    return rollback(frames, taken, sharedInfoMfn, new LoaderError("bad-elf", `CR3 reference on the L3 refused (${cr3rc})`));
  }

  for (let pfn = 0; pfn < nrPages; pfn++) opts.m2p(p2m[pfn]! as Mfn, pfn);
  opts.m2p(sharedInfoMfn, M2P.INVALID_ENTRY);

  const cr3 = xenPfnToCr3(l3Mfn);
  const stackTopVa = va(layout.stackPfn + 1);
  const startInfoVa = va(layout.startInfoPfn);
  return {
    entry: img.entry,
    nrPages,
    virtBase: img.virtBase,
    startInfoVa,
    mfnListVa: va(layout.p2mPfn),
    ptBaseVa: va(layout.ptPfn),
    nrPtFrames: layout.nrPtFrames,
    stackTopVa,
    mappedEndVa: va(layout.mappedPages),
    hypercallPageVa: img.hypercallPage,
    bsdSymtab: img.bsdSymtab,
    l3Mfn,
    cr3,
    startInfoMfn: mfnOf(layout.startInfoPfn),
    sharedInfoMfn,
    consoleMfn: mfnOf(layout.consolePfn),
    storeMfn: mfnOf(layout.storePfn),
    p2m,
    allocated: [...taken, sharedInfoMfn],
    vcpu: {
      eip: img.entry,
      esp: stackTopVa,
      esi: startInfoVa,
      eflags: 0x202,
      cs: FLAT.RING1_CS,
      ds: FLAT.RING1_DS,
      es: FLAT.RING1_DS,
      fs: FLAT.RING1_DS,
      gs: FLAT.RING1_DS,
      ss: FLAT.RING1_SS,
      kernelSs: FLAT.RING1_SS,
      kernelSp: stackTopVa,
      cr3,
      vmAssist: img.extendedCr3 ? 1 << VMASST_TYPE.pae_extended_cr3 : 0,
    },
  };
}

function writePte(mem: MachineMemory, table: Mfn, slot: number, target: number, flags: number): void {
  const at = table * PAGE.SIZE + slot * 8;
  mem.write32(at, (((target & 0xfffff) << PAGE.SHIFT) | flags) >>> 0);
  mem.write32(at + 4, target >>> 20);
}

/** §1.5: L3 → four L2s → L1s mapping PFNs 0 … mappedPages − 1; page-table frames read-only. */
function writeBootTables(mem: MachineMemory, img: PvImage, layout: Layout, mfnOf: (pfn: number) => Mfn): void {
  const l3 = mfnOf(layout.ptPfn);
  const l2 = (slot: number): Mfn => mfnOf(layout.ptPfn + 1 + slot);
  const firstL1Pfn = layout.ptPfn + 1 + L2_COUNT;
  for (let s = 0; s < L2_COUNT; s++) writePte(mem, l3, s, l2(s), BOOT_PTE.L3);
  const firstL2Index = Math.floor(img.virtBase / SZ_2M);
  for (let k = 0; k < layout.nrL1; k++) {
    const g = firstL2Index + k;
    writePte(mem, l2(g >>> 9), g & (PAGE.ENTRIES - 1), mfnOf(firstL1Pfn + k), BOOT_PTE.L2);
  }
  const ptEnd = layout.ptPfn + layout.nrPtFrames;
  for (let pfn = 0; pfn < layout.mappedPages; pfn++) {
    const v = img.virtBase + pfn * PAGE.SIZE;
    const l1 = mfnOf(firstL1Pfn + Math.floor(v / SZ_2M) - firstL2Index);
    const flags = pfn >= layout.ptPfn && pfn < ptEnd ? BOOT_PTE.L1_PAGETABLE : BOOT_PTE.L1;
    writePte(mem, l1, Math.floor(v / PAGE.SIZE) & (PAGE.ENTRIES - 1), mfnOf(pfn), flags);
  }
}

function rollback(frames: FrameTable, taken: readonly Mfn[], shared: Mfn | undefined, error: LoaderError): LoaderError {
  if (shared !== undefined) {
    frames.unshare(shared);
    frames.free(shared);
  }
  for (const m of taken) frames.free(m);
  return error;
}

/**
 * The translation lookaside buffer: hardware-managed and untagged, as on the
 * paper's Xeon (SDM Vol. 3 §4.10). Its size and policy are part of the machine
 * because hypervisor costs depend on them (a CR3 load empties it; Xen's
 * guests pay for every refill).
 *
 * Model (the "policy"): `entries` slots in `entries / ways` sets, set index =
 * VPN mod sets, replacement round-robin within a set. A translation is cached
 * per 4 KiB page (large pages are splintered into 4 KiB entries, each taking a
 * slot). Entries are cached on every successful walk and stay, even when the
 * page table entry behind them changes, until evicted, flushed by INVLPG, or
 * flushed by a CR3 load (all but global pages when CR4.PGE=1), a CR0.PG/WP or
 * CR4.PGE/PAE/PSE change, or EFER.NXE change (all pages).
 *
 * Lookup structure: `entry[vpn]`, one Int32 per virtual page (4 MiB total),
 * holding only the pages that the model above currently holds; a model
 * eviction clears the flat slot. So the hot path is one typed-array load and
 * a mask test, and the flat array behaves exactly like the modelled TLB.
 *
 *   entry[vpn]:  31            12 11  10 9 8 7 6 5 4 3 2 1 0
 *               | frame address  | rsvd |M|L|S|G|XU|XS|WU|RU|WS|RS|
 *   RS/WS  read/write allowed for supervisor accesses (CPL 0-2, implicit)
 *   RU/WU  read/write allowed for user accesses (CPL 3)
 *   XS/XU  instruction fetch allowed (supervisor/user)
 *   G      global (survives CR3 loads when CR4.PGE=1)
 *   S      slow: not RAM (open bus); every access takes the slow path
 *   L, M   a splinter of a large page (M: 2 MiB, else 4 MiB); INVLPG of any
 *          address in that large page drops every splinter of it (SDM §4.10.4.1)
 * Write bits are set only when the dirty bit is already set in the entry
 * that maps the page, so the first write re-walks and sets D as hardware does.
 */
export const TLB_READ_SUP = 1 << 0;
export const TLB_WRITE_SUP = 1 << 1;
export const TLB_READ_USER = 1 << 2;
export const TLB_WRITE_USER = 1 << 3;
export const TLB_EXEC_SUP = 1 << 4;
export const TLB_EXEC_USER = 1 << 5;
export const TLB_GLOBAL = 1 << 6;
export const TLB_SLOW = 1 << 7;
export const TLB_LARGE = 1 << 8;
export const TLB_LARGE_2M = 1 << 9;

export interface TlbGeometry {
  entries: number;
  ways: number;
}

/** Default: 128 entries, 4-way (the Pentium 4 Xeon's ITLB size; its DTLB has 64). */
export const DEFAULT_TLB: TlbGeometry = { entries: 128, ways: 4 };

export class Tlb {
  /** Flat lookup: one entry per 4 KiB virtual page, 0 = not cached. */
  readonly entry = new Int32Array(1 << 20);
  /** Model slots: VPN + 1 of the cached page, 0 = empty. */
  private readonly slotVpn: Int32Array;
  private readonly nextWay: Uint16Array;
  private readonly sets: number;
  readonly ways: number;
  /** Counters for statistics: misses filled, flushes by kind. */
  fills = 0;
  fullFlushes = 0;
  pageFlushes = 0;

  constructor(geometry: TlbGeometry = DEFAULT_TLB) {
    const { entries, ways } = geometry;
    if (entries % ways !== 0 || ((entries / ways) & (entries / ways - 1)) !== 0 || ways < 1 || ways > 65535) {
      throw new Error(`TLB geometry ${entries}/${ways}: sets must be a power of two, with 1-65535 ways`);
    }
    this.ways = ways;
    this.sets = entries / ways;
    this.slotVpn = new Int32Array(entries);
    this.nextWay = new Uint16Array(this.sets);
  }

  /** Cache a translation, evicting round-robin within the set. */
  fill(vpn: number, value: number): void {
    this.fills++;
    const set = vpn & (this.sets - 1);
    const base = set * this.ways;
    let slot = -1;
    for (let w = 0; w < this.ways; w++) {
      const v = this.slotVpn[base + w]!;
      if (v === vpn + 1) { slot = base + w; break; }
      if (v === 0 && slot < 0) slot = base + w;
    }
    if (slot < 0) {
      slot = base + this.nextWay[set]!;
      this.nextWay[set] = (this.nextWay[set]! + 1) % this.ways;
      this.entry[this.slotVpn[slot]! - 1] = 0;
    }
    this.slotVpn[slot] = vpn + 1;
    this.entry[vpn] = value;
  }

  /** INVLPG: drop one page (global or not). */
  flushPage(vpn: number): void {
    this.pageFlushes++;
    for (let slot = 0; slot < this.slotVpn.length; slot++) {
      const v = this.slotVpn[slot]! - 1;
      if (v < 0) continue;
      const e = this.entry[v]!;
      const shift = (e & TLB_LARGE) === 0 ? 0 : (e & TLB_LARGE_2M) !== 0 ? 9 : 10;
      if ((v >>> shift) === (vpn >>> shift)) {
        this.entry[v] = 0;
        this.slotVpn[slot] = 0;
      }
    }
    this.entry[vpn] = 0;
  }

  /** Drop every entry, or every non-global one when `keepGlobal`. */
  flush(keepGlobal: boolean): void {
    this.fullFlushes++;
    for (let slot = 0; slot < this.slotVpn.length; slot++) {
      const v = this.slotVpn[slot]!;
      if (v === 0) continue;
      if (keepGlobal && (this.entry[v - 1]! & TLB_GLOBAL) !== 0) continue;
      this.entry[v - 1] = 0;
      this.slotVpn[slot] = 0;
    }
  }

  /** Number of cached translations (for tests and statistics). */
  size(): number {
    let n = 0;
    for (const v of this.slotVpn) if (v !== 0) n++;
    return n;
  }
}

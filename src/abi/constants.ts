/**
 * Named numeric constants of the ABI, grouped as Xen's public headers group
 * them (docs/xen-pv32-abi.md throughout).
 *
 * A group's values are written once, as a frozen object whose keys are the
 * names without their C prefix: TypeScript reads `MMUEXT.PIN_L1_TABLE`, the C
 * header generator (c-headers.ts) prints `#define MMUEXT_PIN_L1_TABLE 0`.
 */

/** Numbers, or strings (rendered as C string literals). */
export type ConstValues = Readonly<Record<string, number | string>>;

export interface ConstGroup {
  /** C prefix prepended to every key (`"MMUEXT_"`). */
  readonly prefix: string;
  readonly values: ConstValues;
  /** What the group is, printed above it in the C header. */
  readonly title: string;
  /** ABI document section, e.g. "§4.22". */
  readonly section: string;
  /** The Xen public header the group mirrors. */
  readonly header: string;
  /** Print values in hexadecimal (bit masks, addresses). */
  readonly hex?: boolean;
  /** Per-key comments for the C header. */
  readonly notes?: Readonly<Record<string, string>>;
}

export function group(
  prefix: string,
  values: ConstValues,
  title: string,
  section: string,
  header: string,
  options: { hex?: boolean; notes?: Readonly<Record<string, string>> } = {},
): ConstGroup {
  return { prefix, values, title, section, header, ...options };
}

/** The name of the first key in `values` equal to `value` (with its prefix), or undefined. */
export function nameOf(g: ConstGroup, value: number | string): string | undefined {
  for (const [key, v] of Object.entries(g.values)) if (v === value) return g.prefix + key;
  return undefined;
}

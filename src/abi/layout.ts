/**
 * A tiny layout DSL for the guest-visible structures of the ABI
 * (docs/xen-pv32-abi.md, preamble and §2; Xen's public headers as compiled by
 * `gcc -m32`).
 *
 * Each structure is written once as a table of `[name, type, offset]` rows,
 * where `offset` is the number printed in the ABI document. `struct()`
 * recomputes every offset with the i386 System V rules and refuses (throws an
 * InvariantError at module load) if the table and the rules disagree, so a
 * typo in either the table or the document cannot survive into the
 * hypervisor or the generated C headers.
 *
 * i386 SysV rules, as gcc -m32 applies them inside structures:
 *
 *   type            size  align        note
 *   u8  / i8         1     1
 *   u16 / i16        2     2
 *   u32 / i32        4     4
 *   u64 / i64        8     4     <- 64-bit fields are only 4-byte aligned
 *   pointer          4     4            (a guest linear address)
 *   T[n]           n*|T|  align(T)
 *   struct         (end rounded up to its alignment)  max member alignment
 *   union          (largest member, rounded up)       max member alignment
 *
 * Every field is placed at the next multiple of its alignment after the end
 * of the previous one; the structure's size is its end rounded up to its
 * alignment. All multi-byte values are little-endian.
 */
import { InvariantError } from "../lib/assert.js";

/** A fixed-size integer. `cType` is how the C headers spell it. */
export interface Scalar {
  readonly kind: "scalar";
  readonly name: string;
  readonly size: 1 | 2 | 4 | 8;
  readonly signed: boolean;
  readonly cType: string;
  /** Set for a named alias (domid_t, evtchn_port_t…): the integer it stands for. */
  readonly base?: Scalar;
}

export interface ArrayType {
  readonly kind: "array";
  readonly element: Type;
  readonly length: number;
}

/** A guest pointer: a 32-bit linear address. `target` only documents (and types the C). */
export interface Pointer {
  readonly kind: "pointer";
  readonly target: Scalar | Compound | null;
}

export interface Field {
  readonly name: string;
  readonly type: Type;
  readonly offset: number;
  readonly size: number;
  readonly doc?: string;
}

/** Where a structure comes from: the ABI document section and the Xen header it mirrors. */
export interface Provenance {
  readonly section: string;
  readonly header: string;
  readonly doc?: string;
}

export interface Compound extends Provenance {
  readonly kind: "struct" | "union";
  readonly name: string;
  readonly size: number;
  readonly align: number;
  readonly fields: readonly Field[];
}

export type Type = Scalar | ArrayType | Pointer | Compound;

/** One row of a structure table: name, type, documented offset, optional comment. */
export type FieldSpec = readonly [name: string, type: Type, offset: number, doc?: string];

const scalar = (name: string, size: 1 | 2 | 4 | 8, signed: boolean, cType: string): Scalar => ({
  kind: "scalar",
  name,
  size,
  signed,
  cType,
});

export const u8 = scalar("u8", 1, false, "uint8_t");
export const i8 = scalar("i8", 1, true, "int8_t");
export const u16 = scalar("u16", 2, false, "uint16_t");
export const i16 = scalar("i16", 2, true, "int16_t");
export const u32 = scalar("u32", 4, false, "uint32_t");
export const i32 = scalar("i32", 4, true, "int32_t");
export const u64 = scalar("u64", 8, false, "uint64_t");
export const i64 = scalar("i64", 8, true, "int64_t");
/** C `char` arrays (strings): a byte, spelled `char` in C. */
export const char = scalar("char", 1, true, "char");

/** A named integer type (C typedef), e.g. `alias("domid_t", u16)`. */
export function alias(name: string, base: Scalar): Scalar {
  return { kind: "scalar", name, size: base.size, signed: base.signed, cType: name, base: base.base ?? base };
}

export function array(element: Type, length: number): ArrayType {
  if (!Number.isInteger(length) || length <= 0) throw new InvariantError(`array length ${length}`);
  return { kind: "array", element, length };
}

export function ptr(target: Scalar | Compound | null = null): Pointer {
  return { kind: "pointer", target };
}

export function sizeOf(type: Type): number {
  switch (type.kind) {
    case "scalar":
      return type.size;
    case "pointer":
      return 4;
    case "array":
      return sizeOf(type.element) * type.length;
    case "struct":
    case "union":
      return type.size;
  }
}

/** Alignment under the i386 SysV ABI (at most 4). */
export function alignOf(type: Type): number {
  switch (type.kind) {
    case "scalar":
      return Math.min(type.size, 4);
    case "pointer":
      return 4;
    case "array":
      return alignOf(type.element);
    case "struct":
    case "union":
      return type.align;
  }
}

const roundUp = (n: number, align: number): number => Math.ceil(n / align) * align;

/** The result of laying out a table: computed offsets and any disagreement with the documented ones. */
export interface ComputedLayout {
  readonly fields: readonly Field[];
  readonly size: number;
  readonly align: number;
  readonly mismatches: readonly string[];
}

/**
 * Lays out `specs` with the i386 rules (a union puts every member at 0) and
 * compares each computed offset with the documented one, and the total with
 * `documentedSize`. Pure: reports, never throws.
 */
export function computeLayout(
  kind: "struct" | "union",
  specs: readonly FieldSpec[],
  documentedSize: number,
): ComputedLayout {
  const fields: Field[] = [];
  const mismatches: string[] = [];
  const names = new Set<string>();
  let end = 0;
  let align = 1;
  for (const [name, type, documented, doc] of specs) {
    if (names.has(name)) mismatches.push(`${name}: duplicate field`);
    names.add(name);
    const a = alignOf(type);
    const size = sizeOf(type);
    const offset = kind === "union" ? 0 : roundUp(end, a);
    if (offset !== documented) mismatches.push(`${name}: documented @${documented}, i386 rules give @${offset}`);
    fields.push(doc === undefined ? { name, type, offset, size } : { name, type, offset, size, doc });
    end = Math.max(end, offset + size);
    align = Math.max(align, a);
  }
  const size = roundUp(end, align);
  if (size !== documentedSize) mismatches.push(`size: documented ${documentedSize}, i386 rules give ${size}`);
  return { fields, size, align, mismatches };
}

function compound(
  kind: "struct" | "union",
  name: string,
  size: number,
  specs: readonly FieldSpec[],
  from: Provenance,
): Compound {
  const layout = computeLayout(kind, specs, size);
  if (layout.mismatches.length > 0) {
    throw new InvariantError(`${kind} ${name} (${from.section}): ${layout.mismatches.join("; ")}`);
  }
  return { kind, name, size, align: layout.align, fields: layout.fields, ...from };
}

/** Defines a structure; throws if a documented offset or the size contradicts the i386 rules. */
export function struct(name: string, size: number, specs: readonly FieldSpec[], from: Provenance): Compound {
  return compound("struct", name, size, specs, from);
}

/** Defines a union (every member documented at offset 0). */
export function union(name: string, size: number, specs: readonly FieldSpec[], from: Provenance): Compound {
  return compound("union", name, size, specs, from);
}

/** A resolved field path: where it is and what it is. */
export interface Located {
  readonly offset: number;
  readonly type: Type;
  readonly size: number;
}

/**
 * Resolves a C-style path such as `"console.domU.mfn"` or
 * `"vcpu_info[1].time.system_time"` to its byte offset and type.
 * Throws an InvariantError for a path that does not exist (a tsxen bug).
 */
export function locate(root: Compound, path: string): Located {
  let type: Type = root;
  let offset = 0;
  for (const segment of path.split(".")) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)$/.exec(segment);
    if (match === null) throw new InvariantError(`${root.name}: bad path segment "${segment}"`);
    const [, name = "", indices = ""] = match;
    if (type.kind !== "struct" && type.kind !== "union") {
      throw new InvariantError(`${root.name}.${path}: "${name}" is not inside a structure`);
    }
    const field: Field | undefined = type.fields.find((f) => f.name === name);
    if (field === undefined) throw new InvariantError(`${root.name}: no field "${name}" in ${type.name}`);
    offset += field.offset;
    type = field.type;
    for (const index of indices.match(/\d+/g) ?? []) {
      if (type.kind !== "array") throw new InvariantError(`${root.name}.${path}: "${name}" is not an array`);
      const i = Number(index);
      if (i >= type.length) throw new InvariantError(`${root.name}.${path}: index ${i} out of ${type.length}`);
      offset += i * sizeOf(type.element);
      type = type.element;
    }
  }
  return { offset, type, size: sizeOf(type) };
}

/** Byte offset of a field path inside a structure (see `locate`). */
export function offsetOf(root: Compound, path: string): number {
  return locate(root, path).offset;
}

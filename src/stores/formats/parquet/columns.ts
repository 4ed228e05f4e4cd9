/**
 * Arrow columns built by hand from JSON records, and read back into JSON values.
 *
 * Arrow's own builders (`vectorFromArray`, `tableFromJSON`) are both slow and unsafe for records:
 * they turn integers into floats and fail on lists of strings. Here every column gets an explicit
 * type inferred from all its values:
 *
 * | values (nulls ignored)                 | Arrow type            |
 * |----------------------------------------|-----------------------|
 * | booleans                               | Bool                  |
 * | safe integers                          | Int64                 |
 * | numbers (some not safe integers)       | Float64               |
 * | strings                                | Utf8                  |
 * | lists of one scalar family (or empty)  | List<Bool/Int64/Float64/Utf8> |
 * | objects, nested lists, mixed types     | Utf8 holding JSON, field metadata `digit.json = 1` |
 * | only nulls                             | Utf8 (all null)       |
 *
 * The JSON marker lets the reader turn those cells back into the original values; other tools
 * see plain strings.
 */
import {
  Bool,
  type Data,
  DataType,
  Field,
  Float64,
  Int64,
  List,
  makeData,
  makeVector,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
  Vector,
} from "apache-arrow";

/** Field metadata key marking a Utf8 column whose cells are JSON text. */
export const JSON_MARKER = "digit.json";

/** The inferred family of a column. */
export type ColumnKind =
  | "null"
  | "bool"
  | "int"
  | "float"
  | "string"
  | "json"
  | "list<null>"
  | "list<bool>"
  | "list<int>"
  | "list<float>"
  | "list<string>";

type Scalar = "null" | "bool" | "int" | "float" | "string";

function scalarKind(v: unknown): Scalar | undefined {
  if (v === null || v === undefined) return "null";
  switch (typeof v) {
    case "boolean":
      return "bool";
    case "number":
      return Number.isSafeInteger(v) ? "int" : "float";
    case "string":
      return "string";
    default:
      return undefined;
  }
}

function mergeScalar(a: Scalar, b: Scalar): Scalar | undefined {
  if (a === b || b === "null") return a;
  if (a === "null") return b;
  if ((a === "int" && b === "float") || (a === "float" && b === "int")) return "float";
  return undefined;
}

/** The kind of one value. */
export function valueKind(v: unknown): ColumnKind {
  const s = scalarKind(v);
  if (s) return s;
  if (Array.isArray(v)) {
    let el: Scalar = "null";
    for (const x of v) {
      const k = scalarKind(x);
      const m: Scalar | undefined = k && mergeScalar(el, k);
      if (!m) return "json";
      el = m;
    }
    return `list<${el}>`;
  }
  return "json";
}

/** The kind that holds values of kinds `a` and `b`. */
export function mergeKinds(a: ColumnKind, b: ColumnKind): ColumnKind {
  if (a === b || b === "null") return a;
  if (a === "null") return b;
  if (a === "json" || b === "json") return "json";
  const la = a.startsWith("list<");
  const lb = b.startsWith("list<");
  if (la !== lb) return "json";
  if (!la) return mergeScalar(a as Scalar, b as Scalar) ?? "json";
  const m = mergeScalar(a.slice(5, -1) as Scalar, b.slice(5, -1) as Scalar);
  return m ? `list<${m}>` : "json";
}

/** Column names in first-seen order with the kind holding all their values. */
export function inferColumns(rows: readonly Record<string, unknown>[]): Map<string, ColumnKind> {
  const kinds = new Map<string, ColumnKind>();
  for (const row of rows) {
    for (const key in row) {
      const k = valueKind(row[key]);
      const prev = kinds.get(key);
      kinds.set(key, prev === undefined ? k : mergeKinds(prev, k));
    }
  }
  return kinds;
}

/** True when values of kind `chunk` can be stored in a column of kind `file` without changing it. */
export function fitsKind(file: ColumnKind, chunk: ColumnKind): boolean {
  if (chunk === "null" || file === chunk) return true;
  if (file === "json") return true;
  if (file === "float" && chunk === "int") return true;
  if (
    file.startsWith("list<") &&
    (chunk === "list<null>" || (file === "list<float>" && chunk === "list<int>"))
  )
    return true;
  return false;
}

function storageScalar(kind: ColumnKind): Scalar | "json" {
  if (kind === "null") return "string";
  if (kind.startsWith("list<")) return "json";
  return kind as Scalar | "json";
}

function elementScalar(kind: ColumnKind): Scalar {
  const el = kind.slice(5, -1) as Scalar;
  return el === "null" ? "string" : el;
}

function scalarType(s: Scalar | "json"): DataType {
  switch (s) {
    case "bool":
      return new Bool();
    case "int":
      return new Int64();
    case "float":
      return new Float64();
    default:
      return new Utf8();
  }
}

/** The Arrow field for a column. */
export function fieldFor(name: string, kind: ColumnKind): Field {
  if (kind.startsWith("list<"))
    return new Field(
      name,
      new List(new Field("item", scalarType(elementScalar(kind)), true)),
      true,
    );
  const s = storageScalar(kind);
  const meta = s === "json" ? new Map([[JSON_MARKER, "1"]]) : undefined;
  return new Field(name, scalarType(s), true, meta);
}

class Validity {
  readonly bits: Uint8Array;
  nulls = 0;
  constructor(n: number) {
    this.bits = new Uint8Array((n + 7) >> 3);
  }
  set(i: number, valid: boolean): void {
    if (valid) this.bits[i >> 3]! |= 1 << (i & 7);
    else this.nulls++;
  }
}

function jsonText(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x));
}

function scalarData(kind: Scalar | "json", values: readonly unknown[]): Data {
  const n = values.length;
  const valid = new Validity(n);
  switch (kind) {
    case "bool": {
      const data = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        const ok = v !== null && v !== undefined;
        valid.set(i, ok);
        if (v === true) data[i >> 3]! |= 1 << (i & 7);
      }
      return makeData({
        type: new Bool(),
        length: n,
        nullCount: valid.nulls,
        nullBitmap: valid.bits,
        data,
      });
    }
    case "int": {
      const data = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        const ok = v !== null && v !== undefined;
        valid.set(i, ok);
        if (ok) data[i] = BigInt(v as number);
      }
      return makeData({
        type: new Int64(),
        length: n,
        nullCount: valid.nulls,
        nullBitmap: valid.bits,
        data,
      });
    }
    case "float": {
      const data = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        const ok = v !== null && v !== undefined;
        valid.set(i, ok);
        if (ok) data[i] = v as number;
      }
      return makeData({
        type: new Float64(),
        length: n,
        nullCount: valid.nulls,
        nullBitmap: valid.bits,
        data,
      });
    }
    default: {
      const texts: (string | undefined)[] = new Array(n);
      let cap = 0;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v === null || v === undefined) continue;
        const t = kind === "json" ? jsonText(v) : String(v);
        texts[i] = t;
        cap += t.length;
      }
      // A UTF-16 code unit never takes more than 3 UTF-8 bytes.
      const buf = Buffer.allocUnsafe(cap * 3);
      const offsets = new Int32Array(n + 1);
      let at = 0;
      for (let i = 0; i < n; i++) {
        const t = texts[i];
        valid.set(i, t !== undefined);
        if (t !== undefined) at += buf.write(t, at, "utf8");
        offsets[i + 1] = at;
      }
      const data = new Uint8Array(buf.buffer, buf.byteOffset, at);
      return makeData({
        type: new Utf8(),
        length: n,
        nullCount: valid.nulls,
        nullBitmap: valid.bits,
        valueOffsets: offsets,
        data,
      });
    }
  }
}

function listData(field: Field, values: readonly unknown[]): Data {
  const n = values.length;
  const valid = new Validity(n);
  const offsets = new Int32Array(n + 1);
  const items: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const ok = Array.isArray(v);
    valid.set(i, ok);
    if (ok) for (const x of v) items.push(x);
    offsets[i + 1] = items.length;
  }
  const type = field.type as List;
  const child = scalarData(scalarKindOf(type.valueType), items);
  return makeData({
    type,
    length: n,
    nullCount: valid.nulls,
    nullBitmap: valid.bits,
    valueOffsets: offsets,
    child,
  });
}

function scalarKindOf(t: DataType): Scalar {
  if (DataType.isBool(t)) return "bool";
  if (DataType.isInt(t)) return "int";
  if (DataType.isFloat(t)) return "float";
  return "string";
}

/**
 * One Arrow record batch holding `rows` with the given column kinds (from `inferColumns`, or a
 * file's schema that the rows fit).
 */
export function rowsToBatch(
  rows: readonly Record<string, unknown>[],
  kinds: ReadonlyMap<string, ColumnKind>,
): RecordBatch {
  const fields: Field[] = [];
  const children: Data[] = [];
  for (const [name, kind] of kinds) {
    const field = fieldFor(name, kind);
    const values = rows.map((r) => r[name]);
    fields.push(field);
    children.push(
      kind.startsWith("list<") ? listData(field, values) : scalarData(storageScalar(kind), values),
    );
  }
  const schema = new Schema(fields);
  const data = makeData({ type: new Struct(fields), length: rows.length, nullCount: 0, children });
  return new RecordBatch(schema, data);
}

/** Column kinds of a schema written by `rowsToBatch` (used to check that later rows fit it). */
export function kindsOfSchema(schema: Schema): Map<string, ColumnKind> | undefined {
  const kinds = new Map<string, ColumnKind>();
  for (const f of schema.fields) {
    const t = f.type;
    let k: ColumnKind;
    if (f.metadata.get(JSON_MARKER) === "1") k = "json";
    else if (DataType.isList(t)) k = `list<${scalarKindOf((t as List).valueType)}>` as ColumnKind;
    else if (DataType.isBool(t)) k = "bool";
    else if (DataType.isInt(t)) k = "int";
    else if (DataType.isFloat(t)) k = "float";
    else if (DataType.isUtf8(t)) k = "string";
    else return undefined;
    kinds.set(f.name, k);
  }
  return kinds;
}

// ---------------------------------------------------------------------------------------------
// Reading

function isValid(d: Data, i: number): boolean {
  if (d.nullCount === 0 || !d.nullBitmap || d.nullBitmap.length === 0) return true;
  const j = d.offset + i;
  return (d.nullBitmap[j >> 3]! & (1 << (j & 7))) !== 0;
}

function decodeStrings(d: Data, json: boolean): unknown[] {
  const n = d.length;
  const out: unknown[] = new Array(n);
  const offs = d.valueOffsets as Int32Array | BigInt64Array;
  const bytes = d.values as Uint8Array;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) {
    if (!isValid(d, i)) {
      out[i] = null;
      continue;
    }
    const s = Number(offs[d.offset + i]!);
    const e = Number(offs[d.offset + i + 1]!);
    const text = buf.toString("utf8", s, e);
    out[i] = json ? JSON.parse(text) : text;
  }
  return out;
}

/** Turn any Arrow value (from files other tools wrote) into a JSON value. */
function toPlain(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return Number(v);
  if (typeof v !== "object") return v;
  if (v instanceof Date) return v.toISOString();
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number | bigint>, toPlain);
  if (v instanceof Vector) return Array.from(v as Iterable<unknown>, toPlain);
  const o = v as { toJSON?: () => unknown };
  if (typeof o.toJSON === "function") {
    const j = o.toJSON();
    if (j !== o) return toPlain(j);
  }
  if (Array.isArray(v)) return v.map(toPlain);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = toPlain(x);
  return out;
}

/** Decode one column of `n` rows into JSON values. */
export function decodeColumn(d: Data, json: boolean): unknown[] {
  const t = d.type;
  const n = d.length;
  if (json && (DataType.isUtf8(t) || DataType.isLargeUtf8(t))) return decodeStrings(d, true);
  if (DataType.isUtf8(t) || DataType.isLargeUtf8(t)) return decodeStrings(d, false);
  if (DataType.isInt(t) || DataType.isFloat(t)) {
    const vals = d.values as ArrayLike<number | bigint>;
    const big = (t as { bitWidth?: number }).bitWidth === 64 && DataType.isInt(t);
    const half = DataType.isFloat(t) && (t as Float64).precision === 0;
    if (!half) {
      const out: unknown[] = new Array(n);
      for (let i = 0; i < n; i++)
        out[i] = isValid(d, i) ? (big ? Number(vals[d.offset + i]!) : vals[d.offset + i]) : null;
      return out;
    }
  }
  if (DataType.isBool(t)) {
    const bits = d.values as Uint8Array;
    const out: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const j = d.offset + i;
      out[i] = isValid(d, i) ? (bits[j >> 3]! & (1 << (j & 7))) !== 0 : null;
    }
    return out;
  }
  if (DataType.isList(t) || DataType.isLargeList(t)) {
    const child = d.children[0]!;
    const items = decodeColumn(child, false);
    const offs = d.valueOffsets as Int32Array | BigInt64Array;
    const out: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = isValid(d, i)
        ? items.slice(Number(offs[d.offset + i]!), Number(offs[d.offset + i + 1]!))
        : null;
    }
    return out;
  }
  // Anything else (structs, dates, decimals, dictionaries from other writers): ask Arrow.
  const vec = makeVector(d);
  const out: unknown[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = toPlain(vec.get(i));
  return out;
}

/** The rows of a record batch as JSON records. */
export function batchToRows(batch: RecordBatch): Record<string, unknown>[] {
  const fields = batch.schema.fields;
  const cols = fields.map((f, c) =>
    decodeColumn(batch.data.children[c]!, f.metadata.get(JSON_MARKER) === "1"),
  );
  const n = batch.numRows;
  const rows: Record<string, unknown>[] = new Array(n);
  const names = fields.map((f) => f.name);
  for (let i = 0; i < n; i++) {
    const row: Record<string, unknown> = {};
    for (let c = 0; c < names.length; c++) row[names[c]!] = cols[c]![i];
    rows[i] = row;
  }
  return rows;
}

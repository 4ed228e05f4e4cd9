/**
 * A set of record ids kept as 64-bit fingerprints in one typed array (open addressing), instead
 * of a `Set<string>` of id strings: about 16 bytes per id at most (the table is kept at most half
 * full), with no object per entry for the garbage collector to walk. A 16-hex-digit id (digit's
 * own) is its own fingerprint; any other string is hashed to 64 bits, so two distinct foreign ids
 * collide with a probability of about n² / 2⁶⁵.
 *
 * @example
 * const ids = new IdSet();
 * ids.add("3f2a9c0d11223344");
 * ids.has("3f2a9c0d11223344"); // true
 */
export class IdSet {
  /** Pairs (high, low) of 32-bit halves; (0, 0) marks a free slot. */
  private table = new Uint32Array(2 * 1024);
  private count = 0;

  /** How many ids the set holds. */
  get size(): number {
    return this.count;
  }

  /** Add an id; returns false when it was already there. */
  add(id: string): boolean {
    const [hi, lo] = fingerprint(id);
    if ((this.count + 1) * 2 > this.table.length / 2) this.grow();
    const at = this.find(this.table, hi, lo);
    if (this.table[at] !== 0 || this.table[at + 1] !== 0) return false;
    this.table[at] = hi;
    this.table[at + 1] = lo;
    this.count++;
    return true;
  }

  /** Whether the set holds `id`. */
  has(id: string): boolean {
    const [hi, lo] = fingerprint(id);
    const at = this.find(this.table, hi, lo);
    return this.table[at] !== 0 || this.table[at + 1] !== 0;
  }

  /** The slot holding (hi, lo), or the free slot where it would go. */
  private find(table: Uint32Array, hi: number, lo: number): number {
    const mask = table.length / 2 - 1;
    let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    for (;;) {
      const at = slot * 2;
      const h = table[at]!;
      const l = table[at + 1]!;
      if ((h === 0 && l === 0) || (h === hi && l === lo)) return at;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.table;
    const next = new Uint32Array(old.length * 2);
    for (let i = 0; i < old.length; i += 2) {
      const hi = old[i]!;
      const lo = old[i + 1]!;
      if (hi === 0 && lo === 0) continue;
      const at = this.find(next, hi, lo);
      next[at] = hi;
      next[at + 1] = lo;
    }
    this.table = next;
  }
}

const HEX16 = /^[0-9a-f]{16}$/;

/** Two 32-bit halves identifying `id`, never (0, 0). */
function fingerprint(id: string): [number, number] {
  let hi: number;
  let lo: number;
  if (id.length === 16 && HEX16.test(id)) {
    hi = Number.parseInt(id.slice(0, 8), 16) >>> 0;
    lo = Number.parseInt(id.slice(8), 16) >>> 0;
  } else {
    // Two independent FNV-1a variants over the UTF-16 code units.
    let a = 0x811c9dc5;
    let b = 0x01000193 ^ id.length;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
    }
    hi = a >>> 0;
    lo = b >>> 0;
  }
  return hi === 0 && lo === 0 ? [0, 1] : [hi, lo];
}

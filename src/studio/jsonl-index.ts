import { open, stat } from "node:fs/promises";

const CHUNK = 1 << 20;
const NEWLINE = 0x0a;

/**
 * The byte offset of every complete line of a JSONL file, so that any page of it is one read of
 * a byte range. Built by one pass over the file, then extended as the file grows (a live run
 * appends); a file that shrank or was replaced (a new inode: an atomic rewrite) is indexed again.
 * A last line without its newline is not counted: its append has not finished.
 *
 * @example
 * const index = new JsonlIndex("out/qa/data.jsonl");
 * await index.refresh();
 * const rows = await index.read(100, 150); // lines 100..149, parsed
 */
export class JsonlIndex {
  /** starts[i] = byte offset of line i; starts[count] = end of the last complete line. */
  private starts = new Float64Array(1024);
  private lines = 0;
  private ino = -1;
  private size = -1;
  private mtimeMs = -1;

  constructor(readonly file: string) {}

  /** Number of complete lines indexed (after the last `refresh`). */
  get count(): number {
    return this.lines;
  }

  /** Bring the index up to date with the file on disk; returns the line count. */
  async refresh(): Promise<number> {
    const st = await stat(this.file);
    if (st.ino === this.ino && st.size === this.size && st.mtimeMs === this.mtimeMs)
      return this.lines;
    if (st.ino !== this.ino || st.size < this.end()) {
      this.lines = 0;
      this.starts[0] = 0;
    }
    await this.scanFrom(this.end(), st.size);
    this.ino = st.ino;
    this.size = st.size;
    this.mtimeMs = st.mtimeMs;
    return this.lines;
  }

  private end(): number {
    return this.starts[this.lines] ?? 0;
  }

  private push(offset: number): void {
    if (this.lines + 2 > this.starts.length) {
      const bigger = new Float64Array(this.starts.length * 2);
      bigger.set(this.starts);
      this.starts = bigger;
    }
    this.lines += 1;
    this.starts[this.lines] = offset;
  }

  private async scanFrom(from: number, size: number): Promise<void> {
    const fh = await open(this.file, "r");
    try {
      const buf = Buffer.allocUnsafe(CHUNK);
      let pos = from;
      while (pos < size) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, size - pos), pos);
        if (bytesRead === 0) break;
        let at = buf.indexOf(NEWLINE, 0);
        while (at !== -1 && at < bytesRead) {
          this.push(pos + at + 1);
          at = buf.indexOf(NEWLINE, at + 1);
        }
        pos += bytesRead;
      }
    } finally {
      await fh.close();
    }
  }

  /** The raw text of lines `from` (inclusive) to `to` (exclusive), clamped to the indexed lines. */
  async readLines(from: number, to: number): Promise<string[]> {
    const a = Math.max(0, Math.min(from, this.lines));
    const b = Math.max(a, Math.min(to, this.lines));
    if (a === b) return [];
    const start = this.starts[a] ?? 0;
    const length = (this.starts[b] ?? 0) - start;
    const fh = await open(this.file, "r");
    try {
      const buf = Buffer.allocUnsafe(length);
      await fh.read(buf, 0, length, start);
      const text = buf.toString("utf8");
      const lines = text.split("\n");
      lines.pop();
      return lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
    } finally {
      await fh.close();
    }
  }

  /** One line's raw text. */
  async line(i: number): Promise<string | undefined> {
    return (await this.readLines(i, i + 1))[0];
  }
}

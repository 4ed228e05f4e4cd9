import { type FileHandle, mkdir, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * A temporary name beside `file`. Readers ignore it; writers remove leftovers. The pid keeps two
 * processes that briefly share a folder (a reader and a writer) from colliding.
 *
 * @example
 * tempName("out/data.json") // "out/data.json.tmp-4242"
 */
export function tempName(file: string): string {
  return `${file}.tmp-${process.pid}`;
}

/**
 * Write a file atomically: everything goes to a temporary file, which is flushed to disk and then
 * renamed over `file`, so readers (and a resumed run after a crash) see the old or the new
 * content, never a mix.
 *
 * @example
 * await writeAtomic("out/state.json", async (h) => { await h.write('{"epoch": 2}\n'); });
 */
export async function writeAtomic(
  file: string,
  fill: (handle: FileHandle) => Promise<void>,
): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = tempName(file);
  // Created afresh ("wx" refuses an existing name): a link planted under the temporary name is
  // removed, never written through.
  await rm(tmp, { force: true });
  const h = await open(tmp, "wx");
  try {
    await fill(h);
    await h.sync();
  } catch (e) {
    await h.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await h.close();
  await rename(tmp, file);
}

/**
 * Write a small text file atomically.
 *
 * @example
 * await writeFileAtomic("out/checkpoint.json", JSON.stringify({ rows: 10 }));
 */
export async function writeFileAtomic(file: string, text: string | Uint8Array): Promise<void> {
  await writeAtomic(file, async (h) => {
    await h.write(text as never);
  });
}

/**
 * Buffered writes of text to a file handle, flushed in large pieces.
 *
 * @example
 * const w = new TextSink(handle); w.push("a\n"); await w.flush();
 */
export class TextSink {
  private buf = "";
  constructor(
    private readonly handle: FileHandle,
    private readonly limit = 1 << 20,
  ) {}
  /** Add text; returns a promise only when a flush was needed (await it). */
  push(text: string): Promise<void> | undefined {
    this.buf += text;
    return this.buf.length >= this.limit ? this.flush() : undefined;
  }
  async flush(): Promise<void> {
    if (!this.buf) return;
    const text = this.buf;
    this.buf = "";
    await this.handle.write(text);
  }
}

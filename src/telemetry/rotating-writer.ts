import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, extname, join } from "node:path";

/** Limits of a rotating JSONL file. */
export interface RotationPolicy {
  /** Rotate before a write would take the active file past this many bytes. */
  maxBytes: number;
  /** Rotated files older than this are deleted (at open and on every rotation). */
  retentionDays: number;
  /** At most this many rotated files are kept; the oldest go first. */
  maxFiles: number;
}

/**
 * An append-only JSONL file that rotates by size: `events.jsonl` becomes `events.1.jsonl` (older
 * ones shift to `.2`, `.3`, ...), and old rotated files are pruned by age and count.
 *
 * Each line is written with one `write` on a file opened in append mode, so a crash loses at most
 * the line being written and lines of concurrent processes do not interleave. The folder and file
 * are created on the first write, so a run that records nothing leaves nothing behind. Rotation
 * is coordinated within one process only (as in DiGiT).
 *
 * @example
 * const w = new RotatingJsonlWriter("telemetry/events.jsonl", { maxBytes: 1e8, retentionDays: 14, maxFiles: 10 });
 * w.writeLine('{"event":"run_started"}\n');
 * w.close();
 */
export class RotatingJsonlWriter {
  private fd: number | undefined;
  private size = 0;
  private readonly stem: string;
  private readonly ext: string;
  private readonly dir: string;

  constructor(
    readonly file: string,
    private readonly policy: RotationPolicy,
  ) {
    this.dir = dirname(file);
    this.ext = extname(file) || ".jsonl";
    this.stem = basename(file, this.ext);
  }

  /** Append one line (it must end with a newline). */
  writeLine(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.fd === undefined) this.open();
    if (this.size > 0 && this.size + bytes > this.policy.maxBytes) {
      this.rotate();
      this.open();
    }
    writeSync(this.fd!, line);
    this.size += bytes;
  }

  /** Rotated files of this stream, newest first. */
  rotatedFiles(): string[] {
    if (!existsSync(this.dir)) return [];
    const re = new RegExp(`^${escapeForRegExp(this.stem)}\\.(\\d+)${escapeForRegExp(this.ext)}$`);
    return readdirSync(this.dir)
      .map((f) => ({ f, m: re.exec(f) }))
      .filter((x) => x.m)
      .sort((a, b) => Number(a.m![1]) - Number(b.m![1]))
      .map((x) => join(this.dir, x.f));
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): void {
    mkdirSync(this.dir, { recursive: true });
    if (this.fd === undefined) this.prune();
    this.fd = openSync(this.file, "a");
    this.size = fstatSync(this.fd).size;
  }

  private rotate(): void {
    this.close();
    const rotated = this.rotatedFiles();
    // Shift from the oldest down so nothing is overwritten: .2 → .3, then .1 → .2.
    for (let i = rotated.length - 1; i >= 0; i--) {
      const n = Number(/\.(\d+)\.[^.]+$/.exec(rotated[i]!)![1]);
      renameSync(rotated[i]!, join(this.dir, `${this.stem}.${n + 1}${this.ext}`));
    }
    if (existsSync(this.file)) renameSync(this.file, join(this.dir, `${this.stem}.1${this.ext}`));
    this.prune();
  }

  private prune(): void {
    const cutoff = Date.now() - this.policy.retentionDays * 86_400_000;
    this.rotatedFiles().forEach((f, i) => {
      try {
        if (i >= this.policy.maxFiles || statSync(f).mtimeMs < cutoff) unlinkSync(f);
      } catch {
        // Another process may have pruned it already.
      }
    });
  }
}

function escapeForRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

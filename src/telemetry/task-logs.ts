import { join } from "node:path";
import { destination, type Logger as Pino, pino } from "pino";
import type { LogFields, LogLevel, LogSink } from "./logger.js";

/** A task whose `logs.jsonl` can be written: its name, builder and output folder. */
export interface TaskLogTarget {
  task: string;
  builder: string;
  dir: string;
}

const MAX_BUFFERED = 2000;

/**
 * Writes every log record of a run into the `logs.jsonl` of the task(s) it concerns, with pino:
 * records bound to a task (`task_name`) go to that task; records of a builder or its blocks
 * (`builder`) go to every task of the builder; other records go to every open task. Records that
 * arrive before a task's folder is ready (it is cleared on `--restart`) are buffered and written
 * when the task opens.
 *
 * Each record: `timestamp` (UTC ISO), `level`, `logger`, `message`, `build_id`, `run_id`, plus the
 * record's fields.
 *
 * @example
 * const logs = new TaskLogRouter({ buildId: "exp", runId });
 * const logger = new ConsoleLogger("info", {}, [logs.sink]);
 * logs.open({ task: "qa", builder: "geography_qa", dir: "output/qa" });
 */
export class TaskLogRouter {
  private readonly open_ = new Map<string, { target: TaskLogTarget; log: Pino }>();
  private readonly pending: {
    level: LogLevel;
    message: string;
    fields: LogFields;
    time: string;
  }[] = [];

  constructor(private readonly identity: { buildId: string; runId: string }) {}

  /** The sink to hand to a ConsoleLogger. */
  readonly sink: LogSink = (level, message, fields) => {
    const time = new Date().toISOString();
    const targets = this.targetsOf(fields);
    if (targets.length) for (const t of targets) this.write(t, level, message, fields, time);
    if (!targets.length || this.awaitsMore(fields)) {
      if (this.pending.length >= MAX_BUFFERED) this.pending.shift();
      this.pending.push({ level, message, fields, time });
    }
  };

  /** Start writing `<dir>/logs.jsonl` for a task (after its folder is prepared). */
  open(target: TaskLogTarget): void {
    if (this.open_.has(target.task)) return;
    const stream = destination({
      dest: join(target.dir, "logs.jsonl"),
      sync: true,
      append: true,
      mkdir: true,
    });
    // A write that fails later (a full disk) ends this task's log file, not the run.
    stream.on("error", (e: Error) => this.failed(target.task, e));
    const log = pino(
      {
        level: "debug",
        base: null,
        messageKey: "message",
        timestamp: false,
        formatters: { level: (label) => ({ level: label }) },
      },
      stream,
    );
    this.open_.set(target.task, { target, log });
    for (const p of this.pending)
      if (this.concerns(target, p.fields))
        this.write(this.open_.get(target.task)!, p.level, p.message, p.fields, p.time);
  }

  /** Stop writing a task's log (its run is over). */
  close(task?: string): void {
    for (const [name, entry] of this.open_) {
      if (task !== undefined && name !== task) continue;
      entry.log.flush();
      this.open_.delete(name);
    }
  }

  private concerns(t: TaskLogTarget, fields: LogFields): boolean {
    if (typeof fields.task_name === "string" && fields.task_name)
      return fields.task_name === t.task;
    if (typeof fields.builder === "string" && fields.builder) return fields.builder === t.builder;
    return true;
  }

  private targetsOf(fields: LogFields): { target: TaskLogTarget; log: Pino }[] {
    return [...this.open_.values()].filter((e) => this.concerns(e.target, fields));
  }

  /** Builder-wide and run-wide records also go to tasks that open later. */
  private awaitsMore(fields: LogFields): boolean {
    return !(typeof fields.task_name === "string" && fields.task_name);
  }

  private write(
    entry: { target: TaskLogTarget; log: Pino },
    level: LogLevel,
    message: string,
    fields: LogFields,
    time: string,
  ): void {
    const log = entry.log;
    const logger =
      typeof fields.block === "string"
        ? `block.${fields.block}`
        : typeof fields.task_name === "string"
          ? `task.${fields.task_name}`
          : typeof fields.builder === "string"
            ? `builder.${fields.builder}`
            : "digit";
    try {
      log[level](
        {
          timestamp: time,
          logger,
          build_id: this.identity.buildId,
          run_id: this.identity.runId,
          ...fields,
        },
        message,
      );
    } catch (e) {
      this.failed(entry.target.task, e as Error);
    }
  }

  /** Stop writing a task's log after a write failed, saying so once on stderr. */
  private failed(task: string, e: Error): void {
    const entry = this.open_.get(task);
    if (!entry) return;
    this.open_.delete(task);
    process.stderr.write(
      `warning: ${join(entry.target.dir, "logs.jsonl")} is no longer written: ${e.message}\n`,
    );
  }
}

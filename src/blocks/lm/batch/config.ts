import { z } from "zod";
import { closest } from "../../../util/did-you-mean.js";

/**
 * How a block's requests are sent: `online` (one API call per request, the default), `batch` (the
 * provider's batch API: about half the price, answers within the batch's completion window) or
 * `auto` (the first `batch.online_first` requests online, so results and parsers show up within
 * seconds, and the rest by batch; online everywhere when the endpoint has no batch API).
 *
 * (A refined string rather than an enum, so `digit describe` tables stay narrow.)
 *
 * @example
 * executionSchema.parse("batch") // "batch"
 */
export const executionSchema = z
  .string()
  .refine((v): v is Execution => (EXECUTIONS as readonly string[]).includes(v), {
    error: (issue) => {
      const near = typeof issue.input === "string" ? closest(issue.input, EXECUTIONS) : undefined;
      return `execution must be online, batch or auto${near ? ` (did you mean '${near}'?)` : ""}`;
    },
  });

/** The ways a block can send its requests. */
export const EXECUTIONS = ["online", "batch", "auto"] as const;

/** How a block sends its requests. */
export type Execution = (typeof EXECUTIONS)[number];

/**
 * The `batch:` settings of an LLM block (used with `execution: batch | auto`).
 *
 * @example
 * batchOptionsSchema.parse({ poll_interval: 60 }).window // 2
 */
export const batchOptionsSchema = z
  .strictObject({
    window: z
      .number()
      .min(0)
      .default(2)
      .describe("Seconds without a new request before the collected requests are sent as a batch"),
    max_requests: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        "Requests per batch at most (default: the provider's limit, 50,000 for OpenAI, 100,000 for Anthropic)",
      ),
    poll_interval: z
      .number()
      .positive()
      .default(30)
      .describe(
        "Seconds before a batch's first status check; later checks back off by half up to max_poll_interval",
      ),
    max_poll_interval: z
      .number()
      .positive()
      .default(600)
      .describe("Seconds between status checks at most"),
    completion_window: z.string().default("24h").describe("OpenAI's completion window of a batch"),
    retry_errors: z
      .enum(["batch", "online"])
      .default("batch")
      .describe(
        "Where a request that failed inside a batch is retried: in the next batch, or online",
      ),
    online_first: z
      .number()
      .int()
      .min(0)
      .default(20)
      .describe("With execution: auto, how many requests go online before the rest go by batch"),
  })
  .prefault({});

/** The parsed `batch:` settings. */
export type BatchOptions = z.infer<typeof batchOptionsSchema>;

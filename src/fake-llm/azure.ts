/**
 * Azure OpenAI's shape of the OpenAI API, as the fake server speaks it: every path is under
 * `/openai/` and needs an `api-version` query (Azure answers 404 without one), the key travels
 * in an `api-key` header (a Bearer token would be an Entra ID token), generation goes to
 * `/openai/deployments/<deployment>/...`, and files and batches live at `/openai/files` and
 * `/openai/batches`, whose lines and `endpoint` name `/chat/completions` (no `/v1`).
 */
import type { IncomingHttpHeaders } from "node:http";

/** Azure's batch endpoints (what a batch's `endpoint` and its lines' `url` may be). */
export const AZURE_BATCH_ENDPOINTS: readonly string[] = [
  "/chat/completions",
  "/completions",
  "/embeddings",
];

/** Whether a path is one of Azure's (`/openai/...`). */
export function isAzurePath(path: string): boolean {
  return path.startsWith("/openai/");
}

/**
 * Why Azure would refuse this request before routing it (no `api-version`, no or a wrong
 * `api-key`), as status and body; undefined when it passes.
 *
 * @example
 * azureRefusal(new URL("http://x/openai/batches"), {}, "k") // { status: 404, ... }
 */
export function azureRefusal(
  url: URL,
  headers: IncomingHttpHeaders,
  apiKey: string | undefined,
): { status: number; body: unknown } | undefined {
  if (!url.searchParams.get("api-version"))
    return { status: 404, body: { error: { code: "404", message: "Resource not found" } } };
  if (apiKey !== undefined && headers["api-key"] !== apiKey)
    return {
      status: 401,
      body: {
        error: {
          code: "401",
          message:
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
        },
      },
    };
  return undefined;
}

/**
 * The OpenAI route the batch module serves for an Azure files or batches path
 * (`/openai/batches/b1` → `/v1/batches/b1`); undefined for other paths.
 *
 * @example
 * azureBatchRoute("/openai/files/f1/content") // "/v1/files/f1/content"
 */
export function azureBatchRoute(path: string): string | undefined {
  const m = /^\/openai\/(files|batches)(\/.*)?$/.exec(path);
  return m ? `/v1/${m[1]}${m[2] ?? ""}` : undefined;
}

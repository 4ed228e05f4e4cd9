import { AzureOpenAI } from "openai";

/** What the AzureOpenAI constructor takes. */
type AzureOptions = NonNullable<ConstructorParameters<typeof AzureOpenAI>[0]>;

/**
 * An Azure OpenAI client for a resource endpoint (`https://<resource>.openai.azure.com`). The
 * SDK's own `endpoint` option is not used: with `OPENAI_BASE_URL` set in the environment (common
 * where OpenAI-compatible servers are used too) the SDK refuses it as "mutually exclusive" with
 * that variable; the base URL it would build from the endpoint is given instead.
 *
 * @example
 * azureClient("https://res.openai.azure.com", { apiKey, apiVersion: "2024-10-21" });
 */
export function azureClient(
  endpoint: string,
  options: { apiKey: string; apiVersion: string } & Omit<AzureOptions, "baseURL" | "endpoint">,
): AzureOpenAI {
  return new AzureOpenAI({ ...options, baseURL: `${endpoint.replace(/\/+$/, "")}/openai` });
}

import { rememberSecret } from "../../../util/redact.js";
import { lmFetch } from "../http.js";
import { malformedResponse } from "../retry.js";

/** An HTTP error from a plain fetch call, shaped like the SDKs' errors so `classifyFailure` reads it. */
export class HttpStatusError extends Error {
  readonly status: number;
  readonly headers: Headers;
  constructor(status: number, headers: Headers, message: string) {
    super(message);
    this.name = "HttpStatusError";
    this.status = status;
    this.headers = headers;
  }
}

/**
 * Exchanges an IBM Cloud API key for an IAM bearer token at `<iamUrl>/identity/token` and caches
 * it until a minute before it expires. Concurrent callers share one exchange.
 *
 * @example
 * const tokens = new IamTokens("https://iam.cloud.ibm.com", apiKey);
 * const bearer = await tokens.token(signal);
 */
export class IamTokens {
  private cached: { token: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly iamUrl: string,
    private readonly apiKey: string,
  ) {}

  /** The current token, if one was fetched (so it can be scrubbed from messages). */
  get current(): string | undefined {
    return this.cached?.token;
  }

  async token(signal: AbortSignal): Promise<string> {
    if (this.cached && Date.now() < this.cached.expiresAt) return this.cached.token;
    this.pending ??= this.exchange(signal).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Forget the token (after a 401 from the API). */
  invalidate(): void {
    this.cached = undefined;
  }

  private async exchange(signal: AbortSignal): Promise<string> {
    const body = new URLSearchParams({
      grant_type: "urn:ibm:params:oauth:grant-type:apikey",
      apikey: this.apiKey,
    });
    const res = await lmFetch(`${this.iamUrl.replace(/\/+$/, "")}/identity/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: body.toString(),
      signal,
    });
    const text = await res.text();
    if (!res.ok)
      throw new HttpStatusError(
        res.status,
        res.headers,
        `IAM token exchange failed: ${text.slice(0, 300)}`,
      );
    const json = JSON.parse(text) as {
      access_token?: string;
      expires_in?: number;
      expiration?: number;
    };
    if (!json.access_token) throw malformedResponse("IAM token response has no access_token");
    const expiresAt = json.expiration
      ? json.expiration * 1000
      : Date.now() + (json.expires_in ?? 3600) * 1000;
    this.cached = { token: json.access_token, expiresAt: expiresAt - 60_000 };
    // A bearer token is a secret like the key it came from: redacted wherever it shows up later.
    rememberSecret(json.access_token);
    return json.access_token;
  }
}

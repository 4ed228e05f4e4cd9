/**
 * The `Response` and `Headers` lmFetch hands to the SDKs, for an answer already read into memory.
 *
 * Why not `new Response(bytes, { headers })`: undici validates every header name and value again
 * (Node's HTTP parser already did), copies them into its own list, sorts that list whenever the
 * headers are iterated (the OpenAI SDK iterates them for every answer) and wraps the bytes in a
 * WHATWG stream. Together that was about a tenth of the client's CPU per LLM request. These
 * classes keep `instanceof Response` / `instanceof Headers` true and behave like fetch's for
 * everything an SDK reads, over a plain Map and the buffer.
 */

/**
 * Response headers over a Map of lower-cased names, built from Node's raw header
 * list. Repeated headers are joined with ", " as fetch does, except `set-cookie`, whose values
 * `getSetCookie()` returns one by one.
 *
 * @example
 * const h = new ResponseHeaders(["Content-Type", "application/json", "Set-Cookie", "a=1"]);
 * h.get("content-type"); // "application/json"
 * [...h]; // [["content-type", "application/json"], ["set-cookie", "a=1"]]
 */
export class ResponseHeaders {
  readonly #values = new Map<string, string>();
  #cookies: string[] = [];

  constructor(rawHeaders: readonly string[] = []) {
    for (let i = 0; i + 1 < rawHeaders.length; i += 2)
      this.append(rawHeaders[i]!, rawHeaders[i + 1]!);
  }

  append(name: string, value: string): void {
    const key = name.toLowerCase();
    if (key === "set-cookie") this.#cookies.push(value);
    const old = this.#values.get(key);
    this.#values.set(key, old === undefined || key === "set-cookie" ? value : `${old}, ${value}`);
  }

  set(name: string, value: string): void {
    const key = name.toLowerCase();
    if (key === "set-cookie") this.#cookies = [value];
    this.#values.set(key, value);
  }

  delete(name: string): void {
    const key = name.toLowerCase();
    if (key === "set-cookie") this.#cookies = [];
    this.#values.delete(key);
  }

  get(name: string): string | null {
    const key = name.toLowerCase();
    if (key === "set-cookie" && this.#cookies.length) return this.#cookies.join(", ");
    return this.#values.get(key) ?? null;
  }

  has(name: string): boolean {
    return this.#values.has(name.toLowerCase());
  }

  getSetCookie(): string[] {
    return [...this.#cookies];
  }

  forEach(
    callback: (value: string, key: string, parent: ResponseHeaders) => void,
    thisArg?: unknown,
  ): void {
    for (const [k, v] of this.entries()) callback.call(thisArg, v, k, this);
  }

  /** Pairs in name order, each `set-cookie` value apart (as fetch iterates). */
  *entries(): IterableIterator<[string, string]> {
    for (const k of [...this.#values.keys()].sort()) {
      if (k === "set-cookie") for (const c of this.#cookies) yield [k, c];
      else yield [k, this.#values.get(k)!];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): IterableIterator<string> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  [Symbol.for("nodejs.util.inspect.custom")](): Record<string, string> {
    return Object.fromEntries(this.entries());
  }
}
// `instanceof Headers` holds; undici's constructor and methods are never run on it.
Object.setPrototypeOf(ResponseHeaders.prototype, Headers.prototype);

const utf8 = new TextDecoder(); // strips a byte order mark, as Response.text() does

/**
 * A `Response` whose body is already in memory: `json()`, `text()`, `arrayBuffer()`, `bytes()`
 * and `blob()` read the buffer directly, and `body` builds a stream only for a caller that asks.
 * Each body can be read once, as with fetch. It does not run undici's constructor: its own fields
 * shadow the accessors it inherits from `Response.prototype`.
 *
 * @example
 * const res = new BufferedResponse(Buffer.from('{"a":1}'), 200, "OK", new ResponseHeaders(), url);
 * await res.json(); // { a: 1 }
 */
export class BufferedResponse {
  // Own fields (defined, not assigned), so they shadow the getters of Response.prototype.
  readonly type = "basic";
  readonly redirected = false;
  readonly status: number;
  readonly statusText: string;
  readonly headers: ResponseHeaders;
  readonly url: string;
  readonly ok: boolean;
  #bytes: Buffer | null;
  #used = false;
  #stream: ReadableStream<Uint8Array> | null | undefined;

  /** `bytes` null: a response that has no body (204, 304, HEAD). */
  constructor(
    bytes: Buffer | null,
    status: number,
    statusText: string,
    headers: ResponseHeaders,
    url: string,
  ) {
    this.#bytes = bytes;
    this.status = status;
    this.statusText = statusText;
    this.headers = headers;
    this.url = url;
    this.ok = status >= 200 && status < 300;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#bytes === null) return null;
    return (this.#stream ??= this.#used
      ? null
      : (new Response(this.#bytes).body as ReadableStream<Uint8Array>));
  }

  get bodyUsed(): boolean {
    return this.#used;
  }

  #take(): Buffer {
    if (this.#used || this.#stream?.locked)
      throw new TypeError("Body is unusable: Body has already been read");
    if (this.#bytes !== null) this.#used = true;
    return this.#bytes ?? Buffer.alloc(0);
  }

  async json(): Promise<unknown> {
    return JSON.parse(utf8.decode(this.#take()));
  }

  async text(): Promise<string> {
    return utf8.decode(this.#take());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = this.#take();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(this.#take());
  }

  async blob(): Promise<Blob> {
    return new Blob([this.#take()], { type: this.headers.get("content-type") ?? "" });
  }

  async formData(): Promise<FormData> {
    return new Response(this.#take(), { headers: [...this.headers] }).formData();
  }

  [Symbol.for("nodejs.util.inspect.custom")](): Record<string, unknown> {
    return {
      status: this.status,
      statusText: this.statusText,
      headers: this.headers,
      url: this.url,
      bodyUsed: this.#used,
    };
  }

  clone(): BufferedResponse {
    if (this.#used) throw new TypeError("Response.clone: Body has already been consumed.");
    const headers = new ResponseHeaders();
    for (const [k, v] of this.headers) headers.append(k, v);
    return new BufferedResponse(
      this.#bytes && Buffer.from(this.#bytes),
      this.status,
      this.statusText,
      headers,
      this.url,
    );
  }
}
Object.setPrototypeOf(BufferedResponse.prototype, Response.prototype);

/**
 * The baseline of bench/lm-throughput: what a bare `node:http` client reaches against the same
 * fake server on the same machine. No SDK, no limiter, no builder: `limit` loops, each sending one
 * chat request after the other over keep-alive sockets until `count` have been sent. Its server
 * window shows how close to N/L the machine and the fake server let *any* Node client come.
 *
 * Plain JavaScript so that, run as its own process (`node bare-client.mjs <base_url> <count>
 * <limit>`), its start-up is Node's alone, the floor for digit's whole-process figure.
 *
 * @example
 * await bareClient("http://127.0.0.1:8000/v1", 1000, 64); // resolves when all answers are read
 */
import http from "node:http";
import { pathToFileURL } from "node:url";

/**
 * Send `count` chat requests to `baseURL`, `limit` at a time.
 * @param {string} baseURL an OpenAI-style base URL, e.g. http://127.0.0.1:8000/v1
 * @param {number} count
 * @param {number} limit
 * @returns {Promise<void>}
 */
export async function bareClient(baseURL, count, limit) {
  const url = new URL(`${baseURL.replace(/\/$/, "")}/chat/completions`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  let sent = 0;
  const one = (i) =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({
        model: "fake-model",
        messages: [{ role: "user", content: `Write a geography question ${i}` }],
      });
      const headers = {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
      };
      const req = http.request(
        {
          hostname: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          agent,
          headers,
        },
        (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () =>
            res.statusCode === 200
              ? resolve(JSON.parse(Buffer.concat(chunks).toString()))
              : reject(new Error(`status ${res.statusCode}`)),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  try {
    await Promise.all(
      Array.from({ length: limit }, async () => {
        while (sent < count) await one(sent++);
      }),
    );
  } finally {
    agent.destroy();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [baseURL, count, limit] = process.argv.slice(2);
  await bareClient(String(baseURL), Number(count), Number(limit));
}

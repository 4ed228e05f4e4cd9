import { describe, expect, it } from "vitest";
import { isSecretKey, knownSecrets, redactSecrets, redactText, rememberSecret } from "./redact.js";

describe("redactText", () => {
  it("redacts URL userinfo passwords (or a userinfo token) and keeps the rest of the URL", () => {
    expect(redactText("https://bob:hunter2@h.example/v1", [])).toBe("https://bob:***@h.example/v1");
    expect(redactText("clone https://ghp_abc123@github.com/x failed", [])).toBe(
      "clone https://***@github.com/x failed",
    );
    expect(redactText("https://h.example/v1?api_key=k1&model=m&access_token=t2", [])).toBe(
      "https://h.example/v1?api_key=***&model=m&access_token=***",
    );
    expect(redactText("https://h.example/v1", [])).toBe("https://h.example/v1");
  });

  it("redacts Bearer and Basic tokens, in a value and inside text, but not ordinary words", () => {
    expect(redactText("Bearer abc", [])).toBe("Bearer ***");
    expect(redactText("basic dXNlcjpwYXNz", [])).toBe("basic ***");
    expect(redactText("sent Authorization: Bearer sk-live-0123456789 to h", [])).toBe(
      "sent Authorization: Bearer *** to h",
    );
    expect(redactText("Basic authentication failed", [])).toBe("Basic authentication failed");
  });

  it("redacts every occurrence of a known secret, longest first", () => {
    expect(redactText("key sk-123456 and sk-123456-long", ["sk-123456-long", "sk-123456"])).toBe(
      "key *** and ***",
    );
  });

  it("a value under a secret-named key is secret whole, except its scheme and the providers' placeholders", () => {
    expect(redactText("anything", [], true)).toBe("***");
    expect(redactText("Bearer tok", [], true)).toBe("Bearer ***");
    expect(redactText("EMPTY", [], true)).toBe("EMPTY");
    expect(redactText("", [], true)).toBe("");
  });
});

describe("redactSecrets", () => {
  it("redacts secret-named keys at any depth, header values, URL userinfo and copies of found secrets; keeps numbers and booleans", () => {
    const config = {
      blocks: [
        {
          api_key: "sk-literal-1",
          base_url: "http://u:pw-123456@h/v1",
          default_headers: {
            "X-Auth": "xa-123456",
            "Ocp-Apim-Subscription-Key": "ocp-1",
            Cookie: "s=1",
            "X-Request-Source": "digit",
            "X-Other": "Bearer zzz",
          },
          extra_body: {
            options: { client_secret: "cs-1", keep: "v" },
            copy: "mention of xa-123456",
          },
          max_tokens: 5,
        },
      ],
      counts: { token_filter: 3 },
      enabled: { use_token: true },
    };
    expect(redactSecrets(config, [])).toEqual({
      blocks: [
        {
          api_key: "***",
          base_url: "http://u:***@h/v1",
          default_headers: {
            "X-Auth": "***",
            "Ocp-Apim-Subscription-Key": "***",
            Cookie: "***",
            "X-Request-Source": "digit",
            "X-Other": "Bearer ***",
          },
          extra_body: { options: { client_secret: "***", keep: "v" }, copy: "mention of ***" },
          max_tokens: 5,
        },
      ],
      counts: { token_filter: 3 },
      enabled: { use_token: true },
    });
  });

  it("survives cycles and errors", () => {
    const a: Record<string, unknown> = { password: "p-123456" };
    a.self = a;
    expect(redactSecrets({ a, e: new Error("Bearer sk-0123456789 rejected") }, [])).toEqual({
      a: { password: "***", self: "[Circular]" },
      e: { name: "Error", message: "Bearer *** rejected" },
    });
  });
});

describe("known secrets", () => {
  it("are the values of secret-named environment variables and remembered keys, not paths or short values", () => {
    rememberSecret("remembered-key-0123");
    const known = knownSecrets({
      OPENAI_API_KEY: "sk-env-0123456789",
      HF_TOKEN: "hf_0123456789",
      SSH_AUTH_SOCK: "/",
      PWD: "/work/secrets",
      SHORT_KEY: "abc",
      HOME: "/root",
    });
    expect(known).toContain("sk-env-0123456789");
    expect(known).toContain("hf_0123456789");
    expect(known).toContain("remembered-key-0123");
    for (const v of ["/", "/work/secrets", "abc", "/root"]) expect(known).not.toContain(v);
  });

  it("secret names: words, not substrings", () => {
    for (const k of [
      "api_key",
      "X-Auth",
      "x-auth-token",
      "X-Authentication",
      "xAuthToken",
      "Proxy-Authorization",
      "Ocp-Apim-Subscription-Key",
      "Cookie",
      "client_secret",
      "db_password",
      "HF_TOKEN",
    ])
      expect(isSecretKey(k), k).toBe(true);
    for (const k of [
      "tokenizer",
      "keywords",
      "max_tokens",
      "eos_token",
      "author",
      "authors",
      "PWD",
      "X-Request-Source",
    ])
      expect(isSecretKey(k), k).toBe(false);
  });
});

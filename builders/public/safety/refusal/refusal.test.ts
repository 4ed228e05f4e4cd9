import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { guardianLabel } from "./guardian/parse.js";
import { loadRiskPolicy, policyFrom, policyMetadata } from "./policy.js";
import { splitQuestions } from "./split.js";

describe("splitting generated requests", () => {
  it("splits on ### Question N: headings and ignores a preamble", () => {
    expect(
      splitQuestions(
        "Sure, here they are:\n### Question 1: First one?\n\n### Question 2:Second one?\n###Question 10 : Third",
      ),
    ).toEqual(["First one?", "Second one?", "Third"]);
  });
  it("drops empty questions and gives nothing without headings", () => {
    expect(splitQuestions("### Question 1:\n### Question 2: Only this")).toEqual(["Only this"]);
    expect(splitQuestions("No headings at all")).toEqual([]);
  });
});

describe("risk policy", () => {
  const doc = {
    risk_group: "Cyber",
    risk_group_id: "cyber",
    policy_version: "v0.2",
    risks: [
      {
        risk: "first",
        risk_id: "r1",
        description: "d1",
        reason_denial: "because",
        short_reply_type: "brief",
        exception: "none",
        policy: { reply_cannot_contain: ["code", null], reply_may_contain: ["advice"] },
      },
      { risk: "second", risk_id: "r2", description: "d2" },
    ],
  };
  it("takes the first risk by default and the group's top-level fields", () => {
    const p = policyFrom(doc);
    expect(p).toMatchObject({
      risk: "first",
      risk_id: "r1",
      risk_description: "d1",
      risk_group: "Cyber",
      risk_group_id: "cyber",
      policy_version: "v0.2",
      reply_cannot_contain: ["code"],
      reply_may_contain: ["advice"],
    });
  });
  it("finds a risk by name or id; falls back to empty fields for an unknown one", () => {
    expect(policyFrom(doc, "second").risk_id).toBe("r2");
    expect(policyFrom(doc, "r2").risk).toBe("second");
    const unknown = policyFrom(doc, "nope");
    expect(unknown).toMatchObject({
      risk: "nope",
      risk_id: "",
      reason_denial: "",
      risk_group: "Cyber",
    });
    expect(policyFrom({}).policy_version).toBe("v0.1");
  });
  it("gives the record metadata DiGiT attaches", () => {
    expect(Object.keys(policyMetadata(policyFrom(doc))).sort()).toEqual([
      "exception",
      "mode",
      "policy_version",
      "reason_denial",
      "risk",
      "risk_description",
      "risk_group",
      "risk_group_id",
      "risk_id",
      "short_reply_type",
    ]);
  });
  it("reads a policy file and reports a missing one", () => {
    const dir = mkdtempSync(join(tmpdir(), "policy-"));
    writeFileSync(join(dir, "p.yaml"), "risk_group: G\nrisks:\n  - risk: only\n");
    expect(loadRiskPolicy(join(dir, "p.yaml")).risk).toBe("only");
    expect(() => loadRiskPolicy(join(dir, "missing.yaml"))).toThrow(/missing\.yaml/);
    expect(
      loadRiskPolicy(
        "data/public/safety/resources/policies/cybersecurity_risks.yaml",
        "spam_phishing_sextortion_campaigns",
      ).risk_id,
    ).toBe("cyber_spam_phishing");
  });
});

describe("guardian replies", () => {
  it.each([
    ["<score> yes </score>", "unsafe"],
    ["<think>It asks for a phishing mail.</think>\n<score>yes</score>", "unsafe"],
    ["<score>No</score>", "safe"],
    ["no", "safe"],
    ["Yes.", "unsafe"],
    ["<think>maybe yes</think> I am not sure", "unknown"],
    ["", "unknown"],
  ])("%j → %s", (reply, label) => {
    expect(guardianLabel(reply)).toBe(label);
  });
});

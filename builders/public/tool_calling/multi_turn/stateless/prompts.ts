// The prompts of the tool-calling stages. Each user message starts with its own first line, so a
// scripted mock can tell the stages apart.

const J = (v: unknown) => JSON.stringify(v, null, 2);

/**
 * Planner: a chain of tool calls a persona would make.
 *
 * @example
 * const [system, user] = planPrompt({ tools, date, persona, length: 3, prior: [], nested: true });
 */
export function planPrompt(a: {
  tools: unknown[];
  date: string;
  persona: string;
  length: number;
  prior: unknown[];
  nested: boolean;
}): [string, string] {
  const system = [
    "You plan tool calls. Write a JSON list of calls between <tool_calls> and </tool_calls>; each call is",
    '{"name": <tool name>, "arguments": {...}, "id": "$<n>"}.',
    "Rules: act as the person described; number ids $1, $2, ... continuing after the earlier calls;",
    "give each call several concrete, realistic argument values (no placeholders); copy dates and",
    `times exactly; write at most ${a.length} calls; do not call a tool the earlier calls used.`,
    a.nested
      ? 'Every call after the first must take at least one argument from an earlier call\'s output, written "$<n>.<output field>" (output fields only); when there are earlier calls, at least one new call uses one of their outputs.'
      : "Calls must not refer to each other's outputs.",
  ].join(" ");
  const user = `Plan tool calls.\n\nTools:\n${J(a.tools)}\n\nToday's date: ${a.date}\n\nPerson:\n${a.persona}\n\nMost calls: ${a.length}\n\nEarlier calls:\n${J(a.prior)}`;
  return [system, user];
}

/**
 * User stage: the request that would lead to the planned calls.
 *
 * @example
 * const [system, user] = userPrompt({ tools, persona, required, history, explicit, hidden });
 */
export function userPrompt(a: {
  tools: unknown[];
  persona: string;
  required: unknown[];
  history: unknown[];
  explicit: unknown[];
  hidden: unknown[];
}): [string, string] {
  const system = [
    "You write what a user types to an AI assistant so that the assistant would make the 'explicit' tool calls.",
    "Write it between <request> and </request>. Lead with the user's goal, in the voice of the person described;",
    "weave every required value into the text in natural words; build on the earlier turns without repeating them;",
    "use the present tense; never name tools, ids, parameters or formats. The 'hidden' calls run behind the scenes:",
    "do not mention them, but their concrete values must appear in the text, after the goal.",
  ].join(" ");
  const user = `Write the user request.\n\nTools:\n${J(a.tools)}\n\nPerson:\n${a.persona}\n\nRequired values:\n${a.required.map((r) => JSON.stringify(r)).join("\n")}\n\nEarlier turns:\n${J(a.history)}\n\nExplicit calls:\n${J(a.explicit)}\n\nHidden calls:\n${J(a.hidden)}`;
  return [system, user];
}

/**
 * Verifier: the calls that answer the request, written afresh.
 *
 * @example
 * const [system, user] = verifyPrompt({ tools, history, request, calls, required, nested });
 */
export function verifyPrompt(a: {
  tools: unknown[];
  history: unknown[];
  request: string;
  calls: unknown[];
  required: unknown[];
  nested: boolean;
}): [string, string] {
  const system = [
    "You are an assistant that answers a user's request with tool calls. Write the JSON list of calls between",
    '<tool_calls> and </tool_calls>, each {"name", "arguments", "id": "$<n>"}, ids continuing after earlier calls.',
    "Use only values the user gave or earlier outputs.",
    a.nested ? 'Take values produced by earlier calls as "$<n>.<output field>".' : "",
    "A draft is given: keep what is right, fix what is not.",
  ].join(" ");
  const user = `Translate the request into tool calls.\n\nTools:\n${J(a.tools)}\n\nEarlier turns:\n${J(a.history)}\n\nRequest:\n${a.request}\n\nDraft:\n${J(a.calls)}\n\nValues the request carries:\n${a.required.map((r) => JSON.stringify(r)).join("\n")}`;
  return [system, user];
}

/**
 * Summarize: the assistant's answer from the tool results.
 *
 * @example
 * const [system, user] = summarizePrompt({ tools, request, steps });
 */
export function summarizePrompt(a: {
  tools: unknown[];
  request: string;
  steps: unknown[];
}): [string, string] {
  const system =
    "You are an assistant that has just run tools for a user. Tell the user, briefly and plainly, what the results say, between <summary> and </summary>. Do not ask questions.";
  return [
    system,
    `Summarize the tool results.\n\nTools:\n${J(a.tools)}\n\nRequest:\n${a.request}\n\nCalls and results:\n${J(a.steps)}`,
  ];
}

/**
 * Filter: whether the conversation is sound.
 *
 * @example
 * const [system, user] = filterPrompt({ tools, conversation, reasoning: true });
 */
export function filterPrompt(a: {
  tools: unknown[];
  conversation: unknown[];
  reasoning: boolean;
}): [string, string] {
  const system = [
    "You review a conversation in which an assistant calls tools. It passes if every call fits what the user asked,",
    "uses only values the user gave or earlier results, and every request is answerable with the tools.",
    a.reasoning ? "Think first between <thought> and </thought>, then" : "Then",
    "answer yes or no between <pass> and </pass>.",
  ].join(" ");
  return [
    system,
    `Judge this conversation.\n\nTools:\n${J(a.tools)}\n\nConversation:\n${J(a.conversation)}`,
  ];
}

/**
 * Error hints, first call: the assistant's next tool call, in its own words.
 *
 * @example
 * const system = nextCallSystem({ tools, date });
 */
export function nextCallSystem(a: { tools: unknown[]; date: string }): string {
  return `You are an assistant with tools. Today's date: ${a.date}. Reply with the next tool call only, as JSON {"name", "arguments"}.\n\nTools:\n${J(a.tools)}`;
}

/**
 * Error hints, second call: what the tool answers to a wrong call.
 *
 * @example
 * const [system, user] = hintPrompt({ tools, correct, wrong });
 */
export function hintPrompt(a: {
  tools: unknown[];
  correct: unknown;
  wrong: unknown;
}): [string, string] {
  const system =
    "You are a tool that received a wrong call. Write the short error message the tool returns, pointing at what is wrong without giving the right call, between <hint> and </hint>.";
  return [
    system,
    `Explain the wrong call.\n\nTools:\n${J(a.tools)}\n\nRight call:\n${J(a.correct)}\n\nWrong call:\n${J(a.wrong)}`,
  ];
}

/**
 * One JSON line for any value: errors become `{name, message}`, bigints strings, cycles
 * "[Circular]", functions and symbols are dropped — a record is never lost to a bad attribute.
 *
 * @example
 * jsonLine({ a: 1n }) // '{"a":"1"}\n'
 */
export function jsonLine(record: unknown): string {
  const seen = new WeakSet<object>();
  const text = JSON.stringify(record, (_key, value: unknown) => {
    if (typeof value === "bigint") return value.toString();
    if (typeof value === "function" || typeof value === "symbol") return undefined;
    if (value instanceof Error) return { name: value.name, message: value.message };
    if (typeof value === "object" && value !== null) {
      if (seen.has(value)) return "[Circular]";
      seen.add(value);
    }
    return value;
  });
  return `${text ?? "null"}\n`;
}

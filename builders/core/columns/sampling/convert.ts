import { closest } from "digit-sdg";

/**
 * The plain conversions `convert_to` accepts; datetime samplers also take a strftime format.
 *
 * @example
 * CONVERSIONS.includes("int") // true
 */
export const CONVERSIONS = ["int", "float", "str"] as const;

/**
 * Why `convert_to` is wrong for a sampler type, or undefined when it is fine. Datetimes take
 * `str` or a strftime format such as `%Y-%m-%d`; a person is an object and takes none.
 *
 * @example
 * convertProblem("datetime", "%d/%m/%Y") // undefined
 * convertProblem("gaussian", "integer") // "unknown convert_to 'integer': did you mean 'int'? ..."
 */
export function convertProblem(samplerType: string, convertTo: string): string | undefined {
  if (samplerType === "person")
    return "a person is an object: convert_to does not apply (read its fields)";
  const dated = samplerType === "datetime" || samplerType === "timedelta";
  if (dated && (convertTo === "str" || convertTo.includes("%"))) return undefined;
  if (dated) return `convert_to of a ${samplerType} is 'str' or a strftime format like '%Y-%m-%d'`;
  if ((CONVERSIONS as readonly string[]).includes(convertTo)) {
    return samplerType === "uuid" && convertTo !== "str"
      ? "a uuid converts only to 'str'"
      : undefined;
  }
  const near = closest(convertTo, CONVERSIONS);
  return (
    `unknown convert_to '${convertTo}': ${near ? `did you mean '${near}'? ` : ""}known: ` +
    `int, float, str`
  );
}

/**
 * A drawn value after `convert_to` (int rounds to the nearest integer; a non-numeric value is
 * left as it is by int/float, which the schema check prevents).
 *
 * @example
 * convertValue(3.6, "int") // 4
 * convertValue(new Date("2024-02-03T00:00:00Z"), "%d.%m.%Y") // "03.02.2024"
 */
export function convertValue(value: unknown, convertTo: string | undefined): unknown {
  if (value instanceof Date)
    return convertTo && convertTo !== "str" ? strftime(value, convertTo) : isoText(value);
  if (convertTo === undefined) return value;
  if (convertTo === "str") return String(value);
  const n =
    typeof value === "number" ? value : typeof value === "boolean" ? Number(value) : Number(value);
  if (Number.isNaN(n)) return value;
  return convertTo === "int" ? Math.round(n) : n;
}

/**
 * A datetime as ISO 8601 in UTC without milliseconds: `2024-02-03T04:05:06Z`.
 *
 * @example
 * isoText(new Date(0)) // "1970-01-01T00:00:00Z"
 */
export function isoText(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/**
 * Format a UTC datetime with the common strftime directives: %Y %y %m %d %H %I %M %S %p %j %B
 * %b %A %a %%; any other directive is kept as written.
 *
 * @example
 * strftime(new Date("2024-02-03T14:05:06Z"), "%Y-%m-%d %H:%M") // "2024-02-03 14:05"
 */
export function strftime(d: Date, format: string): string {
  const p2 = (n: number): string => String(n).padStart(2, "0");
  const day0 = Date.UTC(d.getUTCFullYear(), 0, 1);
  return format.replace(/%([a-zA-Z%])/g, (all, c: string) => {
    switch (c) {
      case "Y":
        return String(d.getUTCFullYear());
      case "y":
        return p2(d.getUTCFullYear() % 100);
      case "m":
        return p2(d.getUTCMonth() + 1);
      case "d":
        return p2(d.getUTCDate());
      case "H":
        return p2(d.getUTCHours());
      case "I":
        return p2(((d.getUTCHours() + 11) % 12) + 1);
      case "p":
        return d.getUTCHours() < 12 ? "AM" : "PM";
      case "M":
        return p2(d.getUTCMinutes());
      case "S":
        return p2(d.getUTCSeconds());
      case "j":
        return String(Math.floor((d.getTime() - day0) / 86_400_000) + 1).padStart(3, "0");
      case "B":
        return MONTHS[d.getUTCMonth()]!;
      case "b":
        return MONTHS[d.getUTCMonth()]!.slice(0, 3);
      case "A":
        return DAYS[d.getUTCDay()]!;
      case "a":
        return DAYS[d.getUTCDay()]!.slice(0, 3);
      case "%":
        return "%";
      default:
        return all;
    }
  });
}

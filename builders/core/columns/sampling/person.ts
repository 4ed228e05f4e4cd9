import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { closest, type Random } from "digit-sdg";
import type { SamplerParams } from "./params.js";

/**
 * A locale dataset as written by scripts/generate-person-data.mjs (data/person/<locale>.json).
 *
 * @example
 * const data = loadPersonDataset("en_US") as PersonDataset;
 */
export interface PersonDataset {
  locale: string;
  first_names: Record<"Female" | "Male", Array<[string, number]>>;
  last_names: Array<[string, number]>;
  cities: Array<{ city: string; state: string; weight: number }>;
  email_domains: Array<[string, number]>;
  age_weights: Array<[number, number]>;
}

/**
 * What a `person` sampler draws: one object per record; read its fields as `person.age`.
 *
 * @example
 * const who: Person = drawPerson(data, personParams.parse({}), rng); who.email_address;
 */
export interface Person {
  first_name: string;
  last_name: string;
  sex: "Female" | "Male";
  age: number;
  city: string;
  state: string;
  email_address: string;
}

/**
 * The fields of a {@link Person}, for docs and reference checks.
 *
 * @example
 * PERSON_FIELDS.includes("age") // true
 */
export const PERSON_FIELDS = [
  "first_name",
  "last_name",
  "sex",
  "age",
  "city",
  "state",
  "email_address",
] as const;

/** The shipped `data/person` folder: found upward from this file, from source and from dist/. */
function personDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 7; i++) {
    const candidate = join(dir, "data", "person");
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), "data", "person");
}

/**
 * The locales shipped under data/person.
 *
 * @example
 * personLocales() // ["en_US"]
 */
export function personLocales(): string[] {
  const dir = personDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -5))
    .sort();
}

const loaded = new Map<string, PersonDataset>();

/**
 * A locale's dataset, or why it cannot be had (an unknown locale, with the closest one).
 *
 * @example
 * const data = loadPersonDataset("en_US");
 * if (typeof data !== "string") data.cities.length;
 */
export function loadPersonDataset(locale: string): PersonDataset | string {
  const hit = loaded.get(locale);
  if (hit) return hit;
  const known = personLocales();
  if (!known.includes(locale)) {
    const near = closest(locale, known);
    return (
      `no person dataset for locale '${locale}': ` +
      `${near ? `did you mean '${near}'? ` : ""}shipped: ${known.join(", ") || "none"}`
    );
  }
  const data = JSON.parse(
    readFileSync(join(personDir(), `${locale}.json`), "utf8"),
  ) as PersonDataset;
  loaded.set(locale, data);
  return data;
}

/**
 * Why a person sampler's params do not fit its dataset (a city it does not have), or undefined.
 *
 * @example
 * personParamsProblem(data, { ...params, city: "Bostn" })
 * // "no city 'Bostn' in the en_US person dataset: did you mean 'Boston'?"
 */
export function personParamsProblem(
  data: PersonDataset,
  params: SamplerParams["person"],
): string | undefined {
  const names = [...new Set(data.cities.map((c) => c.city))];
  for (const city of params.city === undefined ? [] : [params.city].flat()) {
    if (!names.includes(city)) {
      const near = closest(city, names);
      return (
        `no city '${city}' in the ${data.locale} person ` +
        `dataset${near ? `: did you mean '${near}'?` : ""}`
      );
    }
  }
  return undefined;
}

const split = new WeakMap<object, { items: unknown[]; weights: number[] }>();

/** A weighted pick from [item, weight] pairs (the pairs split once per list). */
function weightedPick<T>(rng: Random, pairs: ReadonlyArray<readonly [T, number]>): T {
  let s = split.get(pairs);
  if (!s) {
    s = { items: pairs.map((p) => p[0]), weights: pairs.map((p) => p[1]) };
    split.set(pairs, s);
  }
  return rng.weighted(s.items as T[], s.weights);
}

/** Mail-safe lower-case letters of a name ("O'Brien" → "obrien"). */
function mailPart(s: string): string {
  return s
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "");
}

/** A dataset narrowed to one sampler's filters, weights split out (made once per params). */
interface Prepared {
  ages: Array<readonly [number, number]>;
  cities: Array<readonly [PersonDataset["cities"][number], number]>;
}

const prepared = new WeakMap<object, Prepared>();

function prepare(data: PersonDataset, params: SamplerParams["person"]): Prepared {
  let p = prepared.get(params);
  if (!p) {
    const [lo, hi] = params.age_range;
    const allowed = params.city === undefined ? undefined : [params.city].flat();
    p = {
      ages: data.age_weights.filter(([a]) => a >= lo && a <= hi),
      cities: data.cities
        .filter((c) => !allowed || allowed.includes(c.city))
        .map((c) => [c, c.weight] as const),
    };
    prepared.set(params, p);
  }
  return p;
}

/**
 * Draw one person from a dataset with the sampler's filters (sex, city, age range).
 *
 * @example
 * drawPerson(data, { locale: "en_US", age_range: [30, 40] }, new Random("k")).age // 30..40
 */
export function drawPerson(
  data: PersonDataset,
  params: SamplerParams["person"],
  rng: Random,
): Person {
  const sex = params.sex ?? (rng.next() < 0.5 ? "Female" : "Male");
  const first = weightedPick(rng, data.first_names[sex]);
  const last = weightedPick(rng, data.last_names);
  const { ages, cities } = prepare(data, params);
  const [lo, hi] = params.age_range;
  const age = ages.length ? weightedPick(rng, ages) : lo + rng.int(hi - lo + 1);
  const place = weightedPick(rng, cities);
  const f = mailPart(first);
  const l = mailPart(last);
  const n = String(rng.int(100)).padStart(2, "0");
  const local = [`${f}.${l}`, `${f}${l}${n}`, `${f[0]}${l}`, `${f}_${l}${n}`, `${l}.${f}`][
    rng.int(5)
  ]!;
  const domain = weightedPick(rng, data.email_domains);
  return {
    first_name: first,
    last_name: last,
    sex,
    age,
    city: place.city,
    state: place.state,
    email_address: `${local}@${domain}`,
  };
}

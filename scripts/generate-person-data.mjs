#!/usr/bin/env node
// Writes data/person/en_US.json, the small locale dataset the `person` sampler of core/columns
// draws from. The name, city and domain lists below are written for digit (common US given names
// and surnames, large US cities with rounded populations in thousands, generic mail domains);
// weights follow a Zipf law over each list's order, ages a smooth adult age curve. Run it again
// after editing a list: `node scripts/generate-person-data.mjs [output file]`. The output is
// deterministic.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const female = `Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy
Betty Sandra Margaret Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie
Dorothy Rebecca Sharon Laura Cynthia Amy Kathleen Angela Shirley Brenda Emma Anna Pamela Nicole
Samantha Katherine Christine Helen Debra Rachel Carolyn Janet Maria Catherine Heather Diane Olivia
Julie Joyce Victoria Ruth Virginia Lauren Kelly Christina Joan Evelyn Judith Andrea Hannah Megan
Cheryl Jacqueline Martha Madison Teresa Gloria Sara Janice Ann Kathryn Abigail Sophia Frances Jean
Alice Judy Isabella Julia Grace Amber Denise Danielle Marilyn Beverly Charlotte Natalie Theresa
Diana Brittany Doris Kayla Alexis Lori Marie`.split(/\s+/);
const male = `James Robert John Michael David William Richard Joseph Thomas Christopher Charles
Daniel Matthew Anthony Mark Donald Steven Andrew Paul Joshua Kenneth Kevin Brian Timothy Ronald
George Jason Edward Jeffrey Ryan Jacob Nicholas Gary Eric Jonathan Stephen Larry Justin Scott
Brandon Benjamin Samuel Gregory Alexander Patrick Frank Raymond Jack Dennis Jerry Tyler Aaron Jose
Adam Nathan Henry Zachary Douglas Peter Kyle Noah Ethan Jeremy Christian Walter Keith Austin Roger
Terry Sean Gerald Carl Dylan Harold Jordan Jesse Bryan Lawrence Arthur Gabriel Bruce Logan Billy
Joe Alan Juan Elijah Willie Albert Wayne Randy Mason Vincent Liam Roy Bobby Caleb Bradley Russell
Lucas`.split(/\s+/);
const surnames =
  `Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez
Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores
Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner
Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz
Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez
Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross
Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales
Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace
Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro
Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman
Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason
Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills
Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant
Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen Peters Santos Hart Bradley Knight Elliott
Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews Alvarado Ray Delgado Berry Perkins
Hoffman Johnston Matthews Pena Richards Contreras Willis Carpenter Lawrence Sandoval`.split(/\s+/);
// city, state, population in thousands (rounded).
const cities = [
  ["New York", "NY", 8300],
  ["Los Angeles", "CA", 3800],
  ["Chicago", "IL", 2650],
  ["Houston", "TX", 2300],
  ["Phoenix", "AZ", 1650],
  ["Philadelphia", "PA", 1550],
  ["San Antonio", "TX", 1490],
  ["San Diego", "CA", 1380],
  ["Dallas", "TX", 1300],
  ["Jacksonville", "FL", 970],
  ["Austin", "TX", 970],
  ["Fort Worth", "TX", 960],
  ["San Jose", "CA", 970],
  ["Columbus", "OH", 910],
  ["Charlotte", "NC", 900],
  ["Indianapolis", "IN", 880],
  ["San Francisco", "CA", 810],
  ["Seattle", "WA", 750],
  ["Denver", "CO", 710],
  ["Oklahoma City", "OK", 700],
  ["Nashville", "TN", 690],
  ["Washington", "DC", 680],
  ["El Paso", "TX", 680],
  ["Las Vegas", "NV", 660],
  ["Boston", "MA", 650],
  ["Detroit", "MI", 630],
  ["Portland", "OR", 630],
  ["Louisville", "KY", 620],
  ["Memphis", "TN", 620],
  ["Baltimore", "MD", 570],
  ["Milwaukee", "WI", 560],
  ["Albuquerque", "NM", 560],
  ["Tucson", "AZ", 550],
  ["Fresno", "CA", 550],
  ["Sacramento", "CA", 530],
  ["Mesa", "AZ", 510],
  ["Atlanta", "GA", 500],
  ["Kansas City", "MO", 510],
  ["Colorado Springs", "CO", 490],
  ["Omaha", "NE", 490],
  ["Raleigh", "NC", 480],
  ["Miami", "FL", 450],
  ["Virginia Beach", "VA", 450],
  ["Long Beach", "CA", 450],
  ["Oakland", "CA", 430],
  ["Minneapolis", "MN", 430],
  ["Tulsa", "OK", 410],
  ["Tampa", "FL", 400],
  ["Arlington", "TX", 400],
  ["Wichita", "KS", 400],
  ["Cleveland", "OH", 360],
  ["New Orleans", "LA", 360],
  ["Honolulu", "HI", 340],
  ["Pittsburgh", "PA", 300],
  ["St. Louis", "MO", 280],
  ["Cincinnati", "OH", 310],
  ["Salt Lake City", "UT", 210],
  ["Boise", "ID", 240],
  ["Madison", "WI", 270],
  ["Anchorage", "AK", 290],
  ["Des Moines", "IA", 210],
  ["Burlington", "VT", 45],
  ["Portland", "ME", 70],
  ["Manchester", "NH", 115],
  ["Providence", "RI", 190],
  ["Hartford", "CT", 120],
  ["Newark", "NJ", 310],
  ["Wilmington", "DE", 70],
  ["Charleston", "WV", 48],
  ["Charleston", "SC", 155],
  ["Birmingham", "AL", 195],
  ["Jackson", "MS", 145],
  ["Little Rock", "AR", 200],
  ["Fargo", "ND", 130],
  ["Sioux Falls", "SD", 200],
  ["Billings", "MT", 120],
  ["Cheyenne", "WY", 65],
];
const domains = [
  "gmail.com",
  "yahoo.com",
  "outlook.com",
  "hotmail.com",
  "icloud.com",
  "aol.com",
  "proton.me",
  "mail.com",
];

// Zipf weight of the item at rank r (1-based), exponent s, rounded to 4 significant digits.
const zipf = (items, s) => items.map((x, i) => [x, Number((1 / (i + 1) ** s).toPrecision(4))]);

// Relative number of adults of each age: flat to 60, then falling (a smooth survival curve).
const ages = [];
for (let a = 0; a <= 100; a++) {
  const w = a < 60 ? 1 : Math.exp(-(((a - 60) / 18) ** 2));
  ages.push([a, Number(w.toPrecision(4))]);
}

const dataset = {
  locale: "en_US",
  generated_by: "scripts/generate-person-data.mjs",
  first_names: { Female: zipf(female, 0.7), Male: zipf(male, 0.7) },
  last_names: zipf(surnames, 0.6),
  cities: cities.map(([city, state, thousands]) => ({ city, state, weight: thousands })),
  email_domains: zipf(domains, 1.1),
  age_weights: ages,
};

const out =
  process.argv[2] ??
  join(dirname(fileURLToPath(import.meta.url)), "..", "data", "person", "en_US.json");
mkdirSync(dirname(out), { recursive: true });
// One [name, weight] pair or city per line keeps the file short and its diffs readable.
const text = JSON.stringify(dataset, null, 1)
  .replace(/\[\s+("[^"]*"|\d+),\s+([\d.e-]+)\s+\]/g, "[$1, $2]")
  .replace(/\{\s+("city"[^}]*?)\s+\}/g, (_, body) => `{ ${body.replace(/\s*\n\s*/g, " ")} }`);
writeFileSync(out, `${text}\n`);
console.log(`wrote ${out}`);

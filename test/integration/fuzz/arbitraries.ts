import fc from "fast-check";
import { creditCode } from "../../support/registries";

/**
 * fast-check arbitraries for the fuzz test: values a form's JSON Schema accepts, and the same
 * values mutated the ways a careless or hostile client sends them (wrong types, boundary and
 * unstorable strings, absurd numbers, deep nesting, missing and extra fields).
 */

export type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  [k: string]: unknown;
};

/** Put in place of a number in a body; serialised as the JSON literal 1e400 (which JSON.parse makes Infinity). */
export const HUGE = "\u0001HUGE\u0001";
/** Serialised as a key "__proto__", which an object literal cannot hold. */
export const PROTO_KEY = "\u0001PROTO\u0001";

/** A body as the client sends it: JSON, with the placeholders above turned into what they stand for. */
export function serialise(body: unknown): string {
  return JSON.stringify(body)
    .split(JSON.stringify(HUGE)).join("1e400")
    .split(JSON.stringify(PROTO_KEY)).join('"__proto__"')
    .replace(/"\\u0001DEEP(\d+)\\u0001"/g, (_, depth: string) => nested(Number(depth)));
}

const DIVISIONS = ["440000", "441300", "441302", "441303", "440900", "440902", "440100", "440500", "440300", "000000", "999999"];
const pad = (n: number, w = 2) => String(n).padStart(w, "0");

const formatArb: Record<string, fc.Arbitrary<string>> = {
  money: fc.tuple(fc.integer({ min: 0, max: 99_999_999 }), fc.integer({ min: 0, max: 99 })).map(([a, b]) => `${a}.${pad(b)}`),
  date: fc.tuple(fc.integer({ min: 2019, max: 2028 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 })).map(([y, m, d]) => `${y}-${pad(m)}-${pad(d)}`),
  month: fc.tuple(fc.integer({ min: 2019, max: 2029 }), fc.integer({ min: 1, max: 12 })).map(([y, m]) => `${y}-${pad(m)}`),
  uscc: fc.tuple(fc.constantFrom(...DIVISIONS), fc.integer({ min: 1, max: 99_999 }), fc.constantFrom("11", "12", "91", "92") as fc.Arbitrary<"11" | "12" | "91" | "92">).map(([d, n, c]) => creditCode(d, n, c)),
  "division-code": fc.constantFrom(...DIVISIONS),
  // a unit's code as the registries keep it (a purchasing unit's budget code): generation only, no format of core's
  "unit-code": fc.tuple(fc.constantFrom(...DIVISIONS), fc.integer({ min: 0, max: 999 })).map(([d, n]) => `${d}${pad(n, 3)}`),
  "phone-cn": fc.oneof(fc.constant("0752-2112233"), fc.integer({ min: 0, max: 99_999_999 }).map((n) => `138${pad(n, 8)}`)),
  email: fc.emailAddress(),
  "schedule-time": fc.oneof(formatArbDate(), fc.constant("2027-03-01T00:00:00+08:00")),
};

function formatArbDate(): fc.Arbitrary<string> {
  return fc.tuple(fc.integer({ min: 2019, max: 2028 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 })).map(([y, m, d]) => `${y}-${pad(m)}-${pad(d)}`);
}

/** Strings that have broken something somewhere: empty, blank, too long, unstorable, look-alikes, injections. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "", " ", "\u3000", "\t\n", "\u0000", "a\u0000b", "\ud800", "a\udc00b", "\udbff\udfff", "😀", "e\u0301", "ＡＢＣ１２３",
    "<script>alert(1)</script>", "' or 1=1 --", "\"; drop table core_accounts; --", "../../etc/passwd", "\u202e evil", "%00", "%s%s%n",
    "-0", "-100000.00", "0.001", "1e400", "NaN", "Infinity", "0x10", "9".repeat(40), "2026-02-30", "2026-13", "0000-00-00", "2021-01-01T25:00",
    "null", "true", "[]", "{}", "__proto__", "constructor", "$where", "\\", "\\u0000",
  ),
  fc.integer({ min: 1, max: 20_000 }).map((n) => "采".repeat(n)),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
);

/** Values of every JSON type, absurd numbers among them. */
export const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, -0, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, HUGE, [], {}),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  nastyString,
  fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 4 }),
);

/**
 * Nested `depth` levels of objects and arrays (32 and more is past what the gateway accepts),
 * written out by serialise(): JSON.stringify itself overflows the stack on thousands of levels.
 */
export const deep: fc.Arbitrary<string> = fc.integer({ min: 5, max: 5_000 }).map((depth) => `\u0001DEEP${depth}\u0001`);
const nested = (depth: number) => '{"a":['.repeat(Math.ceil(depth / 2)) + '"x"' + "]}".repeat(Math.ceil(depth / 2));

/** `arb` one time in `every`, null otherwise. */
const sometimes = <T>(arb: fc.Arbitrary<T>, every: number): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: every - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });

const ofType = (t: string | string[] | undefined) => (Array.isArray(t) ? t[0] : t);

/** A value the schema accepts (mostly: pattern-free strings and cross-field rules are not modelled). */
export function valid(schema: Schema | undefined): fc.Arbitrary<unknown> {
  if (!schema || typeof schema !== "object") return fc.constant(null);
  if ("const" in schema) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const type = ofType(schema.type) ?? (schema.properties ? "object" : undefined);
  switch (type) {
    case "object": {
      const props = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      const keys = Object.keys(props);
      if (!keys.length) return fc.constant({});
      return fc.record(Object.fromEntries(keys.map((k) => [k, valid(props[k])])), { requiredKeys: keys.filter((k) => required.has(k)) });
    }
    case "array":
      return fc.array(valid(schema.items), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, Math.max(schema.minItems ?? 0, 4)) });
    case "integer":
      return fc.integer({ min: schema.minimum ?? 0, max: schema.maximum ?? 1_000_000 });
    case "number":
      return fc.double({ min: schema.minimum ?? 0, max: schema.maximum ?? 1e9, noNaN: true, noDefaultInfinity: true });
    case "boolean":
      return fc.boolean();
    case "string": {
      if (schema.format && formatArb[schema.format]) return formatArb[schema.format];
      const min = Math.max(schema.minLength ?? 0, schema.pattern ? 2 : 0);
      const max = Math.max(min, Math.min(schema.maxLength ?? 40, 40));
      return fc.string({ unit: fc.constantFrom(..."惠州市交通运输局采购项目设备ABCabc0123 "), minLength: min, maxLength: max }).map((s) => (schema.pattern ? `项目${s}`.slice(0, max) : s));
    }
    default:
      return wrongValue;
  }
}

/**
 * A value of the schema, mutated: at each level, now and then, a field is dropped, replaced by
 * a value of the wrong kind, a nasty string or deep nesting, or joined by a field the form does
 * not have. `rate` is how often a node is mutated.
 */
export function mutated(schema: Schema | undefined, rate = 0.15): fc.Arbitrary<unknown> {
  const replace = fc.oneof({ weight: 3, arbitrary: wrongValue }, { weight: 3, arbitrary: nastyString }, { weight: 1, arbitrary: deep });
  const inner = (s: Schema | undefined): fc.Arbitrary<unknown> => {
    const type = ofType(s?.type) ?? (s?.properties ? "object" : undefined);
    let base: fc.Arbitrary<unknown>;
    if (s && type === "object" && s.properties && !("const" in s) && !s.enum) {
      const props = s.properties;
      const keys = Object.keys(props);
      base = fc
        .tuple(
          fc.record(Object.fromEntries(keys.map((k) => [k, inner(props[k])])), { requiredKeys: keys.filter((k) => (s.required ?? []).includes(k)) }),
          sometimes(fc.constantFrom(...keys), 6),
          sometimes(fc.tuple(fc.oneof(fc.constantFrom("extra", PROTO_KEY, "constructor", "$where", "id", "tenantCode", "ownerUnit", "version"), fc.string({ maxLength: 10 })), wrongValue), 4),
        )
        .map(([obj, drop, extra]) => {
          const o = { ...(obj as Record<string, unknown>) };
          if (drop) delete o[drop];
          if (extra) o[extra[0]] = extra[1];
          return o;
        });
    } else if (s && type === "array" && s.items) {
      base = fc.array(inner(s.items), { maxLength: 5 });
    } else {
      base = valid(s);
    }
    const keepWeight = Math.max(1, Math.round((1 - rate) * 100));
    const mutateWeight = Math.max(1, Math.round(rate * 100));
    return fc.oneof({ weight: keepWeight, arbitrary: base }, { weight: mutateWeight, arbitrary: replace });
  };
  return inner(schema);
}

/** A query-string value: ordinary, nasty (percent-encoded), or raw bytes that are not valid percent-encoding. */
export const queryValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.oneof(fc.constantFrom("1", "2", "20", "100", "active", "true", "1e3", "441300", "惠州", "财政", "-1", "0", "1.5", "1e400", "NaN", "99999999999999999999"), fc.integer().map(String)) },
  { weight: 3, arbitrary: nastyString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, "\ufffd"))) },
  { weight: 1, arbitrary: fc.constantFrom("%", "%zz", "%ED%A0%80", "%C0%80", "%FF", "%00", "a+b", "%2B", "a%26b%3Dc") },
);

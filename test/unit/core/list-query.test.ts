import { PlatformError } from "../../../core/errors";
import { bigramsOf, bigramsSql, decodeCursor, encodeCursor, listParams, searchTerms, type ListOrder } from "../../../core/gateway/list-query";
import type { ErrorDetail } from "../../../core/errors";

const ORDER: ListOrder = {
  name: "test.things",
  keys: [
    { column: "published_at as publishedAt", kind: "timestamp" },
    { column: "seq", kind: "integer", nullable: true },
    { column: "id", kind: "uuid" },
  ],
  direction: "desc",
};
const ID = "6f1c1f3e-1b2a-4c3d-8e4f-0123456789ab";
const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("core's list-query helper", () => {
  test("a cursor it handed out comes back as the same key values, microseconds and nulls kept", () => {
    const cursor = encodeCursor(ORDER, ["2026-03-01T00:40:00.000123Z", null, ID]);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const problems: ErrorDetail[] = [];
    expect(decodeCursor(ORDER, cursor, problems)).toEqual(["2026-03-01T00:40:00.000123Z", null, ID]);
    expect(problems).toEqual([]);
  });

  test("a bigint key is the driver's string of digits, its whole range; a number or anything else is refused", () => {
    const order: ListOrder = { name: "test.letters", keys: [{ column: "id", kind: "bigint" }], direction: "desc" };
    const problems: ErrorDetail[] = [];
    expect(decodeCursor(order, encodeCursor(order, ["9223372036854775807"]), problems)).toEqual(["9223372036854775807"]);
    for (const bad of [42, "42; drop table x", "1e3", "12345678901234567890"]) expect(decodeCursor(order, forge(["test.letters", bad]), problems)).toBeUndefined();
    expect(problems).toHaveLength(4);
  });

  test.each([
    ["an edited time", forge(["test.things", "2026-02-30T99:00:00Z", 1, ID])],
    ["a time without its zone", forge(["test.things", "2026-03-01 00:40:00", 1, ID])],
    ["a fractional integer key", forge(["test.things", "2026-03-01T00:40:00Z", 1.5, ID])],
    ["null where the key cannot be null", forge(["test.things", "2026-03-01T00:40:00Z", 1, null])],
    ["another list's name", forge(["other.list", "2026-03-01T00:40:00Z", 1, ID])],
    ["a key too many", forge(["test.things", "2026-03-01T00:40:00Z", 1, ID, "x"])],
    ["an object instead of a list", forge({ at: "2026-03-01T00:40:00Z" })],
    ["characters outside base64url", "abc.def"],
    ["no JSON inside", Buffer.from("{not json").toString("base64url")],
    ["two cursors", ["a", "b"]],
    ["a very long one", "A".repeat(5000)],
  ])("a tampered cursor (%s) is one problem at /cursor with a message in both languages", (_case, raw) => {
    const problems: ErrorDetail[] = [];
    expect(decodeCursor(ORDER, raw, problems)).toBeUndefined();
    expect(problems).toEqual([expect.objectContaining({ path: "/cursor", rule: "cursor", message: { "zh-CN": expect.stringContaining("翻页标记"), en: expect.stringContaining("cursor") } })]);
  });

  test("listParams names every bad parameter at once in the envelope's VALIDATION_FAILED", () => {
    let thrown: unknown;
    try {
      listParams({ page: "0", pageSize: "1000", cursor: "x.y", q: "一 二 三 四 五 六" }, ORDER, { pageSize: 20, maxPageSize: 100 });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PlatformError);
    const err = thrown as PlatformError & { type: string; data: { details: ErrorDetail[] } };
    expect([err.code, err.type]).toEqual([400, "VALIDATION_FAILED"]);
    expect(err.data.details.map((d: ErrorDetail) => d.path)).toEqual(["/page", "/pageSize", "/cursor", "/q"]);
    expect(listParams({ q: "  Ｌｅｄ　显示屏 " }, ORDER, { pageSize: 20, maxPageSize: 100 })).toEqual({ page: 1, pageSize: 20, after: undefined, terms: ["led", "显示屏"] });
  });

  test("search terms and their two-character pieces are normalised as the stored search columns are", () => {
    expect(searchTerms("ＬＥＤ１２ 交通\t交通")).toEqual(["led12", "交通"]);
    expect(bigramsOf("交通运输")).toEqual(["交通", "通运", "运输"]);
    expect(bigramsOf("灯")).toEqual([]);
    expect(bigramsOf("哈哈哈")).toEqual(["哈哈"]);
  });

  test("the bigram function's name must be a plain identifier: it is written into SQL", () => {
    expect(bigramsSql("portal_bigrams")).toContain("create or replace function portal_bigrams(s text)");
    expect(() => bigramsSql("x(); drop table y; --")).toThrow(/identifier/);
  });
});

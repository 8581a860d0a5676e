import { safeNext } from "../../web/src/auth/pages";
import { renewLead } from "../../web/src/auth/session";

describe("the session", () => {
  test("renews a minute before an ordinary token expires, a quarter of its life for a short one", () => {
    expect(renewLead(900)).toBe(60_000);
    expect(renewLead(30)).toBe(7_500);
    expect(renewLead(2)).toBe(1_000);
  });

  test("goes back after signing in only to a page of this site", () => {
    expect(safeNext("/instances/42?do=file")).toBe("/instances/42?do=file");
    expect(safeNext("//evil.example/")).toBeNull();
    expect(safeNext("/\\evil.example")).toBeNull();
    expect(safeNext("https://evil.example/")).toBeNull();
    expect(safeNext("/login?next=/work")).toBeNull();
    expect(safeNext(null)).toBeNull();
  });
});

import { makeUsername, parseUsernameRule, usernameProblem, usernameRuleProblem, type UsernameSource } from "../../../core/identity/username-rules";
import { TenantTree, type Tenant } from "../../../core/tenancy/tree";

const row: UsernameSource = { username: "ZhangSan", unitCode: "U-0017", credential: "440500101", tenantCode: "440500", role: "purchaser" };
const made = (template: string, r: Partial<UsernameSource> = {}, lowercase = false) => makeUsername(parseUsernameRule(template, lowercase), { ...row, ...r });

describe("a tenant's username rule", () => {
  test.each([
    ["st{credential}", "st440500101"],
    ["sg_{username}", "sg_ZhangSan"],
    ["{tenant}_{username}", "440500_ZhangSan"],
    ["{username}@yf", "ZhangSan@yf"],
    ["{role}.{unit_code}", "purchaser.U-0017"],
    ["{username}", "ZhangSan"],
  ])("%s makes %s", (template, username) => {
    expect(made(template)).toEqual({ username });
  });

  test("a rule that says lowercase lowercases what it makes, in any script", () => {
    expect(made("SG_{username}", {}, true)).toEqual({ username: "sg_zhangsan" });
    expect(made("jm.{username}", { username: "财政局Admin" }, true)).toEqual({ username: "jm.财政局admin" });
  });

  test("without a rule the old username is kept as it is", () => {
    expect(makeUsername(undefined, row)).toEqual({ username: "ZhangSan" });
    expect(makeUsername(undefined, { ...row, username: "惠州市财政局" })).toEqual({ username: "惠州市财政局" });
  });

  test("a row without the unit code its tenant's rule needs is rejected, naming the column", () => {
    const result = made("yj{unit_code}", { unitCode: null });
    expect(result).toMatchObject({ field: "unit_code" });
    expect("reason" in result && result.reason.en).toBe("the tenant's username rule yj{unit_code} needs unit_code, which this row lacks");
  });

  test("a rule that makes an invalid username rejects that row with the username it made", () => {
    const long = made("{tenant}_{username}", { username: "x".repeat(60) });
    expect(long).toMatchObject({ field: "username" });
    expect("reason" in long && long.reason.en).toMatch(/makes "440500_x+", which is not a valid username: a username has 2 to 64 characters$/);
    const spaced = made("sg_{username}", { username: "Zhang San" });
    expect("reason" in spaced && spaced.reason.en).toBe('the tenant\'s username rule sg_{username} makes "sg_Zhang San", which is not a valid username: a username holds only letters, digits and _ . @ -');
    expect("reason" in spaced && spaced.reason["zh-CN"]).toContain("不是有效的用户名");
  });

  test("an old username that is not a valid username is rejected when it is kept", () => {
    expect(makeUsername(undefined, { ...row, username: "zhang san" })).toMatchObject({ field: "username" });
    expect(makeUsername(undefined, { ...row, username: "z" })).toMatchObject({ field: "username" });
  });

  test.each([
    ["st{budget}", "unknown placeholder {budget}; a rule may use {username}, {unit_code}, {credential}, {tenant}, {role}"],
    ["st{}", "unknown placeholder {}; a rule may use {username}, {unit_code}, {credential}, {tenant}, {role}"],
    ["shantou", "no placeholder, so every account would get the same username; use one of {username}, {unit_code}, {credential}, {tenant}, {role}"],
    ["{tenant}-{role}", "only {tenant} and {role}, which give every unit of a tenant the same username; add {username}, {unit_code} or {credential}"],
    ["st{budget_code", 'the placeholder opened at character 3 is not closed with "}"'],
    ["st}{credential}", 'a "}" at character 3 closes no placeholder'],
    ["st {username}", 'the text "st " holds characters a username may not have (letters, digits, _ . @ - only)'],
    ["x".repeat(64) + "{username}", "64 characters of fixed text, and a username has at most 64"],
  ])("the template %j is refused: %s", (template, problem) => {
    expect(usernameRuleProblem(template)).toBe(problem);
  });

  test("usernames: 2 to 64 letters of any script, digits, _ . @ -", () => {
    for (const ok of ["ab", "惠州财政", "user.name@unit-1_a", "a".repeat(64), "Ελένη", "१२३४"]) expect({ ok, problem: usernameProblem(ok) }).toEqual({ ok, problem: null });
    for (const bad of ["a", "a".repeat(65), "a b", "a/b", "a+b", "a\u0000b", "name!"]) expect(usernameProblem(bad)).not.toBeNull();
  });
});

describe("account rules in the tenant tree", () => {
  const tenants: Tenant[] = [
    { code: "440000", name: { "zh-CN": "广东省", en: "Guangdong" }, level: "province" },
    { code: "440500", name: { "zh-CN": "汕头市", en: "Shantou" }, level: "city", parent: "440000", accounts: { usernameRule: "st{credential}", initialPasswordDays: 30 } },
    { code: "440507", name: { "zh-CN": "龙湖区", en: "Longhu" }, level: "county", parent: "440500" },
    { code: "440511", name: { "zh-CN": "金平区", en: "Jinping" }, level: "county", parent: "440500", accounts: { usernameRule: "jp_{username}", lowercase: true } },
    { code: "440900", name: { "zh-CN": "茂名市", en: "Maoming" }, level: "city", parent: "440000" },
    { code: "440902", name: { "zh-CN": "茂南区", en: "Maonan" }, level: "county", parent: "440900", accounts: { initialPasswordDays: 14 } },
  ];
  const tree = new TenantTree(tenants);

  test("a county without a rule of its own follows its city's", () => {
    expect(tree.usernameRule("440507")).toEqual({ template: "st{credential}", lowercase: false, tenant: "440500" });
    expect(tree.usernameRule("440511")).toEqual({ template: "jp_{username}", lowercase: true, tenant: "440511" });
  });

  test("where no tenant up the tree has a rule, units keep their old usernames", () => {
    expect(tree.usernameRule("440902")).toBeUndefined();
    expect(tree.usernameRule("440000")).toBeUndefined();
  });

  test("days a first password works: own, inherited, or 90", () => {
    expect(tree.initialPasswordDays("440500")).toBe(30);
    expect(tree.initialPasswordDays("440511")).toBe(30);
    expect(tree.initialPasswordDays("440902")).toBe(14);
    expect(tree.initialPasswordDays("440900")).toBe(90);
  });
});

import { abilityCache } from "../../../core/broker/middlewares";
import { TenantTree } from "../../../core/tenancy/tree";
import { definePlugin, type SessionUser } from "../../../core/plugins/types";

const tree = new TenantTree([
  { code: "440000", name: { "zh-CN": "广东省", en: "Guangdong" }, level: "province" },
  { code: "441300", name: { "zh-CN": "惠州市", en: "Huizhou" }, level: "city", parent: "440000" },
  { code: "441322", name: { "zh-CN": "博罗县", en: "Boluo" }, level: "county", parent: "441300" },
]);
let built = 0;
const plugin = definePlugin({
  name: "things",
  title: { "zh-CN": "物品", en: "Things" },
  version: "1.0.0",
  services: [],
  permissions(user, { can, tenantScope }) {
    built++;
    if (user.roles.includes("reader")) can("read", "Thing", { tenantCode: { $in: tenantScope } });
  },
});
const user = (over: Partial<SessionUser> = {}): SessionUser => ({ id: "u1", username: "u1", tenantCode: "441300", roles: ["reader"], ...over });

describe("abilities per caller", () => {
  beforeEach(() => (built = 0));

  test("are built once per user and reused for the next request with the same claims", () => {
    const abilityFor = abilityCache(() => [plugin], tree);
    const first = abilityFor(user());
    expect(abilityFor(user())).toBe(first);
    expect(built).toBe(1);
    expect(first.can("read", "Thing")).toBe(true);
  });

  test("differ when any claim differs: tenant, roles, unit or user", () => {
    const abilityFor = abilityCache(() => [plugin], tree);
    const base = abilityFor(user());
    for (const other of [user({ tenantCode: "441322" }), user({ roles: ["writer"] }), user({ unitCode: "X" }), user({ id: "u2" })]) {
      expect(abilityFor(other)).not.toBe(base);
    }
    expect(abilityFor(user({ roles: ["writer"] })).can("read", "Thing")).toBe(false);
  });

  test("a county's reader sees only the county; the city's reader the city and its counties", () => {
    const abilityFor = abilityCache(() => [plugin], tree);
    const thing = (tenantCode: string) => ({ __caslSubjectType__: "Thing", tenantCode });
    expect(abilityFor(user({ tenantCode: "441322" })).can("read", thing("441300") as never)).toBe(false);
    expect(abilityFor(user()).can("read", thing("441322") as never)).toBe(true);
  });

  test("a token's id finds its user's ability, and another token gets its own", () => {
    const abilityFor = abilityCache(() => [plugin], tree);
    const first = abilityFor(user({ sessionId: "s-1" }));
    // The same token arriving again (a fresh object, as after a trip over NATS).
    expect(abilityFor(user({ sessionId: "s-1" }))).toBe(first);
    expect(built).toBe(1);
    const otherToken = abilityFor(user({ sessionId: "s-2", roles: ["writer"] }));
    expect(otherToken).not.toBe(first);
    expect(otherToken.can("read", "Thing")).toBe(false);
  });

  test("anonymous callers get the empty ability, and at most `max` users are kept", () => {
    const abilityFor = abilityCache(() => [plugin], tree, 2);
    expect(abilityFor(null).can("read", "Thing")).toBe(false);
    abilityFor(user({ id: "a" }));
    abilityFor(user({ id: "b" }));
    abilityFor(user({ id: "c" })); // drops "a"
    built = 0;
    abilityFor(user({ id: "b" }));
    expect(built).toBe(0);
    abilityFor(user({ id: "a" }));
    expect(built).toBe(1);
  });
});

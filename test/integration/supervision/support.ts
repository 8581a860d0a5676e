import crypto from "node:crypto";
import { expect } from "@jest/globals";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { usccCheckChar } from "../../../core/forms/formats";
import type { Reply } from "../../support/http";

/** A company's 统一社会信用代码 (category 91: an enterprise), valid by GB 32100's check character. */
const company = (division: string, n: number) => {
  const first17 = `91${division}${String(n).padStart(8, "0")}M`;
  return first17 + usccCheckChar(first17);
};

/** The people of a procurement in Huizhou and in a Maoming county, with their registry records. */
export const UNITS = {
  buyer: { budgetCode: "441300401", tenantCode: "441300", name: "惠州市交通运输局" },
  maonanBuyer: { budgetCode: "440902301", tenantCode: "440902", name: "茂名市茂南区人民医院" },
  otherBuyer: { budgetCode: "441300402", tenantCode: "441300", name: "惠州市水利局" },
};
export const SUPPLIERS = {
  small: { creditCode: company("441300", 7001), name: "惠州市小微科技有限公司", sizeClass: "small", region: "441300" },
  large: { creditCode: company("440100", 7002), name: "广州大型设备集团有限公司", sizeClass: "large", region: "440100" },
};
export const AGENCY = { creditCode: company("441300", 7003), name: "惠州市诚信招标代理有限公司" };

export interface Lifecycle {
  platform: TestPlatform;
  tokens: Record<string, string>;
  call(who: string, path: string, init?: { method?: string; body?: unknown }): Promise<Reply>;
  start(who: string, workflow: string, data: unknown): Promise<Reply>;
  take(who: string, id: string, name: string, data?: unknown): Promise<Reply>;
  travel(date: string): void;
}

/** A platform on the real plugins, with the registries filled and a token per role. */
export async function lifecycle(): Promise<Lifecycle> {
  const platform = await startTestPlatform({ deadlineCheckMs: 100 });
  const tokens: Record<string, string> = {};
  tokens.admin = await platform.token({ roles: ["platform-admin"], tenantCode: "440000" });
  const users: Record<string, { roles: string[]; tenantCode: string; unitCode?: string }> = {
    buyer: { roles: ["purchaser"], tenantCode: "441300", unitCode: UNITS.buyer.budgetCode },
    otherBuyer: { roles: ["purchaser"], tenantCode: "441300", unitCode: UNITS.otherBuyer.budgetCode },
    maonanBuyer: { roles: ["purchaser"], tenantCode: "440902", unitCode: UNITS.maonanBuyer.budgetCode },
    regulator: { roles: ["regulator"], tenantCode: "441300" },
    maomingRegulator: { roles: ["regulator"], tenantCode: "440900" },
    agency: { roles: ["agency"], tenantCode: "441300", unitCode: AGENCY.creditCode },
    smallSupplier: { roles: ["supplier"], tenantCode: "441300", unitCode: SUPPLIERS.small.creditCode },
    largeSupplier: { roles: ["supplier"], tenantCode: "440100", unitCode: SUPPLIERS.large.creditCode },
  };
  for (const [who, u] of Object.entries(users)) tokens[who] = await platform.token(u);
  const call: Lifecycle["call"] = (who, path, init = {}) => platform.api(path, { ...init, token: tokens[who] });
  const created = (r: Reply, what: string) => {
    if (r.status !== 201 && r.status !== 200) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  for (const u of Object.values(UNITS)) {
    created(await call("admin", "/api/registries/purchasers", { method: "POST", body: { ...u, unitType: "government-agency" } }), u.name);
  }
  for (const s of Object.values(SUPPLIERS)) {
    created(await call("admin", "/api/registries/suppliers", { method: "POST", body: { ...s, contactName: "王经理", contactPhone: "13800138000" } }), s.name);
  }
  created(
    await call("admin", "/api/registries/agencies", {
      method: "POST",
      body: { ...AGENCY, region: "441300", accreditation: { recordNumber: "粤财采代备 2020-0001", registeredOn: "2020-06-01", authority: "440000" }, tenantsServed: ["441300"], contactName: "李工", contactPhone: "0752-2281234" },
    }),
    AGENCY.name,
  );
  return {
    platform,
    tokens,
    call,
    start: (who, workflow, data) => call(who, `/api/workflows/${workflow}/instances`, { method: "POST", body: { data } }),
    take: (who, id, name, data) => call(who, `/api/instances/${id}/transitions/${name}`, { method: "POST", body: data === undefined ? {} : { data } }),
    travel: (date) => platform.kernel.clock.travelTo(date.length === 10 ? `${date}T10:00:00+08:00` : date),
  };
}

export const ok = (r: Reply, status = 200) => {
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
};

export const sha256 = (text: string) => crypto.createHash("sha256").update(text).digest("hex");

export const intention = (over: Record<string, unknown> = {}) => ({
  projectName: "惠州市城区道路照明设备采购",
  summary: "更换城区主干道LED路灯约1200盏，含安装调试",
  budget: "1500000.00",
  expectedMonth: "2021-04",
  ...over,
});

export const plan = (projectId: string, over: Record<string, unknown> = {}) => ({
  projectId,
  budgetCode: UNITS.buyer.budgetCode,
  fundsSource: "current-year-quota",
  method: "public-tender",
  items: [
    { category: "A02061802", name: "LED路灯", quantity: 1200, unit: "盏", unitPrice: "1000.00", amount: "1200000.00" },
    { category: "C02020000", name: "安装调试", quantity: 1, unit: "项", unitPrice: "200000.00", amount: "200000.00" },
  ],
  total: "1400000.00",
  smeShare: 40,
  ...over,
});

/** The error detail at a field, as the envelope carries it. */
export function detailAt(r: Reply, path: string) {
  const details = ((r.body as { error?: { details?: Array<{ path: string; rule: string }> } }).error?.details ?? []);
  const found = details.find((d) => d.path === path);
  expect(found).toBeDefined();
  return found!;
}

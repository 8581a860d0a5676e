import { Errors } from "moleculer";
import { PlatformError, pickLang, toEnvelope, errorStatus } from "../../../core/errors";

describe("the error envelope", () => {
  test("every code of the platform keeps its status, code, message language and details", () => {
    for (const code of Object.keys(errorStatus) as Array<keyof typeof errorStatus>) {
      const err = new PlatformError(code, { "zh-CN": "中文", en: "English" }, [{ path: "/x", rule: "r" }]);
      expect(toEnvelope(err, "zh-CN")).toEqual({ status: errorStatus[code], body: { error: { code, message: "中文", details: [{ path: "/x", rule: "r" }] } } });
      expect(toEnvelope(err, "en").body.error.message).toBe("English");
    }
  });

  test("an error rebuilt after crossing NATS (plain fields, no class) is understood the same", () => {
    const wire = JSON.parse(JSON.stringify({ name: "MoleculerError", type: "CONFLICT", code: 409, data: { messages: { "zh-CN": "冲突", en: "Conflict" } } }));
    expect(toEnvelope(wire, "en")).toEqual({ status: 409, body: { error: { code: "CONFLICT", message: "Conflict" } } });
  });

  test.each([
    [new Errors.RequestTimeoutError({ action: "registries.purchasers.list", nodeID: "node-b" }), 503, "UNAVAILABLE"],
    [new Errors.ServiceNotAvailableError({ action: "x.y" }), 503, "UNAVAILABLE"],
    [new Errors.ServiceNotFoundError({ action: "x.y" }), 503, "UNAVAILABLE"],
    [new Errors.MoleculerError("x", 503, "SERVICE_UNAVAILABLE"), 503, "UNAVAILABLE"],
    [new Errors.ValidationError("bad", "VALIDATION_ERROR", [{ field: "a.b", type: "required" }]), 400, "VALIDATION_FAILED"],
    [Object.assign(new Error("Unexpected token"), { type: "entity.parse.failed", status: 400 }), 400, "VALIDATION_FAILED"],
    [Object.assign(new Error("too large"), { type: "entity.too.large", status: 413 }), 413, "PAYLOAD_TOO_LARGE"],
    [new Error("select * from users where password = 'x'"), 500, "INTERNAL_ERROR"],
    [undefined, 500, "INTERNAL_ERROR"],
  ])("%s → %i %s, with no foreign text", (err, status, code) => {
    const env = toEnvelope(err, "en");
    expect(env.status).toBe(status);
    expect(env.body.error.code).toBe(code);
    expect(env.body.error.message).not.toMatch(/select|password|node-b|x\.y/);
  });

  test("Chinese unless the caller prefers English", () => {
    expect(pickLang(undefined)).toBe("zh-CN");
    expect(pickLang("zh-CN,zh;q=0.9,en;q=0.8")).toBe("zh-CN");
    expect(pickLang("en-GB,en;q=0.9")).toBe("en");
    expect(pickLang("zh-CN", "en")).toBe("en");
  });
});

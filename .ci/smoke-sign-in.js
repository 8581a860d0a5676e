// CI: signs in to a freshly started `npm start` the way a new operator would: the first
// administrator's one-time password from the start-up log, the forced change, then a demo
// account with its budget code. Usage: node .ci/smoke-sign-in.js <base url> <start log>
const fs = require("node:fs");

const [base, logFile] = process.argv.slice(2);
const call = async (path, { token, body } = {}) => {
  const res = await fetch(base + path, {
    method: body ? "POST" : "GET",
    headers: { ...(body ? { "content-type": "application/json" } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: await res.json() };
};
const expect = (what, ok, got) => {
  if (!ok) {
    console.error(`sign-in smoke test: ${what}; got ${JSON.stringify(got)}`);
    process.exit(1);
  }
  console.log(`  ok: ${what}`);
};

(async () => {
  // the log is JSON lines (LOG_FORMAT=json, the default): the sentence is a line's msg
  const messages = fs.readFileSync(logFile, "utf8").split("\n").map((l) => { try { return JSON.parse(l).msg ?? l; } catch { return l; } });
  const m = /first administrator created: username "([^"]+)", one-time password (\S+)/.exec(messages.join("\n"));
  expect("the start-up log shows the first administrator's one-time password", !!m, null);
  const [, username, password] = m;
  const first = await call("/api/auth/login", { body: { username, password } });
  expect("the one-time password signs in and must be changed", first.status === 200 && first.body.mustChangePassword === true, first);
  const blocked = await call("/api/me", { token: first.body.token });
  expect("until then other calls answer PASSWORD_CHANGE_REQUIRED", blocked.status === 403 && blocked.body.error.code === "PASSWORD_CHANGE_REQUIRED", blocked);
  const changed = await call("/api/auth/change-password", { token: first.body.token, body: { currentPassword: password, newPassword: "Ci-Smoke-Lantern-Harbour-2026" } });
  expect("the password is changed", changed.status === 200 && changed.body.mustChangePassword === false, changed);
  const me = await call("/api/me", { token: changed.body.token });
  expect("GET /api/me answers the platform administrator", me.status === 200 && me.body.user.roles.includes("platform-admin"), me);
  const demo = await call("/api/auth/login", { body: { username: "huizhou.buyer", password: "441300401" } });
  expect("a demo purchaser signs in with its budget code and must change it", demo.status === 200 && demo.body.mustChangePassword === true, demo);
})().catch((err) => {
  console.error(`sign-in smoke test failed: ${err.message}`);
  process.exit(1);
});

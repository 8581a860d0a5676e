import crypto from "node:crypto";
import { SignJWT } from "jose";
import { Tokens } from "../../../core/identity/tokens";
import { platform } from "../../../core/platform";
import type { SessionUser } from "../../../core/plugins/types";

/**
 * Access tokens, and the tokens kept once verified (a client sends the same one with every request):
 * what is kept must never accept anything the signature check would refuse.
 */
const key = crypto.randomBytes(32);
const tokens = new Tokens(key);
const user: SessionUser = { id: "6f1c8a52-3b9e-4d7a-9c0e-2f4b5a6d7e81", username: "huizhou.buyer", tenantCode: "441300", roles: ["purchaser"], unitCode: "441300401", sessionId: "s-1" };

const refused = (p: Promise<unknown>) => expect(p).rejects.toMatchObject({ type: "UNAUTHENTICATED" });

test("a token verifies to its user, the first time and the next", async () => {
  const token = await tokens.issue(user);
  const first = await tokens.verify(token);
  const second = await tokens.verify(token);
  expect(first).toMatchObject({ id: user.id, username: user.username, tenantCode: "441300", roles: ["purchaser"], unitCode: "441300401", sessionId: "s-1" });
  expect(second).toEqual(first);
});

test("what one request does to its user does not reach the next request's", async () => {
  const token = await tokens.issue(user);
  const first = await tokens.verify(token);
  first.roles.push("platform-admin");
  first.tenantCode = "440000";
  expect(await tokens.verify(token)).toMatchObject({ tenantCode: "441300", roles: ["purchaser"] });
});

test("a token verified before is refused once it expires", async () => {
  const token = await tokens.issue(user, 1);
  await tokens.verify(token);
  const { exp } = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()) as { exp: number };
  await new Promise((r) => setTimeout(r, Math.max(0, exp * 1000 - Date.now()) + 50));
  await refused(tokens.verify(token));
});

test("a verified token changed by one character, or signed with another key, is refused", async () => {
  const token = await tokens.issue(user);
  await tokens.verify(token);
  const [header, payload, signature] = token.split(".");
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  const raised = Buffer.from(JSON.stringify({ ...claims, roles: ["platform-admin"] })).toString("base64url");
  await refused(tokens.verify(`${header}.${raised}.${signature}`));
  const flipped = signature.slice(0, -2) + (signature.at(-2) === "A" ? "B" : "A") + signature.at(-1);
  await refused(tokens.verify(`${header}.${payload}.${flipped}`));
  await refused(tokens.verify(await new Tokens(crypto.randomBytes(32)).issue(user)));
  expect(await tokens.verify(token)).toMatchObject({ id: user.id });
});

test("a token without an expiry is refused, though correctly signed", async () => {
  const forever = await new SignJWT({ tenant: "441300", roles: ["purchaser"], sid: "s-1" })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(user.id)
    .setIssuer(platform.id)
    .setAudience(`${platform.id}-api`)
    .sign(key);
  await refused(tokens.verify(forever));
  await refused(tokens.verify(forever));
});

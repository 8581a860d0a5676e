import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils";
import { newKeyPair, sealBid, type SigningProvider } from "../../../plugins/etrading/sealed";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";
import { CUSTODIANS, packageOf, publishedTender, SUPPLIERS, UNITS, type BidsWorld } from "./bids-support";

const ROOT = path.resolve(__dirname, "../../..");

/**
 * The signing-provider point (plugins/etrading/api.ts): a signature from a provider other than the
 * platform's software keys (a CA certificate on a UKey, later) is verified by the plugin providing
 * it, through the broker. The provider here is a stand-in whose "signature" is SHA-256 of the
 * certificate and the message: what is tested is the routing, not a CA's cryptography.
 */
describe("etrading signing providers", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  let outside: string;
  const toySignature = (cert: string, messageBase64: string) => bytesToHex(sha256(utf8ToBytes(`${cert}|${messageBase64}`)));

  beforeAll(async () => {
    pluginsDir = linkPlugins(["registries", "supervision", "etrading"], "etrading-providers");
    // a plugin from outside plugins/ (PLUGIN_PATHS), as a CA's would be
    outside = fs.mkdtempSync(path.join(os.tmpdir(), "ca-signer-"));
    fs.mkdirSync(path.join(outside, "ca-signer"));
    fs.writeFileSync(
      path.join(outside, "ca-signer", "plugin.ts"),
      `import { createHash } from "node:crypto";
import { definePlugin, provide } from ${JSON.stringify(path.join(ROOT, "core/sdk"))};
import { signingProviders } from ${JSON.stringify(path.join(ROOT, "plugins/etrading/api"))};
export default definePlugin({
  name: "ca-signer",
  title: { "zh-CN": "测试 CA", en: "Test CA" },
  version: "0.1.0",
  gated: false,
  dependsOn: ["etrading"],
  services: [{
    name: "ca-signer",
    actions: {
      verify: {
        kind: "read",
        permission: "authenticated",
        handler(ctx: { params: { provider: string; publicKey: string; signature: string; message: string; supplierCode: string } }) {
          const p = ctx.params;
          if (p.provider !== "test-ca") return { handled: false, valid: false };
          const expected = createHash("sha256").update(p.publicKey + "|" + p.message).digest("hex");
          // the certificate names its holder: another supplier's certificate does not sign for it
          return { handled: true, valid: p.signature === expected && p.publicKey.startsWith("CERT:" + p.supplierCode + ":") };
        },
      },
    },
  }],
  extends: { ...provide(signingProviders, { verify: "ca-signer.verify" }) },
});
`,
    );
    platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms"), pluginPaths: [outside] });
  });
  afterAll(async () => {
    await platform?.stop();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  test("a CA provider's signature is verified by its plugin; a wrong one, another holder's certificate and an unknown provider are refused", async () => {
    const tender = await publishedTender({ platform } as BidsWorld, new Date(Date.now() + 3600_000));
    const keys = Object.fromEntries(CUSTODIANS.map((c) => [c, newKeyPair()]));
    const custodianTokens = {
      agency: await platform.token({ tenantCode: "441300", roles: ["agency"], unitCode: UNITS.agency }),
      purchaser: await platform.token({ tenantCode: "441300", roles: ["purchaser"], unitCode: UNITS.purchaser }),
      supervisor: await platform.token({ tenantCode: "441300", roles: ["regulator"], unitCode: UNITS.supervisor }),
    };
    for (const c of CUSTODIANS) {
      expect((await platform.api(`/api/etrading/tenders/${tender}/custodians/${c}/key`, { method: "PUT", token: custodianTokens[c], body: { publicKey: keys[c].publicKey } })).status).toBe(200);
    }
    const supplier = await platform.token({ tenantCode: "441300", roles: ["supplier"], unitCode: SUPPLIERS[0] });
    const custodians = CUSTODIANS.map((id) => ({ id, publicKey: keys[id].publicKey }));
    const provider = (cert: string, forge = false): SigningProvider => ({
      id: "test-ca",
      publicKey: async () => cert,
      sign: async (message) => (forge ? "00" : toySignature(cert, Buffer.from(message).toString("base64"))),
    });
    const seal = (signer: SigningProvider) => sealBid({ tenderId: tender, package: packageOf("398000.00"), custodians, threshold: 2, signer });
    const send = async (signer: SigningProvider) => platform.api(`/api/etrading/tenders/${tender}/bids`, { method: "POST", token: supplier, body: { bid: await seal(signer) } });

    const good = await send(provider(`CERT:${SUPPLIERS[0]}:serial-1`));
    expect(good.status).toBe(201);

    const forged = await send(provider(`CERT:${SUPPLIERS[0]}:serial-1`, true));
    expect(forged.status).toBe(400);
    expect(forged.body.error.details[0]).toMatchObject({ path: "/signature", rule: "signature" });

    const someoneElses = await send(provider(`CERT:${SUPPLIERS[1]}:serial-9`));
    expect(someoneElses.status).toBe(400);

    const unknown = await send({ ...provider("x"), id: "ukey-nobody" });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details[0]).toMatchObject({ path: "/signature/provider", rule: "signing-provider" });

    const plugins = await platform.api("/api/plugins");
    expect(JSON.stringify(plugins.body)).toContain("etrading.signing-providers");
  });
});

import { createHash, createHmac } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { startTestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";
import { newKeyPair, newSigningKey } from "../../../plugins/etrading/sealed";
import { packageOf, publishedTender, registerCustodianKeys, sealAs, submit, SUPPLIERS, UNITS, type BidsWorld } from "../etrading/bids-support";

const ROOT = path.resolve(__dirname, "../../..");
export { SUPPLIERS, UNITS };

export interface ExpertsWorld extends BidsWorld {
  tokens: BidsWorld["tokens"] & { regulator: string };
}

/** A platform with the experts plugin and what it depends on, each linked into a folder of its own. */
export async function startExpertsWorld(): Promise<ExpertsWorld> {
  const pluginsDir = linkPlugins(["registries", "supervision", "etrading", "experts"], "experts-plugins");
  const platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms") });
  const tenantCode = "441300";
  const supervisor = await platform.token({ tenantCode, roles: ["regulator"], unitCode: UNITS.supervisor });
  const tokens = {
    agency: await platform.token({ tenantCode, roles: ["agency"], unitCode: UNITS.agency }),
    purchaser: await platform.token({ tenantCode, roles: ["purchaser"], unitCode: UNITS.purchaser }),
    supervisor,
    regulator: supervisor,
    outsider: await platform.token({ tenantCode, roles: ["purchaser"], unitCode: "441300999" }),
  };
  const suppliers: string[] = [];
  for (const code of SUPPLIERS) suppliers.push(await platform.token({ tenantCode, roles: ["supplier"], unitCode: code }));
  return { platform, pluginsDir, tokens, suppliers, keys: { agency: newKeyPair(), purchaser: newKeyPair(), supervisor: newKeyPair() }, signingKeys: SUPPLIERS.map(() => newSigningKey()) };
}

export async function stopExpertsWorld(w: ExpertsWorld | undefined): Promise<void> {
  await w?.platform.stop();
  if (w) fs.rmSync(w.pluginsDir, { recursive: true, force: true });
}

/** A public tender whose three bidders (suppliers 0-2) bid and whose opening the agency closed. */
export async function openedTender(w: ExpertsWorld, extra: { maxPrice?: string } = {}): Promise<string> {
  const deadline = new Date(Math.ceil(Date.now() / 1000) * 1000 + 3600_000);
  const tender = await publishedTender(w, deadline, extra);
  await registerCustodianKeys(w, tender);
  for (const i of [0, 1, 2]) expect((await submit(w, i, tender, await sealAs(w, i, tender, packageOf(`${400000 + i * 1000}.00`)))).status).toBe(201);
  w.platform.kernel.clock.travelTo(new Date(deadline.getTime() + 1000));
  expect((await w.platform.api(`/api/etrading/tenders/${tender}/opening/close`, { method: "POST", token: w.tokens.agency })).status).toBe(200);
  return tender;
}

/**
 * The drawing redone from what the record publishes, written here from the README's description
 * and not from the plugin's code: HMAC-SHA256(seed, entropy ":" counter) as a stream of 32-bit
 * big-endian numbers, a uniform index by rejection, Fisher–Yates from the end over the sorted ids.
 */
export function recompute(seedHex: string, entropy: string, ids: string[]): string[] {
  const list = [...ids].sort();
  const words: number[] = [];
  let counter = 0;
  const next = () => {
    if (!words.length) {
      const block = createHmac("sha256", Buffer.from(seedHex, "hex")).update(`${entropy}:${counter++}`).digest();
      for (let k = 0; k < 32; k += 4) words.push(block.readUInt32BE(k));
    }
    return words.shift()!;
  };
  for (let i = list.length - 1; i > 0; i--) {
    const n = i + 1;
    const limit = Math.floor(2 ** 32 / n) * n;
    let v = next();
    while (v >= limit) v = next();
    const j = v % n;
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}

export const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

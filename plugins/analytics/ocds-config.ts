/**
 * Deployment settings of the OCDS feed. The ocid prefix is the publisher's, registered with the Open
 * Contracting Partnership (`ocds-` + six characters); a deployment sets its own in OCDS_OCID_PREFIX.
 * The default is a placeholder that says so on its face: it must not reach a public feed
 * (../shared/reference/ocds/README.md), and a deployment that forgets to set it is visible at once.
 */
export const DEFAULT_OCID_PREFIX = "ocds-xxxxxx-gd";

/** `ocds-` + six lowercase letters or digits, optionally a publisher's own suffix (`-gd`). */
const PREFIX = /^ocds-[a-z0-9]{6}(-[A-Za-z0-9]+)?$/;

export interface OcdsConfig {
  ocidPrefix: string;
  /** where the feed is published (the package's `uri` and the publisher's `uri`) */
  baseUrl: string;
  publisherName: string;
}

export function readOcdsConfig(env: NodeJS.ProcessEnv = process.env): OcdsConfig {
  const ocidPrefix = env.OCDS_OCID_PREFIX?.trim() || DEFAULT_OCID_PREFIX;
  if (!PREFIX.test(ocidPrefix)) throw new Error(`OCDS_OCID_PREFIX must be "ocds-" and six lowercase letters or digits, optionally "-<suffix>"; got ${JSON.stringify(ocidPrefix)}`);
  const baseUrl = (env.OCDS_BASE_URL?.trim() || "https://ccgp-guangdong.gov.cn").replace(/\/+$/, "");
  if (!/^https?:\/\/[^\s/]+/.test(baseUrl)) throw new Error(`OCDS_BASE_URL must be an http(s) URL; got ${JSON.stringify(baseUrl)}`);
  return { ocidPrefix, baseUrl, publisherName: env.OCDS_PUBLISHER_NAME?.trim() || "广东省财政厅" };
}

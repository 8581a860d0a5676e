import fs from "node:fs";
import path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { notFound, pickLang, type Lang } from "../../errors";
import type { PlatformServiceSchema } from "../../plugins/types";
import { buildOpenApi, type PlainRoute } from "./document";
import { platform } from "../../platform";

type Req = IncomingMessage & { query?: Record<string, string>; $params?: Record<string, unknown> };
type Handler = (req: Req, res: ServerResponse, next: (err?: unknown) => void) => void;
type Source = Parameters<typeof buildOpenApi>[0];

/** Swagger UI's own files, from the installed package: no other origin, works offline. */
const SWAGGER_UI = path.dirname(require.resolve("swagger-ui-dist/package.json"));
const ASSETS: Record<string, string> = {
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui.css": "text/css; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

/** Our files beside Swagger UI's: its start script and the contrast fixes. */
const OWN: Record<string, [type: string, file: string]> = {
  "init.js": ["text/javascript; charset=utf-8", path.join(__dirname, "docs-init.js")],
  "docs.css": ["text/css; charset=utf-8", path.join(__dirname, "docs.css")],
};

const page = (lang: Lang) => {
  const title = lang === "en" ? `API reference · ${platform.name.en}` : `接口文档 · ${platform.name["zh-CN"]}`;
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" type="image/png" href="/api/docs/favicon-32x32.png">
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
<link rel="stylesheet" href="/api/docs/docs.css">
</head>
<body>
<main id="swagger-ui" aria-label="${lang === "en" ? "API reference" : "接口文档"}"></main>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
`;
};

/** The routes below, as the description lists them. */
export const DOC_ROUTES: PlainRoute[] = [
  {
    method: "GET",
    path: "/openapi.json",
    summary: { "zh-CN": "本接口的 OpenAPI 3.1 描述（?lang=en 为英文）", en: "This API's OpenAPI 3.1 description (?lang=en for English)" },
    content: ["application/json", { type: "object" }],
  },
  {
    method: "GET",
    path: "/docs",
    summary: { "zh-CN": "接口文档页面（Swagger UI，由平台自身提供）", en: "The API reference page (Swagger UI, served by the platform itself)" },
    content: ["text/html", { type: "string" }],
  },
];

function send(res: ServerResponse, type: string, body: string | Buffer, cache: string) {
  res.setHeader("Content-Type", type);
  res.setHeader("Cache-Control", cache);
  res.writeHead(200);
  res.end(body);
}

/**
 * moleculer-web alias handlers for the description and its page. The description is built on its
 * first request in each language and kept: the routes and forms it is made of are fixed once the
 * node has loaded its plugins (tenants' overlays are not part of it: it shows the base forms).
 */
export function openApiRoutes(kernel: Source, own: PlatformServiceSchema[], log: (line: string) => void): Record<string, Handler> {
  const built = new Map<Lang, string>();
  const documentIn = (lang: Lang) => {
    let text = built.get(lang);
    if (text === undefined) {
      const started = performance.now();
      text = JSON.stringify(buildOpenApi(kernel, own, DOC_ROUTES, lang));
      built.set(lang, text);
      log(`OpenAPI description (${lang}) built in ${(performance.now() - started).toFixed(1)} ms, ${Buffer.byteLength(text)} bytes`);
    }
    return text;
  };
  const langOf = (req: Req) => pickLang(req.headers["accept-language"], req.query?.lang);
  return {
    "GET /openapi.json"(req, res) {
      res.setHeader("Vary", "Accept-Language");
      send(res, "application/json; charset=utf-8", documentIn(langOf(req)), "no-cache");
    },
    "GET /docs"(req, res) {
      res.setHeader("Vary", "Accept-Language");
      send(res, "text/html; charset=utf-8", page(langOf(req)), "no-cache");
    },
    "GET /docs/:file"(req, res, next) {
      const file = String(req.$params?.file ?? "");
      if (Object.hasOwn(OWN, file)) return send(res, OWN[file][0], fs.readFileSync(OWN[file][1]), "no-cache");
      if (!Object.hasOwn(ASSETS, file)) return next(notFound({ "zh-CN": "文件", en: "file" }));
      send(res, ASSETS[file], fs.readFileSync(path.join(SWAGGER_UI, file)), "public, max-age=86400");
    },
  };
}

import type { Lang } from "../errors";

type Json = Record<string, unknown>;

/** What the OpenAPI description says of a route beyond what its action declares (core/gateway/openapi). */
export interface OperationDetail {
  parameters?: Json[];
  requestBody?: Json;
  /** by status; the success answer replaces the generic one */
  responses?: Record<string, Json>;
}

const t = (lang: Lang, zh: string, en: string) => (lang === "en" ? en : zh);

const fileView = (lang: Lang): Json => ({
  type: "object",
  required: ["id", "sha256", "size", "type", "name"],
  properties: {
    id: { type: "string", format: "uuid" },
    sha256: { type: "string", pattern: "^[0-9a-f]{64}$", description: t(lang, "内容的 SHA-256", "SHA-256 of the content") },
    size: { type: "integer", minimum: 1, description: t(lang, "字节数", "Bytes") },
    type: { type: "string", description: t(lang, "按内容（魔数）识别的类型", "The type by the content (magic numbers)"), examples: ["application/pdf"] },
    name: { type: "string", maxLength: 255 },
  },
});

const header = (description: string, schema: Json = { type: "string" }) => ({ description, schema });

/** The answers of a download, by a token (GET /api/files/:id) or by a link (…/content). */
function download(lang: Lang): OperationDetail {
  const common = {
    ETag: header(t(lang, "内容的 SHA-256，带引号", "The content's SHA-256, quoted")),
    "Accept-Ranges": header("bytes", { type: "string", const: "bytes" }),
    "Content-Disposition": header(t(lang, "attachment，含 UTF-8 文件名（filename*）", "attachment, with the UTF-8 name (filename*)")),
    "Content-Length": header(t(lang, "本次回答的字节数", "Bytes in this answer"), { type: "integer" }),
  };
  const bytes = { "*/*": { schema: { type: "string", format: "binary", description: t(lang, "Content-Type 为文件按内容识别的类型", "Content-Type is the file's type by its content") } } };
  return {
    parameters: [
      { name: "Range", in: "header", required: false, description: t(lang, "单个范围：bytes=a-b、a- 或 -n；多个范围时回答整个文件", "One range: bytes=a-b, a- or -n; several get the whole file"), schema: { type: "string", pattern: "^bytes=", examples: ["bytes=0-1023"] } },
      { name: "If-Range", in: "header", required: false, description: t(lang, "ETag 不同则回答整个文件", "Another ETag gets the whole file"), schema: { type: "string" } },
    ],
    responses: {
      "200": { description: t(lang, "整个文件", "The whole file"), headers: common, content: bytes },
      "206": {
        description: t(lang, "所请求的范围", "The range asked for"),
        headers: { ...common, "Content-Range": header("bytes a-b/size", { type: "string", examples: ["bytes 0-1023/4096"] }) },
        content: bytes,
      },
      "416": {
        description: t(lang, "范围从文件末尾之后开始（或为 -0）", "The range starts past the end (or is -0)"),
        headers: { "Content-Range": header("bytes */size", { type: "string", examples: ["bytes */4096"] }) },
        content: {
          "application/json": {
            schema: {
              type: "object",
              required: ["error"],
              properties: {
                error: {
                  type: "object",
                  required: ["code", "message", "details"],
                  properties: { code: { type: "string", const: "RANGE_NOT_SATISFIABLE" }, message: { type: "string" }, details: { type: "object", required: ["size"], properties: { size: { type: "integer" } } } },
                },
              },
            },
          },
        },
      },
    },
  };
}

/** A resumable upload's session (core/files/uploads.ts). */
const uploadView = (lang: Lang): Json => ({
  type: "object",
  required: ["id", "name", "size", "sha256", "encrypted", "offset", "state", "fileId", "chunkMaxBytes", "expiresAt"],
  properties: {
    id: { type: "string", format: "uuid" },
    name: { type: "string", maxLength: 255 },
    size: { type: "integer", minimum: 1 },
    sha256: { type: "string", pattern: "^[0-9a-f]{64}$" },
    encrypted: { type: "boolean" },
    offset: { type: "integer", minimum: 0, description: t(lang, "服务器期待的下一个字节：此前的字节均已保存", "The next byte the server expects: every byte before it is stored") },
    state: { type: "string", enum: ["open", "finishing", "done"] },
    fileId: { type: ["string", "null"], format: "uuid", description: t(lang, "完成后得到的文件", "The upload it became once finished") },
    chunkMaxBytes: { type: "integer" },
    expiresAt: { type: "string", format: "date-time", description: t(lang, "此后无人续传则清除", "Removed if nothing is sent before then") },
  },
});
const uploadAnswer = (lang: Lang, status: string, zh: string, en: string) => ({ [status]: { description: t(lang, zh, en), content: { "application/json": { schema: uploadView(lang) } } } });

/** The files service's routes as OpenAPI (core/files/README.md, "API"), keyed by action. */
export const filesOperations: Record<string, (lang: Lang) => OperationDetail> = {
  "files.upload": (lang) => ({
    parameters: [
      { name: "name", in: "query", required: true, description: t(lang, "文件名（1–255 个字符）", "The file's name (1–255 characters)"), schema: { type: "string", minLength: 1, maxLength: 255 } },
      { name: "form", in: "query", required: false, description: t(lang, "与 field 同给：上传时即按该字段的 x-attachment 检查", "With field: the field's x-attachment limits are applied at upload"), schema: { type: "string" }, examples: { filing: { value: "docs.filing" } } },
      { name: "field", in: "query", required: false, description: t(lang, "该表单中附件字段的 JSON 指针（数组项：/photos/0 或 /photos/-）", "JSON pointer of the form's attachment field (array items: /photos/0 or /photos/-)"), schema: { type: "string", pattern: "^(/.*)?$" }, examples: { photo: { value: "/photos/0" } } },
    ],
    requestBody: {
      required: true,
      description: t(lang, "文件的字节。Content-Type 不被采信：类型按内容识别，须在 FILES_TYPES 之列", "The file's bytes. Content-Type is not believed: the type is read from the content and must be one of FILES_TYPES"),
      content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
    },
    responses: { "201": { description: t(lang, "已保存", "Stored"), content: { "application/json": { schema: fileView(lang) } } } },
  }),
  "files.info": (lang) => ({ responses: { "200": { description: t(lang, "文件信息", "What the file is"), content: { "application/json": { schema: fileView(lang) } } } } }),
  "files.link": (lang) => ({
    responses: {
      "200": {
        description: t(lang, "几分钟内有效、只属于调用者的下载链接（无需令牌）", "A download link for the caller alone, valid for a few minutes (no token needed)"),
        content: {
          "application/json": {
            schema: { type: "object", required: ["url", "expiresAt"], properties: { url: { type: "string", examples: ["/api/files/{id}/content?u=…&exp=…&sig=…"] }, expiresAt: { type: "string", format: "date-time" } } },
          },
        },
      },
    },
  }),
  "files.uploads.create": (lang) => ({
    requestBody: {
      required: true,
      content: {
        "application/json": {
          schema: {
            type: "object",
            required: ["name", "size", "sha256"],
            properties: {
              name: { type: "string", minLength: 1, maxLength: 255 },
              size: { type: "integer", minimum: 1, description: t(lang, "文件的字节数，不超过 FILES_MAX_BYTES", "The file's bytes, at most FILES_MAX_BYTES") },
              sha256: { type: "string", pattern: "^[0-9a-f]{64}$", description: t(lang, "完成时据此校验", "Checked when the upload is finished") },
              encrypted: { type: "boolean", description: t(lang, "密文：不按内容识别类型，存为 application/octet-stream", "Ciphertext: not typed by its content, stored as application/octet-stream") },
            },
          },
        },
      },
    },
    responses: uploadAnswer(lang, "201", "上传任务，偏移 0", "The session, at offset 0"),
  }),
  "files.uploads.status": (lang) => ({ responses: uploadAnswer(lang, "200", "上传任务：断线后从 offset 继续", "The session: after a broken connection, go on from offset") }),
  "files.uploads.put": (lang) => ({
    parameters: [{ name: "offset", in: "query", required: true, description: t(lang, "这一块的起始字节位置，须等于服务器的 offset", "The chunk's first byte, which must be the server's offset"), schema: { type: "string", pattern: "^[0-9]+$" } }],
    requestBody: {
      required: true,
      description: t(lang, "这一块的字节（至多 8 MiB）", "The chunk's bytes (8 MiB at most)"),
      content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
    },
    responses: uploadAnswer(lang, "200", "已保存这一块（或它已保存过）", "The chunk is stored (or was already)"),
  }),
  "files.uploads.finish": (lang) => ({
    responses: {
      "201": { description: t(lang, "已校验并保存为普通上传", "Checked and stored as an ordinary upload"), content: { "application/json": { schema: fileView(lang) } } },
      "200": { description: t(lang, "此前已完成：同一文件", "Finished before: the same file"), content: { "application/json": { schema: fileView(lang) } } },
    },
  }),
  "files.download": download,
  "files.content": (lang) => {
    const d = download(lang);
    return {
      ...d,
      parameters: [
        { name: "u", in: "query", required: true, description: t(lang, "链接所属用户", "The user the link is for"), schema: { type: "string", format: "uuid" } },
        { name: "exp", in: "query", required: true, description: t(lang, "失效时间（毫秒）", "Expiry (epoch ms)"), schema: { type: "string", pattern: "^[0-9]+$" } },
        { name: "sig", in: "query", required: true, description: t(lang, "HMAC-SHA256（base64url）", "HMAC-SHA256 (base64url)"), schema: { type: "string" } },
        ...d.parameters!,
      ],
    };
  },
};

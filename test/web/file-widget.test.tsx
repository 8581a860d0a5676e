import { act } from "react";
import { SchemaForm } from "../../web/src/forms/schema-form";
import { AttachmentView, pointerOfId } from "../../web/src/forms/file-widget";
import { FormDataView } from "../../web/src/forms/form-data";
import { catalogOf } from "../../web/src/forms/field-catalog";
import { click, render, settle } from "./render";

/**
 * The attachment field (web/src/forms/file-widget.tsx): its label and limits, the limits checked
 * before anything is sent, the upload's progress, cancel and remove by keyboard-reachable buttons,
 * and every outcome read out (status for progress and results, alert for refusals).
 */
const schema = {
  type: "object",
  title: "合同备案",
  titleEn: "Contract filing",
  additionalProperties: false,
  required: ["contract"],
  properties: {
    contract: { type: "string", format: "attachment", title: "合同文本", titleEn: "Contract", "x-attachment": { accept: ["application/pdf"], maxBytes: 1048576 } },
  },
};

/** XMLHttpRequest as the widget uses it, driven by the test. */
class FakeXHR {
  static sent: FakeXHR[] = [];
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  status = 0;
  responseText = "";
  method = "";
  url = "";
  headers: Record<string, string> = {};
  body: unknown;
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  send(body: unknown) {
    this.body = body;
    FakeXHR.sent.push(this);
  }
  abort() {
    this.onabort?.();
  }
  async progress(loaded: number, total: number) {
    await act(async () => this.upload.onprogress?.({ loaded, total, lengthComputable: true }));
  }
  async respond(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    await act(async () => this.onload?.());
  }
}

const realXHR = globalThis.XMLHttpRequest;
beforeEach(() => {
  FakeXHR.sent = [];
  (globalThis as { XMLHttpRequest: unknown }).XMLHttpRequest = FakeXHR;
});
afterEach(() => {
  (globalThis as { XMLHttpRequest: unknown }).XMLHttpRequest = realXHR;
  document.body.innerHTML = "";
});

async function choose(input: HTMLInputElement, file: File) {
  Object.defineProperty(input, "files", { value: [file], configurable: true });
  await act(async () => {
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
  await settle();
}

const pdf = (bytes: number, name = "合同.pdf") => new File([new Uint8Array(bytes)], name, { type: "application/pdf" });
const fileInput = (c: HTMLElement) => c.querySelector("#root_contract") as HTMLInputElement;
const status = (c: HTMLElement) => c.querySelector("[role=status].file-status")!.textContent;
const alert = (c: HTMLElement) => c.querySelector("[role=alert].file-problem")!.textContent;

test("the field is a labelled file input that says what it takes, and its hint is tied to it", async () => {
  const { container } = await render(<SchemaForm schema={schema} onSubmit={jest.fn()} submitLabel="提交" />);
  const input = fileInput(container);
  expect(input.type).toBe("file");
  expect(input.accept).toBe("application/pdf");
  expect(container.querySelector("label[for=root_contract]")!.textContent).toContain("合同文本");
  const hint = container.querySelector("#root_contract__limits")!;
  expect(hint.textContent).toBe("可上传：PDF；单个文件不超过 1 MB");
  expect(input.getAttribute("aria-describedby")).toContain("root_contract__limits");
  expect(input.getAttribute("aria-describedby")).toContain("root_contract__problem");
});

test("a file over the field's size is refused before anything is sent, and the refusal is announced", async () => {
  const { container } = await render(<SchemaForm schema={schema} onSubmit={jest.fn()} submitLabel="提交" />);
  await choose(fileInput(container), pdf(2 * 1024 * 1024, "大文件.pdf"));
  expect(FakeXHR.sent).toHaveLength(0);
  expect(alert(container)).toBe("「大文件.pdf」有 2 MB，超过了 1 MB 的上限，未上传");
  expect(fileInput(container).getAttribute("aria-invalid")).toBe("true");
});

test("a file of another type (by the browser's guess) is refused before it is sent", async () => {
  const { container } = await render(<SchemaForm schema={schema} onSubmit={jest.fn()} submitLabel="Submit" />, "en");
  await choose(fileInput(container), new File([new Uint8Array(10)], "photo.png", { type: "image/png" }));
  expect(FakeXHR.sent).toHaveLength(0);
  expect(alert(container)).toBe('"photo.png" is not an accepted type (PDF); it was not uploaded');
});

test("an upload shows its progress, can be cancelled, and once done the form submits the file's id; remove clears it", async () => {
  const onSubmit = jest.fn().mockResolvedValue(undefined);
  const { container } = await render(<SchemaForm schema={schema} onSubmit={onSubmit} submitLabel="提交" />);
  // first try: cancelled half way
  await choose(fileInput(container), pdf(1000, "草稿.pdf"));
  expect(FakeXHR.sent).toHaveLength(1);
  await FakeXHR.sent[0].progress(500, 1000);
  const bar = container.querySelector("progress")!;
  expect(bar.getAttribute("value")).toBe("500");
  expect(bar.getAttribute("aria-label")).toBe("「草稿.pdf」的上传进度");
  await click([...container.querySelectorAll("button")].find((b) => b.textContent === "取消上传")!);
  expect(container.querySelector("progress")).toBeNull();
  expect(status(container)).toBe("已取消上传「草稿.pdf」");

  // then a whole one
  const file = pdf(1000, "合同 定稿.pdf");
  await choose(fileInput(container), file);
  const xhr = FakeXHR.sent[1];
  expect(xhr.method).toBe("POST");
  expect(xhr.url).toBe(`/api/files?name=${encodeURIComponent("合同 定稿.pdf")}`);
  expect(xhr.body).toBe(file);
  expect(status(container)).toBe("正在上传「合同 定稿.pdf」…");
  const id = "3f1c2b9e-8a4d-4c1e-9b7a-2d5e6f708192";
  await xhr.respond(201, { id, sha256: "ab".repeat(32), size: 1000, type: "application/pdf", name: "合同 定稿.pdf" });
  expect(status(container)).toBe("「合同 定稿.pdf」已上传（1000 B）");
  expect(container.querySelector(".file-name")!.textContent).toBe("合同 定稿.pdf · 1000 B");

  await click(container.querySelector("button[type=submit]"));
  await settle();
  expect(onSubmit).toHaveBeenCalledWith({ contract: id });

  const remove = container.querySelector("button[aria-label='移除文件「合同 定稿.pdf」']") as HTMLButtonElement;
  expect(remove.tagName).toBe("BUTTON");
  remove.focus();
  await click(remove);
  expect(container.querySelector(".file-name")).toBeNull();
  expect(status(container)).toBe("已移除「合同 定稿.pdf」");
  // the focus goes back to the field, not to the page's top
  expect(document.activeElement).toBe(fileInput(container));
});

test("the server's refusal (by content) is announced in its own words", async () => {
  const { container } = await render(<SchemaForm schema={schema} onSubmit={jest.fn()} submitLabel="Submit" />, "en");
  await choose(fileInput(container), pdf(1000, "setup.pdf"));
  await FakeXHR.sent[0].respond(400, { error: { code: "VALIDATION_FAILED", message: "Files of this type are not accepted", details: [{ path: "/file", rule: "type" }] } });
  expect(FakeXHR.sent[0].headers["accept-language"]).toBe("en");
  expect(alert(container)).toBe('"setup.pdf" could not be uploaded: Files of this type are not accepted');
  expect(container.querySelector(".file-name")).toBeNull();
});

/** fetch as the api client uses it, answering the files' info and link routes. */
function fakeFetch(answers: Record<string, unknown>) {
  const asked: string[] = [];
  const real = globalThis.fetch;
  globalThis.fetch = (async (url: string) => {
    asked.push(url);
    const path = Object.keys(answers).find((p) => url.endsWith(p));
    const text = JSON.stringify(path ? answers[path] : { error: { code: "NOT_FOUND", message: "No such file" } });
    const status = path ? 200 : 404;
    return { ok: status === 200, status, text: async () => text, json: async () => JSON.parse(text), headers: { get: () => null } };
  }) as unknown as typeof fetch;
  return { asked, restore: () => (globalThis.fetch = real) };
}

const FILE_ID = "3f1c2b9e-8a4d-4c1e-9b7a-2d5e6f708192";
const LINK = { url: `/api/files/${FILE_ID}/content?u=u1&exp=1&sig=abc`, expiresAt: new Date(Date.now() + 300_000).toISOString() };

test("in a registered form the upload names its form and field, so the server applies the field's limits as the bytes arrive", async () => {
  const { container } = await render(<SchemaForm schema={schema} formId="docs.filing" onSubmit={jest.fn()} submitLabel="提交" />);
  await choose(fileInput(container), pdf(1000, "合同.pdf"));
  expect(FakeXHR.sent[0].url).toBe(`/api/files?name=${encodeURIComponent("合同.pdf")}&form=docs.filing&field=${encodeURIComponent("/contract")}`);
});

test("an rjsf id is the field's JSON pointer, array items and names holding the separator included", () => {
  const form = {
    type: "object",
    properties: {
      site: { type: "string" },
      site_photos: { type: "array", items: { type: "string", format: "attachment" } },
      docs: { type: "object", properties: { main_file: { type: "string", format: "attachment" } } },
    },
  };
  expect(pointerOfId("root_site_photos_0", form)).toBe("/site_photos/0");
  expect(pointerOfId("root_site_photos_12", form)).toBe("/site_photos/12");
  expect(pointerOfId("root_docs_main_file", form)).toBe("/docs/main_file");
  expect(pointerOfId("t_amend_docs_main_file", form, "t_amend")).toBe("/docs/main_file");
  expect(pointerOfId("root_nothing", form)).toBeNull();
});

test("an uploaded file shows a download link whose text says what it downloads, with its type and size", async () => {
  const fetched = fakeFetch({ [`/files/${FILE_ID}/link`]: LINK });
  try {
    const { container } = await render(<SchemaForm schema={schema} onSubmit={jest.fn()} submitLabel="提交" />);
    await choose(fileInput(container), pdf(1000, "合同 定稿.pdf"));
    await FakeXHR.sent[0].respond(201, { id: FILE_ID, sha256: "ab".repeat(32), size: 1000, type: "application/pdf", name: "合同 定稿.pdf" });
    await settle();
    const a = container.querySelector("a.file-download") as HTMLAnchorElement;
    expect(a.textContent).toBe("下载「合同 定稿.pdf」");
    expect(a.getAttribute("href")).toBe(LINK.url);
    expect(a.getAttribute("download")).toBe("合同 定稿.pdf");
    expect(container.querySelector(".file-meta")!.textContent).toBe("PDF · 1000 B");
    expect(fetched.asked.some((u) => u.endsWith(`/files/${FILE_ID}/link`))).toBe(true);
  } finally {
    fetched.restore();
  }
});

test("an attachment a form's data names (instance pages) is its name, type and size with a download link, in English too; one not readable says so", async () => {
  const fetched = fakeFetch({ [`/files/${FILE_ID}/info`]: { id: FILE_ID, sha256: "ab".repeat(32), size: 300_000, type: "image/png", name: "site.png" }, [`/files/${FILE_ID}/link`]: LINK });
  try {
    const { container } = await render(<AttachmentView id={FILE_ID} />, "en");
    await settle();
    const a = container.querySelector("a.file-download") as HTMLAnchorElement;
    expect(a.textContent).toBe('Download "site.png"');
    expect(a.getAttribute("href")).toBe(LINK.url);
    expect(container.querySelector(".file-meta")!.textContent).toBe("PNG · 293 KB");
    document.body.innerHTML = "";
    const gone = await render(<AttachmentView id="00000000-0000-4000-8000-000000000000" />, "en");
    await settle();
    expect(gone.container.textContent).toBe("The attachment cannot be read (no access, or removed)");
  } finally {
    fetched.restore();
  }
});

test("submitted data (an instance page) shows an attachment field as its download link under the field's title, not as its id", async () => {
  const fetched = fakeFetch({ [`/files/${FILE_ID}/info`]: { id: FILE_ID, sha256: "ab".repeat(32), size: 1000, type: "application/pdf", name: "合同.pdf" }, [`/files/${FILE_ID}/link`]: LINK });
  try {
    const catalog = catalogOf([{ schema, uiSchema: {} }]);
    const { container } = await render(<FormDataView value={{ contract: FILE_ID }} catalog={catalog} />);
    await settle();
    expect(container.querySelector("dt")!.textContent).toBe("合同文本");
    expect(container.querySelector("dd a.file-download")!.textContent).toBe("下载「合同.pdf」");
    expect(container.querySelector("dd")!.textContent).not.toContain(FILE_ID);
  } finally {
    fetched.restore();
  }
});

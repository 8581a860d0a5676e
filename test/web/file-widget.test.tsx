import { act } from "react";
import { SchemaForm } from "../../web/src/forms/schema-form";
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

import { inflateSync } from "node:zlib";

/**
 * The text of a PDF as Chromium prints it, page by page, read back through each font's ToUnicode
 * map: what a reader's copy-and-paste or a search engine gets. Enough of PDF for Chromium's output
 * (no object streams, fonts named in each page's resources, text shown by Tj/TJ); it is a test's
 * reader, not a general one. Whitespace between runs is not reconstructed.
 */
export function pdfText(pdf: Buffer): string[] {
  const src = pdf.toString("latin1");
  const objects = new Map<number, { dict: string; stream?: Buffer }>();
  const re = /(\d+) 0 obj\s*([\s\S]*?)endobj/g;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    const body = m[2];
    const at = body.search(/stream\r?\n/);
    if (at < 0) {
      objects.set(Number(m[1]), { dict: body });
      continue;
    }
    const dict = body.slice(0, at);
    const start = m.index + m[0].indexOf(body) + at + body.slice(at).match(/stream\r?\n/)![0].length;
    const length = Number(/\/Length (\d+)/.exec(dict)?.[1]);
    const raw = pdf.subarray(start, start + length);
    objects.set(Number(m[1]), { dict, stream: /\/FlateDecode/.test(dict) ? inflateSync(raw) : raw });
  }
  const ref = (dict: string, key: string) => Number(new RegExp(`/${key} (\\d+) 0 R`).exec(dict)?.[1]);

  /** A font's codes (its byte width) to text. */
  const cmaps = new Map<number, { width: number; map: Map<number, string> }>();
  const cmapOf = (fontObj: number) => {
    if (cmaps.has(fontObj)) return cmaps.get(fontObj)!;
    const text = objects.get(ref(objects.get(fontObj)?.dict ?? "", "ToUnicode"))?.stream?.toString("latin1") ?? "";
    const utf16 = (hex: string) => Buffer.from(hex, "hex").swap16().toString("utf16le");
    const width = (/begincodespacerange\s*<([0-9A-Fa-f]+)>/.exec(text)?.[1].length ?? 4) / 2;
    const map = new Map<number, string>();
    for (const block of text.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
      for (const [, code, dst] of block[1].matchAll(/<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>/g)) map.set(parseInt(code, 16), utf16(dst));
    }
    for (const block of text.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
      for (const [, lo, hi, dst] of block[1].matchAll(/<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>/g)) {
        const first = parseInt(dst, 16);
        for (let c = parseInt(lo, 16); c <= parseInt(hi, 16); c++) map.set(c, utf16((first + c - parseInt(lo, 16)).toString(16).padStart(dst.length, "0")));
      }
    }
    const cm = { width, map };
    cmaps.set(fontObj, cm);
    return cm;
  };

  const pages: string[] = [];
  for (const [, o] of [...objects].sort((a, b) => a[0] - b[0])) {
    if (!/\/Type \/Page\b/.test(o.dict)) continue;
    const fonts = new Map([...(/\/Font <<([\s\S]*?)>>/.exec(o.dict)?.[1] ?? "").matchAll(/\/(\w+) (\d+) 0 R/g)].map((f) => [f[1], Number(f[2])]));
    const contents = /\/Contents \[([^\]]*)\]/.exec(o.dict)?.[1].match(/\d+(?= 0 R)/g)?.map(Number) ?? [ref(o.dict, "Contents")];
    let out = "";
    for (const c of contents) {
      const ops = objects.get(c)?.stream?.toString("latin1") ?? "";
      let font: { width: number; map: Map<number, string> } | undefined;
      // a font selection, or a string shown (hex or literal) inside Tj or TJ
      for (const t of ops.matchAll(/\/(\w+) [\d.]+ Tf|<([0-9A-Fa-f]*)>|\(((?:\\.|[^\\)])*)\)|(ET)/g)) {
        if (t[1]) font = fonts.has(t[1]) ? cmapOf(fonts.get(t[1])!) : undefined;
        else if (t[4]) out += "\n";
        else if (font) {
          const bytes = t[2] !== undefined ? Buffer.from(t[2], "hex") : Buffer.from(t[3].replace(/\\(.)/g, "$1"), "latin1");
          for (let i = 0; i + font.width <= bytes.length; i += font.width) out += font.map.get(bytes.readUIntBE(i, font.width)) ?? "";
        }
      }
    }
    pages.push(out);
  }
  return pages;
}

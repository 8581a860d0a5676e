import { parse } from "csv-parse/sync";
import ExcelJS from "exceljs";
import type { TestPlatform } from "./kernel";

/**
 * Reading a list's export as a spreadsheet program would: the file's bytes (its headers beside),
 * the CSV parsed by a real parser after checking its BOM, the Excel file opened by exceljs.
 */

export interface Download {
  status: number;
  headers: Headers;
  body: Buffer;
}

export async function download(platform: TestPlatform, url: string, token: string | undefined, headers: Record<string, string> = {}): Promise<Download> {
  const res = await fetch(platform.baseUrl + url, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers }, signal: AbortSignal.timeout(30_000) });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** The CSV's records, header first; throws unless the file starts with a UTF-8 BOM (Excel needs it for Chinese). */
export function csvRecords(body: Buffer): string[][] {
  if (!(body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf)) throw new Error(`the CSV does not start with a UTF-8 BOM: ${body.subarray(0, 16).toString("hex")}`);
  return parse(body.subarray(3), { relax_column_count: false }) as string[][];
}

/** The first sheet's name and its rows as text (header first). */
export async function xlsxRecords(body: Buffer): Promise<{ sheet: string; rows: string[][] }> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(body as unknown as ArrayBuffer);
  const sheet = book.worksheets[0];
  const rows: string[][] = [];
  sheet.eachRow((row) => {
    const cells = (row.values as unknown[]).slice(1);
    rows.push(cells.map((v) => (v === null || v === undefined ? "" : v instanceof Date ? v.toISOString() : String(v))));
  });
  return { sheet: sheet.name, rows };
}

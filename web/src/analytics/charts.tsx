/**
 * A chart with its numbers beside it: Apache ECharts draws (SVG, so it scales and prints), the
 * table next to it is the text alternative and carries every number, and the table downloads as
 * CSV. The chart itself is one image to assistive technology, with a summary for its label.
 */
import { useEffect, useRef } from "react";
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";
import { useI18n } from "../i18n";
import { TableWrap } from "../ui/parts";

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

export interface Series {
  name: string;
  values: number[];
}

export interface ChartProps {
  id: string;
  title: string;
  kind: "bar" | "line";
  labels: string[];
  series: Series[];
  /** the header of the labels' column */
  labelHeader: string;
  /** a click on a bar (or its row's button) drills down to that label's index */
  onSelect?: (index: number) => void;
  selectLabel?: string;
}

/** Colours that keep 3:1 against white and against each other's neighbours (WCAG 1.4.11). */
const PALETTE = ["#1d4ed8", "#b45309", "#047857", "#7e22ce", "#be123c"];

const csvCell = (v: string | number) => {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** The table as CSV, with a byte-order mark so that Excel reads the Chinese as UTF-8. */
export function tableCsv(header: string[], rows: Array<Array<string | number>>): string {
  return `\ufeff${[header, ...rows].map((r) => r.map(csvCell).join(",")).join("\r\n")}\r\n`;
}

export function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

export function Chart({ id, title, kind, labels, series, labelHeader, onSelect, selectLabel }: ChartProps) {
  const { t, lang } = useI18n();
  const box = useRef<HTMLDivElement>(null);
  const select = useRef(onSelect);
  select.current = onSelect;
  const fmt = (n: number) => n.toLocaleString(lang, { maximumFractionDigits: 2 });

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const chart = echarts.init(el, undefined, { renderer: "svg" });
    chart.setOption({
      animation: false,
      color: PALETTE,
      aria: { enabled: false },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 36, containLabel: true },
      xAxis: { type: "category", data: labels, axisLabel: { color: "#1f2937" } },
      yAxis: { type: "value", axisLabel: { color: "#1f2937" } },
      series: series.map((s) => ({ name: s.name, type: kind, data: s.values })),
    });
    // what ECharts holds, read back: the e2e test checks it against the table
    const held = (chart.getOption() as { series: Array<{ name: string; data: number[] }> }).series.map((s) => ({ name: s.name, data: s.data }));
    el.dataset.chartSeries = JSON.stringify(held);
    chart.on("click", (p) => select.current?.((p as { dataIndex: number }).dataIndex));
    const resize = () => chart.resize();
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      chart.dispose();
    };
  }, [kind, labels, series]);

  const summary = t("analytics.chart.summary", {
    title,
    n: String(labels.length),
    series: series.map((s) => `${s.name} ${fmt(s.values.reduce((a, b) => a + b, 0))}`).join(lang === "en" ? ", " : "，"),
    // the item a sighted reader's eye goes to first: the largest of the first series
    top: labels.length ? labels[series[0]?.values.reduce((best, v, i, all) => (v > all[best] ? i : best), 0) ?? 0] : "—",
  });
  const header = [labelHeader, ...series.map((s) => s.name)];
  const rows = labels.map((l, i) => [l, ...series.map((s) => s.values[i] ?? 0)]);
  return (
    <section className="analytics-chart" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      <div className="analytics-chart-body">
        <div ref={box} className="analytics-canvas" role="img" aria-label={summary} data-chart={id} style={{ width: "100%", minHeight: 280 }} />
        <TableWrap label={t("analytics.table.label", { title })}>
          <table className="table" data-table={id}>
            <caption>{t("analytics.table.caption", { title })}</caption>
            <thead>
              <tr>
                {header.map((h) => (
                  <th key={h} scope="col">
                    {h}
                  </th>
                ))}
                {onSelect ? <th scope="col">{selectLabel}</th> : null}
              </tr>
            </thead>
            <tbody>
              {labels.map((l, i) => (
                <tr key={`${l}-${i}`}>
                  <th scope="row">{l}</th>
                  {series.map((s) => (
                    <td key={s.name} className="num" data-value={s.values[i] ?? 0}>
                      {fmt(s.values[i] ?? 0)}
                    </td>
                  ))}
                  {onSelect ? (
                    <td>
                      <button type="button" className="btn btn-plain btn-small" onClick={() => onSelect(i)}>
                        {t("analytics.drill", { name: l })}
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </div>
      <button type="button" className="btn btn-small" onClick={() => download(`${id}.csv`, tableCsv(header, rows))}>
        {t("analytics.download", { title })}
      </button>
    </section>
  );
}

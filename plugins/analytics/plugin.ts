import { definePlugin, unitsPoint } from "../../core/sdk";
import { dashboardsService } from "./services/dashboards";
import { documentsService } from "./services/documents";
import { historyService } from "./services/history";
import { analyticsDemo } from "./demo";
import { ocdsService } from "./services/ocds";

export default definePlugin({
  name: "analytics",
  title: { "zh-CN": "大数据分析中心", en: "Big-data analytics" },
  description: {
    "zh-CN": "开放合同数据标准（OCDS 1.1.5）发布：由各模块的事件生成，公开可读",
    en: "The Open Contracting Data Standard (OCDS 1.1.5) feed: built from the modules' events, open to everyone",
  },
  version: "0.1.0",
  // Fed by `analytics.fact` events, which workflows emit with the generic `emit` effect (README.md,
  // "Facts"); reads no other plugin's tables.
  services: [ocdsService, dashboardsService, documentsService, historyService],
  // a purchasing unit's dashboard is found by its published name, which the registers know
  consumes: { [unitsPoint.id]: "optional" },
  migrations: "migrations",
  demo: analyticsDemo,
});

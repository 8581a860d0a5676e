import { definePlugin } from "../../core/sdk";
import { catalogueService } from "./services/catalogue";
import { commoditiesDemo } from "./demo";

export default definePlugin({
  name: "commodities",
  title: { "zh-CN": "商品库", en: "Commodities registry" },
  description: {
    "zh-CN": "政府采购品目分类下的商品、属性、供应商报价、入驻审核与资质证照、价格监测和场馆",
    en: "Products under the procurement item classification, their attributes, suppliers' offers, admission and licences, price monitoring and pavilions",
  },
  version: "0.1.0",
  // A base registry, as suppliers are: the catalogue is province-wide data that the e-mall (gated by
  // its own module state), and later auctions and designated points, read. A per-city state on the
  // registry itself would let a city's schedule hide products a neighbouring city's order names.
  gated: false,
  // suppliers' names and regions come from the suppliers registry
  dependsOn: ["registries"],
  services: [catalogueService],
  migrations: "migrations",
  demo: commoditiesDemo,
});

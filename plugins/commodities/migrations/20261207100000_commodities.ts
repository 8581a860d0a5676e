import type { Knex } from "knex";
import { bigramsSql } from "../../../core/sdk";

// The commodities registry: categories (with their attribute schemas), admitted suppliers and their
// licences, products and the suppliers' offers of them. Offers carry what search and its facets need
// (category, brand, price, regions, pavilions) on the row itself, so a search is one indexed table.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(bigramsSql("commodities_bigrams"));
  await knex.schema.createTable("commodities_categories", (t) => {
    t.text("code").primary();
    t.text("parent").nullable();
    t.text("name").notNullable();
    t.text("name_en").notNullable();
    // the leaf's attribute schema; null for an inner node (products belong to leaves)
    t.jsonb("attributes").nullable();
    t.integer("seq").notNullable();
  });

  // Admission review (入驻审核) of a supplier as manufacturer, dealer or designated point
  await knex.schema.createTable("commodities_admissions", (t) => {
    t.text("supplier_code").primary();
    t.text("supplier_name").notNullable();
    t.text("role").notNullable(); // manufacturer · dealer · designated-point
    t.text("status").notNullable(); // pending · admitted · rejected
    t.text("reviewed_by").nullable();
    t.text("review_note").nullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("updated_at", { useTz: true }).notNullable();
  });
  await knex.schema.createTable("commodities_licences", (t) => {
    t.bigIncrements("id");
    t.text("supplier_code").notNullable().references("supplier_code").inTable("commodities_admissions").onDelete("CASCADE");
    t.text("kind").notNullable();
    t.text("number").notNullable();
    // yyyy-mm-dd, the last day it is valid
    t.string("expires_on", 10).notNullable();
    t.index(["supplier_code"]);
  });

  await knex.schema.createTable("commodities_products", (t) => {
    t.uuid("id").primary();
    t.text("category_code").notNullable().references("code").inTable("commodities_categories");
    t.text("brand").notNullable();
    t.text("model").notNullable();
    t.text("name").notNullable();
    t.jsonb("attributes").notNullable();
    t.text("specifications").notNullable().defaultTo("");
    // attachment ids (core/files) of its images
    t.specificType("images", "uuid[]").notNullable().defaultTo("{}");
    t.text("created_by").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.unique(["brand", "model"]);
  });

  await knex.schema.createTable("commodities_offers", (t) => {
    t.uuid("id").primary();
    t.uuid("product_id").notNullable().references("id").inTable("commodities_products");
    t.text("supplier_code").notNullable();
    t.text("supplier_name").notNullable();
    // the supplier's own division (a city's featured pavilion shows its local suppliers)
    t.string("supplier_region", 6).notNullable();
    t.text("category_code").notNullable();
    t.text("brand").notNullable();
    t.decimal("price", 15, 2).notNullable();
    t.integer("stock").notNullable();
    t.specificType("regions", "text[]").notNullable();
    t.integer("delivery_days").notNullable();
    t.integer("warranty_months").notNullable();
    // active · suspended (a lapsed licence) · withdrawn
    t.text("status").notNullable();
    // price monitoring: far above the product's median across suppliers
    t.boolean("flagged").notNullable().defaultTo(false);
    t.text("flag_reason").nullable();
    // brand, model, product name and attribute values, normalised (lower(normalize(…, NFKC)))
    t.text("search").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("updated_at", { useTz: true }).notNullable();
    t.unique(["product_id", "supplier_code"]);
  });
  await knex.raw("create index commodities_offers_search_trgm on commodities_offers using gin (search gin_trgm_ops)");
  await knex.raw("create index commodities_offers_search_bigrams on commodities_offers using gin (commodities_bigrams(search))");
  await knex.raw("create index commodities_offers_regions on commodities_offers using gin (regions)");
  // the catalogue's order (cheapest first, then the key): keyset pages walk these
  await knex.raw("create index commodities_offers_price on commodities_offers (price, id) where status = 'active'");
  await knex.raw("create index commodities_offers_category_price on commodities_offers (category_code, price, id) where status = 'active'");
  await knex.raw("create index commodities_offers_supplier on commodities_offers (supplier_code)");

  // Pavilions (集采馆, 特色馆, 行业馆, 网上超市): a tenant's views over the catalogue
  await knex.schema.createTable("commodities_pavilions", (t) => {
    t.string("tenant_code", 6).notNullable();
    t.text("key").notNullable();
    t.text("kind").notNullable(); // central · featured · industry · supermarket
    t.text("title").notNullable();
    t.text("title_en").notNullable();
    // category code prefixes and, for a featured pavilion, the supplier regions it shows
    t.specificType("categories", "text[]").notNullable().defaultTo("{}");
    t.specificType("supplier_regions", "text[]").notNullable().defaultTo("{}");
    t.primary(["tenant_code", "key"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ["commodities_pavilions", "commodities_offers", "commodities_products", "commodities_licences", "commodities_admissions", "commodities_categories"]) await knex.schema.dropTable(t);
  await knex.raw("drop function if exists commodities_bigrams(text)");
}

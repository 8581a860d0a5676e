import statutory from "../statutory-rules.json";

/**
 * The law's numbers the dashboards and the flags measure against, by rule id: ../statutory-rules.json.
 * calc.inclusiveTerms is how they compare ("以上/以下/内" include the number), not a number of its own.
 */
const { "calc.inclusiveTerms": _definition, ...numbers } = statutory.rules;
export const RULES = numbers;

/** The aggregate tables the facts' handler writes and the dashboards and flags read (README.md, "Dashboards"). */
export const CELLS = "analytics_agg_cells";
export const CYCLES = "analytics_agg_cycles";
export const BREACHES = "analytics_agg_breaches";

/**
 * The unit under which a region's sums are kept, its own and its subtree's alike: a fact adds to
 * its unit's row and to this row of its tenant and of every tenant above it. So a regulator's
 * dashboard reads the rows of one tenant (and its children's, for the drill-down), however many
 * units and counties lie below.
 */
export const ALL_UNITS = "*";

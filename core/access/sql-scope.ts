import type { Knex } from "knex";
import { rulesToAST } from "@casl/ability/extra";
import type { AppAbility } from "../plugins/types";

interface AstNode {
  operator: string;
  field?: string;
  value: unknown;
}

const snake = (field: string) => field.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());

/**
 * Restricts a query to the rows the ability allows for `action` on `type`: the same rules that
 * `ability.can` applies to one object, translated to SQL, so that a list never holds a row its
 * caller could not open. Columns are the snake_case of the condition's fields, unless mapped.
 *
 * (DESIGN.md suggests @ucast/objection; no such package is published, and @ucast/sql's objection
 * build is an alpha that requires objection 2. The operator set our rules use is small.)
 */
/** What scopeQuery needs of a query: knex's and objection's builders both have it. */
export interface WhereBuilder {
  where(...args: any[]): any; // eslint-disable-line @typescript-eslint/no-explicit-any
  whereRaw(sql: string): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export function scopeQuery<Q extends WhereBuilder>(
  query: Q,
  ability: AppAbility,
  action: string,
  type: string,
  columns: Record<string, string> = {},
  /** fields whose column is a PostgreSQL array: equality means "contains", as CASL matches arrays */
  arrayFields: readonly string[] = [],
): Q {
  const ast = rulesToAST(ability, action, type) as AstNode | null;
  if (ast === null) return query.whereRaw("false") as Q;
  if (ast.operator === "and" && (ast.value as AstNode[]).length === 0) return query;
  const column = (field: string) => columns[field] ?? snake(field);
  const apply = (qb: Knex.QueryBuilder, node: AstNode): void => {
    const children = node.value as AstNode[];
    switch (node.operator) {
      case "and":
        for (const child of children) qb.where((sub) => apply(sub, child));
        return;
      case "or":
        if (children.length === 0) return;
        qb.where((sub) => {
          for (const child of children) sub.orWhere((inner) => apply(inner, child));
        });
        return;
      case "not":
        qb.whereNot((sub) => {
          for (const child of children) sub.where((inner) => apply(inner, child));
        });
        return;
    }
    const col = column(node.field!);
    const v = node.value as Knex.Value;
    switch (node.operator) {
      case "eq":
        if (arrayFields.includes(node.field!)) {
          if (v === null) qb.whereRaw("false");
          else qb.whereRaw("? = any(??)", [v, col]);
        } else if (v === null) qb.whereNull(col);
        else qb.where(col, v);
        return;
      case "ne":
        if (v === null) qb.whereNotNull(col);
        else qb.where((sub) => sub.whereNot(col, v).orWhereNull(col));
        return;
      case "in":
        qb.whereIn(col, v as readonly Knex.Value[]);
        return;
      case "nin":
        qb.whereNotIn(col, v as readonly Knex.Value[]);
        return;
      case "lt":
      case "lte":
      case "gt":
      case "gte":
        qb.where(col, { lt: "<", lte: "<=", gt: ">", gte: ">=" }[node.operator]!, v);
        return;
      default:
        // Failing closed: a rule we cannot translate must not widen a list.
        throw new Error(`scopeQuery: CASL operator "${node.operator}" on ${type}.${node.field} has no SQL translation`);
    }
  };
  query.where((qb: Knex.QueryBuilder) => apply(qb, ast));
  return query;
}

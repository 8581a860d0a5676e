import type { Knex } from "knex";

// Every step that enters a state cancels the instance's pending timers (core/workflow/engine.ts,
// enterState); with only the due-time index that update read every pending timer of every instance: 0.58 ms a step at 10,000 timers, the costliest
// statement of the transitions bench (pg_stat_statements), growing with the table.
export async function up(knex: Knex): Promise<void> {
  await knex.raw("create index core_workflow_timers_pending_instance on core_workflow_timers (instance_id) where fired_at is null and cancelled_at is null");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop index if exists core_workflow_timers_pending_instance");
}

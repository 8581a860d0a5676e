import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // Registry units that take part in an instance besides its owner (the supplier of a contract, the
  // agency of a plan): a plugin's step hook names them, and they may read the instance.
  await knex.raw(`alter table core_workflow_instances add column parties text[] not null default '{}'`);
  await knex.raw(`create index core_workflow_instances_parties on core_workflow_instances using gin (parties)`);
  // Business brought over from another system keeps its id there: importing it twice finds it.
  await knex.raw(`alter table core_workflow_instances add column external_id text`);
  await knex.raw(`create unique index core_workflow_instances_external on core_workflow_instances (workflow_id, external_id) where external_id is not null`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`alter table core_workflow_instances drop column external_id`);
  await knex.raw(`alter table core_workflow_instances drop column parties`);
}

// Builds a Plan the way the planner does (scratch namespace for the "after" state, the planner's own
// rollback builder), so the apply machinery can be tested with proposals the tests control.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNetns, deleteNetns, inNetns, loadRuleset, nft } from '../helpers/netns.js';
import { takeSnapshot } from '../../src/snapshot/take.js';
import { sha256 } from '../../src/snapshot/hash.js';
import { normaliseBlock, splitTables } from '../../src/ruleset/text.js';
import { buildRollback } from '../../src/plan/rollback.js';
import { currentWhere } from '../../src/host/identity.js';
import { PLAN_VERSION, type PlanT } from '../../src/plan/schema.js';

function listTable(ns: string, family: string, name: string): string | null {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-a', 'list', 'table', family, name], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : null;
}

export async function makePlan(
  ns: string,
  proposal: string,
  tables: { family: string; name: string }[],
  options: { findings?: PlanT['findings'] } = {},
): Promise<PlanT> {
  const { snapshot } = await takeSnapshot(ns);
  const before = tables.map((t) => ({ ...t, block: listTable(ns, t.family, t.name) }));
  const scratch = createNetns('scr');
  let after: string;
  try {
    const text = nft(ns, ['list', 'ruleset']);
    if (text.trim()) loadRuleset(scratch, text);
    inNetns(scratch, 'nft', ['-f', '-'], proposal);
    after = tables
      .map((t) => listTable(scratch, t.family, t.name))
      .filter((b): b is string => b !== null)
      .map((b) => normaliseBlock(splitTables(b)[0]!.raw))
      .join('');
  } finally {
    deleteNetns(scratch);
  }
  const touchedTables = before.map((t) => ({
    family: t.family,
    name: t.name,
    existedBefore: t.block !== null,
    existsAfter: true,
    owner: null,
    iptablesNft: false,
  }));
  const zero = {
    tablesAdded: 0,
    tablesRemoved: 0,
    tablesChanged: tables.length,
    chainsAdded: 0,
    chainsRemoved: 0,
    chainsChanged: 0,
    rulesAdded: 0,
    rulesRemoved: 0,
    rulesChanged: 0,
    setsChanged: 0,
  };
  return {
    version: PLAN_VERSION,
    createdAt: new Date().toISOString(),
    netns: ns,
    where: currentWhere(ns),
    base: { hash: snapshot.hash, source: 'live', ref: null },
    proposal: { path: 'test.nft', sha256: sha256(proposal), text: proposal },
    result: { hash: snapshot.hash, touchedText: after },
    touchedTables,
    diff: { summary: zero, tables: [], chains: [], rules: [], sets: [], unified: '' },
    counters: [],
    findings: options.findings ?? [],
    // The planner's own rollback builder: the watchdog runs what a real plan would give it.
    rollback: buildRollback(snapshot.nft.text, touchedTables, snapshot.iptablesNft),
  };
}

export async function writePlan(
  dir: string,
  ns: string,
  proposal: string,
  tables: { family: string; name: string }[],
  options: { findings?: PlanT['findings'] } = {},
): Promise<string> {
  const path = join(dir, `plan-${Date.now()}.json`);
  writeFileSync(path, JSON.stringify(await makePlan(ns, proposal, tables, options)));
  return path;
}

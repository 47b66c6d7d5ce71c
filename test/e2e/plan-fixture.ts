// Builds a Plan the way the planner does (scratch namespace for the "after" state), so the apply
// machinery can be tested with rollback scripts the tests control.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNetns, deleteNetns, inNetns, loadRuleset, nft } from '../helpers/netns.js';
import { takeSnapshot } from '../../src/snapshot/take.js';
import { sha256 } from '../../src/snapshot/hash.js';
import { normaliseBlock, splitTables } from '../../src/ruleset/text.js';
import { replaceTableScript } from '../../src/apply/table-script.js';
import { PLAN_VERSION, type PlanT } from '../../src/plan/schema.js';

function listTable(ns: string, family: string, name: string): string | null {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-a', 'list', 'table', family, name], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : null;
}

export async function makePlan(ns: string, proposal: string, tables: { family: string; name: string }[], options: { findings?: PlanT['findings'] } = {}): Promise<PlanT> {
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
  const zero = { tablesAdded: 0, tablesRemoved: 0, tablesChanged: tables.length, chainsAdded: 0, chainsRemoved: 0, chainsChanged: 0, rulesAdded: 0, rulesRemoved: 0, rulesChanged: 0, setsChanged: 0 };
  return {
    version: PLAN_VERSION,
    createdAt: new Date().toISOString(),
    netns: ns,
    base: { hash: snapshot.hash, source: 'live', ref: null },
    proposal: { path: 'test.nft', sha256: sha256(proposal), text: proposal },
    result: { hash: snapshot.hash, touchedText: after },
    touchedTables: before.map((t) => ({ family: t.family, name: t.name, existedBefore: t.block !== null, existsAfter: true, owner: null, iptablesNft: false })),
    diff: { summary: zero, tables: [], chains: [], rules: [], sets: [], unified: '' },
    counters: [],
    findings: options.findings ?? [],
    rollback: {
      nftScript: before.map((t) => replaceTableScript(t.family, t.name, t.block === null ? null : splitTables(t.block)[0]!.raw)).join(''),
      iptablesNft: { v4: null, v6: null },
    },
  };
}

export async function writePlan(dir: string, ns: string, proposal: string, tables: { family: string; name: string }[], options: { findings?: PlanT['findings'] } = {}): Promise<string> {
  const path = join(dir, `plan-${Date.now()}.json`);
  writeFileSync(path, JSON.stringify(await makePlan(ns, proposal, tables, options)));
  return path;
}

import { run } from '../run/runner.js';
import { splitTables } from '../ruleset/text.js';
import { isIptablesNftTable } from '../backends/iptables-nft-tables.js';
import { loadSave } from '../formats/iptables/scratch.js';
import { program } from '../formats/iptables/programs.js';
import type { RulesetModel } from '../ruleset/model.js';
import type { SnapshotT } from '../snapshot/schema.js';

/**
 * Loads into a probe namespace everything the kernel decides with: nft tables from nft text, one by one
 * (iptables-nft's are left to its own tools: nft text drops xt matches), iptables-nft and iptables-legacy
 * rules restored natively with their counters. What fails to load is a note naming that table only —
 * one xt match nft cannot print never switches the probes off for the rest.
 */
export async function loadLiveBase(ns: string, snapshot: SnapshotT, model: RulesetModel): Promise<string[]> {
  const xt = new Set(model.tables.filter(isIptablesNftTable).map((t) => t.key));
  return loadBaseRules(ns, { nftText: snapshot.nft.text, ...snapshot }, xt);
}

/** The nft tables iptables-nft's saves hold ("ip filter", "ip6 nat"): a saved base has no model to tell them. */
export function xtTablesOfSaves(saves: { v4: string | null; v6: string | null }): Set<string> {
  const out = new Set<string>();
  for (const [family, text] of [
    ['ip', saves.v4],
    ['ip6', saves.v6],
  ] as const)
    for (const m of (text ?? '').matchAll(/^\*(\w+)\s*$/gm)) out.add(`${family} ${m[1]}`);
  return out;
}

/** loadLiveBase for any base: nft tables but `xt` (iptables-nft's, restored natively) from nft text, then the saves. */
export async function loadBaseRules(
  ns: string,
  base: Pick<SnapshotT, 'iptablesNft' | 'iptablesLegacy'> & { nftText: string },
  xt: Set<string>,
): Promise<string[]> {
  const snapshot = base;
  const notes: string[] = [];
  for (const t of splitTables(base.nftText).filter((t) => !xt.has(`${t.family} ${t.name}`))) {
    const r = await run('nft', ['-f', '-'], { netns: ns, input: `${t.raw}\n`, allowFailure: true });
    if (r.exitCode !== 0) notes.push(`nft table ${t.family} ${t.name} could not be reproduced: probes ran without it`);
  }
  for (const [variant, saves] of [
    ['nft', snapshot.iptablesNft],
    ['legacy', snapshot.iptablesLegacy],
  ] as const) {
    for (const family of ['v4', 'v6'] as const) {
      const failed = await loadSave(ns, program('restore', variant, family), saves[family]);
      for (const table of failed)
        notes.push(`iptables-${variant} ${family} table ${table} could not be reproduced: probes ran without it`);
    }
  }
  return notes;
}

/** The live iptables rules (both variants and families) as one text: what the nft text lacks for legacy rules. */
export function iptablesSavesText(snapshot: Pick<SnapshotT, 'iptablesNft' | 'iptablesLegacy'>): string {
  const { iptablesNft: n, iptablesLegacy: l } = snapshot;
  return [n.v4, n.v6, l.v4, l.v6].filter((t): t is string => typeof t === 'string').join('\n');
}

import { run } from '../../run/runner.js';
import { splitTables } from '../../ruleset/text.js';
import { parseSave } from '../../backends/iptables-save.js';
import { isIptablesNftTable } from '../../backends/iptables-nft-tables.js';
import type { RulesetModel } from '../../ruleset/model.js';
import type { SnapshotT } from '../../snapshot/schema.js';
import type { ProbeOptions } from '../../probes/index.js';
import { loadSave } from './scratch.js';
import { program } from './programs.js';
import type { IpFamily, IptablesVariant } from './family.js';

/**
 * The probe host's base is everything the kernel decides with — nft tables (from nft text), iptables-nft
 * and iptables-legacy rules (each restored natively with its own tools) — and the swap is the change's
 * own restore. What fails to load is named in a note, for that table only.
 */
export function iptablesProbeHooks(o: { snapshot: SnapshotT; model: RulesetModel; variant: IptablesVariant; family: IpFamily; input: string; replaceTables: boolean }): NonNullable<ProbeOptions['format']> {
  let atSwap: string | null = null;
  const restore = program('restore', o.variant, o.family);
  return {
    async load(ns) {
      const notes: string[] = [];
      const xt = new Set(o.model.tables.filter(isIptablesNftTable).map((t) => t.key));
      for (const t of splitTables(o.snapshot.nft.text).filter((t) => !xt.has(`${t.family} ${t.name}`))) {
        const r = await run('nft', ['-f', '-'], { netns: ns, input: t.raw + '\n', allowFailure: true });
        if (r.exitCode !== 0) notes.push(`nft table ${t.family} ${t.name} could not be reproduced: probes ran without it`);
      }
      for (const [variant, saves] of [['nft', o.snapshot.iptablesNft], ['legacy', o.snapshot.iptablesLegacy]] as const) {
        for (const family of ['v4', 'v6'] as const) {
          const failed = await loadSave(ns, program('restore', variant, family), saves[family]);
          for (const table of failed) notes.push(`iptables-${variant} ${family} table ${table} could not be reproduced: probes ran without it`);
        }
      }
      return notes;
    },
    async swap(ns) {
      const r = await run(restore, ['-w', '5', ...(o.replaceTables ? [] : ['--noflush'])], { netns: ns, input: o.input, allowFailure: true });
      if (r.exitCode !== 0) throw new Error(`the proposal failed to load in the probe namespace: ${r.stderr.trim()}`);
      if (o.variant === 'legacy') atSwap = (await run(program('save', 'legacy', o.family), ['-c'], { netns: ns })).stdout;
    },
    // nft's trace does not see legacy rules: the rule that decided is the dropping one whose packet counter moved.
    async explain(ns) {
      if (o.variant !== 'legacy' || atSwap === null) return null;
      const [before, after] = [parseSave(atSwap), parseSave((await run(program('save', 'legacy', o.family), ['-c'], { netns: ns })).stdout)];
      const packets = (c: string | null | undefined): number => Number(/^\[(\d+):/.exec(c ?? '')?.[1] ?? 0);
      for (const t of after) {
        for (const c of t.chains) {
          const b = before.find((x) => x.name === t.name)?.chains.find((x) => x.name === c.name);
          const i = c.rules.findIndex((r, k) => /-j (DROP|REJECT)\b/.test(r) && packets(c.ruleCounters[k]) > packets(b?.ruleCounters[k]));
          if (i >= 0) return `iptables-legacy ${o.family} ${t.name} ${c.name}: ${c.rules[i]} (its packet counter moved)`;
          if (c.policy === 'DROP' && packets(c.counters) > packets(b?.counters)) return `iptables-legacy ${o.family} ${t.name} ${c.name}: policy DROP (its packet counter moved)`;
        }
      }
      return null;
    },
  };
}

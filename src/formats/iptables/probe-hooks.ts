import { run } from '../../run/runner.js';
import { parseSave } from '../../backends/iptables-save.js';
import type { RulesetModel } from '../../ruleset/model.js';
import type { SnapshotT } from '../../snapshot/schema.js';
import type { ProbeOptions } from '../../probes/index.js';
import { iptablesSavesText, loadLiveBase } from '../../probes/load-live.js';
import { program } from './programs.js';
import type { IpFamily, IptablesVariant } from './family.js';

/** Probes of an iptables change: the live base as the kernel has it (loadLiveBase), the change's own restore as the swap. */
export function iptablesProbeHooks(o: {
  snapshot: SnapshotT;
  model: RulesetModel;
  variant: IptablesVariant;
  family: IpFamily;
  input: string;
  replaceTables: boolean;
}): NonNullable<ProbeOptions['format']> {
  let atSwap: string | null = null;
  const restore = program('restore', o.variant, o.family);
  return {
    load: (ns) => loadLiveBase(ns, o.snapshot, o.model),
    text: `${iptablesSavesText(o.snapshot)}\n${o.input}`,
    async swap(ns) {
      const r = await run(restore, ['-w', '5', ...(o.replaceTables ? [] : ['--noflush'])], {
        netns: ns,
        input: o.input,
        allowFailure: true,
      });
      if (r.exitCode !== 0) throw new Error(`the proposal failed to load in the probe namespace: ${r.stderr.trim()}`);
      if (o.variant === 'legacy')
        atSwap = (await run(program('save', 'legacy', o.family), ['-c'], { netns: ns })).stdout;
    },
    // nft's trace does not see legacy rules: the rule that decided is the dropping one whose packet counter moved.
    async explain(ns) {
      if (o.variant !== 'legacy' || atSwap === null) return null;
      const [before, after] = [
        parseSave(atSwap),
        parseSave((await run(program('save', 'legacy', o.family), ['-c'], { netns: ns })).stdout),
      ];
      const packets = (c: string | null | undefined): number => Number(/^\[(\d+):/.exec(c ?? '')?.[1] ?? 0);
      for (const t of after) {
        for (const c of t.chains) {
          const b = before.find((x) => x.name === t.name)?.chains.find((x) => x.name === c.name);
          const i = c.rules.findIndex(
            (r, k) => /-j (DROP|REJECT)\b/.test(r) && packets(c.ruleCounters[k]) > packets(b?.ruleCounters[k]),
          );
          if (i >= 0)
            return `iptables-legacy ${o.family} ${t.name} ${c.name}: ${c.rules[i]} (its packet counter moved)`;
          if (c.policy === 'DROP' && packets(c.counters) > packets(b?.counters))
            return `iptables-legacy ${o.family} ${t.name} ${c.name}: policy DROP (its packet counter moved)`;
        }
      }
      return null;
    },
  };
}

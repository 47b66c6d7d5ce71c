import { run } from '../../run/runner.js';
import { parseSave } from '../../backends/iptables-save.js';
import type { ProbeOptions } from '../../probes/index.js';
import type { UnseenDecider } from '../../probes/run-probes.js';
import { iptablesSavesText } from '../../probes/load-live.js';
import type { IptablesBase } from './base.js';
import { program } from './programs.js';
import type { IpFamily, IptablesVariant } from './family.js';

/** Probes of an iptables change: the live base as the kernel has it (loadLiveBase), the change's own restores (one per family) as the swap. */
export function iptablesProbeHooks(o: {
  base: Pick<IptablesBase, 'load' | 'iptablesNft' | 'iptablesLegacy'>;
  swaps: { variant: IptablesVariant; family: IpFamily; input: string }[];
  replaceTables: boolean;
}): NonNullable<ProbeOptions['format']> {
  const atSwap = new Map<IpFamily, string>();
  const legacy = o.swaps.filter((s) => s.variant === 'legacy').map((s) => s.family);
  const saveLegacy = async (ns: string, family: IpFamily): Promise<string> =>
    (await run(program('save', 'legacy', family), ['-c'], { netns: ns })).stdout;
  return {
    load: (ns) => o.base.load(ns),
    text: `${iptablesSavesText(o.base)}\n${o.swaps.map((s) => s.input).join('\n')}`,
    async swap(ns) {
      for (const s of o.swaps) {
        const r = await run(
          program('restore', s.variant, s.family),
          ['-w', '5', ...(o.replaceTables ? [] : ['--noflush'])],
          {
            netns: ns,
            input: s.input,
            allowFailure: true,
          },
        );
        if (r.exitCode !== 0) throw new Error(`the proposal failed to load in the probe namespace: ${r.stderr.trim()}`);
      }
      for (const family of legacy) atSwap.set(family, await saveLegacy(ns, family));
    },
    // nft's trace does not see legacy rules: what decided is a dropping rule (or DROP policy) whose packet counter moved.
    async explain(ns) {
      const out: UnseenDecider[] = [];
      for (const family of legacy) {
        const [before, after] = [parseSave(atSwap.get(family) ?? ''), parseSave(await saveLegacy(ns, family))];
        const packets = (c: string | null | undefined): number => Number(/^\[(\d+):/.exec(c ?? '')?.[1] ?? 0);
        for (const t of after) {
          for (const c of t.chains) {
            const b = before.find((x) => x.name === t.name)?.chains.find((x) => x.name === c.name);
            for (const [k, r] of c.rules.entries()) {
              const target = /-j (DROP|REJECT)\b/.exec(r)?.[1];
              if (target && packets(c.ruleCounters[k]) > packets(b?.ruleCounters[k]))
                out.push({
                  decidedBy: `iptables-legacy ${family} ${t.name} ${c.name}: ${r} (its packet counter moved)`,
                  verdict: target === 'DROP' ? 'drop' : 'reject',
                  ports: destinationPorts(r),
                });
            }
            if (c.policy === 'DROP' && packets(c.counters) > packets(b?.counters))
              out.push({
                decidedBy: `iptables-legacy ${family} ${t.name} ${c.name}: policy DROP (its packet counter moved)`,
                verdict: 'drop',
                ports: null,
              });
          }
        }
      }
      return out;
    },
  };
}

/** The destination ports an iptables-save rule is limited to (`--dport 53`, `--dports 53,80:90`); null when not (or negated). */
export function destinationPorts(rule: string): [number, number][] | null {
  const m = /(?:^|\s)(!\s+)?--(?:dports?|destination-ports?) (\S+)/.exec(rule);
  if (!m || m[1]) return null;
  return m[2]!.split(',').map((p) => {
    const [a = 0, b = a] = p.split(':').map(Number);
    return [a, b];
  });
}

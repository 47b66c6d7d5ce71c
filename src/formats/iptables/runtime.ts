import { z } from 'zod';
import { run } from '../../run/runner.js';
import { parseSave } from '../../backends/iptables-save.js';
import { saveVariant } from '../../backends/iptables.js';
import type { PlanT } from '../../plan/schema.js';
import type { FormatRuntime, TransactionStepT } from '../types.js';
import { touchedView, type ChainScope, type ChainView } from './transaction.js';
import { program } from './programs.js';
import { renderIptablesPersist, defaultIptablesPersistPath } from './persist.js';
import { parseRestore } from './parse.js';
import { foreignOwner, ownRule } from './owners.js';
import { FwsafeError } from '../../errors.js';
import { IpFamily, IptablesVariant } from './family.js';

const View = z.record(
  z.string(),
  z.record(z.string(), z.strictObject({ policy: z.string().nullable(), rules: z.array(z.string()) }).nullable()),
);

/** What the watchdog compares: the touched chains right after the change, and where they live. */
export const Expected = z.strictObject({
  format: z.literal('iptables'),
  variant: IptablesVariant,
  family: IpFamily,
  tables: View,
});
export type ExpectedT = z.infer<typeof Expected>;

const same = (a: ChainView | undefined, b: ChainView | undefined): boolean =>
  JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** What changed in a chain, in iptables syntax: "+ -A X …", "- -A X …", "policy DROP → ACCEPT", "deleted" (at most 3 lines). */
function whatChanged(a: ChainView | undefined, b: ChainView | undefined): string {
  if (!a || !b) return !b ? 'deleted' : 'created';
  const parts: string[] = [];
  if (a.policy !== b.policy) parts.push(`policy ${a.policy} → ${b.policy}`);
  const gone = a.rules.filter((r) => !b.rules.includes(r)).map((r) => `- ${r}`);
  const came = b.rules.filter((r) => !a.rules.includes(r)).map((r) => `+ ${r}`);
  parts.push(...came, ...gone);
  if (parts.length === 0) parts.push('rules reordered');
  return parts.length > 3 ? `${parts.slice(0, 3).join('; ')}; … (${parts.length - 3} more)` : parts.join('; ');
}

/** `table/CHAIN` of each touched chain that differs between two views; with `detail`, what differs. */
export function differingChains(expected: ExpectedT['tables'], now: ExpectedT['tables'], detail = false): string[] {
  const out: string[] = [];
  for (const [table, chains] of Object.entries(expected)) {
    for (const [name, view] of Object.entries(chains)) {
      const current = now[table]?.[name];
      if (!same(view, current))
        out.push(detail ? `${table}/${name} (${whatChanged(view, current)})` : `${table}/${name}`);
    }
  }
  return out;
}

/** The plan's stored transactions (iptables plans always carry them). */
function transaction(plan: PlanT): NonNullable<PlanT['transaction']> {
  if (!plan.transaction) throw new Error('an iptables plan without its transactions');
  return plan.transaction;
}

/**
 * iptables' apply side. The change and the rollback were computed at plan time: one
 * `iptables-restore --noflush` each per variant and family, naming only the touched chains.
 */
export const iptablesRuntime: FormatRuntime = {
  id: 'iptables',
  applySteps: (plan): TransactionStepT[] => transaction(plan).apply,
  rollbackSteps: (plan): TransactionStepT[] => transaction(plan).rollback,
  expectedText: (plan) => plan.result.touchedText,
  earlySave(plan, netns) {
    const { variant, family } = Expected.parse(JSON.parse(plan.result.touchedText));
    return { variant, family, text: saveVariant(netns, variant, family) };
  },
  async overwritten(pending) {
    const expected = Expected.parse(JSON.parse(pending.expectedText));
    const scope: ChainScope = Object.fromEntries(
      Object.entries(expected.tables).map(([t, chains]) => [t, Object.keys(chains)]),
    );
    const saves = await Promise.all(
      Object.keys(scope).map((table) =>
        run(program('save', expected.variant, expected.family), ['-t', table], {
          netns: pending.netns,
          allowFailure: true,
          timeoutMs: 10_000,
        }),
      ),
    );
    const now = touchedView(parseSave(saves.map((r) => (r.exitCode === 0 ? r.stdout : '')).join('\n')), scope);
    // Said precisely: which rules someone else added, removed or changed in a touched chain during the window.
    return differingChains(expected.tables, now, true);
  },
  persistence: {
    defaultPath: (plan) => defaultIptablesPersistPath(Expected.parse(JSON.parse(plan.result.touchedText)).family),
    render: (netns, pending) => {
      const expected = Expected.parse(JSON.parse(pending.expectedText));
      return renderIptablesPersist(netns, expected.variant, expected.family);
    },
    verify(text, pending) {
      const expected = Expected.parse(JSON.parse(pending.expectedText));
      parseRestore(text, 'the persistent file');
      // The touched chains (but other software's, which the file leaves out) must be in the file as the change left them.
      const mine = (v: ChainView): ChainView => (v ? { policy: v.policy, rules: v.rules.filter(ownRule) } : null);
      const own = Object.fromEntries(
        Object.entries(expected.tables).map(([t, chains]) => [
          t,
          Object.fromEntries(
            Object.entries(chains)
              .filter(([name]) => foreignOwner(name) === null)
              .map(([name, v]) => [name, mine(v)]),
          ),
        ]),
      );
      const scope: ChainScope = Object.fromEntries(Object.entries(own).map(([t, chains]) => [t, Object.keys(chains)]));
      const missing = differingChains(own, touchedView(parseSave(text), scope));
      if (missing.length)
        throw new FwsafeError(
          `The persistent file does not hold the confirmed chains ${missing.join(', ')}; the change is kept live but NOT persisted.`,
          { code: 'PERSIST_VERIFY_FAILED' },
        );
    },
  },
};

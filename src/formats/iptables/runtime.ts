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
import { FwsafeError, UserError } from '../../errors.js';
import { IpFamily, IptablesVariant } from './family.js';
import { v6Sibling } from './pair.js';

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

/** A v4 + v6 change: what each family's touched chains look like after it. */
const ExpectedPair = z.strictObject({ format: z.literal('iptables'), parts: z.array(Expected).min(2).max(2) });

/** The expectations a plan or pending record stores: one per family the change touches. */
export function expectations(text: string): ExpectedT[] {
  const value: unknown = JSON.parse(text);
  const pair = ExpectedPair.safeParse(value);
  return pair.success ? pair.data.parts : [Expected.parse(value)];
}

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
    // A v4 + v6 change: one save per family it touched.
    return expectations(plan.result.touchedText).map(({ variant, family }) => ({
      variant,
      family,
      text: saveVariant(netns, variant, family),
    }));
  },
  async overwritten(pending) {
    const all = expectations(pending.expectedText);
    const found = await Promise.all(
      all.map(async (expected) => {
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
        const differing = differingChains(expected.tables, now, true);
        return all.length > 1 ? differing.map((d) => `${expected.family} ${d}`) : differing;
      }),
    );
    return found.flat();
  },
  persistence: {
    // A v4 + v6 change persists to the IPv4 boot file and its IPv6 sibling (split below).
    defaultPath: (plan) => defaultIptablesPersistPath(expectations(plan.result.touchedText)[0]!.family),
    split(path, change) {
      const all = expectations(change.expectedText);
      if (all.length === 1) return [{ path, change }];
      const v6 = v6Sibling(path);
      if (!v6)
        throw new UserError(
          `--persist ${path}: a v4 + v6 change writes two files; name the IPv4 one NAME.v4 (its IPv6 file is NAME.v6) or …/iptables (…/ip6tables).`,
          { code: 'IPTABLES_PAIR', actions: ['Use --persist-default, or --persist /etc/iptables/rules.v4.'] },
        );
      return all.map((e) => ({
        path: e.family === 'v6' ? v6 : path,
        change: { expectedText: JSON.stringify(e) },
      }));
    },
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

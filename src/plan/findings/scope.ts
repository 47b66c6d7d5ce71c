import { chainOwner, tableOwner } from '../../backends/owners.js';
import type { ChainModel, TableModel } from '../../ruleset/model.js';
import { topLevel } from '../../ruleset/scan.js';
import type { FindingContext } from './context.js';
import type { Analyser } from './context.js';
import type { FindingT } from '../schema.js';

/** `flush ruleset` wipes everyone's tables; touching tables owned by other software is overwritten or breaks it. */
export const scope: Analyser = (ctx) => {
  const out: FindingT[] = [];
  const foreign = ctx.base.tables.map((t) => ({ key: t.key, owner: tableOwner(t) })).filter((t) => t.owner !== null);
  if (topLevel(ctx.proposalText).some((s) => s.words[0] === 'flush' && s.words[1] === 'ruleset')) {
    out.push({
      code: 'FLUSH_RULESET',
      severity: 'error',
      message: `The proposal runs \`flush ruleset\`, which deletes every table on the host${foreign.length ? `, including ${foreign.map((t) => `${t.key} (${t.owner})`).join(', ')}` : ''}. fwsafe never flushes the whole ruleset.`,
      fix: `Remove \`flush ruleset\` and replace only the tables the file defines, each in one transaction: ${
        ctx.result.tables.length
          ? ctx.result.tables
              .map((t) => `\`table ${t.key}\` / \`delete table ${t.key}\` / \`table ${t.key} { … }\``)
              .join('; ')
          : '`table F T` / `delete table F T` / `table F T { … }`'
      }.`,
      location: null,
    });
  }
  for (const key of ctx.touched) {
    const table = ctx.base.tables.find((t) => t.key === key);
    const owner = table ? tableOwner(table) : null;
    if (!table || !owner) continue;
    const removed = !ctx.result.tables.some((t) => t.key === key);
    out.push({
      code: 'FOREIGN_TABLE_TOUCHED',
      severity: removed || owner !== 'iptables-nft-managed' ? 'error' : 'warning',
      message: `The change ${removed ? 'deletes' : 'modifies'} table ${key}, owned by ${owner}. ${owner === 'firewalld' ? 'firewalld rewrites it on reload.' : `${owner} manages it and may overwrite or break with the change.`}`,
      fix:
        owner === 'iptables-nft-managed'
          ? 'Change iptables-nft tables with iptables-nft, or move your rules into a table of your own.'
          : owner === 'firewalld'
            ? 'firewalld rewrites its table: stage the change as a .firewalld proposal of firewall-cmd operations (docs/firewalld.md).'
            : `Leave ${key} to ${owner}; put your rules in a table of your own (e.g. \`table inet fwsafe\`).`,
      location: key,
    });
  }
  out.push(...foreignChains(ctx));
  if (ctx.base.tables.some((t) => t.key === 'inet firewalld')) {
    out.push({
      code: 'FIREWALLD_RUNNING',
      severity: 'warning',
      message:
        'firewalld is active here (table inet firewalld): it rewrites its own table on every reload and may conflict with rules added beside it.',
      fix: "An accept in your own table cannot override a drop in firewalld's: stage the change through firewalld as a .firewalld proposal (docs/firewalld.md).",
      location: 'inet firewalld',
    });
  }
  if (ctx.legacyRulesPresent) {
    out.push({
      code: 'LEGACY_RULES_PRESENT',
      severity: 'warning',
      message:
        'iptables-legacy rules are loaded too: the kernel evaluates them as well as the nft ruleset, so a packet this plan accepts may still be dropped there.',
      fix: 'Review `iptables-legacy-save`; migrate them to nft or remove them.',
      location: null,
    });
  }
  for (const key of ctx.notReproduced) {
    out.push({
      code: 'TABLE_NOT_REPRODUCED',
      severity: 'info',
      message: `Table ${key} could not be reloaded from its nft listing (iptables-nft compat matches), so the plan was computed without it.`,
      fix: 'Nothing to do unless the proposal changes that table; then change it with iptables-nft instead.',
      location: key,
    });
  }
  return out;
};

const chainText = (c: ChainModel | undefined): string =>
  c ? JSON.stringify([c.type, c.hook, c.prio, c.policy, c.rules.map((r) => r.key)]) : '';

/** Chains other software keeps inside a shared table (docker's DOCKER chains in iptables-nft's `ip filter`). */
function foreignChains(ctx: FindingContext): FindingT[] {
  const out: FindingT[] = [];
  for (const key of ctx.touched) {
    const before = ctx.base.tables.find((t) => t.key === key);
    const after = ctx.result.tables.find((t) => t.key === key);
    const names = new Set([...(before?.chains ?? []), ...(after?.chains ?? [])].map((c) => c.name));
    for (const name of [...names].sort()) {
      const owner = chainOwner(name);
      const chainOf = (t: TableModel | undefined) => t?.chains.find((c) => c.name === name);
      if (!owner || !chainOf(before) || chainText(chainOf(before)) === chainText(chainOf(after))) continue;
      // DOCKER-USER is docker's documented place for the admin's own rules; the rest is docker's.
      const userChain = name === 'DOCKER-USER';
      out.push({
        code: 'FOREIGN_CHAIN_TOUCHED',
        severity: userChain ? 'warning' : 'error',
        message: `The change ${chainOf(after) ? 'modifies' : 'deletes'} chain ${name} in ${key}, which ${owner} manages${userChain ? ' (it is the chain docker leaves for your rules, but docker expects it changed through iptables)' : ' and rewrites: your change may be lost or break it'}.`,
        fix: userChain
          ? 'Add the rules with `iptables -I DOCKER-USER …` (iptables-nft), not nft.'
          : `Leave ${name} to ${owner}; filter in a chain of your own that runs before it.`,
        location: `${key}/${name}`,
      });
    }
  }
  return out;
}

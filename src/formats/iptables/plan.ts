import { resolve } from 'node:path';
import { parseSave } from '../../backends/iptables-save.js';
import { sha256 } from '../../snapshot/hash.js';
import { parseSshConnection } from '../../plan/findings/context.js';
import { sshListenPorts } from '../../plan/ssh-ports.js';
import {
  checkAdminAddresses,
  hasGlobalIpv6,
  interfaceOf,
  parseProbeSpec,
  probeAdmins,
  runProbes,
} from '../../probes/index.js';
import { iptablesSavesText } from '../../probes/load-live.js';
import { flowReplay, mergeWithFlows } from '../../flows/replay.js';
import { PLAN_VERSION, Plan, type PlanT } from '../../plan/schema.js';
import { needsRoot } from '../../errors.js';
import type { FormatPlanOptions, PlannedChange } from '../types.js';
import { iptablesBase } from './base.js';
import { USES_IPSET } from '../../backends/ipset.js';
import { parseRestore } from './parse.js';
import { proposalParts } from './pair.js';
import { applyInput, inputLineMap } from './transaction.js';
import { computeIptablesInScratch } from './scratch.js';
import { iptablesProbeHooks } from './probe-hooks.js';
import { mergeDiffs, partPlan } from './plan-part.js';

/**
 * Plans an iptables-restore proposal — one file, or a v4 + v6 pair as one change (src/formats/iptables/pair.ts):
 * for each family the variant the host uses, the live rules and the change computed in a scratch namespace
 * with that variant, a diff per table/chain/rule in iptables syntax, counters at risk, findings; real-packet
 * probes through everything the kernel decides with, the whole change swapped in; and the stored
 * transactions (change and rollback, one per family) naming only the chains that change.
 */
export async function planIptables(options: FormatPlanOptions): Promise<PlannedChange> {
  const { proposalText: text, proposalPath: path } = options;
  if (process.getuid?.() !== 0)
    throw needsRoot('Planning an iptables change (a snapshot and a scratch network namespace)');
  const parts = proposalParts(text, path, options.iptables?.family ?? null);
  const parsed = parts.map((part) => ({ part, tables: parseRestore(part.text, part.path) }));
  const replaceTables = options.iptables?.replaceTables ?? false;
  const backend = options.iptables?.backend ?? null;
  const base = await iptablesBase(
    options.against,
    options.netns,
    parts.map((p) => p.family),
    backend,
    options.stateDir,
    USES_IPSET.test(text),
  );
  const live = base.source === 'live';
  const choices = await Promise.all(parts.map((p) => base.variant(p.family, backend)));
  const env = options.env ?? process.env;
  // Against a saved base there is no session or host to read: the stand-ins and SSH on 22, as for nft.
  const ssh = live ? parseSshConnection(env.SSH_CONNECTION) : null;
  const sshPorts = live ? await sshListenPorts(options.netns) : [22];
  const probing = options.probes?.enabled ?? true;
  const adminAddresses = checkAdminAddresses(options.adminAddresses ?? []);
  const ipv6InUse =
    parts.some((p) => p.family === 'v6') ||
    Boolean(ssh?.client.includes(':')) ||
    adminAddresses.some((a) => a.includes(':')) ||
    (probing && live && (await hasGlobalIpv6(options.netns)));
  // Whose logins the probes check: the session's client, else --admin-address, else every address that can log in today.
  const admins = probeAdmins(ssh, adminAddresses, `${base.nftText}\n${iptablesSavesText(base)}\n${text}`, ipv6InUse);
  // The host's flows (plan --flows), replayed as flows that must stay allowed.
  const replay = await flowReplay(
    probing && live && (options.flows?.enabled ?? false),
    options.netns,
    options.flows?.file ?? null,
  );
  const changes = parsed.map(({ part, tables }, i) => {
    const { variant, mismatch } = choices[i]!;
    const liveText = (variant === 'nft' ? base.iptablesNft : base.iptablesLegacy)[part.family];
    return { part, tables, variant, mismatch, liveText, input: applyInput(tables, replaceTables) };
  });
  let probeError: string | null = null;
  const [scratches, probeResults] = await Promise.all([
    Promise.all(
      changes.map((c) =>
        computeIptablesInScratch({
          variant: c.variant,
          family: c.part.family,
          liveSave: c.liveText,
          input: c.input,
          lineMap: inputLineMap(c.tables, replaceTables),
          replaceTables,
          proposalPath: c.part.path,
          proposalLines: c.part.text.split('\n'),
          ipsets: base.ipsets,
        }),
      ),
    ),
    probing
      ? (live ? interfaceOf(options.netns, ssh?.server ?? null) : Promise.resolve(null)).then((ifname) =>
          runProbes({
            baseText: base.nftText,
            proposalPath: path,
            proposalText: text,
            ssh,
            admins,
            sshPorts,
            ifname,
            mustAllow: [
              ...(options.probes?.mustAllow ?? []).map((s) => parseProbeSpec(s)),
              ...(replay?.probes.map((p) => p.spec) ?? []),
            ],
            mustDeny: (options.probes?.mustDeny ?? []).map((s) => parseProbeSpec(s)),
            ...(live ? { liveNetns: options.netns } : {}),
            format: iptablesProbeHooks({
              base,
              swaps: changes.map((c) => ({ variant: c.variant, family: c.part.family, input: c.input })),
              replaceTables,
            }),
          }).catch((error: unknown) => {
            probeError = error instanceof Error ? error.message : String(error);
            return null;
          }),
        )
      : Promise.resolve(null),
  ]);
  const planned = changes.map((c, i) =>
    partPlan(
      {
        part: c.part,
        tables: c.tables,
        family: c.part.family,
        variant: c.variant,
        mismatch: c.mismatch,
        live: parseSave(c.liveText),
        input: c.input,
        scratch: scratches[i]!,
      },
      replaceTables,
      sshPorts,
    ),
  );
  const own = changes.flatMap((c) =>
    c.tables.map((t) =>
      c.variant === 'legacy'
        ? `iptables-legacy ${c.part.family} ${t.name}`
        : `${c.part.family === 'v6' ? 'ip6' : 'ip'} ${t.name}`,
    ),
  );
  const findings = mergeWithFlows(
    planned.flatMap((p) => p.analysis),
    probeResults,
    replay,
    { mode: admins.mode, ipv6InUse, own },
  );
  if (!probeResults && probeError) {
    findings.push({
      code: 'PROBES_FAILED',
      severity: 'warning',
      message: `The lockout probes could not run: ${probeError}`,
      fix: 'Rely on the rule analysis above, or run plan again.',
      location: null,
    });
  }
  const expected =
    planned.length === 1 ? planned[0]!.expected : { format: 'iptables', parts: planned.map((p) => p.expected) };
  const after = scratches.map((x) => x.after.replace(/^\[\d+:\d+\] /gm, '').replace(/^#.*\n/gm, '')).join('');
  const plan: PlanT = {
    version: PLAN_VERSION,
    format: 'iptables',
    createdAt: new Date().toISOString(),
    netns: base.netns,
    // Where it applies: here for a plan of the live rules, where an export was taken; a bare save names no place.
    ...(base.where ? { where: base.where } : {}),
    base: { hash: base.hash, source: base.source, ref: base.ref },
    proposal: { path: parts.length === 1 ? resolve(path) : path, sha256: sha256(text), text },
    result: { hash: sha256(after), touchedText: JSON.stringify(expected) },
    touchedTables: planned.flatMap((p) => p.touchedTables),
    diff: mergeDiffs(planned.map((p) => p.diff)),
    counters: planned.flatMap((p) => p.counters),
    findings,
    rollback: { nftScript: '', iptablesNft: { v4: null, v6: null } },
    transaction: { apply: planned.flatMap((p) => p.apply), rollback: planned.flatMap((p) => p.rollback) },
  };
  return { plan: Plan.parse(plan), baseSnapshot: base.snapshot };
}

import { run } from '../run/runner.js';
import { hasBinary } from '../run/binaries.js';
import { legacyTableNames, saveLegacy } from '../backends/iptables.js';
import { captureFirewalld, hasFirewalldTable } from '../backends/firewalld.js';
import { buildModel, type RulesetModel } from '../ruleset/model.js';
import { resolveIptables } from './iptables-variant.js';
import type { DetectFacts } from './summarise.js';

const PROC_TIMEOUT_MS = 5_000;

/** One integer from a /proc file read inside the namespace; null when absent (module not loaded). */
async function readProcNumber(netns: string | null, file: string): Promise<number | null> {
  const r = await run('cat', [file], { netns, allowFailure: true, timeoutMs: PROC_TIMEOUT_MS });
  const n = Number.parseInt(r.stdout.trim(), 10);
  return r.exitCode === 0 && Number.isFinite(n) ? n : null;
}

// Only `nft -j`: detect needs structure and counts, not the text listing (list the ruleset once).
async function listModel(netns: string | null): Promise<RulesetModel> {
  const r = await run('nft', ['-j', 'list', 'ruleset'], { netns });
  return buildModel(r.stdout);
}

/**
 * Measures every backend of the namespace. Independent probes run in parallel; legacy rules come from
 * iptables-legacy-save (never `iptables-legacy -L`, which creates tables), firewall-cmd only when its table exists.
 */
export async function probe(netns: string | null): Promise<DetectFacts> {
  const nftInstalled = hasBinary('nft');
  const [model, names, count, max] = await Promise.all([
    nftInstalled ? listModel(netns) : Promise.resolve<RulesetModel>({ tables: [] }),
    legacyTableNames(netns),
    readProcNumber(netns, '/proc/sys/net/netfilter/nf_conntrack_count'),
    readProcNumber(netns, '/proc/sys/net/netfilter/nf_conntrack_max'),
  ]);
  const iptablesCommands = [resolveIptables('iptables'), resolveIptables('ip6tables')];
  const [saved, firewalld] = await Promise.all([
    saveLegacy(netns, names),
    captureFirewalld(netns, { tablePresent: hasFirewalldTable(model) }),
  ]);
  return {
    netns,
    nftInstalled,
    model,
    legacy: { v4: { names: names.v4, save: saved.v4 }, v6: { names: names.v6, save: saved.v6 } },
    iptablesCommands,
    conntrack: { count, max },
    firewalld,
  };
}

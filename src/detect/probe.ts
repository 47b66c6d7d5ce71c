import { listNftJson, nftVersion } from '../backends/nft.js';
import { hasBinary } from '../run/binaries.js';
import { run } from '../run/runner.js';
import { legacyNamesFrom, saveLegacy } from '../backends/iptables.js';
import { CONNTRACK, LEGACY_NAMES, procNumber, readProcFiles } from '../backends/proc.js';
import { captureFirewalld, hasFirewalldMarks } from '../backends/firewalld.js';
import { buildModel, type RulesetModel } from '../ruleset/model.js';
import { resolveIptables } from './iptables-variant.js';
import type { DetectFacts } from './summarise.js';

// Only `nft -j`: detect needs structure and counts, not the text listing (list the ruleset once).
async function listModel(netns: string | null): Promise<RulesetModel> {
  const model = buildModel(await listNftJson(netns));
  // A table with the owner flag: its text names the owning process (`# progname …`), which JSON omits.
  const owned = await Promise.all(
    model.tables
      .filter((t) => t.ownerFlag)
      .map(async (t) => ({
        t,
        r: await run('nft', ['list', 'table', t.family, t.name], { netns, allowFailure: true }),
      })),
  );
  return { tables: model.tables.map((t) => ({ ...t, text: owned.find((o) => o.t === t)?.r.stdout ?? t.text })) };
}

/**
 * Measures every backend of the namespace. Independent probes run in parallel; legacy rules come from
 * iptables-legacy-save (never `iptables-legacy -L`, which creates tables), firewall-cmd only when its table exists.
 */
export async function probe(netns: string | null): Promise<DetectFacts> {
  const nftInstalled = hasBinary('nft');
  // Two processes in parallel: the ruleset listing, and one read of the four /proc files.
  const [model, proc] = await Promise.all([
    nftInstalled ? listModel(netns) : Promise.resolve<RulesetModel>({ tables: [] }),
    readProcFiles(netns, [LEGACY_NAMES.v4, LEGACY_NAMES.v6, CONNTRACK.count, CONNTRACK.max]),
  ]);
  const names = legacyNamesFrom(proc);
  const iptablesCommands = [resolveIptables('iptables'), resolveIptables('ip6tables')];
  const [saved, firewalld] = await Promise.all([
    saveLegacy(netns, names),
    captureFirewalld(netns, { tablePresent: hasFirewalldMarks(model) }),
  ]);
  return {
    netns,
    nftInstalled,
    nftVersion: nftInstalled ? await nftVersion() : null,
    model,
    legacy: { v4: { names: names.v4, save: saved.v4 }, v6: { names: names.v6, save: saved.v6 } },
    iptablesCommands,
    conntrack: { count: procNumber(proc.get(CONNTRACK.count)), max: procNumber(proc.get(CONNTRACK.max)) },
    firewalld,
  };
}

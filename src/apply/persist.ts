import { join } from 'node:path';
import { listNftRuleset } from '../backends/nft.js';
import { tableOwner } from '../backends/owners.js';
import { buildModel } from '../ruleset/model.js';
import { normaliseBlock } from '../ruleset/text.js';
import { ensurePrivateDir, readStateFile, writeFileAtomic } from '../state/fs-safe.js';
import type { StatePaths } from '../state/paths.js';
import { FwsafeError } from '../errors.js';

export const DEFAULT_PERSIST_PATH = '/etc/nftables.conf';

/**
 * A boot file holding the admin's own nft tables (not docker's, firewalld's, iptables-nft's…):
 * each table replaced on its own, so loading it never touches anyone else's tables.
 */
export async function renderPersistFile(netns: string | null): Promise<string> {
  const listing = await listNftRuleset(netns);
  const model = buildModel(listing.json, listing.text);
  const blocks = model.tables
    .filter((t) => tableOwner(t) === null && t.text)
    .map((t) => `table ${t.family} ${t.name}\ndelete table ${t.family} ${t.name}\n${normaliseBlock(t.text)}`);
  const xt = model.tables.filter((t) => tableOwner(t) === 'iptables-nft-managed').map((t) => `${t.family} ${t.name}`);
  const note = xt.length
    ? [
        `# Not here: the iptables-nft tables (${xt.join(', ')}); they are persisted with iptables-save (/etc/iptables/rules.v4|v6).`,
      ]
    : [];
  return `${['#!/usr/sbin/nft -f', `# Written by fwsafe on confirmation at ${new Date().toISOString()}.`, ...note, ...blocks].join('\n')}\n`;
}

/**
 * Writes the persistent file atomically (its content from `render`: the change's format decides, see
 * FormatRuntime.persistence); the previous content is kept in the state dir.
 */
export async function persistConfirmed(options: {
  path: string;
  paths: StatePaths;
  versionId: number;
  render: () => Promise<string>;
  verify?: (written: string) => void;
}): Promise<{ path: string; previousKeptAt: string | null }> {
  const text = await options.render();
  options.verify?.(text);
  let previous: string | null = null;
  try {
    previous = readStateFile(options.path);
  } catch {
    previous = null;
  }
  let previousKeptAt: string | null = null;
  if (previous !== null) {
    const dir = join(options.paths.root, 'persisted');
    ensurePrivateDir(dir);
    previousKeptAt = join(dir, `${String(options.versionId).padStart(6, '0')}.previous.conf`);
    writeFileAtomic(previousKeptAt, previous);
  }
  writeFileAtomic(options.path, text);
  // Read back: never say "persisted" over a file that does not hold what was rendered.
  const written = readStateFile(options.path);
  if (written !== text) {
    throw new FwsafeError(
      `The persistent file ${options.path} does not read back as written (${written === null ? 'missing' : `${written.length} of ${text.length} bytes`}); the change is kept live but NOT persisted.`,
      {
        code: 'PERSIST_VERIFY_FAILED',
        actions: [`Check the file system holding ${options.path}, then write it again with the format's save tool.`],
      },
    );
  }
  options.verify?.(written);
  return { path: options.path, previousKeptAt };
}

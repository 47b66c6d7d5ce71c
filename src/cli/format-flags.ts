import { Flags } from '@oclif/core';
import { PERSIST_DEFAULT } from '../formats/types.js';

/** Flags of plan and apply for formats other than nft (iptables-restore proposals). */
export const formatFlags = {
  backend: Flags.string({ description: 'iptables proposals: the variant to plan for (default: the one this host uses for the family).', options: ['iptables-nft', 'iptables-legacy'] }),
  family: Flags.string({ description: 'iptables proposals: v4 or v6 (default: from the file name, rules.v6, or its content).', options: ['v4', 'v6'] }),
  'replace-tables': Flags.boolean({ description: 'iptables proposals: restore the named tables whole (classic iptables-restore), deleting chains the file does not declare.' }),
};

/** The plan options these flags give. */
export function iptablesOptions(flags: { backend?: string; family?: string; 'replace-tables'?: boolean }): { backend: 'nft' | 'legacy' | null; family: 'v4' | 'v6' | null; replaceTables: boolean } {
  return {
    backend: flags.backend === 'iptables-nft' ? 'nft' : flags.backend === 'iptables-legacy' ? 'legacy' : null,
    family: flags.family === 'v4' || flags.family === 'v6' ? flags.family : null,
    replaceTables: flags['replace-tables'] ?? false,
  };
}


/**
 * `--persist` takes an optional value, which oclif cannot express: `--persist` alone (last, or before
 * another flag, or before the proposal FILE when nothing else is positional) means the default file;
 * `--persist PATH` and `--persist=PATH` name one.
 */
export function normalisePersistArgv(argv: readonly string[], valueFlags: ReadonlySet<string>): string[] {
  const at = argv.indexOf('--persist');
  if (at < 0) return [...argv];
  const next = argv[at + 1];
  const positionals = argv.filter((a, i) => i !== at + 1 && !a.startsWith('-') && !valueFlags.has(argv[i - 1] ?? ''));
  const alone = next === undefined || next.startsWith('-') || (positionals.length === 0 && !argv.some((a) => a === '--plan' || a.startsWith('--plan=')));
  return alone ? [...argv.slice(0, at), `--persist=${PERSIST_DEFAULT}`, ...argv.slice(at + 1)] : [...argv];
}

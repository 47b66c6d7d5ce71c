// Without oclif: the apply fast path (src/cli/apply-fast-path.ts) needs this too.

/** The plan options these flags give. */
export function iptablesOptions(flags: { backend?: string; family?: string; 'replace-tables'?: boolean }): {
  backend: 'nft' | 'legacy' | null;
  family: 'v4' | 'v6' | null;
  replaceTables: boolean;
} {
  return {
    backend: flags.backend === 'iptables-nft' ? 'nft' : flags.backend === 'iptables-legacy' ? 'legacy' : null,
    family: flags.family === 'v4' || flags.family === 'v6' ? flags.family : null,
    replaceTables: flags['replace-tables'] ?? false,
  };
}

import { run } from '../run/runner.js';
import { hasBinary } from '../run/binaries.js';
import { LEGACY_NAMES, procLines, readProcFiles } from './proc.js';

/** Legacy (x_tables) table names per family, from already-read /proc contents (see readProcFiles). */
export function legacyNamesFrom(files: Map<string, string>): { v4: string[]; v6: string[] } {
  return { v4: procLines(files.get(LEGACY_NAMES.v4)), v6: procLines(files.get(LEGACY_NAMES.v6)) };
}

/** Legacy (x_tables) table names registered in the namespace, per family; empty when none. */
export async function legacyTableNames(netns: string | null): Promise<{ v4: string[]; v6: string[] }> {
  // Never `iptables-legacy -L`: listing a table registers it. /proc only shows what exists.
  return legacyNamesFrom(await readProcFiles(netns, [LEGACY_NAMES.v4, LEGACY_NAMES.v6]));
}

/** `iptables-legacy-save -c` / `ip6tables-legacy-save -c`, only for families that have legacy tables. */
export async function saveLegacy(
  netns: string | null,
  names: { v4: string[]; v6: string[] },
): Promise<{ v4: string | null; v6: string | null }> {
  const save = async (program: string, present: boolean): Promise<string | null> =>
    present && hasBinary(program) ? (await run(program, ['-c'], { netns })).stdout : null;
  const [v4, v6] = await Promise.all([
    save('iptables-legacy-save', names.v4.length > 0),
    save('ip6tables-legacy-save', names.v6.length > 0),
  ]);
  return { v4, v6 };
}

/** `iptables-nft-save -c` for each family; null when the family has no iptables-nft tables. */
export async function saveIptablesNft(
  netns: string | null,
  families: { v4: boolean; v6: boolean },
): Promise<{ v4: string | null; v6: string | null }> {
  const save = async (program: string, present: boolean): Promise<string | null> => {
    if (!present || !hasBinary(program)) return null;
    const r = await run(program, ['-c'], { netns, allowFailure: true });
    return r.exitCode === 0 ? r.stdout : null;
  };
  const [v4, v6] = await Promise.all([save('iptables-nft-save', families.v4), save('ip6tables-nft-save', families.v6)]);
  return { v4, v6 };
}

/**
 * The `-c` save of one variant and family, as takeSnapshot makes it (null: no binary, or nft's save
 * failed; a legacy save that fails throws). Started by a caller that knows the family it needs before
 * the listing, so the save runs beside nft's listing (see SnapshotOptions.early).
 */
export async function saveVariant(
  netns: string | null,
  variant: 'nft' | 'legacy',
  family: 'v4' | 'v6',
): Promise<string | null> {
  const want = { v4: family === 'v4', v6: family === 'v6' };
  const saved =
    variant === 'nft'
      ? await saveIptablesNft(netns, want)
      : await saveLegacy(netns, { v4: want.v4 ? ['*'] : [], v6: want.v6 ? ['*'] : [] });
  return saved[family];
}

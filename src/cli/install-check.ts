// As root, fwsafe runs only code that root alone can change (docs/security.md): its entry, dist/,
// node_modules/ (symlinks resolved), package.json, the manifest, the rulesets, and the node binary.
// This module runs before anything else at start-up: light imports only (the checker's `find` and the
// verdict's writer are loaded when needed), no work at import.
import { existsSync, lstatSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, FwsafeError } from '../errors.js';
import { runtimeDir } from '../state/runtime-dir.js';

export interface UnsafePath {
  path: string;
  why: string;
}

// Stop after this many: one is enough to refuse, a few help to fix the install.
const MAX_PROBLEMS = 5;
// What of the package root is executed or read as code/config by a root fwsafe.
const TREE_ENTRIES = ['bin', 'dist', 'node_modules', 'package.json', 'oclif.manifest.json', 'rulesets'];

function problemOf(st: Stats, allowSticky: boolean): string | null {
  if (st.uid !== 0) return `owned by uid ${st.uid}, not root`;
  const sticky = allowSticky && st.isDirectory() && (st.mode & 0o1000) !== 0;
  if ((st.mode & 0o022) === 0 || sticky) return null;
  return `writable by ${(st.mode & 0o002) !== 0 ? 'everyone' : `group ${st.gid}`}`;
}

type RunSync = (
  program: string,
  args: readonly string[],
) => { exitCode: number | null; stdout: string; stderr: string };

// find prints `L path` for each symbolic link and `U path` for each path not root's or open to group/others.
const FIND_EXPR = [
  '(',
  '-type',
  'l',
  '-printf',
  'L %p\\0',
  ')',
  '-o',
  '(',
  '!',
  '-uid',
  '0',
  '-o',
  '-perm',
  '/022',
  ')',
  '-printf',
  'U %p\\0',
];

/**
 * Checks trees with one `find` (about 10 ms for 3,000 files here; lstat from JavaScript took 40-95 ms
 * in a fresh process). A symbolic link is followed to its target: a target outside the trees checked
 * so far is checked as a tree of its own, with its ancestors.
 */
class Checker {
  readonly problems: UnsafePath[] = [];
  private readonly roots: string[] = [];
  private readonly seenDirs = new Set<string>();

  private add(path: string, why: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ path, why });
  }

  /** Every directory from `path` up to `/`: a writable one lets its owner swap what lies below. */
  private ancestors(path: string): void {
    for (let dir = dirname(path); !this.seenDirs.has(dir); dir = dirname(dir)) {
      this.seenDirs.add(dir);
      const why = problemOf(lstatSync(dir), true);
      if (why) this.add(dir, why);
      if (dir === '/') break;
    }
  }

  private covered(path: string): boolean {
    return this.roots.some((r) => path === r || path.startsWith(r.endsWith('/') ? r : `${r}/`));
  }

  /** `path` itself only (a directory whose other entries fwsafe never reads). */
  shallow(path: string): void {
    const real = realpathSync(path);
    this.ancestors(real);
    const why = problemOf(lstatSync(real), false);
    if (why) this.add(real, why);
  }

  /** `paths` and everything below them; missing ones are skipped. */
  deep(paths: readonly string[], runSync: RunSync): void {
    let pending = paths
      .filter((p) => existsSync(p))
      .map((p) => realpathSync(p))
      .filter((p) => !this.covered(p));
    for (let round = 0; pending.length > 0 && round < 5; round += 1) {
      for (const p of pending) this.ancestors(p);
      this.roots.push(...pending);
      const r = runSync('find', [...pending, ...FIND_EXPR]);
      if (r.exitCode !== 0) this.add(pending.join(' '), `cannot be checked: ${r.stderr.trim().split('\n')[0]}`);
      const links: string[] = [];
      for (const line of r.stdout.split('\0')) {
        if (line.startsWith('U ')) this.add(line.slice(2), describe(line.slice(2)));
        else if (line.startsWith('L ')) links.push(line.slice(2));
      }
      pending = [...new Set(links.flatMap((l) => resolved(l)))].filter((t) => !this.covered(t));
    }
  }
}

function describe(path: string): string {
  try {
    return problemOf(lstatSync(path), false) ?? 'changed while being checked';
  } catch {
    return 'changed while being checked';
  }
}

/** A link's final target; a dangling link points at nothing that could run. */
function resolved(link: string): string[] {
  try {
    return [realpathSync(link)];
  } catch {
    return [];
  }
}

/** The directory holding fwsafe's package.json (src/cli or dist/src/cli is two or three levels below). */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'run.js'))) return dir;
  }
  return join(from, '..', '..', '..');
}

/** What of fwsafe's code tree (and the node binary) someone other than root could change. */
export async function findUnsafePaths(root = packageRoot(), nodeBinary = process.execPath): Promise<UnsafePath[]> {
  // Loaded only when the tree is checked, not on every start (src/cli/fast-path.ts stays fast).
  const { runSync } = await import('../run/spawn.js');
  const checker = new Checker();
  checker.shallow(root);
  checker.deep(
    TREE_ENTRIES.map((name) => join(root, name)),
    runSync,
  );
  checker.shallow(nodeBinary);
  checker.shallow(dirname(realpathSync(nodeBinary)));
  return checker.problems;
}

/** The refusal: exit 14 with how to install fwsafe so that only root can change it. */
export function unsafeInstallError(problems: readonly UnsafePath[], root: string): FwsafeError {
  const list = problems.map((p) => `${p.path}: ${p.why}`).join('; ');
  return new FwsafeError(
    `Refusing to run as root: fwsafe's code could be changed by someone other than root (${list}).`,
    {
      code: 'UNSAFE_INSTALL',
      exitCode: ExitCode.unsafeInstall,
      actions: [
        'Install it so that only root owns it: `npm pack` in the checkout, then as root `npm install -g --ignore-scripts ./fwsafe-*.tgz`',
        `Or make this checkout root's: chown -R root:root ${root} && chmod -R go-w ${root} (and node_modules, if it is a link)`,
        'See docs/security.md.',
      ],
      details: { problems },
    },
  );
}

/**
 * Once every path is root's and closed to others, only root can change the tree again: the verdict is
 * kept in /run/fwsafe (root's only, gone at boot) under the identity and ctime of the tree's top paths.
 * A `chown -R`/`chmod -R`, a reinstall or a rebuild changes those ctimes and the tree is checked again;
 * root changing one file deep inside is not noticed (docs/security.md).
 */
function treeStamp(root: string, nodeBinary: string): string {
  const node = realpathSync(nodeBinary);
  const top = ['bin', 'bin/run.js', 'dist', 'dist/src', 'node_modules'].map((n) => join(root, n));
  const paths = [root, ...top, node, dirname(node)];
  return JSON.stringify(
    paths.map((p) => {
      const st = statSync(p, { bigint: true, throwIfNoEntry: false });
      return st ? [p, String(st.ino), String(st.ctimeNs), String(st.mode), String(st.uid)] : [p];
    }),
  );
}

/** The stamp's name: any hash will do, the stamp itself names the paths it vouches for. */
function stampFile(root: string, nodeBinary: string): string {
  let h = 0x811c9dc5;
  for (const c of `${root}\0${nodeBinary}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return join(runtimeDir(), `install-ok-${h.toString(16).padStart(8, '0')}`);
}

function readStamp(file: string): string | null {
  try {
    const st = lstatSync(file);
    return st.isFile() && st.uid === 0 ? readFileSync(file, 'utf8') : null;
  } catch {
    return null;
  }
}

let verified = false;

/** As root, throws unless fwsafe's code tree is root's alone; checked once per process, nothing to do for others. */
export async function assertSafeInstall(root = packageRoot(), nodeBinary = process.execPath): Promise<void> {
  if (verified || typeof process.geteuid !== 'function' || process.geteuid() !== 0) return;
  const stamp = treeStamp(root, nodeBinary);
  const file = stampFile(root, nodeBinary);
  if (readStamp(file) === stamp) {
    verified = true;
    return;
  }
  const problems = await findUnsafePaths(root, nodeBinary);
  if (problems.length > 0) throw unsafeInstallError(problems, root);
  const { writeFileAtomic } = await import('../state/fs-safe.js');
  writeFileAtomic(file, stamp);
  verified = true;
}

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, fwsafeAsync, ROOT } from './cli.js';
import { limiter } from './limiter.js';
import { createNetns, deleteNetns, isRoot, liveRuleset } from './netns.js';
import { normaliseRulesetText } from '../../src/ruleset/text.js';
import { removeStateDir } from './state-dir.js';

// The conformance corpus (issue 22): rulesets written for fwsafe covering what nft 1.0.6 can print.
// Every file is planned as a proposal, and loaded as the live base beside an unrelated change.
// Files under rejected/ must be refused (exit 4 or 9). A top-level file this kernel cannot load
// (a feature not built in: flowtables, queue, secmark without an SELinux policy) must exit 4 too.
export const CORPUS = join(ROOT, 'test', 'fixtures', 'conformance');
const UNRELATED =
  'table inet fwsafe_conformance_other {\n\tchain input {\n\t\ttype filter hook input priority 50; policy accept;\n\t\ttcp dport 8080 counter accept\n\t}\n}\n';
// Three plans at a time per test file: each spends most of its time waiting (probe packets, nft), little on CPU.
const PARALLEL = 3;

export function corpusFiles(): string[] {
  const top = readdirSync(CORPUS)
    .filter((f) => f.endsWith('.nft'))
    .sort();
  const rejected = readdirSync(join(CORPUS, 'rejected'))
    .filter((f) => f.endsWith('.nft'))
    .sort()
    .map((f) => `rejected/${f}`);
  return [...top, ...rejected];
}

function veth(ns: string): void {
  for (const args of [
    ['link', 'add', 'cf0', 'type', 'veth', 'peer', 'name', 'cf1'],
    ['link', 'set', 'cf0', 'up'],
    ['link', 'set', 'cf1', 'up'],
  ]) {
    const r = spawnSync('ip', ['-n', ns, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  }
}

const summary = (r: CliResult): string => `exit ${r.status}\n${r.stdout.slice(0, 3000)}\n${r.stderr.slice(0, 2000)}`;

function noBug(r: CliResult): void {
  expect(r.stdout + r.stderr, summary(r)).not.toMatch(/This is a bug|Unexpected error/);
}

/** Registers the corpus tests of shard `index` of `count` (files dealt round-robin). */
export function conformanceShard(index: number, count: number): void {
  const files = corpusFiles().filter((_, i) => i % count === index);
  const run = limiter(PARALLEL);
  let dir = '';
  const timings: string[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fwsafe-conformance-'));
    writeFileSync(join(dir, 'unrelated.nft'), UNRELATED);
  });
  afterAll(() => {
    if (dir) removeStateDir(dir);
    if (process.env.FWSAFE_CONFORMANCE_TIMES) process.stderr.write(`${timings.sort().join('\n')}\n`);
  });
  describe.skipIf(!isRoot)(`conformance corpus, shard ${index + 1}/${count}`, () => {
    for (const file of files) {
      it.concurrent(file, { timeout: 600_000 }, () =>
        run(async () => {
          const path = join(CORPUS, file);
          const ns = createNetns('conf');
          const t0 = Date.now();
          try {
            veth(ns);
            // Rule analysis and the scratch namespace for the proposal; the probes run in the live-base plan
            // below (the path every plan on such a host takes), which keeps the corpus within a few minutes.
            // Without --detailed-exitcode: exit 0 is "planned" (5 would only say a finding blocks an apply,
            // and some files lock the stand-in admin out on purpose: verdict-map-named, stateless-nat-numgen).
            const proposal = await fwsafeAsync(['--netns', ns, 'plan', path, '--json', '--no-probes']);
            noBug(proposal);
            // nft itself is the judge of what the kernel holds.
            const loaded = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-f', path], { encoding: 'utf8' });
            if (file.startsWith('rejected/') || loaded.status !== 0) {
              expect(loaded.status, `${file}: nft -f accepted it`).not.toBe(0);
              expect([4, 9], summary(proposal)).toContain(proposal.status);
              expect(liveRuleset(ns), 'a rejected proposal leaves nothing behind').toBe('');
              return;
            }
            expect(proposal.status, summary(proposal)).toBe(0);
            expect((proposal.json as { touchedTables: unknown[] }).touchedTables.length).toBeGreaterThan(0);
            // The probes reproduce every file (stand-in interfaces included): none runs without part of it.
            const gaps = (r: CliResult): string[] =>
              ((r.json as { findings: { code: string; message: string }[] }).findings ?? [])
                .filter((f) => f.code === 'PROBES_FAILED' || /could not be reproduced/.test(f.message))
                .map((f) => f.message);
            // Counters move with the namespace's own traffic (IPv6 router solicitations on the veth pair).
            const before = normaliseRulesetText(liveRuleset(ns));
            const live = await fwsafeAsync(['--netns', ns, 'plan', join(dir, 'unrelated.nft'), '--json']);
            noBug(live);
            expect(live.status, summary(live)).toBe(0);
            const plan = live.json as {
              touchedTables: { family: string; name: string }[];
              findings: { code: string; severity: string }[];
            };
            expect(plan.touchedTables.map((t) => `${t.family} ${t.name}`)).toEqual(['inet fwsafe_conformance_other']);
            expect(gaps(live)).toEqual([]);
            expect(normaliseRulesetText(liveRuleset(ns)), 'planning touched the live ruleset').toBe(before);
          } finally {
            deleteNetns(ns);
            timings.push(`${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s  ${file}`);
          }
        }),
      );
    }
  });
}

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, loadRuleset } from './netns.js';
import { type CliResult, fwsafeAsync } from './cli.js';
import { removeStateDir } from './state-dir.js';
import {
  BASE_RULESET,
  buildLab,
  exposed,
  FLOW_IDS,
  FLOWS_FILE,
  type FlowId,
  type Lab,
  observe,
  refreshTraffic,
  removeLab,
  startTraffic,
} from './flow-lab.js';

export const CORPUS = join(import.meta.dirname, '..', 'fixtures', 'flows-corpus');

export const corpusFiles = (prefix: string): string[] =>
  readdirSync(CORPUS)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.nft'))
    .sort();

interface Outcome {
  r: CliResult;
  ms: number;
  works: Set<FlowId>;
  open: number[];
}

interface Finding {
  code: string;
  severity: string;
  message: string;
  location: string | null;
}

/** A FLOW_CUT finding's flow, in the lab's terms (by what its label names). */
export function flowOf(message: string): FlowId | null {
  if (/fragmentation-needed|packet-too-big/.test(message)) return 'pmtu';
  if (/neighbour discovery/.test(message)) return 'nd';
  if (/10\.74\.0\.10:8080/.test(message)) return 'forward';
  if (/^The flow icmp forward|10\.74\.0\.10 \(backend-ping\)/.test(message)) return 'forward-ping';
  if (/10\.73\.0\.53:853/.test(message)) return 'upstream';
  if (/10\.73\.0\.53:53/.test(message)) return 'dns-out';
  if (/^The flow icmpv6 /.test(message)) return 'ping6';
  if (/^The flow icmp /.test(message)) return 'ping';
  const port = /(?:^The (?:flow|service) (?:tcp|udp) .*?):(\d+)\b/.exec(message)?.[1];
  const map: Record<string, FlowId> = { '80': 'http', '53': 'dns-in', '2049': 'nfs', '9100': 'metrics' };
  return port ? (map[port] ?? null) : null;
}

const expectation = (file: string): { cuts: FlowId[]; exposes: number[]; safe: boolean } => {
  const line = readFileSync(join(CORPUS, file), 'utf8').split('\n')[0]!;
  const words = line.replace(/^# expect:\s*/, '').split(/\s+/);
  if (words[0] === 'safe') return { cuts: [], exposes: [], safe: true };
  if (words[0] === 'exposes') return { cuts: [], exposes: words.slice(1).map(Number), safe: true };
  return { cuts: words as FlowId[], exposes: [], safe: false };
};

/**
 * The corpus, one file of proposals: an "original" lab where fwsafe plans each proposal with --flows (its
 * prediction), and two copies where proposals are applied with `nft -f` and the lab's real traffic observed
 * with socat, ping and the kernel's caches (reality). Every prediction must agree with reality, every cut
 * must name its deciding rule.
 */
export function corpusSuite(title: string, files: string[]): void {
  describe.skipIf(!isRoot)(title, () => {
    let original: Lab | null = null;
    const copies: Lab[] = [];
    let dir = '';
    let flowsFile = '';
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'fwsafe-corpus-'));
      flowsFile = join(dir, 'flows');
      writeFileSync(flowsFile, FLOWS_FILE);
      original = await buildLab('fo');
      for (const tag of ['fc', 'fd']) copies.push(await buildLab(tag));
      await Promise.all([original, ...copies].map((lab) => startTraffic(lab)));
      // Each copy under the base: every flow of the lab works (otherwise a "cut" would mean nothing).
      for (const copy of copies) {
        expect([...(await observe(copy))].sort()).toEqual([...FLOW_IDS].sort());
        expect(await exposed(copy)).toEqual([]);
      }
    }, 180_000);
    afterAll(() => {
      if (original) removeLab(original);
      for (const copy of copies.splice(0)) removeLab(copy);
      if (dir) removeStateDir(dir);
    });

    /**
     * One proposal: planned in the original (the prediction) while a copy of its own applies it, observes
     * the traffic and restores the base (reality). The original is only read; the copies share nothing.
     */
    const run = async (file: string, copy: Lab): Promise<Outcome> => {
      const path = join(CORPUS, file);
      const started = performance.now();
      const args = ['--netns', original!.ns.host, 'plan', path, '--flows-file', flowsFile, '--json'];
      const planning = fwsafeAsync(args, { timeoutMs: 60_000 }).then((r) => ({
        r,
        ms: Math.round(performance.now() - started),
      }));
      loadRuleset(copy.ns.host, readFileSync(path, 'utf8'));
      const works = await observe(copy);
      const open = await exposed(copy);
      loadRuleset(copy.ns.host, BASE_RULESET);
      return { ...(await planning), works, open };
    };
    // Two proposals at a time, one per copy, after one refresh of the original's short-lived flows (UDP
    // and ICMP conntrack entries), so that no refresh runs while a plan reads the original's connections.
    const outcomes = new Map<string, Promise<Outcome>>();
    const outcome = (file: string): Promise<Outcome> => {
      if (!outcomes.has(file)) {
        const at = files.indexOf(file) - (files.indexOf(file) % 2);
        const refreshed = refreshTraffic(original!);
        files.slice(at, at + 2).forEach((f, k) => {
          const p = refreshed.then(() => run(f, copies[k]!));
          p.catch(() => {
            // reported by the test of that file
          });
          outcomes.set(f, p);
        });
      }
      return outcomes.get(file)!;
    };

    for (const file of files) {
      it(file, async () => {
        const expect_ = expectation(file);
        const { r, ms, works, open } = await outcome(file);
        expect(r.status, r.stderr).toBe(0);
        const findings = r.json.findings as Finding[];
        const cuts = findings.filter((f) => f.code === 'FLOW_CUT');
        const predicted = new Set(cuts.map((f) => flowOf(f.message)));
        const predictedExposed = CORPUS_PORTS.filter((p) =>
          findings.some((f) => f.code === 'FLOW_NEWLY_EXPOSED' && f.message.includes(`:${p} `)),
        );
        // PMTU is observed over the upstream TCP flow: with that flow cut there is nothing to observe.
        const broken = FLOW_IDS.filter((id) => !works.has(id) && !(id === 'pmtu' && !works.has('upstream')));

        const detail = `${file} (${ms} ms): predicted ${[...predicted].join(',') || 'none'}, observed ${broken.join(',') || 'none'}\n${cuts.map((c) => `  ${c.message} @ ${c.location}`).join('\n')}`;
        expect([...predicted].sort(), detail).toEqual([...broken].sort());
        expect(predictedExposed, detail).toEqual(open);
        // The corpus means what it says: the cut it names is real, a safe one cuts nothing.
        expect([...broken].sort(), detail).toEqual([...expect_.cuts].sort());
        expect(open, detail).toEqual(expect_.exposes);
        for (const c of cuts) expect(c.location ?? '', `${c.message} names no deciding rule`).toMatch(/^inet filter /);
        // Every declared flow of the lab passes today: none is reported blocked already.
        expect(
          findings.filter((f) => f.code === 'FLOW_DECLARED_BLOCKED').map((f) => f.message),
          detail,
        ).toEqual([]);
        if (expect_.safe) {
          expect(
            findings.filter((f) => f.severity === 'error').map((f) => f.code),
            detail,
          ).toEqual([]);
          expect(
            findings.filter((f) => f.code === 'FLOW_CUT').map((f) => f.message),
            detail,
          ).toEqual([]);
        }
        console.info(
          `${file}: plan --flows ${ms} ms; predicted ${[...predicted].join(',') || '-'}; observed ${broken.join(',') || '-'}; exposed ${open.join(',') || '-'}`,
        );
      }, 90_000);
    }
  });
}

const CORPUS_PORTS = [5432, 6379, 8443];

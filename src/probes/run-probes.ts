import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { privateTempDir } from '../state/runtime-dir.js';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { run } from '../run/runner.js';
import { spawnPiped } from '../run/spawn.js';
import { resolveBinary } from '../run/binaries.js';
import { decidingRule, type RuleText, type TraceRewrite } from './trace.js';
import { splitTables } from '../ruleset/text.js';
import { addStandInInterfaces, cleanStale, loadBase } from '../plan/scratch.js';
import { interfacesNeeded } from '../plan/interface-names.js';
import { hasHandleReferences, translateHandles } from '../plan/handles.js';
import { representative, type ProbeSpecT } from './spec.js';
import type { SshEndpoint } from '../plan/findings/context.js';

const HERE = join(fileURLToPath(import.meta.url), '..');
// Compiled, the agent sits beside this module; run from the TypeScript sources (tests), use the build's.
const AGENT = existsSync(join(HERE, 'agent.js')) ? join(HERE, 'agent.js') : join(HERE, '..', '..', 'dist', 'src', 'probes', 'agent.js');
const WAIT_MS = 1500;

export interface ProbeResult {
  kind: 'session' | 'new-login' | 'must-allow' | 'must-deny';
  description: string;
  expected: 'allowed' | 'denied';
  observed: 'allowed' | 'dropped' | 'rejected' | 'not-run';
  pass: boolean;
  decidedBy: string | null;
  /** The traced verdict of `decidedBy` (accept, drop…); null when nothing was traced. */
  verdict?: string | null;
  /** A rule on the packet's way rewrote its destination (DNAT, stateless NAT). */
  rewrite?: TraceRewrite | null;
  note: string | null;
}

export interface ProbeOptions {
  baseText: string;
  proposalPath: string;
  /** The proposal's text as the plan records it (read from proposalPath when absent). */
  proposalText?: string;
  ssh: SshEndpoint | null;
  sshPorts: number[];
  /** Name of the host interface the admin's traffic arrives on, when known. */
  ifname: string | null;
  mustAllow: ProbeSpecT[];
  mustDeny: ProbeSpecT[];
}

const DEFAULT_CLIENT = { v4: '198.51.100.77', v6: '2001:db8:77::77' };
const DEFAULT_SERVER = { v4: '203.0.113.1', v6: '2001:db8:1::1' };

function lines(child: ChildProcess): { text: string; wait: (word: string, ms: number) => Promise<boolean> } {
  const state = { text: '' };
  child.stdout?.on('data', (d: Buffer) => {
    state.text += d.toString();
  });
  return {
    get text() {
      return state.text;
    },
    wait: (word, ms) =>
      new Promise((resolve) => {
        const t0 = Date.now();
        const tick = (): void => (state.text.includes(word) ? resolve(true) : Date.now() - t0 > ms ? resolve(false) : void setTimeout(tick, 20));
        tick();
      }),
  };
}

/**
 * Real packets through the proposed ruleset: a scratch "host" namespace holding the base ruleset and the
 * admin's addresses, a "client" namespace on the other end of a veth; the admin's session is opened under
 * the base, the proposal swapped in atomically, and what still flows is observed — and traced.
 */
export async function runProbes(o: ProbeOptions): Promise<ProbeResult[]> {
  await cleanStale('fwsafe-probe-');
  const tag = `${process.pid}-${randomBytes(2).toString('hex')}`;
  const host = `fwsafe-probe-${tag}-h`;
  const client = `fwsafe-probe-${tag}-c`;
  const dir = privateTempDir('fwsafe-probe-');
  const children: ChildProcess[] = [];
  const v6 = o.ssh ? o.ssh.client.includes(':') : false;
  const server = o.ssh?.server ?? (v6 ? DEFAULT_SERVER.v6 : DEFAULT_SERVER.v4);
  const admin = o.ssh?.client ?? DEFAULT_CLIENT.v4;
  const ifname = (o.ifname ?? 'eth0').slice(0, 15);
  const peer = `fwpc${tag.replace('-', '').slice(-8)}`.slice(0, 15);
  const results: ProbeResult[] = [];
  const notes: string[] = [];
  if (!o.ssh) notes.push('no SSH_CONNECTION: probed from a stand-in admin address, so rules on specific admin addresses may not match as they will live');
  try {
    await run('ip', ['netns', 'add', host]);
    await run('ip', ['netns', 'add', client]);
    await run('ip', ['-n', host, 'link', 'add', ifname, 'type', 'veth', 'peer', 'name', peer, 'netns', client]);
    const clientAddrs = new Set([admin, ...[...o.mustAllow, ...o.mustDeny].map((s) => representative(s.from, admin))]);
    const serverAddrs = new Set([server, ...[...o.mustAllow, ...o.mustDeny].map((s) => s.to).filter((x): x is string => x !== null)]);
    for (const [ns, dev, own, other] of [[host, ifname, serverAddrs, clientAddrs], [client, peer, clientAddrs, serverAddrs]] as const) {
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      await run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      for (const a of own) await run('ip', ['-n', ns, 'addr', 'add', a.includes(':') ? `${a}/128` : `${a}/32`, 'dev', dev, ...(a.includes(':') ? ['nodad'] : [])]);
      for (const a of other) await run('ip', ['-n', ns, 'route', 'add', a.includes(':') ? `${a}/128` : `${a}/32`, 'dev', dev]);
    }
    // Interfaces the rulesets name (`dup to … device`, netdev `fwd to`, `iif`) exist here as stand-ins, so
    // the base and the proposal load; a base table that still fails is left out, and named.
    const proposalText = o.proposalText ?? readFileSync(o.proposalPath, 'utf8');
    await addStandInInterfaces(host, interfacesNeeded(o.baseText + '\n' + proposalText).filter((n) => n !== ifname));
    const missing = await loadBase(host, dir, o.baseText);
    if (missing.length) {
      notes.push(`${missing.join(', ')} could not be reproduced (iptables-nft tables?): probes ran without ${missing.length === 1 ? 'it' : 'them'}`);
    }
    const tcpPorts = [...new Set([...o.sshPorts, ...(o.ssh ? [o.ssh.serverPort] : []), ...[...o.mustAllow, ...o.mustDeny].filter((s) => s.proto === 'tcp').map((s) => s.port)])];
    const listener = spawnPiped(process.execPath, [AGENT, 'listen', ...tcpPorts.map(String)], { netns: host });
    children.push(listener);
    await lines(listener).wait('ready', 3000);

    let session: { child: ChildProcess; out: ReturnType<typeof lines> } | null = null;
    if (o.ssh) {
      const child = spawnPiped(process.execPath, [AGENT, 'session', admin, server, String(o.ssh.serverPort)], { netns: client });
      children.push(child);
      const out = lines(child);
      if (await out.wait('connected', WAIT_MS)) {
        child.stdin!.write('ping\n');
        if (await out.wait('echo', WAIT_MS)) session = { child, out };
      }
      if (!session) notes.push('your session is not allowed by the current rules either: the session probe was skipped');
    }

    const trace = `table inet fwsafe_trace {\n chain pre {\n  type filter hook prerouting priority -500; policy accept;\n  meta nftrace set 1\n }\n}\n`;
    writeFileSync(join(dir, 'trace.nft'), trace);
    await run('nft', ['-f', join(dir, 'trace.nft')], { netns: host });
    // nft's stdout to a pipe is block-buffered: stdbuf makes each trace line arrive as it happens.
    const monitor = spawnPiped('stdbuf', ['-oL', resolveBinary('nft'), 'monitor', 'trace'], { netns: host });
    children.push(monitor);
    const traced = lines(monitor);
    // Make sure the monitor is listening before the swap: a marker packet's trace must come through.
    await run('ping', ['-c', '1', '-W', '1', server], { netns: client, allowFailure: true });
    await traced.wait('trace id', 2000);

    // Live handles in the proposal (`delete rule … handle N`) name other rules in this copy: translate them.
    let proposalFile = o.proposalPath;
    if (hasHandleReferences(proposalText)) {
      const listing = await run('nft', ['-a', 'list', 'ruleset'], { netns: host, stdoutToFile: true });
      proposalFile = join(dir, 'proposal.nft');
      writeFileSync(proposalFile, translateHandles(o.baseText, listing.stdout, proposalText).text, { mode: 0o600 });
    }
    const swapped = await run('nft', ['-f', proposalFile], { netns: host, allowFailure: true });
    if (swapped.exitCode !== 0) throw new Error(`the proposal failed to load in the probe namespace: ${swapped.stderr.trim()}`);

    const probeConnect = async (src: string, dst: string, port: number): Promise<ProbeResult['observed']> => {
      const r = await run(process.execPath, [AGENT, 'connect', src, dst, String(port), String(WAIT_MS)], { netns: client, allowFailure: true });
      const word = r.stdout.trim();
      return word.startsWith('accepted') ? 'allowed' : word.startsWith('rejected') ? 'rejected' : 'dropped';
    };
    const jobs: Promise<void>[] = [];
    if (session) {
      const s = session;
      jobs.push(
        (async () => {
          const before = (s.out.text.match(/echo/g) ?? []).length;
          s.child.stdin!.write('ping\n');
          const t0 = Date.now();
          while (Date.now() - t0 < WAIT_MS && (s.out.text.match(/echo/g) ?? []).length <= before) await new Promise((r) => setTimeout(r, 20));
          const ok = (s.out.text.match(/echo/g) ?? []).length > before;
          results.push({ kind: 'session', description: `your established SSH session ${admin} → ${server}:${o.ssh!.serverPort}`, expected: 'allowed', observed: ok ? 'allowed' : 'dropped', pass: ok, decidedBy: null, note: null });
        })(),
      );
    }
    for (const port of [...new Set([...(o.ssh ? [o.ssh.serverPort] : []), ...o.sshPorts])]) {
      jobs.push(
        (async () => {
          const observed = await probeConnect(admin, server, port);
          results.push({ kind: 'new-login', description: `a new SSH login ${admin} → ${server}:${port}`, expected: 'allowed', observed, pass: observed === 'allowed', decidedBy: null, note: null });
        })(),
      );
    }
    for (const [list, expected] of [[o.mustAllow, 'allowed'], [o.mustDeny, 'denied']] as const) {
      for (const spec of list) {
        jobs.push(
          (async () => {
            const src = representative(spec.from, admin);
            const dst = spec.to ?? server;
            if (spec.proto !== 'tcp') {
              results.push({ kind: expected === 'allowed' ? 'must-allow' : 'must-deny', description: spec.text, expected, observed: 'not-run', pass: true, decidedBy: null, note: 'only tcp flows are probed so far' });
              return;
            }
            const observed = await probeConnect(src, dst, spec.port);
            const pass = expected === 'allowed' ? observed === 'allowed' : observed !== 'allowed';
            results.push({ kind: expected === 'allowed' ? 'must-allow' : 'must-deny', description: `${spec.text} (${src} → ${dst}:${spec.port})`, expected, observed, pass, decidedBy: null, note: null });
          })(),
        );
      }
    }
    await Promise.all(jobs);
    // Trace lines may trail the packets: wait (bounded) until every probe's deciding rule is seen.
    const listing = splitTables((await run('nft', ['-a', 'list', 'ruleset'], { netns: host, stdoutToFile: true })).stdout);
    const ruleText: RuleText = (family, table, handle) => listing.find((t) => t.family === family && t.name === table)?.rulesByHandle.get(handle);
    const locate = (): boolean => {
      for (const r of results) {
        const m = /([0-9A-Fa-f.:]+) → ([0-9A-Fa-f.:]+):(\d+)/.exec(r.description);
        if (m && r.decidedBy === null) {
          const seen = decidingRule(traced.text, m[1]!, Number(m[3]), r.kind === 'session' ? 'data' : 'syn', ruleText);
          r.decidedBy = seen?.decidedBy ?? null;
          r.verdict = seen?.verdict ?? null;
          r.rewrite = seen?.rewrite ?? null;
        }
      }
      return results.every((r) => r.decidedBy !== null || r.observed === 'not-run');
    };
    for (let waited = 0; !locate() && waited < 2000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    if (notes.length) for (const r of results) r.note = [r.note, ...notes].filter(Boolean).join('; ');
    return results;
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await run('ip', ['netns', 'del', host], { allowFailure: true });
    await run('ip', ['netns', 'del', client], { allowFailure: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

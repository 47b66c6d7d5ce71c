import { rmSync, writeFileSync } from 'node:fs';
import { privateTempDir } from '../state/runtime-dir.js';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { run } from '../run/runner.js';
import { AGENT, agentBatcher, lines, responding } from './agent-io.js';
import { spawnPiped } from '../run/spawn.js';
import { resolveBinary } from '../run/binaries.js';
import { decidingRule, fromTo, lastStopped, parseTrace, replyDrop, type RuleText, type TraceRewrite } from './trace.js';
import { normaliseRuleText, splitTables } from '../ruleset/text.js';
import { addStandInInterfaces, cleanStale, loadBase } from '../plan/scratch.js';
import { interfacesNeeded } from '../plan/interface-names.js';
import { hasHandleReferences, translateHandles } from '../plan/handles.js';
import { redactIncluded } from '../plan/nft-error.js';
import { representative, type ProbeSpecT } from './spec.js';
import { probeAdmins, type ProbeAdmins } from './admins.js';
import { dnatTargets } from './nat-targets.js';
import { routeDevice } from './host-info.js';
import type { SshEndpoint } from '../plan/findings/context.js';

const WAIT_MS = 1500;

export interface ProbeResult {
  kind: 'session' | 'new-login' | 'must-allow' | 'must-deny';
  description: string;
  expected: 'allowed' | 'denied';
  observed: 'allowed' | 'dropped' | 'rejected' | 'not-run';
  /** The same flow under the current ruleset (null: not probed before). */
  before: 'allowed' | 'dropped' | 'rejected' | null;
  pass: boolean;
  /** The change makes it worse: it passes today and not after (a session always passed before). */
  worse: boolean;
  /** A login of "any address that can log in today" (not an admin address named by the session or flags). */
  anyCandidate?: boolean;
  decidedBy: string | null;
  /** The traced verdict of `decidedBy` (accept, drop…); null when nothing was traced. */
  verdict?: string | null;
  /** A rule on the packet's way rewrote its destination (DNAT, stateless NAT). */
  rewrite?: TraceRewrite | null;
  note: string | null;
}

export interface ProbeOptions {
  baseText: string;
  /** The proposal's label, for messages. */
  proposalPath: string;
  /** The proposal's text as the plan records it: the only copy the probes use. */
  proposalText: string;
  ssh: SshEndpoint | null;
  /** Whose new logins are probed (see admins.ts); default: the session's client, else the stand-ins. */
  admins?: ProbeAdmins;
  sshPorts: number[];
  /** Name of the host interface the admin's traffic arrives on, when known. */
  ifname: string | null;
  mustAllow: ProbeSpecT[];
  mustDeny: ProbeSpecT[];
  /**
   * The live namespace (null: the root one), read only to name the probe's backend interface as the live
   * route to a DNAT target names it (docker0), so `-o docker0` rules match as live. Absent: a name of our own.
   */
  liveNetns?: string | null;
  /** How the base is loaded into the host namespace (returns notes) and the change swapped in as one transaction (src/formats/). Default: the base as nft text, the nft proposal. */
  format?: {
    load: (ns: string) => Promise<string[]>;
    /** Default: the nft proposal. */
    swap?: (ns: string) => Promise<void>;
    /** What may have decided the probes nft's trace does not see (iptables-legacy rules); called once after the probes. */
    explain?: (ns: string) => Promise<UnseenDecider[]>;
    /** Rules the load brings that the nft text lacks (iptables-legacy saves): read for DNAT targets. */
    text?: string;
  };
}

const DEFAULT_SERVER = { v4: '203.0.113.1', v6: '2001:db8:1::1' };

/**
 * Swaps an nft proposal in. Live handles in it (`delete rule … handle N`) name other rules in this copy:
 * translate them. The recorded text, in this private directory: the user's path is never read again here.
 */
async function swapNft(o: ProbeRuleset, host: string, dir: string): Promise<void> {
  let proposalText = o.proposalText;
  if (hasHandleReferences(proposalText)) {
    const listing = await run('nft', ['-a', 'list', 'ruleset'], { netns: host, stdoutToFile: true });
    proposalText = translateHandles(o.baseText, listing.stdout, proposalText).text;
  }
  const proposalFile = join(dir, 'proposal.nft');
  writeFileSync(proposalFile, proposalText, { mode: 0o600 });
  const swapped = await run('nft', ['-f', proposalFile], { netns: host, allowFailure: true });
  if (swapped.exitCode !== 0)
    throw new Error(
      `the proposal failed to load in the probe namespace: ${redactIncluded(swapped.stderr, [proposalFile]).trim()}`,
    );
}

/** A rule or policy that stopped packets nft's trace does not see (format.explain: iptables-legacy counters). */
export interface UnseenDecider {
  /** As the format names it: `iptables-legacy v4 filter OUTPUT: -A OUTPUT -p udp -m udp --dport 53 -j DROP (…)`. */
  decidedBy: string;
  verdict: 'drop' | 'reject';
  /** The destination ports it is limited to (inclusive ranges); null: not limited by port. */
  ports: [number, number][] | null;
}

/** A probe's destination port, from its description (`… → 10.0.0.1:53)`), or null (ICMP, ND). */
const portOf = (description: string): number | null => {
  const m =
    /[0-9A-Fa-f.:]+ → [0-9A-Fa-f.:]+:(\d+)\)?\s*$/.exec(description) ?? /→ [0-9A-Fa-f.:]+:(\d+)\b/.exec(description);
  return m ? Number(m[1]) : null;
};

/**
 * Names what decided the failed probes that nft's trace did not see (no deciding rule), by the format's
 * explain() read once in namespace `ns`: for each probe, the first decider limited to its port, else the
 * first not limited by port; none (a port-limited rule cannot have stopped another port): left unnamed.
 */
export async function explainUnseen(results: ProbeResult[], format: ProbeOptions['format'], ns: string): Promise<void> {
  const unexplained = results.filter((r) => !r.pass && r.decidedBy === null);
  if (!format?.explain || unexplained.length === 0) return;
  const deciders = await format.explain(ns);
  for (const r of unexplained) {
    const port = portOf(r.description);
    const d =
      (port === null ? undefined : deciders.find((x) => x.ports?.some(([a, b]) => port >= a && port <= b))) ??
      deciders.find((x) => x.ports === null);
    if (!d) continue;
    r.decidedBy = d.decidedBy;
    r.verdict = d.verdict;
  }
}

/** What loads the base and swaps the proposal in a probe namespace (the fields of ProbeOptions it reads). */
export type ProbeRuleset = Pick<ProbeOptions, 'baseText' | 'proposalText' | 'format'>;

/**
 * Loads the base into a probe namespace. Interfaces the rulesets name (`dup to … device`, netdev `fwd to`,
 * `iif`) exist there as stand-ins (except `own`, made by the caller), so the base and the proposal load; a
 * base table that still fails is left out, and named in the notes returned.
 */
export async function loadBaseInto(o: ProbeRuleset, host: string, dir: string, own: string[]): Promise<string[]> {
  await addStandInInterfaces(
    host,
    interfacesNeeded(`${o.baseText}\n${o.proposalText}`).filter((n) => !own.includes(n)),
  );
  if (o.format) return o.format.load(host);
  const missing = await loadBase(host, dir, o.baseText);
  return missing.length
    ? [
        `${missing.join(', ')} could not be reproduced (iptables-nft tables?): probes ran without ${missing.length === 1 ? 'it' : 'them'}`,
      ]
    : [];
}

/** Swaps the proposal into a probe namespace as one transaction. */
export async function swapInto(o: ProbeRuleset, host: string, dir: string): Promise<void> {
  if (o.format?.swap) await o.format.swap(host);
  else await swapNft(o, host, dir);
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
  const backend = `fwsafe-probe-${tag}-b`;
  const specs = [...o.mustAllow, ...o.mustDeny];
  const nat = specs.length ? dnatTargets(`${o.baseText}\n${o.format?.text ?? ''}\n${o.proposalText}`) : [];
  const dir = privateTempDir('fwsafe-probe-');
  const children: ChildProcess[] = [];
  const admins = o.admins ?? probeAdmins(o.ssh, [], '');
  // One server address per family: the session's own where it has one, a documentation address otherwise.
  const servers = {
    v4: o.ssh && !o.ssh.server.includes(':') ? o.ssh.server : DEFAULT_SERVER.v4,
    v6: o.ssh?.server.includes(':') ? o.ssh.server : DEFAULT_SERVER.v6,
  };
  const serverOf = (a: string): string => (a.includes(':') ? servers.v6 : servers.v4);
  const admin = o.ssh?.client ?? admins.addresses[0]!;
  const server = serverOf(admin);
  const ifname = (o.ifname ?? 'eth0').slice(0, 15);
  const peer = `fwpc${tag.replace('-', '').slice(-8)}`.slice(0, 15);
  const results: ProbeResult[] = [];
  const notes: string[] = [];
  if (admins.mode === 'given')
    notes.push(`no SSH_CONNECTION: probed for the admin address(es) given: ${admins.addresses.join(', ')}`);
  try {
    await run('ip', ['netns', 'add', host]);
    await run('ip', ['netns', 'add', client]);
    await run('ip', ['-n', host, 'link', 'add', ifname, 'type', 'veth', 'peer', 'name', peer, 'netns', client]);
    const extra = admins.otherFamily ?? [];
    const clientAddrs = new Set([
      admin,
      ...admins.addresses,
      ...extra,
      ...[...o.mustAllow, ...o.mustDeny].map((s) => representative(s.from, admin)),
    ]);
    // An address the host side holds (a flow's local address) is not also a client: the client namespace
    // would deliver to itself (a stand-in admin taken from `10.0.0.0/24` in a rule can be the host's own .1).
    for (const s of [...o.mustAllow, ...o.mustDeny]) if (s.to) clientAddrs.delete(s.to);
    const serverAddrs = new Set([
      server,
      ...[...clientAddrs].map(serverOf),
      ...[...o.mustAllow, ...o.mustDeny].map((s) => s.to).filter((x): x is string => x !== null),
    ]);
    for (const [ns, dev, own, other] of [
      [host, ifname, serverAddrs, clientAddrs],
      [client, peer, clientAddrs, serverAddrs],
    ] as const) {
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      await run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      for (const a of own)
        await run('ip', [
          '-n',
          ns,
          'addr',
          'add',
          a.includes(':') ? `${a}/128` : `${a}/32`,
          'dev',
          dev,
          ...(a.includes(':') ? ['nodad'] : []),
        ]);
      for (const a of other)
        await run('ip', ['-n', ns, 'route', 'add', a.includes(':') ? `${a}/128` : `${a}/32`, 'dev', dev]);
    }
    if (nat.length) {
      // A backend behind the host holds the DNAT targets: a flow to a published port is NATed and forwarded as live.
      const ownName = `fwpb${tag.replace('-', '').slice(-8)}`.slice(0, 15);
      const live = o.liveNetns === undefined ? null : await routeDevice(o.liveNetns, nat[0]!.addr);
      const hostSide = live && live !== ifname && live !== peer ? live : ownName;
      await run('ip', ['netns', 'add', backend]);
      await run('ip', ['-n', host, 'link', 'add', hostSide, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', backend]);
      await run('ip', ['-n', host, 'addr', 'add', '169.254.77.1/32', 'dev', hostSide]);
      for (const ns of [host, backend])
        await run('ip', ['-n', ns, 'link', 'set', ns === host ? hostSide : 'eth0', 'up']);
      await run('ip', ['-n', backend, 'link', 'set', 'lo', 'up']);
      for (const t of new Set(nat.map((x) => x.addr))) {
        await run('ip', ['-n', backend, 'addr', 'add', `${t}/32`, 'dev', 'eth0']);
        await run('ip', ['-n', host, 'route', 'add', `${t}/32`, 'dev', hostSide]);
      }
      await run('ip', ['-n', backend, 'route', 'add', '169.254.77.1/32', 'dev', 'eth0']);
      await run('ip', ['-n', backend, 'route', 'add', 'default', 'via', '169.254.77.1', 'dev', 'eth0']);
      await run('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1'], { netns: host });
      const ports = [...new Set(nat.map((x) => x.port).filter((p): p is number => p !== null))].map(String);
      const behind = [
        spawnPiped(process.execPath, [AGENT, 'listen', ...ports], { netns: backend }),
        spawnPiped(process.execPath, [AGENT, 'listen-udp', ...ports], { netns: backend }),
      ];
      children.push(...behind);
      await responding(behind);
    }
    notes.push(...(await loadBaseInto(o, host, dir, [ifname])));
    const tcpPorts = [
      ...new Set([
        ...o.sshPorts,
        ...(o.ssh ? [o.ssh.serverPort] : []),
        ...[...o.mustAllow, ...o.mustDeny].filter((s) => s.proto === 'tcp').map((s) => s.port),
      ]),
    ];
    const listener = spawnPiped(process.execPath, [AGENT, 'listen', ...tcpPorts.map(String)], { netns: host });
    children.push(listener);
    // UDP flows get a real responder: a verdict comes from its reply, an ICMP error, or their absence.
    const udpPorts = [...new Set([...o.mustAllow, ...o.mustDeny].filter((s) => s.proto === 'udp').map((s) => s.port))];
    const udpListener = udpPorts.length
      ? spawnPiped(process.execPath, [AGENT, 'listen-udp', ...udpPorts.map(String)], { netns: host })
      : null;
    if (udpListener) children.push(udpListener);
    await responding(udpListener ? [listener, udpListener] : [listener]);
    // All the probes of one moment from the client namespace: one agent process.
    const fromClient = agentBatcher(
      (args) => run(process.execPath, args, { netns: client, allowFailure: true, timeoutMs: 30_000 }),
      WAIT_MS,
    );
    const probeConnect = async (
      src: string,
      dst: string,
      port: number,
      proto: 'tcp' | 'udp' = 'tcp',
    ): Promise<'allowed' | 'dropped' | 'rejected'> => {
      const word = await fromClient({ kind: proto === 'tcp' ? 'connect' : 'udp', src, dst, port });
      return word.startsWith('accepted') ? 'allowed' : word.startsWith('rejected') ? 'rejected' : 'dropped';
    };
    // Before: which admin logins pass under the current ruleset (a proposal is blamed only for what it makes worse).
    const loginPorts = [...new Set([...(o.ssh ? [o.ssh.serverPort] : []), ...o.sshPorts])];
    const before = new Map<string, 'allowed' | 'dropped' | 'rejected'>();
    // Logins and flows side by side: one agent process, one wait.
    const loginsBefore = Promise.all(
      [...admins.addresses, ...extra].flatMap((a) =>
        loginPorts.map(async (p) => void before.set(`${a} ${p}`, await probeConnect(a, serverOf(a), p))),
      ),
    );
    // Flows that must stay allowed too: whether one passes today tells a cut from a flow already blocked.
    const specBefore = new Map<ProbeSpecT, 'allowed' | 'dropped' | 'rejected'>();
    const flowsBefore = Promise.all(
      o.mustAllow.map(
        async (s) =>
          void specBefore.set(s, await probeConnect(representative(s.from, admin), s.to ?? server, s.port, s.proto)),
      ),
    );
    await Promise.all([loginsBefore, flowsBefore]);
    const canLogIn = admins.addresses.filter((a) => loginPorts.some((p) => before.get(`${a} ${p}`) === 'allowed'));
    const otherCanLogIn = extra.filter((a) => loginPorts.some((p) => before.get(`${a} ${p}`) === 'allowed'));
    if (extra.length) {
      notes.push(
        otherCanLogIn.length
          ? `IPv6 is in use: also probed for every IPv6 address found that can log in today (${otherCanLogIn.join(', ')})`
          : `IPv6 is in use, but none of the IPv6 addresses tried can log in today (${extra.join(', ')})`,
      );
    }
    if (admins.mode === 'any') {
      notes.push(
        canLogIn.length
          ? `no SSH_CONNECTION and no --admin-address: probed for every address found that can log in today (${canLogIn.join(', ')})`
          : `no SSH_CONNECTION and no --admin-address: none of the addresses tried can log in today (${admins.addresses.join(', ')}), so no new-login probe could show a change`,
      );
    }

    let session: { child: ChildProcess; out: ReturnType<typeof lines> } | null = null;
    if (o.ssh) {
      const child = spawnPiped(process.execPath, [AGENT, 'session', admin, server, String(o.ssh.serverPort)], {
        netns: client,
      });
      children.push(child);
      const out = lines(child);
      if (await out.wait('connected', WAIT_MS)) {
        child.stdin!.write('ping\n');
        if (await out.wait('echo', WAIT_MS)) session = { child, out };
      }
      if (!session)
        notes.push('your session is not allowed by the current rules either: the session probe was skipped');
    }

    // Output too: a reply the proposal drops on its way out (a stateless output rule) is named.
    const trace =
      'table inet fwsafe_trace {\n chain pre {\n  type filter hook prerouting priority -500; policy accept;\n  meta nftrace set 1\n }\n' +
      ' chain out {\n  type filter hook output priority -500; policy accept;\n  meta nftrace set 1\n }\n}\n';
    writeFileSync(join(dir, 'trace.nft'), trace);
    await run('nft', ['-f', join(dir, 'trace.nft')], { netns: host });
    // nft's stdout to a pipe is block-buffered: stdbuf makes each trace line arrive as it happens.
    const monitor = spawnPiped('stdbuf', ['-oL', resolveBinary('nft'), 'monitor', 'trace'], { netns: host });
    children.push(monitor);
    const traced = lines(monitor);
    // Make sure the monitor is listening before the swap: a marker packet's trace must come through.
    await run('ping', ['-c', '1', '-W', '1', server], { netns: client, allowFailure: true });
    await traced.wait('trace id', 2000);

    await swapInto(o, host, dir);
    // Empty neighbour caches: after the swap ARP and IPv6 neighbour discovery must pass the new rules.
    await Promise.all(
      [host, client].map((ns) => run('ip', ['-n', ns, 'neigh', 'flush', 'all'], { allowFailure: true })),
    );

    // Each job returns its result: they are kept in launch order, not in the order the packets came back
    // (the plan JSON is the same from run to run).
    const jobs: Promise<ProbeResult>[] = [];
    // UDP probes' packets are traced as UDP (a flow's description does not start with "udp/").
    const udp = new Set<ProbeResult>();
    if (session) {
      const s = session;
      jobs.push(
        (async () => {
          const before = (s.out.text.match(/echo/g) ?? []).length;
          s.child.stdin!.write('ping\n');
          const t0 = Date.now();
          while (Date.now() - t0 < WAIT_MS && (s.out.text.match(/echo/g) ?? []).length <= before)
            await new Promise((r) => setTimeout(r, 20));
          const ok = (s.out.text.match(/echo/g) ?? []).length > before;
          return {
            kind: 'session',
            description: `your established SSH session ${admin} → ${server}:${o.ssh!.serverPort}`,
            expected: 'allowed',
            observed: ok ? 'allowed' : 'dropped',
            before: 'allowed',
            pass: ok,
            worse: !ok,
            decidedBy: null,
            note: null,
          };
        })(),
      );
    }
    // "any": only addresses that can log in today are probed after (a stand-in already blocked decides nothing).
    const targets = [
      ...(admins.mode === 'any' ? canLogIn : admins.addresses).map((a) => ({ a, any: admins.mode === 'any' })),
      ...otherCanLogIn.map((a) => ({ a, any: true })),
    ];
    for (const { a, any } of targets) {
      for (const port of loginPorts) {
        jobs.push(
          (async () => {
            const observed = await probeConnect(a, serverOf(a), port);
            const was = before.get(`${a} ${port}`) ?? null;
            const pass = observed === 'allowed';
            return {
              kind: 'new-login',
              description: `a new SSH login ${a} → ${serverOf(a)}:${port}`,
              expected: 'allowed',
              observed,
              before: was,
              pass,
              worse: !pass && was === 'allowed',
              anyCandidate: any,
              decidedBy: null,
              note: null,
            };
          })(),
        );
      }
    }
    for (const [list, expected] of [
      [o.mustAllow, 'allowed'],
      [o.mustDeny, 'denied'],
    ] as const) {
      for (const spec of list) {
        jobs.push(
          (async () => {
            const src = representative(spec.from, admin);
            const dst = spec.to ?? server;
            const observed = await probeConnect(src, dst, spec.port, spec.proto);
            const pass = expected === 'allowed' ? observed === 'allowed' : observed !== 'allowed';
            const result: ProbeResult = {
              kind: expected === 'allowed' ? 'must-allow' : 'must-deny',
              description: `${spec.text} (${src} → ${dst}:${spec.port})`,
              expected,
              observed,
              before: specBefore.get(spec) ?? null,
              pass,
              worse: !pass,
              decidedBy: null,
              note: null,
            };
            if (spec.proto === 'udp') udp.add(result);
            return result;
          })(),
        );
      }
    }
    results.push(...(await Promise.all(jobs)));
    // An IPv6 flow that failed because neighbour discovery did not complete: say so (the caches were empty).
    for (const r of results.filter((x) => !x.pass && x.observed !== 'not-run')) {
      const dst = / → ([0-9a-fA-F:]*:[0-9a-fA-F:]*):\d+/.exec(r.description)?.[1];
      if (!dst) continue;
      const neigh = await run('ip', ['-6', 'neigh', 'show', dst], { netns: client, allowFailure: true });
      if (/FAILED|INCOMPLETE/.test(neigh.stdout))
        r.note = [
          r.note,
          `IPv6 neighbour discovery for ${dst} failed after the change (its neighbour solicitations went unanswered)`,
        ]
          .filter(Boolean)
          .join('; ');
    }
    // Trace lines may trail the packets: wait (bounded) until every probe's deciding rule is seen.
    const listing = splitTables(
      (await run('nft', ['-a', 'list', 'ruleset'], { netns: host, stdoutToFile: true })).stdout,
    );
    const ruleText: RuleText = (family, table, handle) =>
      listing.find((t) => t.family === family && t.name === table)?.rulesByHandle.get(handle);
    // A family that no nft base chain handles (but the trace table's) can have no deciding rule in the
    // trace (legacy rules are explained below): nothing to wait for. Any hook counts, output too.
    const baseChainsFor = (families: string[]): boolean =>
      listing.some((t) => t.name !== 'fwsafe_trace' && families.includes(t.family) && /\bhook \w+/.test(t.raw));
    const seesV4 = baseChainsFor(['ip', 'inet', 'netdev', 'bridge']);
    const seesV6 = baseChainsFor(['ip6', 'inet', 'netdev', 'bridge']);
    const nftSees = (description: string): boolean =>
      (/([0-9A-Fa-f.:]+) → [0-9A-Fa-f.:]+:\d+/.exec(description)?.[1] ?? '').includes(':') ? seesV6 : seesV4;
    // Results whose deciding rule is a drop of their replies (named below, with a note).
    const replied = new Set<ProbeResult>();
    const locate = (): boolean => {
      for (const r of results) {
        const m = /([0-9A-Fa-f.:]+) → ([0-9A-Fa-f.:]+):(\d+)/.exec(r.description);
        if (m && r.decidedBy === null) {
          const seen = decidingRule(
            traced.text,
            m[1]!,
            Number(m[3]),
            r.kind === 'session' ? 'data' : udp.has(r) ? 'udp' : 'syn',
            ruleText,
          );
          // Accepted on the way in but not through: a drop of its reply (output, forward) decided.
          const reply =
            r.observed !== 'allowed' && !/^(drop|reject)/.test(seen?.verdict ?? '')
              ? lastStopped(
                  parseTrace(traced.text, ruleText),
                  (p) => fromTo(p, m[2]!, m[1]!) && new RegExp(`sport ${m[3]}\\b`).test(p),
                )
              : null;
          const v = reply ?? seen;
          if (reply) replied.add(r);
          r.decidedBy = v?.decidedBy ?? null;
          r.verdict = v?.verdict ?? null;
          r.rewrite = v?.rewrite ?? null;
        }
      }
      return results.every((r) => r.decidedBy !== null || r.observed === 'not-run' || !nftSees(r.description));
    };
    for (let waited = 0; !locate() && waited < 2000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    // A flow the rules accepted that still failed: its replies may have been dropped (a rule matching both
    // directions), from this host or from a DNAT backend behind it. Name that drop.
    for (const r of results.filter(
      (x) => !x.pass && x.observed !== 'not-run' && (replied.has(x) || !/^(drop|reject)/.test(x.verdict ?? '')),
    )) {
      const m = /([0-9A-Fa-f.:]+) → ([0-9A-Fa-f.:]+):(\d+)/.exec(r.description);
      if (!m || udp.has(r) || r.description.startsWith('udp/')) continue;
      const from = [{ addr: m[2]!, port: Number(m[3]) }, ...nat.filter((t) => t.port !== null)];
      const drop = from
        .map((t) => ({ t, d: replyDrop(traced.text, t.addr, m[1]!, t.port!, ruleText) }))
        .find((x) => x.d !== null);
      if (!drop) continue;
      r.decidedBy = drop.d!.decidedBy;
      r.verdict = drop.d!.verdict;
      r.note = [
        r.note,
        `its replies from ${drop.t.addr}:${drop.t.port} were dropped: the rule matches the reply direction too`,
      ]
        .filter(Boolean)
        .join('; ');
    }
    await explainUnseen(results, o.format, host);
    // A declared flow that a DNAT rule rewrote: say so, and which rule.
    for (const r of results.filter((x) => x.kind === 'must-allow' || x.kind === 'must-deny')) {
      const m = /\(([0-9A-Fa-f.:]+) → ([0-9A-Fa-f.:]+):(\d+)\)$/.exec(r.description);
      const id = m
        ? decidingRule(traced.text, m[1]!, Number(m[3]), udp.has(r) ? 'udp' : 'syn', ruleText)?.traceId
        : undefined;
      const natLine = id
        ? traced.text.split('\n').find((l) => l.includes(`trace id ${id} `) && / dnat /.test(l))
        : undefined;
      const rule = natLine
        ? /^trace id \S+ (\S+) (\S+) (\S+) rule (.*?)(?: \(verdict \S+\))?$/.exec(natLine.trim())
        : null;
      if (rule)
        r.note = [r.note, `followed the NAT: ${rule[1]} ${rule[2]} ${rule[3]}: ${normaliseRuleText(rule[4]!)}`]
          .filter(Boolean)
          .join('; ');
    }
    if (notes.length) for (const r of results) r.note = [r.note, ...notes].filter(Boolean).join('; ');
    return results;
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await run('ip', ['netns', 'del', host], { allowFailure: true });
    await run('ip', ['netns', 'del', client], { allowFailure: true });
    if (nat.length) await run('ip', ['netns', 'del', backend], { allowFailure: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

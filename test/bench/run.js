#!/usr/bin/env node
// fwsafe against raw nft, from a 500-rule host to a 50k-rule one. Everything runs in throwaway
// namespaces. Each figure is a median and is printed as a ratio to its raw-nft reference.
// Usage: npm run bench [-- --quick] [-- --write]   (--write updates docs/performance.md)
//        npm run bench -- --k8s | --many-tables [--reps N]   (issue 18's cases only; minutes to load)
//        npm run bench -- --flows-only [--flows 100]   (plan with and without --flows for N declared flow classes)
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import {
  applyArgs,
  BIN,
  median,
  createNetns,
  deleteNetns,
  inNs,
  measure,
  peakRssKb,
  replaceTable,
  setTableText,
  sh,
  tableText,
  timeOnce,
} from './lib.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const write = args.includes('--write');
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const REPS = quick ? 1 : Number(arg('--reps', 5));
const SIZES = quick ? [500] : arg('--sizes', '500,10000,50000').split(',').map(Number);
const SET_SIZE = quick ? 2_000 : 200_000;
if (process.getuid?.() !== 0) {
  console.error('The benchmark needs root (it creates network namespaces).');
  process.exit(1);
}
if (!existsSync(new URL('../../dist/commands', import.meta.url))) sh('npm', ['run', 'build']);

const work = mkdtempSync(join(tmpdir(), 'fwsafe-bench-'));
const rows = [];
const node = process.execPath;
const fw = (ns, state, ...rest) => [BIN, '--netns', ns, '--state-dir', state, ...rest];
const iptablesOnly = args.includes('--iptables');
// Opt-in cases (issue 18): a Kubernetes-like node (one 50k-rule foreign table beside a 1-rule own
// table) and a many-tables host (40 tables × 2,500 rules). Loading them alone takes minutes on nft 1.0.6.
const k8sCase = args.includes('--k8s');
const manyTablesCase = args.includes('--many-tables');
const flowsOnly = args.includes('--flows-only');
const FLOWS = Number(arg('--flows', 100));
const hasCommand = (name) => existsSync(new URL(`../../dist/commands/${name}.js`, import.meta.url));

function row(what, size, ours, ref, goal) {
  const ratio = ours / ref;
  rows.push({ what, size, ours: Math.round(ours), ref: Math.round(ref), ratio: Number(ratio.toFixed(2)), goal });
  console.log(
    `${what.padEnd(34)} ${String(size).padStart(7)}  fwsafe ${String(Math.round(ours)).padStart(6)} ms  raw ${String(Math.round(ref)).padStart(6)} ms  ${ratio.toFixed(2)}×  (goal ${goal})`,
  );
}

function benchSize(n) {
  const ns = createNetns(String(n));
  const state = mkdtempSync(join(work, 'state-'));
  try {
    const base = tableText('bench', n);
    const baseFile = join(work, `base-${n}.nft`);
    writeFileSync(baseFile, base);
    inNs(ns, 'nft', ['-f', baseFile]);
    // The proposal: the same table with one rule changed, in the scoped replace form.
    const proposalFile = join(work, `proposal-${n}.nft`);
    writeFileSync(proposalFile, replaceTable('inet', 'bench', tableText('bench', n, { variant: 1 })));

    const snapRaw = measure(REPS, () => inNs(ns, 'nft', ['-j', 'list', 'ruleset']));
    const snapOurs = measure(REPS, () => sh(node, fw(ns, state, 'snapshot')));
    row('snapshot vs nft -j list ruleset', n, snapOurs, snapRaw, '≤ 1.5×');

    if (hasCommand('plan')) {
      const planRaw = measure(REPS, () => inNs(ns, 'nft', ['-c', '-f', proposalFile]));
      const planOurs = measure(REPS, () =>
        sh(node, fw(ns, state, 'plan', proposalFile, '--no-probes', '--json'), { allowFailure: true }),
      );
      row('plan --no-probes vs nft -c -f', n, planOurs, planRaw, '≤ 4× at 50k');
      if (n <= 10_000) {
        const planProbes = measure(Math.min(REPS, 3), () =>
          sh(node, fw(ns, state, 'plan', proposalFile, '--json'), { allowFailure: true }),
        );
        row('plan (with probes) vs nft -c -f', n, planProbes, planRaw, '(probes: real packets)');
      }
    }
    if (hasCommand('apply') && hasCommand('confirm')) {
      const reset = () => inNs(ns, 'nft', ['-f', baseFile.replace(/$/, '')], { input: '' });
      const resetFile = join(work, `reset-${n}.nft`);
      writeFileSync(resetFile, replaceTable('inet', 'bench', base));
      const applyRaw = measure(
        REPS,
        () => inNs(ns, 'nft', ['-f', proposalFile]),
        () => inNs(ns, 'nft', ['-f', resetFile]),
      );
      const applyOurs = measure(
        REPS,
        () => sh(node, fw(ns, state, ...applyArgs(proposalFile))),
        () => {
          sh(node, fw(ns, state, 'confirm'), { allowFailure: true });
          inNs(ns, 'nft', ['-f', resetFile]);
        },
      );
      sh(node, fw(ns, state, 'confirm'), { allowFailure: true });
      void reset;
      if (n === SIZES[0]) {
        // A confirm that really keeps a pending change (claim, record, watchdog stands down), against node -e 0.
        const ref = measure(REPS, () => sh(node, ['-e', '0']));
        const confirmMs = measure(
          REPS,
          () => sh(node, fw(ns, state, 'confirm')),
          () => {
            inNs(ns, 'nft', ['-f', resetFile]);
            sh(node, fw(ns, state, ...applyArgs(proposalFile)));
          },
        );
        inNs(ns, 'nft', ['-f', resetFile]);
        row('confirm of a pending change vs node -e 0', n, confirmMs, ref, '≤ 1.5×');
      }
      row('apply --no-wait vs nft -f', n, applyOurs, applyRaw, n >= 50_000 ? '≤ 5×' : '≤ raw + 0.5 s');
      benchLateness(ns, state, n, resetFile, applyRaw, applyOurs);
    }
    if (n === SIZES.at(-1)) {
      const rawKb = peakRssKb('ip', ['netns', 'exec', ns, 'nft', '-j', 'list', 'ruleset']);
      const snapKb = peakRssKb(node, fw(ns, state, 'snapshot'));
      const planKb = hasCommand('plan')
        ? peakRssKb(node, fw(ns, state, 'plan', proposalFile, '--no-probes', '--json'))
        : null;
      console.log(
        `peak memory at ${n} rules: snapshot ${mb(snapKb)}, plan ${mb(planKb)}, nft -j list ruleset ${mb(rawKb)} (goal ≤ 400 MB)`,
      );
      rows.push({
        what: 'peak RSS snapshot (MB)',
        size: n,
        ours: kbToMb(snapKb),
        ref: kbToMb(rawKb),
        ratio: null,
        goal: '≤ 400 MB',
      });
      if (planKb)
        rows.push({
          what: 'peak RSS plan (MB)',
          size: n,
          ours: kbToMb(planKb),
          ref: kbToMb(rawKb),
          ratio: null,
          goal: '≤ 400 MB',
        });
    }
  } finally {
    deleteNetns(ns);
  }
}

/**
 * Deadline → rules restored, seen from outside. The change adds a marker table that drops UDP to
 * 127.0.0.1:9999; a poller inside the namespace sends itself a datagram every 5 ms and notes when
 * the first one arrives: the moment the rollback transaction committed (it is atomic), at any size.
 * (Polling `nft list …` instead would cost a full fetch of the ruleset per poll: ~2 s at 50k rules.)
 */
function benchLateness(ns, state, n, resetFile, rawApplyMs, applyOursMs) {
  const file = join(work, `late-${n}.nft`);
  const marker =
    'table inet fwsafe_bench_marker { chain c { type filter hook input priority -200; policy accept; udp dport 9999 drop; }; }\n';
  writeFileSync(file, readFileSync(join(work, `proposal-${n}.nft`), 'utf8') + marker);
  inNs(ns, 'nft', ['-f', resetFile]);
  // The window must outlast apply itself, or the deadline passes while apply is still recording.
  const timeout = Math.max(3, Math.ceil((applyOursMs * 1.5) / 1000) + 3);
  const out = sh(node, fw(ns, state, ...applyArgs(file, timeout)));
  const deadline = Date.parse(JSON.parse(out.stdout).deadline);
  const poller = `
    const dgram = require('node:dgram');
    const s = dgram.createSocket('udp4');
    const stop = setTimeout(() => { console.log('none'); process.exit(0); }, ${deadline + 60_000} - Date.now());
    s.on('message', () => { console.log(Date.now()); clearTimeout(stop); process.exit(0); });
    s.bind(9999, '127.0.0.1', () => { setInterval(() => s.send('x', 9999, '127.0.0.1'), 5); });`;
  const r = inNs(ns, node, ['-e', poller], { allowFailure: true });
  const restoredAt = Number(r.stdout.trim());
  const late = Number.isFinite(restoredAt) && restoredAt > 0 ? restoredAt - deadline : NaN;
  const goal = n <= 500 ? '≤ 250 ms' : `≤ raw nft -f (${Math.round(rawApplyMs)} ms) + 250 ms`;
  console.log(
    `${'rollback lateness'.padEnd(34)} ${String(n).padStart(7)}  ${Math.round(late)} ms after the deadline  (goal ${goal})`,
  );
  rows.push({
    what: 'rollback lateness (ms)',
    size: n,
    ours: Math.round(late),
    ref: Math.round(rawApplyMs),
    ratio: null,
    goal,
  });
  sh(node, fw(ns, state, 'status'), { allowFailure: true });
}

/**
 * A one-table change on a host whose other tables are big: `own` is replaced (one rule changed), the
 * rest is foreign. plan --no-probes and apply --no-wait --no-probes against raw `nft -f` of the change.
 * Between applies the change is undone through fwsafe (apply of the reset, confirmed), so the nft
 * generation proves the foreign tables unchanged; one more apply follows a raw commit (no proof: the
 * versions list everything), the floor when the foreign tables move.
 */
function benchForeign(tag, { foreign, own, changed, label, size, goals }) {
  const ns = createNetns(tag);
  const state = mkdtempSync(join(work, 'state-'));
  try {
    const baseFile = join(work, `${tag}-base.nft`);
    writeFileSync(baseFile, foreign + own.text);
    const { ms: loadMs } = timeOnce('ip', ['netns', 'exec', ns, 'nft', '-f', baseFile]);
    console.log(`(${label}: loaded by nft -f in ${Math.round(loadMs)} ms)`);
    const proposal = join(work, `${tag}-proposal.nft`);
    const reset = join(work, `${tag}-reset.nft`);
    writeFileSync(proposal, replaceTable(own.family, own.name, changed));
    writeFileSync(reset, replaceTable(own.family, own.name, own.text));
    const planRaw = measure(REPS, () => inNs(ns, 'nft', ['-c', '-f', proposal]));
    const applyRaw = measure(
      REPS,
      () => inNs(ns, 'nft', ['-f', proposal]),
      () => inNs(ns, 'nft', ['-f', reset]),
    );
    inNs(ns, 'nft', ['-f', reset]);
    // The first version lists everything once (untimed): what a host with history has.
    sh(node, fw(ns, state, 'snapshot', '--json'));
    const planOurs = measure(REPS, () => sh(node, fw(ns, state, 'plan', proposal, '--no-probes', '--json')));
    const undo = () => {
      sh(node, fw(ns, state, 'confirm'), { allowFailure: true });
      sh(node, fw(ns, state, ...applyArgs(reset)));
      sh(node, fw(ns, state, 'confirm'), { allowFailure: true });
    };
    const applyOurs = measure(
      REPS,
      () => sh(node, fw(ns, state, ...applyArgs(proposal))),
      (i) => i > 0 && undo(),
    );
    undo();
    // A commit fwsafe did not make (kube-proxy's resync): nothing proves the foreign tables unchanged.
    inNs(ns, 'nft', ['-f', proposal]);
    inNs(ns, 'nft', ['-f', reset]);
    const { ms: applyUnproven } = timeOnce(node, fw(ns, state, ...applyArgs(proposal)));
    sh(node, fw(ns, state, 'confirm'), { allowFailure: true });
    row(`${label}: plan --no-probes vs nft -c -f`, size, planOurs, planRaw, goals[0]);
    row(`${label}: apply --no-wait vs nft -f`, size, applyOurs, applyRaw, goals[1]);
    row(`${label}: apply after a foreign commit`, size, applyUnproven, applyRaw, '(versions list all)');
  } finally {
    deleteNetns(ns);
  }
}

/** An iptables-nft host of n rules in 10 chains (INPUT jumps to each); the change rewrites one chain with one rule changed. */
function iptablesText(n, { variant = 0, only = null } = {}) {
  const chains = Array.from({ length: 10 }, (_, k) => `BENCH${k}`);
  const per = Math.ceil(n / 10);
  const rule = (k, i) =>
    `-A BENCH${k} -s 10.${k}.${(i >> 8) & 255}.${i & 255}/32 -p tcp -m tcp --dport ${k === 0 && i === 0 && variant ? 8443 : 1000 + (i % 50000)} -j ACCEPT`;
  if (only !== null)
    return `*filter\n:BENCH${only} - [0:0]\n${Array.from({ length: per }, (_, i) => rule(only, i)).join('\n')}\nCOMMIT\n`;
  return `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${chains.map((c) => `:${c} - [0:0]`).join('\n')}\n${chains.map((c) => `-A INPUT -j ${c}`).join('\n')}\n${chains.flatMap((_, k) => Array.from({ length: per }, (_, i) => rule(k, i))).join('\n')}\nCOMMIT\n`;
}

function benchIptables(n) {
  const ns = createNetns(`ipt${n}`);
  const state = mkdtempSync(join(work, 'state-'));
  try {
    const base = iptablesText(n);
    const proposal = join(work, `ipt-proposal-${n}.v4`);
    writeFileSync(proposal, iptablesText(n, { variant: 1, only: 0 }));
    const reset = () => inNs(ns, 'iptables-nft-restore', ['-w', '5'], { input: base });
    reset();
    const planRaw = measure(REPS, () =>
      inNs(ns, 'iptables-nft-restore', ['-w', '5', '--test', '--noflush'], { input: readFileSync(proposal, 'utf8') }),
    );
    const planOurs = measure(REPS, () =>
      sh(node, fw(ns, state, 'plan', proposal, '--no-probes', '--json'), { allowFailure: true }),
    );
    row('iptables plan --no-probes vs restore --test', n, planOurs, planRaw, '≤ 3× at 10k');
    const applyRaw = measure(
      REPS,
      () => inNs(ns, 'iptables-nft-restore', ['-w', '5', '--noflush'], { input: readFileSync(proposal, 'utf8') }),
      reset,
    );
    const applyOurs = measure(
      REPS,
      () => sh(node, fw(ns, state, ...applyArgs(proposal))),
      () => {
        sh(node, fw(ns, state, 'confirm'), { allowFailure: true });
        reset();
      },
    );
    sh(node, fw(ns, state, 'confirm'), { allowFailure: true });
    row('iptables apply --no-wait vs restore --noflush', n, applyOurs, applyRaw, '≤ 3× at 10k');
    iptablesFloor(ns, n, readFileSync(proposal, 'utf8'), applyRaw);
  } finally {
    deleteNetns(ns);
  }
}

/**
 * What a plan and an apply cannot do without, each step timed by itself with the programs fwsafe runs:
 * node's start, the CLI's imports, the listing and the save a snapshot (and a version) needs, the
 * scratch namespace (live table restored with counters, saved, the change run, saved again), a guard's
 * start-up. The floor is the sum along the longest path when the independent steps run side by side.
 */
function iptablesFloor(ns, n, change, applyRaw) {
  const reps = Math.min(REPS, 3);
  const nodeStart = measure(reps, () => sh(node, ['-e', '0']));
  const cliStart = measure(reps, () => sh(node, [BIN, 'plan', '--help']));
  const listing = measure(reps, () => inNs(ns, 'nft', ['-a', 'list', 'table', 'ip', 'filter']));
  const save = measure(reps, () => inNs(ns, 'iptables-nft-save', ['-c']));
  const live = inNs(ns, 'iptables-nft-save', ['-c']).stdout;
  const steps = { restore: [], saveBefore: [], change: [], saveAfter: [] };
  for (let i = 0; i < reps; i += 1) {
    const scratch = createNetns(`iptscratch${n}`);
    try {
      const time = (key, f) => {
        const t0 = performance.now();
        f();
        steps[key].push(performance.now() - t0);
      };
      time('restore', () => inNs(scratch, 'iptables-nft-restore', ['-c', '-w', '5'], { input: live }));
      time('saveBefore', () => inNs(scratch, 'iptables-nft-save', ['-c']));
      time('change', () => inNs(scratch, 'iptables-nft-restore', ['-w', '5', '--noflush'], { input: change }));
      time('saveAfter', () => inNs(scratch, 'iptables-nft-save', ['-c']));
    } finally {
      deleteNetns(scratch);
    }
  }
  const m = Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, median(v)]));
  const guard = measure(reps, () =>
    sh(node, [new URL('../../dist/src/watchdog/main.js', import.meta.url).pathname], { allowFailure: true }),
  );
  const scratchPath = save + m.restore + m.saveBefore + m.change + m.saveAfter;
  const planFloor = cliStart + Math.max(listing, scratchPath);
  const applyFloor = planFloor + guard + applyRaw + listing;
  const fmt = (x) => `${Math.round(x)} ms`;
  console.log(
    `iptables floor at ${n}: node ${fmt(nodeStart)}, CLI start ${fmt(cliStart)}, nft -a list table ${fmt(listing)}, ` +
      `iptables-nft-save -c ${fmt(save)}, scratch: restore -c ${fmt(m.restore)} + save ${fmt(m.saveBefore)} + ` +
      `change ${fmt(m.change)} + save ${fmt(m.saveAfter)}, a guard's imports ${fmt(guard)} → plan ≥ ${fmt(planFloor)}, apply ≥ ${fmt(applyFloor)}`,
  );
  rows.push({
    what: 'iptables floor (ms)',
    size: n,
    ours: Math.round(planFloor),
    ref: Math.round(applyFloor),
    ratio: null,
    goal: 'plan floor (ours), apply floor (ref)',
    components: Object.fromEntries(
      Object.entries({ nodeStart, cliStart, listing, save, ...m, guard, applyRaw }).map(([k, v]) => [k, Math.round(v)]),
    ),
  });
}

function benchSet() {
  const ns = createNetns('set');
  const state = mkdtempSync(join(work, 'state-'));
  try {
    const file = join(work, 'set.nft');
    writeFileSync(file, setTableText('blocklist', SET_SIZE));
    const { ms: loadMs } = timeOnce('ip', ['netns', 'exec', ns, 'nft', '-f', file]);
    const snapRaw = measure(Math.min(REPS, 3), () => inNs(ns, 'nft', ['-j', 'list', 'ruleset']));
    const snapOurs = measure(Math.min(REPS, 3), () => sh(node, fw(ns, state, 'snapshot')));
    console.log(`(set of ${SET_SIZE} elements loaded by nft -f in ${Math.round(loadMs)} ms)`);
    row('snapshot, interval set', SET_SIZE, snapOurs, snapRaw, '≤ 1.5×');
  } finally {
    deleteNetns(ns);
  }
}

function benchColdStart() {
  const ref = measure(REPS * 2, () => sh(node, ['-e', '0']));
  const help = measure(REPS * 2, () => sh(node, [BIN, '--help']));
  row('fwsafe --help cold start vs node -e 0', '-', help, ref, '≤ 2.5×');
  if (hasCommand('status')) {
    const state = mkdtempSync(join(work, 'state-'));
    const status = measure(REPS * 2, () => sh(node, [BIN, 'status', '--state-dir', state], { allowFailure: true }));
    row('fwsafe status cold start vs node -e 0', '-', status, ref, '≤ 2.5×');
  }
  if (hasCommand('confirm')) {
    const state = mkdtempSync(join(work, 'state-'));
    const confirm = measure(REPS * 2, () => sh(node, [BIN, 'confirm', '--state-dir', state], { allowFailure: true }));
    row('fwsafe confirm cold start vs node -e 0', '-', confirm, ref, '≤ 1.5×');
  }
}

// N declared flow classes on a routed 500-rule host: half inbound TCP, then outbound UDP and TCP, forwarded
// TCP, inbound ICMP. plan --flows replays them (at most 48 inbound and 48 others; the rest is listed).
function flowsFile(n) {
  const lines = [];
  for (let i = 0; lines.length < n; i += 1) {
    const k = i % 10;
    if (k < 5) lines.push(`tcp from 10.81.${i % 250}.0/24 to :${9000 + i}`);
    else if (k < 7) lines.push(`udp to 10.82.${Math.floor(i / 250)}.${(i % 250) + 2}:${5300 + i} out`);
    else if (k < 8) lines.push(`tcp to 10.83.${Math.floor(i / 250)}.${(i % 250) + 2}:${6000 + i} out`);
    else if (k < 9) lines.push(`tcp from 10.84.${i % 250}.0/24 to 10.85.0.${(i % 250) + 2}:8080 forward`);
    else lines.push(`icmp from 10.86.${i % 250}.0/24 to 10.80.0.1 in`);
  }
  return `${lines.join('\n')}\n`;
}

function benchFlows(n) {
  const ns = createNetns('flows');
  const state = mkdtempSync(join(work, 'state-'));
  try {
    inNs(ns, 'ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1']);
    inNs(ns, 'ip', ['addr', 'add', '10.80.0.1/16', 'dev', 'eth0']);
    for (const d of ['eth0', 'eth1']) inNs(ns, 'ip', ['link', 'set', d, 'up']);
    inNs(ns, 'ip', ['route', 'add', 'default', 'via', '10.80.0.2', 'dev', 'eth0', 'onlink']);
    inNs(ns, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    const baseFile = join(work, 'flows-base.nft');
    writeFileSync(baseFile, tableText('bench', 500));
    inNs(ns, 'nft', ['-f', baseFile]);
    const proposalFile = join(work, 'flows-proposal.nft');
    writeFileSync(proposalFile, replaceTable('inet', 'bench', tableText('bench', 500, { variant: 1 })));
    const file = join(work, 'flows');
    writeFileSync(file, flowsFile(n));
    const reps = Math.min(REPS, 3);
    const without = measure(reps, () =>
      sh(node, fw(ns, state, 'plan', proposalFile, '--json'), { allowFailure: true }),
    );
    const withFlows = measure(reps, () =>
      sh(node, fw(ns, state, 'plan', proposalFile, '--flows-file', file, '--json'), { allowFailure: true }),
    );
    row(`plan --flows (${n} flow classes) vs plan`, 500, withFlows, without, '≤ +3 s');
    console.log(`(plan --flows costs ${Math.round(withFlows - without)} ms more for ${n} declared flow classes)`);
  } finally {
    deleteNetns(ns);
  }
}

const mb = (kb) => (kb ? `${Math.round(kb / 1024)} MB` : 'n/a');
const kbToMb = (kb) => (kb ? Math.round(kb / 1024) : null);

try {
  console.log(
    `fwsafe benchmark${quick ? ' (quick mode: figures are not meaningful)' : ''}: ${cpus().length} cores, Node ${process.version}, ${sh('nft', ['--version']).stdout.trim()}`,
  );
  const adminTable = (p) =>
    `table inet admin {\n  chain input {\n    type filter hook input priority 0; policy accept;\n    tcp dport ${p} accept\n  }\n}\n`;
  if (k8sCase)
    benchForeign('k8s', {
      foreign: tableText('kube', 50_000).replace('table inet kube', 'table ip kube-proxy'),
      own: { family: 'inet', name: 'admin', text: adminTable(22) },
      changed: adminTable(2222),
      label: 'Kubernetes-like node',
      size: '50k+1',
      goals: ['≤ 1 s', '≤ 1.5 s'],
    });
  if (manyTablesCase)
    benchForeign('many', {
      foreign: Array.from({ length: 39 }, (_, i) => tableText(`t${i + 1}`, 2_500)).join(''),
      own: { family: 'inet', name: 't0', text: tableText('t0', 2_500) },
      changed: tableText('t0', 2_500, { variant: 1 }),
      label: '40 tables × 2,500 rules',
      size: '100k',
      goals: ['≤ 3 s', '≤ 3 s'],
    });
  if (k8sCase || manyTablesCase) {
    // only the opt-in cases
  } else if (flowsOnly) benchFlows(FLOWS);
  else if (!iptablesOnly) {
    benchColdStart();
    for (const n of SIZES) benchSize(n);
    benchSet();
  }
  const optIn = k8sCase || manyTablesCase || flowsOnly;
  if (!optIn) for (const n of SIZES.filter((x) => x <= 10_000)) benchIptables(n);
  if (!optIn && !iptablesOnly && args.includes('--flows')) benchFlows(FLOWS);
  if (write && !quick)
    writeFileSync(
      new URL(
        k8sCase || manyTablesCase
          ? '../../docs/performance-figures-foreign.json'
          : '../../docs/performance-figures.json',
        import.meta.url,
      ),
      `${JSON.stringify({ date: new Date().toISOString(), node: process.version, reps: REPS, rows }, null, 2)}\n`,
    );
} finally {
  rmSync(work, { recursive: true, force: true });
}

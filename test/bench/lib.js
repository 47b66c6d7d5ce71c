// Helpers for the benchmark: namespaces, timing (median of runs), ruleset generators.
import { spawnSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';

export const BIN = new URL('../../bin/run.js', import.meta.url).pathname;

export function sh(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...options });
  if (r.status !== 0 && !options.allowFailure) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr || '').slice(0, 500)}`);
  }
  return r;
}

export function createNetns(tag) {
  const name = `fwsafe-bench-${tag}-${process.pid}-${randomBytes(2).toString('hex')}`;
  sh('ip', ['netns', 'add', name]);
  sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

export function deleteNetns(name) {
  if (!name.startsWith('fwsafe-bench-')) throw new Error(`not a bench namespace: ${name}`);
  spawnSync('ip', ['netns', 'del', name]);
}

export function inNs(ns, cmd, args, options) {
  return sh('ip', ['netns', 'exec', ns, cmd, ...args], options);
}

/** Wall time of one run, in ms. */
export function timeOnce(cmd, args, options = {}) {
  const t0 = performance.now();
  const r = sh(cmd, args, options);
  return { ms: performance.now() - t0, result: r };
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median wall time over `reps` runs; `before` runs untimed before each rep (to reset state). */
export function measure(reps, fn, before) {
  const times = [];
  for (let i = 0; i < reps; i += 1) {
    if (before) before(i);
    const t0 = performance.now();
    fn(i);
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** Peak RSS (KB) of a command, via GNU time when installed. */
export function peakRssKb(cmd, args) {
  if (!existsSync('/usr/bin/time')) return null;
  const r = sh('/usr/bin/time', ['-f', '%M', cmd, ...args], { allowFailure: true });
  const last = r.stderr.trim().split('\n').at(-1);
  return Number(last) || null;
}

/** A table of `n` rules in `chains` chains (the shape of a large host ruleset). */
export function tableText(name, n, { chains = 10, variant = 0 } = {}) {
  const per = Math.ceil(n / chains);
  const out = [`table inet ${name} {`];
  out.push(
    '  chain input {',
    '    type filter hook input priority 0; policy accept;',
    '    ct state established,related accept',
  );
  for (let c = 0; c < chains; c += 1) out.push(`    jump c${c}`);
  out.push('  }');
  let made = 0;
  for (let c = 0; c < chains; c += 1) {
    out.push(`  chain c${c} {`);
    for (let i = 0; i < per && made < n; i += 1, made += 1) {
      const k = made + variant;
      out.push(
        `    ip saddr 10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255} tcp dport ${1024 + (k % 50000)} counter accept`,
      );
    }
    out.push('  }');
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}

/** A table holding one interval set of `n` elements (a fail2ban/crowdsec-style blocklist). */
export function setTableText(name, n) {
  const elems = [];
  for (let i = 0; i < n; i += 1) elems.push(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  return [
    `table inet ${name} {`,
    '  set blocklist { type ipv4_addr; flags interval;',
    `    elements = { ${elems.join(', ')} }`,
    '  }',
    '  chain input { type filter hook input priority -10; policy accept;',
    '    ip saddr @blocklist counter drop',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Scoped replacement of one table: what fwsafe recommends instead of `flush ruleset`. */
export function replaceTable(family, name, body) {
  return `table ${family} ${name}\ndelete table ${family} ${name}\n${body}`;
}

export function startBackground(cmd, args) {
  return spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `apply FILE` as the bench times it: detached, no question, no probes, a window longer than any run. */
export const applyArgs = (file, timeout = 600) => [
  'apply',
  file,
  '--no-wait',
  '--yes',
  '--force',
  '--no-probes',
  '--timeout',
  String(timeout),
  '--json',
];

#!/usr/bin/env node
// A/B of two builds on the same one-table apply, alternated run by run in the same minutes (the machine's
// load moves figures by 2x; only alternation compares builds). Each build has its own namespace and state
// dir, so each keeps its nft generation proof. DEBUG=fwsafe output of every run is kept (phases).
// Usage: node test/bench/ab.js --bins OLD/bin/run.js,NEW/bin/run.js --case many|k8s|small [--reps N] [--prof] [--foreign]
//   many: 40 tables x 2,500 rules, one table replaced; k8s: 50k-rule foreign table + a 1-rule own table;
//   small: one 500-rule table. OLD is a copy of an earlier build (bin, dist, package.json, oclif.manifest.json,
//   rulesets, node_modules) in a root-owned directory. --prof writes a CPU profile per run. --foreign: two raw
//   commits before each apply (a commit fwsafe did not make: nothing proves the other tables unchanged).
import { mkdtempSync, writeFileSync, appendFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyArgs, createNetns, deleteNetns, inNs, sh, tableText, replaceTable, timeOnce } from './lib.js';
const args = process.argv.slice(2);
const arg = (n, f) => {
  const i = args.indexOf(n);
  return i === -1 ? f : args[i + 1];
};
const bins = arg('--bins', '').split(',');
const reps = Number(arg('--reps', 3));
const kase = arg('--case', 'many');
const work = mkdtempSync(join(tmpdir(), 'fwsafe-ab-'));
const out = arg('--out', join(work, 'log.txt'));
const adminTable = (p) =>
  `table inet admin {\n  chain input {\n    type filter hook input priority 0; policy accept;\n    tcp dport ${p} accept\n  }\n}\n`;
let foreign, own, changed;
if (kase === 'many') {
  foreign = Array.from({ length: 39 }, (_, i) => tableText(`t${i + 1}`, 2_500)).join('');
  own = { family: 'inet', name: 't0', text: tableText('t0', 2_500) };
  changed = tableText('t0', 2_500, { variant: 1 });
} else if (kase === 'k8s') {
  foreign = tableText('kube', 50_000).replace('table inet kube', 'table ip kube-proxy');
  own = { family: 'inet', name: 'admin', text: adminTable(22) };
  changed = adminTable(2222);
} else {
  // small: 500 rules in the touched table
  foreign = '';
  own = { family: 'inet', name: 'bench', text: tableText('bench', 500) };
  changed = tableText('bench', 500, { variant: 1 });
}
const base = join(work, 'base.nft'),
  proposal = join(work, 'proposal.nft'),
  reset = join(work, 'reset.nft');
writeFileSync(base, foreign + own.text);
writeFileSync(proposal, replaceTable(own.family, own.name, changed));
writeFileSync(reset, replaceTable(own.family, own.name, own.text));
const log = (s) => {
  console.log(s);
  appendFileSync(out, `${s}\n`);
};
const sides = bins.map((bin, i) => ({
  bin,
  ns: createNetns(`ab${i}`),
  state: mkdtempSync(join(work, `state${i}-`)),
  times: [],
}));
const fw = (s, ...rest) => [s.bin, '--netns', s.ns, '--state-dir', s.state, ...rest];
try {
  for (const s of sides) {
    const { ms } = timeOnce('ip', ['netns', 'exec', s.ns, 'nft', '-f', base]);
    log(`${s.bin}: loaded in ${Math.round(ms)} ms`);
    sh(process.execPath, fw(s, 'snapshot', '--json'));
  }
  let file = proposal;
  for (let r = 0; r < reps * 2; r += 1) {
    const order = r % 2 ? [...sides].reverse() : sides;
    for (const s of order) {
      // --foreign: two raw commits first (the ruleset as it was, the generation moved): no proof, every table listed.
      if (args.includes('--foreign')) {
        inNs(s.ns, 'nft', ['-f', file]);
        inNs(s.ns, 'nft', ['-f', file === proposal ? reset : proposal]);
      }
      const load = loadavg()[0].toFixed(1);
      const { ms, result } = timeOnce(
        process.execPath,
        [
          ...(args.includes('--prof') ? ['--cpu-prof', `--cpu-prof-dir=${work}/prof-${r}`] : []),
          ...fw(s, ...applyArgs(file)),
        ],
        { env: { ...process.env, DEBUG: 'fwsafe' } },
      );
      writeFileSync(join(work, `debug-${sides.indexOf(s)}-${r}.txt`), result.stderr);
      s.times.push(ms);
      log(`rep ${r} ${s.bin.split('/').slice(-3, -2)[0]} apply ${Math.round(ms)} ms load ${load}`);
      sh(process.execPath, fw(s, 'confirm'), { allowFailure: true });
    }
    file = file === proposal ? reset : proposal;
  }
  const med = (v) => {
    const x = [...v].sort((a, b) => a - b);
    const m = x.length >> 1;
    return x.length % 2 ? x[m] : (x[m - 1] + x[m]) / 2;
  };
  for (const s of sides)
    log(`${s.bin}: median ${Math.round(med(s.times))} ms of ${s.times.length} [${s.times.map(Math.round).join(', ')}]`);
  log(`debug logs in ${work}`);
} finally {
  for (const s of sides) deleteNetns(s.ns);
}

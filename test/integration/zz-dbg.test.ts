import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);
import { writeFileSync } from 'node:fs';
import { it } from 'vitest';
import { buildLab, startTraffic, refreshTraffic, removeLab, FLOWS_FILE, observe } from '../helpers/flow-lab.js';
import { fwsafe } from '../helpers/cli.js';
it('dbg', async () => {
const lab = await buildLab('dbg');
try {
  startTraffic(lab);
  writeFileSync('/tmp/x16/flows', FLOWS_FILE);
  let t0 = Date.now();
  console.log('observe base', [...observe(lab)].join(','), Date.now() - t0);
  for (const f of (process.env.FILES ?? '').split(' ').filter(Boolean)) {
    refreshTraffic(lab);
    t0 = Date.now();
    const r = fwsafe(['--netns', lab.ns.host, 'plan', f, '--flows-file', '/tmp/x16/flows', '--json'], { env: { DEBUG: process.env.DBG ?? '', FWX: process.env.FWX ?? '' } });
    console.log(f, Date.now() - t0, 'ms', r.status); require('node:fs').writeFileSync('/tmp/x16/stderr.txt', r.stderr);
    for (const x of r.json?.findings ?? []) console.log(' ', x.severity, x.code, x.message, JSON.stringify(x.location));
    if (!r.json) console.log(r.stderr.slice(-3000));
  }
  if (process.env.FLOWS) console.log(fwsafe(['--netns', lab.ns.host, 'flows', '--flows', '/tmp/x16/flows']).stdout);
} finally { removeLab(lab); }
}, 300000);

import { resolve } from 'node:path';
import type { LabRecordT } from './schema.js';

/** What a newcomer can try next in the lab, comments aligned. */
export function tryCommands(lab: LabRecordT): string[] {
  // The lab's own state directory: its versions must never mix with the host's.
  const state = `--state-dir ${resolve(lab.dir, '..', '..')}`;
  const s = `fwsafe --netns ${lab.serverNetns} ${state}`;
  const rows: [string, string][] = [
    [`${s} detect`, 'backends, owners, warnings'],
    [`${s} snapshot -m "first look"`, 'version 1'],
    [`${s} apply rulesets/baseline.nft --no-wait`, 'a baseline firewall under a dead-man switch…'],
    [`fwsafe ${state} confirm`, '…kept (on a real host: confirm from a NEW ssh session)'],
    [`${s} plan rulesets/web-open-443.nft`, 'diff, counters at risk, findings'],
    [`${s} apply rulesets/web-open-443.nft`, 'then type the code shown to keep it'],
    [`${s} plan rulesets/lockout-demo.nft`, 'see fwsafe predict a lockout'],
    [`fwsafe lab ssh ${lab.name}`, 'a real SSH session into the server'],
    [`fwsafe lab down ${lab.name}`, 'remove it all'],
  ];
  const width = Math.max(...rows.map(([c]) => c.length));
  return ['Try:', ...rows.map(([c, why]) => `  ${c.padEnd(width)}  # ${why}`)];
}

import type { LabRecordT } from './schema.js';

/** What a newcomer can try next in the lab. */
export function tryCommands(lab: LabRecordT): string[] {
  const s = `fwsafe --netns ${lab.serverNetns}`;
  return [
    'Try:',
    `  ${s} detect`,
    `  ${s} snapshot -m "first look"`,
    `  ${s} plan rulesets/baseline.nft`,
    `  ${s} apply rulesets/baseline.nft        # then confirm with the code shown`,
    `  ${s} plan rulesets/lockout-demo.nft     # see fwsafe predict the lockout`,
    `  fwsafe lab ssh ${lab.name}                       # a real SSH session into the server`,
    `  fwsafe lab down ${lab.name}`,
  ];
}

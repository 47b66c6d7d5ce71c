import type { LabRecordT } from './schema.js';

/** What a newcomer can try next in the lab. */
export function tryCommands(lab: LabRecordT): string[] {
  const s = `fwsafe --netns ${lab.serverNetns}`;
  return [
    'Try:',
    `  ${s} detect`,
    `  ${s} snapshot -m "first look"`,
    `  ${s} apply rulesets/baseline.nft --no-wait   # a baseline firewall under a dead-man switch…`,
    `  fwsafe confirm                                        # …kept (on a real host: confirm from a NEW ssh session)`,
    `  ${s} plan rulesets/web-open-443.nft          # diff, counters at risk, findings`,
    `  ${s} apply rulesets/web-open-443.nft         # then type the code shown to keep it`,
    `  ${s} plan rulesets/lockout-demo.nft          # see fwsafe predict a lockout`,
    `  fwsafe lab ssh ${lab.name}                            # a real SSH session into the server`,
    `  fwsafe lab down ${lab.name}`,
  ];
}

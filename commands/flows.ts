import { Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import type { FlowsResultT } from '../src/contracts/flows.js';

export default class Flows extends BaseCommand {
  static summary =
    'Show the flows a firewall change could cut: live connections grouped into classes, listening services, declared flows.';
  static examples = [
    '<%= config.bin %> flows',
    '<%= config.bin %> --netns lab-server flows --flows /etc/fwsafe/flows --json',
  ];
  static flags = {
    flows: Flags.string({
      description: 'The flows file (default /etc/fwsafe/flows when it exists); format in docs/flows.md.',
    }),
    top: Flags.integer({ description: 'Keep the N biggest flow classes.', default: 256, min: 1, max: 100_000 }),
  };

  async run(): Promise<FlowsResultT> {
    const { flags } = await this.parse(Flows);
    const { collectInventory } = await import('../src/flows/inventory.js');
    const inventory = await collectInventory({
      netns: this.checkNetns(flags.netns),
      flowsFile: flags.flows ?? null,
      top: flags.top,
    });
    if (!this.jsonEnabled()) {
      const { renderInventory } = await import('../src/flows/render.js');
      this.log(renderInventory(inventory));
    }
    return inventory;
  }
}

import { Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import type { ExportResultT } from '../src/contracts/export.js';

export default class Export extends BaseCommand {
  static summary =
    'Export the live ruleset (every backend) as a base for reviewing a change elsewhere: plan --against FILE.';
  static examples = [
    '<%= config.bin %> export --out base.json',
    '<%= config.bin %> --netns lab-server export > base.json',
  ];
  static flags = {
    out: Flags.string({ description: 'Write the export to this file (0600) instead of standard output.' }),
  };

  async run(): Promise<ExportResultT> {
    const { flags } = await this.parse(Export);
    const { createExport } = await import('../src/export/create-export.js');
    const { writeExportFile } = await import('../src/export/export-file.js');
    const doc = await createExport(this.checkNetns(flags.netns));
    if (!flags.out) {
      // The document is the output, with or without --json: nothing else goes to stdout.
      if (!this.jsonEnabled()) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      return doc;
    }
    writeExportFile(flags.out, doc);
    this.say(
      `Exported the live ruleset (${doc.hash.slice(0, 12)}) to ${flags.out}: plan against it with fwsafe plan FILE --against ${flags.out}`,
    );
    return { out: flags.out, hash: doc.hash, summary: doc.summary };
  }
}

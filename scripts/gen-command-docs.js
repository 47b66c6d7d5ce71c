// Generates docs/commands.md, the command reference, from oclif.manifest.json (written by the build),
// so it cannot drift from the flags the code declares. `--check` exits 1 when the file is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8'));
const target = join(root, 'docs', 'commands.md');
const GLOBAL = new Set(['json', 'netns', 'state-dir']);

const usage = (c) => {
  const args = Object.values(c.args ?? {}).map((a) =>
    a.required ? a.name.toUpperCase() : `[${a.name.toUpperCase()}]`,
  );
  return ['fwsafe', c.id.replace(/:/g, ' '), ...args, '[FLAGS]'].join(' ');
};
const flagName = (f) =>
  `${f.char ? `-${f.char}, ` : ''}--${f.name}${f.type === 'option' ? ` ${(f.helpValue ?? 'VALUE').toString().replace(/[<>]/g, '')}` : ''}`;
const cell = (s) =>
  String(s ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');

const out = [
  '# Command reference',
  '',
  "Generated from the CLI's manifest by `npm run docs:commands` (a test fails when it is stale). Every command",
  'also takes the global flags `--netns NAME`, `--state-dir DIR` and `--json`; exit codes are in',
  '[exit-codes.md](exit-codes.md), `--json` schemas in [schemas/](schemas/).',
  '',
];
const ids = Object.keys(manifest.commands).sort();
out.push(ids.map((id) => `- [\`fwsafe ${id.replace(/:/g, ' ')}\`](#fwsafe-${id.replace(/:/g, '-')})`).join('\n'), '');
for (const id of ids) {
  const c = manifest.commands[id];
  out.push(`## fwsafe ${id.replace(/:/g, ' ')}`, '', c.summary ?? c.description ?? '', '', '```', usage(c), '```', '');
  const args = Object.values(c.args ?? {});
  if (args.length > 0) {
    out.push('| argument | description |', '|---|---|');
    for (const a of args)
      out.push(`| \`${a.name.toUpperCase()}\`${a.required ? '' : ' (optional)'} | ${cell(a.description)} |`);
    out.push('');
  }
  const flags = Object.values(c.flags ?? {})
    .filter((f) => !GLOBAL.has(f.name) && !f.hidden)
    .sort((a, b) => a.name.localeCompare(b.name));
  if (flags.length > 0) {
    out.push('| flag | description |', '|---|---|');
    for (const f of flags) {
      const extra = [
        f.multiple ? 'repeatable' : null,
        f.default !== undefined && f.default !== '' && f.type === 'option' ? `default ${f.default}` : null,
        f.options ? `one of ${f.options.join(', ')}` : null,
      ].filter(Boolean);
      out.push(`| \`${flagName(f)}\` | ${cell(f.description)}${extra.length ? ` (${extra.join('; ')})` : ''} |`);
    }
    out.push('');
  }
  const examples = (c.examples ?? [])
    .map((e) => (typeof e === 'string' ? e : e.command))
    .map((e) => e.replace(/<%= config.bin %>/g, 'fwsafe'));
  if (examples.length > 0) out.push('```sh', ...examples, '```', '');
}
const text = out.join('\n');
let current = '';
try {
  current = readFileSync(target, 'utf8');
} catch {
  // new
}
if (process.argv.includes('--check')) {
  if (current !== text) {
    console.error('stale: docs/commands.md (run: npm run docs:commands)');
    process.exit(1);
  }
} else if (current !== text) {
  writeFileSync(target, text);
}

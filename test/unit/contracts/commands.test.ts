import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ROOT } from '../../helpers/cli.js';

const COMMANDS = join(ROOT, 'commands');
const CONTRACTS = join(ROOT, 'src', 'contracts');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'contracts');

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
// commands/lab/demo.ts is `fwsafe lab demo`, its contract src/contracts/lab-demo.ts.
const commands = files(COMMANDS).map((f) => ({
  file: f,
  contract: relative(COMMANDS, f).replace(/\.ts$/, '').replaceAll('/', '-'),
}));
const contracts = readdirSync(CONTRACTS)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.replace(/\.ts$/, ''));

describe('command contracts', () => {
  it.each(commands)(
    "$contract: run() returns its contract's z.infer type, imported from src/contracts",
    ({ file, contract }) => {
      const text = readFileSync(file, 'utf8');
      const result = /async run\(\): Promise<(\w+)>/.exec(text)?.[1];
      expect(result, `${file}: run() must return Promise<ResultT>`).toBeDefined();
      const from = new RegExp(`import type \\{ ${result} \\} from '(\\.\\./)+src/contracts/${contract}\\.js';`);
      expect(text, `${file} imports ${result} from src/contracts/${contract}.ts`).toMatch(from);
      const source = readFileSync(join(CONTRACTS, `${contract}.ts`), 'utf8');
      expect(source).toContain(`export type ${result} = z.infer<typeof schema>;`);
    },
  );

  it('every contract belongs to a command (or is the error shape every command shares)', () => {
    expect(contracts.sort()).toEqual([...commands.map((c) => c.contract), 'error'].sort());
  });

  it('every contract is checked against real output: a test calls expectContract(NAME) or a stored fixture exists', () => {
    const tests = files(join(ROOT, 'test'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const unchecked = contracts.filter(
      (name) => !tests.includes(`expectContract('${name}'`) && !existsSync(join(FIXTURES, `${name}.json`)),
    );
    expect(unchecked).toEqual([]);
  });

  it.each(readdirSync(FIXTURES).filter((f) => f.endsWith('.json')))(
    'fixture %s (real output, see its README) parses with its contract',
    async (fixture) => {
      const mod = (await import(`../../../src/contracts/${fixture.replace(/\.json$/, '')}.ts`)) as {
        schema: z.ZodType;
      };
      const parsed = mod.schema.safeParse(JSON.parse(readFileSync(join(FIXTURES, fixture), 'utf8')));
      expect(parsed.error?.issues ?? []).toEqual([]);
    },
  );
});

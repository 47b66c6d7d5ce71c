import { expect } from 'vitest';
import type { z } from 'zod';

/** Asserts that a command's --json output matches its published contract (src/contracts/NAME.ts). */
export async function expectContract(name: string, value: unknown): Promise<void> {
  const mod = (await import(`../../src/contracts/${name}.ts`)) as { schema: z.ZodType };
  const parsed = mod.schema.safeParse(value);
  if (!parsed.success) {
    expect.fail(
      `--json output of "${name}" breaks its contract: ${JSON.stringify(parsed.error.issues.slice(0, 5), null, 1)}`,
    );
  }
}

import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { run } from '../../../src/run/runner.js';

const tempParent = (): string => (process.getuid?.() === 0 ? '/run/fwsafe/tmp' : tmpdir());
const captureDirs = (): string[] =>
  (existsSync(tempParent()) ? readdirSync(tempParent()) : []).filter((n) => n.startsWith('fwsafe-out-'));

describe('run', () => {
  it('collects stdout through a private file exactly as through a pipe, and removes the file', async () => {
    const before = captureDirs().length;
    const piped = await run('seq', ['1', '200000']);
    const filed = await run('seq', ['1', '200000'], { stdoutToFile: true });
    expect(filed.exitCode).toBe(0);
    expect(filed.stdout).toBe(piped.stdout);
    expect(filed.stdout.split('\n')).toHaveLength(200001);
    expect(captureDirs()).toHaveLength(before);
  });

  it('output over maxBuffer is a failure either way, never a silently cut result', async () => {
    for (const stdoutToFile of [false, true]) {
      const r = await run('seq', ['1', '100000'], { stdoutToFile, maxBuffer: 1000, allowFailure: true });
      expect(r.exitCode).toBeNull();
      expect(r.stdout.length).toBeLessThanOrEqual(1000);
      expect(r.stderr).toContain('larger than 1000 bytes');
    }
    await expect(run('seq', ['1', '100000'], { stdoutToFile: true, maxBuffer: 1000 })).rejects.toThrow();
  });

  it('a failing program reports its exit code and stderr with a captured stdout', async () => {
    const r = await run('ls', ['/nonexistent-fwsafe-path'], { stdoutToFile: true, allowFailure: true });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/nonexistent-fwsafe-path/);
    expect(r.stdout).toBe('');
  });
});

describe('child environment', () => {
  it("passes a system PATH and C locale, not the caller's loader or Node variables", async () => {
    const { childEnv } = await import('../../../src/run/env.js');
    const env = childEnv(
      { NO_COLOR: '1' },
      { PATH: '/home/u/bin', LD_PRELOAD: '/tmp/x.so', NODE_OPTIONS: '--require /tmp/x', HOME: '/root', LANG: 'xx' },
    );
    expect(env).toEqual({
      PATH: '/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/sbin:/usr/local/bin',
      LC_ALL: 'C',
      HOME: '/root',
      NO_COLOR: '1',
    });
    const r = await run('env', []);
    expect(r.stdout).not.toMatch(/^(LD_|NODE_OPTIONS)/m);
  });
});

describe('readTextFile', () => {
  it('reads ASCII and UTF-8 text alike', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { readTextFile } = await import('../../../src/state/read-text.js');
    const dir = mkdtempSync(join(tmpdir(), 'fwsafe-rt-'));
    try {
      for (const text of ['table inet filter { }\n', 'comment "café – ü ✓"\n', '']) {
        writeFileSync(join(dir, 'f'), text);
        expect(readTextFile(join(dir, 'f'))).toBe(text);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('remoteCommand (ssh)', () => {
  it('quotes every word so a POSIX shell gets exactly the argv back', async () => {
    const { remoteCommand } = await import('../../../src/lab/remote-command.js');
    const words = [
      '/usr/bin/node',
      '/tmp/state dir',
      "it's",
      '$(touch /tmp/fwsafe-pwned)',
      'a;b',
      '`id`',
      'line\nbreak',
      '',
      '--state-dir=/x y',
    ];
    const r = await run('sh', ['-c', `printf '%s\\0' ${remoteCommand(words)}`]);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(words);
    expect(remoteCommand(['/usr/bin/node', 'confirm'])).toBe('/usr/bin/node confirm');
  });
});

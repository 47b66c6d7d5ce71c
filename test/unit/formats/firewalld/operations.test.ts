import { describe, expect, it } from 'vitest';
import { looksLikeFirewalld, opArgv, parseFirewalldProposal } from '../../../../src/formats/firewalld/operations.js';
import { tokenizeLine } from '../../../../src/formats/firewalld/tokenize.js';
import { recogniseProposal } from '../../../../src/formats/registry.js';
import type { FwsafeError } from '../../../../src/errors.js';

const parse = (text: string) => parseFirewalldProposal(text, 'p.firewalld');
const refusal = (text: string): FwsafeError => {
  try {
    parse(text);
  } catch (error) {
    return error as FwsafeError;
  }
  throw new Error(`accepted: ${text}`);
};

describe('firewalld proposal: tokenizer (shell quoting, no shell)', () => {
  it('splits like a shell: quotes, escapes, comments', () => {
    expect(
      tokenizeLine(`--zone=public --add-rich-rule='rule family="ipv4" source address="192.0.2.0/24" accept'`),
    ).toEqual({
      ok: true,
      words: ['--zone=public', '--add-rich-rule=rule family="ipv4" source address="192.0.2.0/24" accept'],
    });
    expect(tokenizeLine(`--add-rich-rule="rule family=\\"ipv4\\" drop" # why`)).toEqual({
      ok: true,
      words: ['--add-rich-rule=rule family="ipv4" drop'],
    });
    expect(tokenizeLine('--zone public\\ zone')).toEqual({ ok: true, words: ['--zone', 'public zone'] });
  });
  it('refuses what a shell would interpret', () => {
    for (const line of [
      '--add-service=$(id)',
      '--add-service=`id`',
      '--add-service=http; reboot',
      '--add-service=http | sh',
      '--add-service="$HOME"',
      "--add-service='http",
      '--add-service=http \\',
    ]) {
      expect(tokenizeLine(line).ok, line).toBe(false);
    }
  });
});

describe('firewalld proposal: operations', () => {
  it('parses each kind of operation, with or without firewall-cmd and --zone', () => {
    const ops = parse(
      [
        '# comment',
        '',
        '--zone=public --add-service=https',
        'firewall-cmd --zone public --remove-service cockpit',
        '--add-port=8080-8081/tcp',
        "--zone=internal --add-rich-rule='rule family=ipv4 source address=192.0.2.0/24 service name=ssh accept'",
        '--zone=internal --change-source=10.0.0.0/8',
        '--zone=dmz --add-masquerade',
        '--zone=dmz --add-forward-port=port=80:proto=tcp:toport=8080:toaddr=192.0.2.9',
        '--policy=allow-host-ipv6 --add-service=http',
        '--set-default-zone=internal',
      ].join('\n'),
    );
    expect(ops.map((o) => [o.line, o.action, o.item, o.value])).toEqual([
      [3, 'add', 'service', 'https'],
      [4, 'remove', 'service', 'cockpit'],
      [5, 'add', 'port', '8080-8081/tcp'],
      [6, 'add', 'rich-rule', 'rule family=ipv4 source address=192.0.2.0/24 service name=ssh accept'],
      [7, 'change', 'source', '10.0.0.0/8'],
      [8, 'add', 'masquerade', null],
      [9, 'add', 'forward-port', 'port=80:proto=tcp:toport=8080:toaddr=192.0.2.9'],
      [10, 'add', 'service', 'http'],
      [11, 'set', 'default-zone', 'internal'],
    ]);
    expect(ops[2]!.scope).toEqual({ kind: 'zone', name: null });
    expect(opArgv({ ...ops[3]!, scope: { kind: 'zone', name: 'internal' } })).toEqual([
      '--zone=internal',
      '--add-rich-rule=rule family=ipv4 source address=192.0.2.0/24 service name=ssh accept',
    ]);
    expect(opArgv(ops[5]!)).toEqual(['--zone=dmz', '--add-masquerade']);
    expect(opArgv(ops[8]!)).toEqual(['--set-default-zone=internal']);
  });

  // The bad-input corpus: each a clear error naming the line and why (nothing is run for any of them).
  const CORPUS: [string, string, RegExp][] = [
    ['--permanent', '--permanent --zone=public --add-service=https', /--permanent is refused.*on confirm/],
    ['runtime-to-permanent', '--runtime-to-permanent', /other people's included/],
    ['reload', '--zone=public --add-service=https\n--reload', /line 2.*--reload is refused.*never reloads/],
    ['complete reload', '--complete-reload', /--complete-reload is refused/],
    ['panic', '--panic-on', /panic mode drops all traffic/],
    ['direct', '--direct --add-rule ipv4 filter INPUT 0 -j ACCEPT', /direct rules bypass zones/],
    ['query', '--zone=public --query-service=ssh', /only prints/],
    ['list', '--list-all', /only prints/],
    ['get', '--get-default-zone', /only prints/],
    ['timeout', '--zone=public --add-service=https --timeout=60', /expire the item on its own/],
    ['new zone', '--new-zone=lab', /permanent-only/],
    ['set target', '--zone=public --set-target=DROP', /permanent-only/],
    ['two operations', '--zone=public --add-service=https --add-service=http', /more than one operation/],
    ['unknown option', '--zone=public --add-servce=https', /--add-servce is not a firewall-cmd operation/],
    ['missing value', '--zone=public --add-service', /needs a value/],
    ['stray word', 'sudo firewall-cmd --add-service=https', /not a firewall-cmd operation/],
    ['shell substitution', '--zone=public --add-service=$(curl evil)', /shell character \$/],
    ['command separator', '--zone=public --add-service=https; rm -rf /', /shell character ;/],
    ['unterminated quote', "--zone=public --add-rich-rule='rule family=ipv4 accept", /unterminated single quote/],
    ['bad port', '--zone=public --add-port=99999/tcp', /ports are 1–65535/],
    ['port without protocol', '--zone=public --add-port=443', /not a port/],
    ['bad source', '--zone=internal --add-source=example.com', /not an address/],
    ['bad zone name', '--zone=pub/lic --add-service=https', /not a valid zone name/],
    ['zone and policy', '--zone=public --policy=p --add-service=https', /both --zone and --policy/],
    ['interface in a policy', '--policy=p --add-interface=eth0', /a policy has no interfaces/],
    ['ingress zone in a zone', '--zone=public --add-ingress-zone=internal', /belongs to a policy/],
    ['flag with a value', '--zone=public --add-masquerade=yes', /takes no value/],
    ['control character', '--zone=public --add-service=ht\u0007tp', /control character/],
    ['ipset', '--ipset=blocked --add-entry=192.0.2.1', /not staged yet/],
    ['only comments', '# nothing\n\n', /holds no operation/],
  ];
  for (const [name, text, why] of CORPUS) {
    it(`refuses: ${name}`, () => {
      const e = refusal(text);
      expect(e.exitCode).toBe(9);
      expect(e.message).toMatch(why);
      if (e.code !== 'PROPOSAL_EMPTY') expect(e.message).toMatch(/p\.firewalld line \d+: `/);
    });
  }
  it('has a corpus of at least 10 bad inputs', () => expect(CORPUS.length).toBeGreaterThanOrEqual(10));
});

describe('firewalld proposal: recognition', () => {
  it('by content, and by a .firewalld name whatever the content', () => {
    expect(looksLikeFirewalld('# x\n--zone=public --add-service=https\n')).toBe(true);
    expect(looksLikeFirewalld('firewall-cmd --add-service=https\n')).toBe(true);
    expect(looksLikeFirewalld('table inet filter {\n}\n')).toBe(false);
    expect(recogniseProposal('--zone=public --add-service=https\n').format.id).toBe('firewalld');
    expect(recogniseProposal('table inet x {\n}\n', '/tmp/a.firewalld').format.id).toBe('firewalld');
    expect(recogniseProposal('table inet x {\n}\n', '/tmp/a.nft').format.id).toBe('nft');
  });
});

import { UserError } from '../../errors.js';
import { tokenizeLine } from './tokenize.js';

/** What a zone or policy holds that an operation adds or removes (firewall-cmd's item names). */
export const ITEMS = {
  service: { flag: false, zone: true, policy: true },
  port: { flag: false, zone: true, policy: true },
  protocol: { flag: false, zone: true, policy: true },
  'source-port': { flag: false, zone: true, policy: true },
  'rich-rule': { flag: false, zone: true, policy: true },
  'forward-port': { flag: false, zone: true, policy: true },
  'icmp-block': { flag: false, zone: true, policy: true },
  masquerade: { flag: true, zone: true, policy: true },
  'icmp-block-inversion': { flag: true, zone: true, policy: false },
  forward: { flag: true, zone: true, policy: false },
  interface: { flag: false, zone: true, policy: false },
  source: { flag: false, zone: true, policy: false },
  'ingress-zone': { flag: false, zone: false, policy: true },
  'egress-zone': { flag: false, zone: false, policy: true },
} as const;
export type ItemKind = keyof typeof ITEMS;

export type OpScope = { kind: 'zone'; name: string | null } | { kind: 'policy'; name: string } | { kind: 'global' };

/** One firewall-cmd operation of a proposal, as written (the zone may still be the default: null). */
export interface FirewalldOp {
  line: number;
  text: string;
  scope: OpScope;
  /** add/remove an item; change = move an interface or source into the zone; set = the default zone. */
  action: 'add' | 'remove' | 'change' | 'set';
  item: ItemKind | 'default-zone';
  value: string | null;
}

const PRINTS = 'it only prints; a proposal holds changes';
// Options an admin may type that fwsafe will not stage, and why (checked by exact name, then by prefix).
const REFUSED: [RegExp, string][] = [
  [
    /^--permanent$/,
    'write operations without it: fwsafe applies them at runtime under the watchdog and makes exactly these operations permanent on confirm',
  ],
  [
    /^--runtime-to-permanent$/,
    "it would make every runtime change permanent, other people's included; fwsafe makes only the proposal's operations permanent, on confirm",
  ],
  [
    /^--(complete-)?reload$/,
    "it discards every runtime-only change (other people's too) and cannot be rolled back; fwsafe never reloads",
  ],
  [
    /^--panic-(on|off)$/,
    'panic mode drops all traffic, this session included; it is not a zone change fwsafe can stage',
  ],
  [/^--query-panic$/, PRINTS],
  [/^--direct$/, 'direct rules bypass zones and are deprecated; stage nft changes in a table of your own instead'],
  [
    /^--(passthrough|add-chain|remove-chain|add-passthrough|remove-passthrough|get-all-chains|get-all-rules|get-all-passthroughs|remove-rules)$/,
    'a direct-interface option; direct rules bypass zones and are not staged',
  ],
  [/^--(list|query|get|info)-/, PRINTS],
  [/^--(state|version|help|check-config|get-zones|get-services)$/, PRINTS],
  [
    /^--timeout(=|$)/,
    "firewalld would expire the item on its own inside fwsafe's window, and the rollback and the permanent copy would then disagree; fwsafe's --timeout is the window",
  ],
  [
    /^--(new|delete|load)-(zone|policy|service|ipset|icmptype|helper)/,
    'permanent-only configuration, which takes effect only on a reload; fwsafe does not stage it',
  ],
  [
    /^--new-(zone|policy|service|ipset|icmptype|helper)-from-file/,
    'permanent-only configuration, which takes effect only on a reload; fwsafe does not stage it',
  ],
  [
    /^--(set|get)-(target|description|short|priority)(=|$)/,
    'permanent-only configuration (needs --permanent and a reload); fwsafe does not stage it',
  ],
  [
    /^--(path|set-destination|remove-destination|add-module|remove-module|add-include|remove-include)/,
    'permanent-only configuration; fwsafe does not stage it',
  ],
  [/^--set-log-denied(=|$)/, 'it reloads firewalld (discarding runtime-only changes); not staged'],
  [/^--(lockdown|add-lockdown|remove-lockdown)/, 'it changes who may change firewalld, not the firewall; not staged'],
  [/^--ipset(=|$)/, 'ipset entries are not staged yet (see docs/firewalld.md)'],
  [/^--(add|remove)-(entry|entries-from-file)/, 'ipset entries are not staged yet (see docs/firewalld.md)'],
  [/^--(service|helper|icmptype)(=|$)/, 'it changes a service/helper/icmptype definition (permanent-only); not staged'],
  [/^--reset-to-defaults$/, 'it resets permanent configuration; not staged'],
];

export function invalid(path: string, line: number, text: string, why: string, action?: string): UserError {
  return new UserError(`${path} line ${line}: \`${text}\` — ${why}.`, {
    code: 'FIREWALLD_PROPOSAL_INVALID',
    actions: [
      action ?? 'Fix or remove that line; see docs/firewalld.md for the format (one firewall-cmd operation per line).',
    ],
    details: { line },
  });
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_+.-]{0,63}$/;
const PORT = /^\d{1,5}(-\d{1,5})?\/(tcp|udp|sctp|dccp)$/;

/** Cheap checks of a value; firewalld itself (in the scratch namespace) validates the rest. */
function checkValue(item: ItemKind | 'default-zone', value: string): string | null {
  if (value === '') return 'an empty value';
  if (value.length > 1024) return 'a value longer than 1024 characters';
  if (/[\x00-\x1f\x7f]/.test(value)) return 'a control character in the value';
  switch (item) {
    case 'service':
    case 'default-zone':
    case 'ingress-zone':
    case 'egress-zone':
    case 'protocol':
    case 'icmp-block':
      return NAME.test(value) ? null : `"${value}" is not a valid name`;
    case 'port':
    case 'source-port': {
      if (!PORT.test(value)) return `"${value}" is not a port: write PORT[-PORT]/PROTOCOL, e.g. 443/tcp`;
      const bad = value
        .split('/')[0]!
        .split('-')
        .some((p) => Number(p) < 1 || Number(p) > 65535);
      return bad ? `"${value}": ports are 1–65535` : null;
    }
    case 'interface':
      return /^[A-Za-z0-9_.:+-]{1,15}$/.test(value) ? null : `"${value}" is not an interface name (1–15 characters)`;
    case 'source':
      return /^(ipset:[A-Za-z0-9_.-]+|[0-9A-Fa-f:.]+(\/\d{1,3})?)$/.test(value)
        ? null
        : `"${value}" is not an address, network, MAC or ipset:NAME`;
    case 'forward-port':
      return /^port=\d[\d-]*:proto=[a-z]+(:toport=[\d-]*)?(:toaddr=[0-9A-Fa-f:.]*)?$/.test(value)
        ? null
        : `"${value}" is not a forward port: write port=80:proto=tcp[:toport=8080][:toaddr=192.0.2.5]`;
    default:
      return null;
  }
}

interface Parsed {
  zone: string | null;
  policy: string | null;
  ops: { action: FirewalldOp['action']; item: FirewalldOp['item']; value: string | null }[];
  stray: string[];
}

function parseWords(words: string[], fail: (why: string) => never): Parsed {
  const out: Parsed = { zone: null, policy: null, ops: [], stray: [] };
  for (let i = 0; i < words.length; i += 1) {
    const w = words[i]!;
    if (!w.startsWith('--')) {
      out.stray.push(w);
      continue;
    }
    const eq = w.indexOf('=');
    const name = eq < 0 ? w : w.slice(0, eq);
    const refused = REFUSED.find(([re]) => re.test(w) || re.test(name));
    if (refused) fail(`${name} is refused: ${refused[1]}`);
    const takeValue = (): string => {
      if (eq >= 0) return w.slice(eq + 1);
      const next = words[i + 1];
      if (next === undefined || next.startsWith('--')) fail(`${name} needs a value (${name}=VALUE)`);
      i += 1;
      return next!;
    };
    if (name === '--zone' || name === '--policy') {
      const value = takeValue();
      if (!NAME.test(value)) fail(`"${value}" is not a valid ${name.slice(2)} name`);
      if (out[name === '--zone' ? 'zone' : 'policy'] !== null) fail(`${name} given twice`);
      out[name === '--zone' ? 'zone' : 'policy'] = value;
      continue;
    }
    if (name === '--set-default-zone') {
      out.ops.push({ action: 'set', item: 'default-zone', value: takeValue() });
      continue;
    }
    const change = /^--change-(interface|zone|source)$/.exec(name);
    if (change) {
      out.ops.push({ action: 'change', item: change[1] === 'source' ? 'source' : 'interface', value: takeValue() });
      continue;
    }
    const m = /^--(add|remove)-([a-z-]+)$/.exec(name);
    if (m && m[2]! in ITEMS) {
      const item = m[2] as ItemKind;
      if (ITEMS[item].flag) {
        if (eq >= 0) fail(`${name} takes no value`);
        out.ops.push({ action: m[1] as 'add' | 'remove', item, value: null });
      } else out.ops.push({ action: m[1] as 'add' | 'remove', item, value: takeValue() });
      continue;
    }
    fail(`${name} is not a firewall-cmd operation fwsafe knows`);
  }
  return out;
}

/** Parses a firewalld proposal: one operation per line; comments (#) and blank lines ignored. */
export function parseFirewalldProposal(text: string, path: string): FirewalldOp[] {
  const ops: FirewalldOp[] = [];
  text.split('\n').forEach((raw, index) => {
    const lineNo = index + 1;
    const shown = raw.trim();
    if (shown === '' || shown.startsWith('#')) return;
    const fail = (why: string, action?: string): never => {
      throw invalid(path, lineNo, shown.length > 160 ? `${shown.slice(0, 157)}…` : shown, why, action);
    };
    if (!shown.startsWith('--') && !/^firewall-cmd(\s|$)/.test(shown)) {
      fail(
        `not a firewall-cmd operation: a line starts with -- (or firewall-cmd), e.g. --zone=public --add-service=https${/^(table|add|insert|delete|flush)\b/.test(shown) ? '; this looks like nft, which a .firewalld file cannot hold' : ''}`,
      );
    }
    const tokens = tokenizeLine(raw);
    if (!tokens.ok) fail(`it contains ${tokens.why}`);
    let words = (tokens as { words: string[] }).words;
    // Pasted with the program name: accepted (and only as the first word).
    if (words[0] === 'firewall-cmd') words = words.slice(1);
    if (words.length === 0) fail('no operation after firewall-cmd');
    const parsed = parseWords(words, fail);
    if (parsed.stray.length > 0)
      fail(`unexpected word "${parsed.stray[0]}" (options start with --; quote values that contain spaces)`);
    if (parsed.ops.length === 0) fail('no operation (--add-…, --remove-…, --change-…, --set-default-zone)');
    if (parsed.ops.length > 1) fail('more than one operation on one line; write one operation per line');
    if (parsed.zone !== null && parsed.policy !== null) fail('both --zone and --policy');
    const op = parsed.ops[0]!;
    if (op.value !== null) {
      const bad = checkValue(op.item, op.value);
      if (bad) fail(bad);
    }
    let scope: OpScope;
    if (op.item === 'default-zone') {
      if (parsed.zone !== null || parsed.policy !== null) fail('--set-default-zone takes no --zone or --policy');
      scope = { kind: 'global' };
    } else if (parsed.policy !== null) {
      if (!ITEMS[op.item].policy || op.action === 'change') fail(`a policy has no ${op.item}s`);
      scope = { kind: 'policy', name: parsed.policy };
    } else {
      if (!ITEMS[op.item].zone) fail(`${op.item} belongs to a policy: add --policy=NAME`);
      scope = { kind: 'zone', name: parsed.zone };
    }
    ops.push({ line: lineNo, text: shown, scope, action: op.action, item: op.item, value: op.value });
  });
  if (ops.length === 0) {
    throw new UserError(`The firewalld proposal ${path} holds no operation (only comments or blank lines).`, {
      code: 'PROPOSAL_EMPTY',
      actions: ['Write one firewall-cmd operation per line, e.g. --zone=public --add-service=https'],
    });
  }
  return ops;
}

/** True when the text reads as a firewalld proposal: every operation line starts with -- (or firewall-cmd). */
export function looksLikeFirewalld(text: string): boolean {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  return lines.length > 0 && lines.every((l) => l.startsWith('--') || /^firewall-cmd(\s|$)/.test(l));
}

/** The firewall-cmd argv of an operation once its zone is known (runtime; add --permanent for the permanent one). */
export function opArgv(op: Pick<FirewalldOp, 'scope' | 'action' | 'item' | 'value'>): string[] {
  const scope =
    op.scope.kind === 'zone'
      ? [`--zone=${op.scope.name}`]
      : op.scope.kind === 'policy'
        ? [`--policy=${op.scope.name}`]
        : [];
  if (op.item === 'default-zone') return [`--set-default-zone=${op.value}`];
  const flag = op.action === 'change' ? `--change-${op.item}` : `--${op.action}-${op.item}`;
  return [...scope, op.value === null ? flag : `${flag}=${op.value}`];
}

/**
 * True when an argv is one operation fwsafe stages, as opArgv writes it: a plan file is untrusted input,
 * so a stored `--reload`, `--direct …` or `--runtime-to-permanent` never reaches firewall-cmd.
 */
export function isStageableArgv(argv: readonly string[]): boolean {
  const [first, ...rest] = argv;
  if (first === undefined) return false;
  if (argv.length === 1) return /^--set-default-zone=[A-Za-z0-9][A-Za-z0-9_+.-]{0,63}$/.test(first);
  const scope = /^--(zone|policy)=[A-Za-z0-9][A-Za-z0-9_+.-]{0,63}$/.exec(first);
  if (!scope || rest.length !== 1) return false;
  const m = /^--(add|remove|change)-([a-z-]+)(?:=(.*))?$/s.exec(rest[0]!);
  if (!m) return false;
  const [, verb, item, value] = m as unknown as [string, string, string, string | undefined];
  if (verb === 'change')
    return (
      scope[1] === 'zone' &&
      (item === 'interface' || item === 'source') &&
      value !== undefined &&
      checkValue(item, value) === null
    );
  if (!(item in ITEMS)) return false;
  const spec = ITEMS[item as ItemKind];
  if (!(scope[1] === 'zone' ? spec.zone : spec.policy)) return false;
  return spec.flag ? value === undefined : value !== undefined && checkValue(item as ItemKind, value) === null;
}

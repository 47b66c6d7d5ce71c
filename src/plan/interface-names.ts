import { stripComments } from '../ruleset/scan.js';

const NAME = /^[A-Za-z0-9_.:-]{1,15}$/;

/** Names in `"a", b, $VAR` (vmap entries `"a" : accept` too), variables resolved through `vars`. */
function names(list: string, vars: Map<string, string> = new Map(), depth = 0): string[] {
  return list
    .split(',')
    .map((raw) =>
      raw
        .trim()
        .split(/\s*:\s*/)[0]!
        .trim(),
    )
    .flatMap((item) =>
      item.startsWith('$') && depth < 4
        ? names(vars.get(item.slice(1)) ?? '', vars, depth + 1)
        : [item.replace(/^"|"$/g, '')],
    )
    .filter((name) => NAME.test(name) && name !== 'lo');
}

// `# …` comments (and listings' `# handle N`) may say "device" or "iif" in prose; `fib saddr . iif
// oif missing` names lookup keys and results, not interfaces.
const FIB_LOOKUP =
  /\bfib\s+(?:saddr|daddr|mark|iif|oif)(?:\s*\.\s*(?:saddr|daddr|mark|iif|oif))*\s+(?:oifname|oif|type)\b/g;
const withoutComments = (text: string): string => stripComments(text).replace(FIB_LOOKUP, 'fib');

/** `define LAN = "eth1"` / `define UPLINKS = { "eth0", "eth1" }` → name → its text. */
function defines(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^\s*define\s+([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\{[^}]*\}|\S+)/gm))
    out.set(m[1]!, m[2]!.replace(/^\{|\}$/g, ''));
  return out;
}

/**
 * Interface names that `iif`/`oif` resolve to an index when the rule is loaded — so the device must
 * exist — including `$VARIABLES` from `define`s and `iif vmap { "eth0" : … }`.
 */
export function indexedInterfaces(source: string): string[] {
  const text = withoutComments(source);
  const vars = defines(text);
  const found = new Set<string>();
  for (const m of text.matchAll(
    /\b(?:iif|oif)\s+(?:vmap\s+)?(?:\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)|("?[A-Za-z0-9_.:-]{1,15}"?))/g,
  )) {
    const list = m[1] ?? (m[2] ? `$${m[2]}` : m[3]!);
    for (const name of names(list, vars)) found.add(name);
  }
  return [...found].sort();
}

const FWD_DUP = /\b(?:fwd|dup) to\s+("?[A-Za-z0-9_.:-]{1,15}"?|\$[A-Za-z_][A-Za-z0-9_]*)(?=[\s;}]|$)/g;

/** Every interface a scratch copy needs to exist: iif/oif ones plus netdev/flowtable `device(s)`. */
export function interfacesNeeded(source: string): string[] {
  const text = withoutComments(source);
  const found = new Set(indexedInterfaces(text));
  for (const m of text.matchAll(/\bdevices?\s*=?\s*(?:\{([^}]*)\}|("?[A-Za-z0-9_.:-]{1,15}"?))/g)) {
    for (const name of names(m[1] ?? m[2]!, defines(text))) found.add(name);
  }
  // netdev `fwd to "eth1"` / `dup to "eth1"` name a device (an address there is a gateway, not a device).
  for (const m of text.matchAll(FWD_DUP)) {
    for (const name of names(m[1]!, defines(text))) if (!/^[0-9.:]+$|:/.test(name)) found.add(name);
  }
  return [...found].sort();
}

/** A set/map element as nft writes it (198.51.100.0/24, 80-88, 10.0.0.1 . 22 : accept), from its JSON form. */
export function elementText(json: string): string {
  try {
    return fmt(JSON.parse(json) as unknown);
  } catch {
    return json;
  }
}

function fmt(v: unknown): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(fmt).join(' : ');
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('prefix' in o) {
      const p = o.prefix as { addr: unknown; len: number };
      return `${fmt(p.addr)}/${p.len}`;
    }
    if ('range' in o) return (o.range as unknown[]).map(fmt).join('-');
    if ('concat' in o) return (o.concat as unknown[]).map(fmt).join(' . ');
    if ('elem' in o) return fmt((o.elem as { val: unknown }).val);
    if ('accept' in o || 'drop' in o) return Object.keys(o)[0]!;
    if ('jump' in o || 'goto' in o) return `${Object.keys(o)[0]} ${(Object.values(o)[0] as { target: string }).target}`;
  }
  return JSON.stringify(v);
}

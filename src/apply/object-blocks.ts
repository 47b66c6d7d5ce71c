// Where each table's restore segment and each chain/set/map block stands in a whole-table restore script
// (plan/rollback.ts: `table F T` / `delete table F T` / the table as listed, handles gone). Computed at
// apply, so a rollback meeting a conflict cuts one object out of the script instead of parsing it.

const HEAD = /^table (\S+) (\S+)$/;
const OPEN = /^\t(chain|set|map) (\S+) \{$/;

/** `F T` → the table's segment; `F T chain X` (or set, map) → the object's block, `\tchain X {` to `\t}` inclusive. */
export function objectBlocks(script: string): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  let at = 0;
  let table: { key: string; start: number } | null = null;
  let open: { label: string; start: number } | null = null;
  const closeTable = (end: number): void => {
    if (table) out.set(table.key, [table.start, end]);
    table = null;
  };
  const lines = script.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!;
    const next = at + line.length + 1;
    const head = HEAD.exec(line);
    if (head && lines[i + 1] === `delete table ${head[1]} ${head[2]}`) {
      closeTable(at);
      table = { key: `${head[1]} ${head[2]}`, start: at };
    } else if (table && open === null) {
      const o = OPEN.exec(line);
      if (o) open = { label: `${table.key} ${o[1]} ${o[2]}`, start: at };
    } else if (open && line === '\t}') {
      out.set(open.label, [open.start, Math.min(next, script.length)]);
      open = null;
    }
    at = next;
  }
  closeTable(script.length);
  return out;
}

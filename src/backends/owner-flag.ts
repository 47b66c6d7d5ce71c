/**
 * The nft `owner` flag (kernel ≥ 5.12; firewalld ≥ 2 may set it): the table belongs to one process's
 * netlink socket, no other process can change it, and it disappears when that process exits. nft lists
 * it as `flags owner` with a `# progname NAME` comment on the table line (nft 1.0.6: text only).
 */
export function ownerFlag(table: { text: string; ownerFlag?: boolean }): { owned: boolean; progname: string | null } {
  const tableText = table.text;
  const owned = table.ownerFlag === true || /^\s*flags\s+[^;\n]*\bowner\b/m.test(tableText);
  const progname = /^table\s+\S+\s+\S+\s*\{\s*#[^\n]*\bprogname\s+(\S+)/m.exec(tableText)?.[1] ?? null;
  return { owned, progname: owned ? progname : null };
}

/**
 * The listing without table owner flags, for scratch and probe namespaces: loaded with the flag, a
 * table belongs to the `nft -f` that loaded it and vanishes when it exits. (Table-level lines are
 * indented by one tab in nft's listing; set flags are deeper.)
 */
export function withoutOwnerFlags(text: string): string {
  if (!/^\tflags\s[^\n]*\bowner\b/m.test(text)) return text;
  return text.replace(/^\tflags\s+([^\n]*)\n/gm, (_line, list: string) => {
    const rest = list
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f !== 'owner');
    return rest.length ? `\tflags ${rest.join(',')}\n` : '';
  });
}

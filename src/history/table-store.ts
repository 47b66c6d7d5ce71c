import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { StateError } from '../errors.js';
import { contentHash, contentHashOfForms, sha256, tableForm, type TableForm } from '../snapshot/hash.js';
import { volatileTable, type TableBlock } from '../snapshot/table-blocks.js';
import { createFilesExclusive, ensurePrivateDir, readStateFile, writeFileAtomic } from '../state/fs-safe.js';
import { stateIoError } from '../state/io-error.js';

const SHA = /^[0-9a-f]{64}$/;
/** Forms of tables smaller than this (characters) are not cached on disk. */
const FORM_CACHE_FROM = 64 * 1024;
const FORM_HEAD = /^fwsafe-form ([0-9a-f]{64}) (.*)\n/;

/**
 * The table texts of stored versions, content-addressed (`versions/tables/SHA256.nft`: one table block as
 * nft listed it, its name the sha256 of its bytes): a version names its tables' texts instead of copying
 * them, so a one-table change writes one table. Beside each text, `SHA256.form` caches its part of the
 * content hash (src/snapshot/hash.ts tableForm), so an unchanged table is not normalised again.
 *
 * A text is written (and fsynced, with its directory) before any version names it; a text is never
 * changed or removed (nothing prunes history), so what a version names stays there. Every read checks
 * the text against its name.
 */
export class TableStore {
  /** Texts this process read or wrote, by content: their names without hashing them again. */
  private readonly names = new Map<string, string>();
  /** Forms this process computed or read, by text name. */
  private readonly forms = new Map<string, TableForm>();
  /** Whether a text holds datapath-updated content (volatileTable), by text name: read from snapshots or computed. */
  private readonly volatility = new Map<string, boolean>();

  constructor(readonly dir: string) {}

  private textFile(name: string): string {
    return join(this.dir, `${name}.nft`);
  }

  private formFile(name: string): string {
    return join(this.dir, `${name}.form`);
  }

  /** The name (sha256) of a table text. */
  nameOf(raw: string): string {
    let name = this.names.get(raw);
    if (name === undefined) {
      name = sha256(raw);
      this.names.set(raw, name);
    }
    return name;
  }

  /**
   * Stores the texts not stored yet and returns every text's name, in order. New texts are each fsynced,
   * then the directory once: when this returns, every named text is on disk whole.
   */
  put(raws: readonly string[]): string[] {
    ensurePrivateDir(this.dir);
    const names = raws.map((raw) => this.nameOf(raw));
    const missing = new Map<string, string>();
    for (const [i, raw] of raws.entries()) {
      const name = names[i]!;
      if (!missing.has(name) && !this.storedWhole(name, raw)) missing.set(name, raw);
    }
    const created = createFilesExclusive(
      this.dir,
      [...missing].map(([name, raw]) => ({ name: `${name}.nft`, data: raw })),
    );
    // A file found in the way is a text cut short (a disk fault; never a crash: texts are linked in whole): replaced.
    for (const [i, [name, raw]] of [...missing].entries()) if (!created[i]) writeFileAtomic(this.textFile(name), raw);
    return names;
  }

  /** True when the text is stored with its full length (its content is checked when read). */
  private storedWhole(name: string, raw: string): boolean {
    const file = this.textFile(name);
    try {
      const st = lstatSync(file);
      return st.isFile() && st.size === Buffer.byteLength(raw);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw stateIoError(error, file, 'read');
    }
  }

  /** A stored text, checked against its name; a clear error naming the version when missing or corrupt. */
  get(name: string, version: number): string {
    if (!SHA.test(name)) throw new StateError(`Version ${version} names a table text "${name}" that is not a sha256.`);
    const file = this.textFile(name);
    const raw = readStateFile(file);
    const actions = [
      `The version's table text is lost; other versions are intact (fwsafe log). Move the version aside if it is not needed.`,
    ];
    if (raw === null)
      throw new StateError(`The table text ${name} of version ${version} is missing (${file}).`, {
        actions,
        details: { file, version },
      });
    if (sha256(raw) !== name)
      throw new StateError(
        `The table text ${name} of version ${version} is corrupt (${file}): its content does not match its name.`,
        {
          actions,
          details: { file, version },
        },
      );
    this.names.set(raw, name);
    return raw;
  }

  /** volatileTable of a text, scanned once per text (snapshots record it for their tables, see noteVolatile). */
  isVolatile(raw: string): boolean {
    const name = this.nameOf(raw);
    let known = this.volatility.get(name);
    if (known === undefined) {
      known = volatileTable(raw);
      this.volatility.set(name, known);
    }
    return known;
  }

  /** What a snapshot recorded for a text it names; undefined when this process has not learnt it. */
  knownVolatile(name: string): boolean | undefined {
    return this.volatility.get(name);
  }

  noteVolatile(name: string, value: boolean): void {
    this.volatility.set(name, value);
  }

  /** A table's part of the content hash: cached in this process, stored beside its text, or computed (then stored). */
  private form(raw: string): TableForm | null {
    const name = this.nameOf(raw);
    const known = this.forms.get(name);
    if (known) return known;
    const stored = raw.length < FORM_CACHE_FROM ? null : this.readForm(name);
    if (stored) {
      this.forms.set(name, stored);
      return stored;
    }
    const computed = tableForm(raw);
    if (!computed) return null;
    this.forms.set(name, computed);
    // A small table is normalised in less time than its cache file costs.
    if (raw.length < FORM_CACHE_FROM) return computed;
    // A cache, not fsynced: one lost or cut short by a crash fails its check and is computed again.
    ensurePrivateDir(this.dir);
    const body = `${computed.key}\n${computed.form}`;
    writeFileAtomic(this.formFile(name), `fwsafe-form ${sha256(body)} ${body}`, {
      sync: false,
    });
    return computed;
  }

  private readForm(name: string): TableForm | null {
    const text = readStateFile(this.formFile(name));
    const head = text === null ? null : FORM_HEAD.exec(text);
    if (!text || !head) return null;
    // The checksum covers the key too: the key orders the tables in the hash.
    const form = text.slice(head[0].length);
    return sha256(`${head[2]!}\n${form}`) === head[1] ? { key: head[2]!, form } : null;
  }

  /**
   * contentHash of a listing cut into its table blocks, normalising only the tables not seen before
   * (same result as contentHash of the whole text; that is what runs when a block is not one plain table).
   */
  contentHash(blocks: readonly TableBlock[], legacy: { legacyV4?: string | null; legacyV6?: string | null }): string {
    const forms: TableForm[] = [];
    for (const block of blocks) {
      const form = this.form(block.raw);
      if (!form) return contentHash({ nftText: blocks.map((b) => b.raw).join(''), ...legacy });
      forms.push(form);
    }
    return contentHashOfForms(forms, legacy);
  }
}

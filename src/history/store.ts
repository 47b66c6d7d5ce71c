import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { statePaths, type StatePaths } from '../state/paths.js';
import {
  appendLine,
  assertTrustedIfExists,
  createFileExclusive,
  ensurePrivateDir,
  readStateFile,
  writeFileAtomic,
} from '../state/fs-safe.js';
import { parseJsonFile } from '../state/parse.js';
import { stateIoError } from '../state/io-error.js';
import { currentWhere } from '../host/identity.js';
import { BugError, FwsafeError, ExitCode, StateError } from '../errors.js';
import { JournalEvent, VersionRecord, VERSION_SCHEMA, type JournalEventT, type VersionRecordT } from './schema.js';
import type { SnapshotT } from '../snapshot/schema.js';
import { decodeSnapshot, encodeSnapshot, StoredSnapshot } from './stored-snapshot.js';
import { TableStore } from './table-store.js';

const VERSION_FILE = /^(\d{6,})\.json$/;

function versionFile(paths: StatePaths, id: number): string {
  return join(paths.versions, `${String(id).padStart(6, '0')}.json`);
}

function snapshotFile(paths: StatePaths, id: number): string {
  return join(paths.versions, `${String(id).padStart(6, '0')}.snapshot.json`);
}

/**
 * The versioned store: one small record and one snapshot per version, plus an append-only journal. A
 * snapshot names its tables' texts in the table store (versions/tables/), shared between versions.
 */
export class HistoryStore {
  readonly paths: StatePaths;
  readonly tables: TableStore;

  constructor(stateDir?: string | null) {
    this.paths = statePaths(stateDir);
    this.tables = new TableStore(this.paths.tables);
  }

  /** Creates the state directories (0700) on first write; refuses symlinks. */
  init(): void {
    ensurePrivateDir(this.paths.root);
    ensurePrivateDir(this.paths.versions);
  }

  /** Version ids present, ascending. Never parses the files. */
  ids(): number[] {
    assertTrustedIfExists(this.paths.root);
    assertTrustedIfExists(this.paths.versions);
    let names: string[];
    try {
      names = readdirSync(this.paths.versions);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw stateIoError(error, this.paths.versions, 'read');
    }
    return names
      .map((n) => VERSION_FILE.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  /** Adds a version with the next free id (never overwrites one written concurrently). */
  add(record: Omit<VersionRecordT, 'id' | 'schema'>, snapshot: SnapshotT): VersionRecordT {
    if (snapshot.listedTables) throw new BugError('A partial listing cannot be stored as a version.');
    this.init();
    // The tables' texts are on disk (fsynced) before the snapshot that names them.
    const snapshotText = JSON.stringify(encodeSnapshot(snapshot, this.tables));
    let id = (this.ids().at(-1) ?? 0) + 1;
    for (let attempt = 0; attempt < 1000; attempt += 1, id += 1) {
      // The snapshot claims the id first, so a record never points at missing content.
      if (!createFileExclusive(snapshotFile(this.paths, id), snapshotText)) continue;
      const full: VersionRecordT = VersionRecord.parse({
        schema: VERSION_SCHEMA,
        id,
        where: currentWhere(record.netns),
        ...record,
      });
      if (!createFileExclusive(versionFile(this.paths, id), `${JSON.stringify(full, null, 2)}\n`)) continue;
      this.journal({ event: 'version-added', version: id, kind: full.kind, hash: full.hash });
      return full;
    }
    throw new StateError('Could not allocate a version id after 1000 attempts.');
  }

  /** Reads one version record; a clear error naming the file when it is corrupt. */
  get(id: number): VersionRecordT {
    const file = versionFile(this.paths, id);
    const text = readStateFile(file);
    if (text === null) {
      throw new FwsafeError(`Version ${id} does not exist.`, {
        code: 'VERSION_NOT_FOUND',
        exitCode: ExitCode.notFound,
        actions: ['List versions with: fwsafe log'],
      });
    }
    return parseJsonFile(VersionRecord, text, file);
  }

  snapshot(id: number): SnapshotT {
    const file = snapshotFile(this.paths, id);
    const text = readStateFile(file);
    if (text === null)
      throw new StateError(`The snapshot of version ${id} is missing (${file}).`, { details: { file } });
    return decodeSnapshot(parseJsonFile(StoredSnapshot, text, file), this.tables, id);
  }

  /** Updates a version record in place (atomic replace), e.g. to record an outcome. */
  update(id: number, change: (record: VersionRecordT) => VersionRecordT): VersionRecordT {
    const next = VersionRecord.parse(change(this.get(id)));
    writeFileAtomic(versionFile(this.paths, id), `${JSON.stringify(next, null, 2)}\n`);
    return next;
  }

  /** All records; corrupt ones are reported, never hide the others. */
  list(): { records: VersionRecordT[]; errors: StateError[] } {
    const records: VersionRecordT[] = [];
    const errors: StateError[] = [];
    for (const id of this.ids()) {
      try {
        records.push(this.get(id));
      } catch (error) {
        if (error instanceof StateError) errors.push(error);
        else throw error;
      }
    }
    return { records, errors };
  }

  latest(): VersionRecordT | null {
    const { records } = this.list();
    return records.at(-1) ?? null;
  }

  /** Resolves a user's version reference: a number, `latest`, or `-N` (N before the latest). */
  resolve(ref: string): number {
    const ids = this.ids();
    if (ref === 'latest' || ref === 'HEAD') {
      const last = ids.at(-1);
      if (last === undefined)
        throw new FwsafeError('There are no versions yet.', {
          code: 'VERSION_NOT_FOUND',
          exitCode: ExitCode.notFound,
          actions: ['Take one with: fwsafe snapshot'],
        });
      return last;
    }
    const rel = /^-(\d+)$/.exec(ref);
    if (rel) {
      const id = ids.at(-1 - Number(rel[1]));
      if (id === undefined)
        throw new FwsafeError(`There is no version ${ref} (only ${ids.length} versions).`, {
          code: 'VERSION_NOT_FOUND',
          exitCode: ExitCode.notFound,
        });
      return id;
    }
    if (!/^\d+$/.test(ref)) {
      throw new FwsafeError(`"${ref}" is not a version: use a number from fwsafe log, "latest", or -N.`, {
        code: 'BAD_VERSION',
        exitCode: ExitCode.badInput,
      });
    }
    const id = Number(ref);
    this.get(id);
    return id;
  }

  journal(event: Omit<JournalEventT, 'at'> & Record<string, unknown>): void {
    ensurePrivateDir(this.paths.root);
    appendLine(this.paths.journal, JSON.stringify({ at: new Date().toISOString(), ...event }));
  }

  /** The journal; lines that do not parse (a torn last write) are skipped and counted. */
  readJournal(): { events: JournalEventT[]; skipped: number } {
    const text = readStateFile(this.paths.journal) ?? '';
    const events: JournalEventT[] = [];
    let skipped = 0;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        events.push(JournalEvent.parse(JSON.parse(line)));
      } catch {
        skipped += 1;
      }
    }
    return { events, skipped };
  }
}

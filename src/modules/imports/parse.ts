// Reads an uploaded CSV while it streams in: the bytes are checked as UTF-8 text, csv-parse turns
// them into records, each record is validated with the same schema as the forms, and every
// 1,000 rows go to import_rows in one statement (which also looks up the keys already stored).
// Between chunks the event loop serves other requests, and because the parser only reads on while
// chunks are stored, a large upload is consumed at the pace of the database.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { parse, CsvError } from 'csv-parse';
import Value from 'typebox/value';
import { Compile } from 'typebox/compile';
import type { TSchema } from 'typebox';
import type { Db } from '../../db/client.ts';
import { parseForm } from '../../lib/form.ts';
import { HttpError, unprocessable } from '../../lib/errors.ts';
import { KINDS, HeaderError, mapHeader, type ImportKind, type KindSpec } from './schema.ts';
import { createJob, deleteJob, finishParse, stageChunk, type ChunkRow } from './repository.ts';

export const CHUNK_ROWS = 1000;
export const MAX_FILE_MB = 20;
/** csv-parse handles at most this much text per turn of the event loop. */
const SLICE_BYTES = 64 * 1024;
const MAX_RECORD_BYTES = 64 * 1024;

export const fileTooLarge = () => new HttpError(413, `The file is larger than ${MAX_FILE_MB} MB. Split it into smaller files and import them one by one.`);
const notText = () => unprocessable('This is not a CSV text file. Save the sheet as "CSV UTF-8 (comma delimited)" and upload that.');

/** The upload in slices, refused as soon as it turns out not to be UTF-8 text. */
async function* utf8Slices(file: Readable & { truncated?: boolean }): AsyncGenerator<Buffer> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const chunk of file as AsyncIterable<Buffer>) {
    for (let at = 0; at < chunk.length; at += SLICE_BYTES) {
      const slice = chunk.subarray(at, at + SLICE_BYTES);
      if (slice.includes(0)) throw notText();
      try { decoder.decode(slice, { stream: true }); } catch { throw notText(); }
      yield slice;
    }
  }
  // busboy ends the stream early, marked truncated, once the size limit is reached.
  if (file.truncated) throw fileTooLarge();
  try { decoder.decode(); } catch { throw notText(); }
}

function csvProblem(err: CsvError): HttpError {
  const info = err as unknown as { lines?: number; record?: unknown[]; columns?: unknown[] };
  const where = info.lines ? `line ${info.lines}` : 'the file';
  const detail = err.code === 'CSV_RECORD_INCONSISTENT_COLUMNS' || err.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH'
    ? `it has ${info.record?.length ?? 'a different number of'} values but the header row has ${info.columns?.length ?? 'another number of'} columns`
    : err.code === 'CSV_MAX_RECORD_SIZE' ? 'the row is longer than 64 KB'
      : /QUOTE/.test(err.code) ? 'a quoted value is not closed, or a quote sits inside an unquoted value'
        : err.message;
  return unprocessable(`The file could not be read as CSV at ${where}: ${detail}. Nothing was imported.`);
}

/** A record's values (converted when valid) and its problems, each without a final period. */
interface RowCheck { data: Record<string, unknown>; problems: string[]; keyValid: boolean }

/** Validates one record. The compiled check is the fast path; a failing row goes through
 * parseForm for the same messages the forms show. */
function checkRecord(spec: KindSpec, compiled: { Check(v: unknown): boolean }, record: Record<string, string>, headerOf: Map<string, string>): RowCheck {
  const raw: Record<string, string> = {};
  for (const c of spec.columns) {
    const v = record[c.field]?.trim();
    if (v) raw[c.field] = v;
  }
  const converted = Value.Convert(spec.schema, { ...raw }) as Record<string, unknown>;
  if (compiled.Check(converted)) { spec.normalize?.(converted); return { data: converted, problems: [], keyValid: true }; }
  const form = parseForm(spec.schema, raw);
  if (form.ok) {
    const value = form.value as Record<string, unknown>;
    spec.normalize?.(value);
    return { data: value, problems: [], keyValid: true };
  }
  const problems = spec.columns.filter((c) => form.errors[c.field])
    .map((c) => `${headerOf.get(c.field) ?? c.header}: ${form.errors[c.field]!.replace(/\.$/, '')}`);
  return { data: raw, problems, keyValid: !form.errors[spec.key] };
}

const compiledChecks: Partial<Record<ImportKind, { Check(v: unknown): boolean }>> = {};

export interface StageInput {
  kind: ImportKind;
  filename: string;
  userId: number;
  file: Readable & { truncated?: boolean };
  /** The request's content length, to estimate the row count for the progress bar. */
  sizeHint?: number;
}
export interface StageResult { jobId: number; total: number; good: number; bad: number }

/** Parses, checks and stages the file as a new job (status ready). A refused file (not text,
 * wrong header row, not CSV, too large, no rows) throws an HttpError and leaves no job behind. */
export async function stageCsv(db: Db, input: StageInput): Promise<StageResult> {
  const spec = KINDS[input.kind];
  const compiled = compiledChecks[spec.kind] ??= Compile(spec.schema as TSchema);
  const headerOf = new Map<string, string>();
  let headerSeen = false;
  const parser = parse({
    bom: true,
    trim: true,
    // Spreadsheets leave blank lines; they are not rows. Everything else stays strict.
    skip_empty_lines: true,
    info: true,
    max_record_size: MAX_RECORD_BYTES,
    columns: (header: string[]) => {
      headerSeen = true;
      const fields = mapHeader(spec, header);
      fields.forEach((f, i) => headerOf.set(f, header[i]!.trim()));
      return fields;
    },
  });
  let feedError: unknown;
  const feeding = pipeline(Readable.from(utf8Slices(input.file)), parser).catch((err) => { feedError = err; });

  let jobId: number | undefined;
  const seen = new Map<string, number>();
  let total = 0;
  let chunk: ChunkRow[] = [];
  let lastLine = 1;
  let lastEmpty = 0;
  let bytes = 0;
  const keyHeader = () => headerOf.get(spec.key) ?? spec.key;

  async function flush() {
    jobId ??= await createJob(db, { kind: spec.kind, filename: input.filename, createdBy: input.userId });
    const estimate = input.sizeHint && bytes ? (total * input.sizeHint) / bytes : total;
    await stageChunk(db, { jobId, kind: spec.kind }, chunk, `${keyHeader()}: a ${spec.noun} with this ${spec.keyLabel} already exists`, estimate);
    chunk = [];
  }

  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number; empty_lines: number; bytes: number } }>) {
      // Row numbers are the file's line numbers (the header is row 1), as a spreadsheet shows them.
      const rowNo = lastLine + 1 + (info.empty_lines - lastEmpty);
      lastLine = info.lines;
      lastEmpty = info.empty_lines;
      bytes = info.bytes;
      total++;
      const check = checkRecord(spec, compiled, record, headerOf);
      const problems = check.problems;
      let key: string | null = null;
      const keyValue = check.data[spec.key];
      if (typeof keyValue === 'string' && check.keyValid) {
        const first = seen.get(spec.keyOf(keyValue));
        if (first === undefined) seen.set((key = spec.keyOf(keyValue)), rowNo);
        else problems.push(`${keyHeader()}: duplicate of row ${first}`);
      }
      chunk.push({ rowNo, data: check.data, problems: problems.length ? problems.join('; ') : null, key });
      if (chunk.length >= CHUNK_ROWS) {
        await flush();
        await nextTurn();
      }
    }
    await feeding;
    if (feedError) throw feedError;
    if (chunk.length) await flush();
    if (!headerSeen) throw unprocessable('The file is empty. Use the template: a header row, then one row per record.');
    if (jobId === undefined) throw unprocessable('The file has a header row but no rows below it.');
    return { jobId, ...await finishParse(db, jobId) };
  } catch (err) {
    // Stop reading: the parser, and the upload (so that the reading side is not left waiting).
    parser.destroy();
    input.file.destroy();
    await feeding;
    if (jobId !== undefined) await deleteJob(db, jobId);
    throw refusal(err);
  }
}

/** What the uploader is told when the file is refused. */
function refusal(err: unknown): unknown {
  if (err instanceof HeaderError) return unprocessable(err.message);
  if (err instanceof CsvError) return err.code === 'CSV_INVALID_COLUMN_MAPPING' ? unprocessable(err.message) : csvProblem(err);
  const code = (err as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return fileTooLarge();
  return err;
}

import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The lane protocol's SQL files (./sql), read by the migrations that install them. The build copies
 * them next to the compiled code (scripts/copy-sql-files.js), so the same relative path works from
 * the sources (tests) and from dist (the apps, the migration Job).
 */
export function laneSql(fileName: string): string {
  return readFileSync(path.join(__dirname, 'sql', fileName), 'utf8');
}

/**
 * One `CREATE OR REPLACE FUNCTION name(...)` statement out of a lane SQL file, through its closing
 * `$$ LANGUAGE ...;`: how a migration's `down` puts back one function of an older file without
 * reloading the rest of it (whose other functions may be older than the ones in place).
 */
export function laneSqlFunction(fileName: string, name: string, language: 'sql' | 'plpgsql'): string {
  const file = laneSql(fileName);
  const start = file.indexOf(`CREATE OR REPLACE FUNCTION ${name}(`);
  const endMark = `$$ LANGUAGE ${language};`;
  const end = file.indexOf(endMark, start);
  if (start < 0 || end < 0) throw new Error(`${fileName}: ${name} was not found`);
  return file.slice(start, end + endMark.length);
}

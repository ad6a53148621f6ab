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

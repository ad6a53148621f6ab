// Part of `npm run build`: tsc compiles .ts only; the lane protocol's .sql files (loaded by migrations
// at run time, see libs/webhook-domain/src/lanes/lane-sql.ts) are copied next to the compiled code.
const { cpSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const directories = ['libs/webhook-domain/src/lanes/sql'];
for (const directory of directories) {
  const from = path.join(root, directory);
  const to = path.join(root, 'dist', directory);
  cpSync(from, to, { recursive: true });
}

// Runs once before the e2e project: the real broker must be up (idempotent when it already is),
// and the apps must be compiled, because e2e tests start them as real processes from dist/.
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

module.exports = async () => {
  const root = path.resolve(__dirname, '../..');
  execFileSync('bash', [path.join(root, 'scripts/kafka.sh'), 'start'], { stdio: 'inherit' });
  for (const app of ['admin-api', 'event-ingestion', 'dispatcher']) {
    const main = path.join(root, 'dist/apps', app, 'src/main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` before the e2e tests`);
  }
};

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { variablesReadBy } from '@lms/testing';
import { loadAdminApiConfig, loadDispatcherConfig, loadIngestionConfig } from './app-config';

const ROOT = path.resolve(__dirname, '../../..');

/**
 * The README's configuration table and .env.example are the operator's contract: a variable an app
 * reads but neither documents is a setting nobody can find.
 */
describe('documented configuration', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const envExample = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
  const variables = [
    ...new Set(
      [loadAdminApiConfig, loadIngestionConfig, loadDispatcherConfig].flatMap((load) => [
        ...variablesReadBy(load, 'development'),
      ]),
    ),
  ].sort();

  it('finds the variables the loaders read', () => {
    expect(variables).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'DELIVERY_TIMEOUT_MS', 'KAFKA_BROKERS', 'ADMIN_JWT_SECRET']),
    );
  });

  it.each(variables)('%s has a row in the README configuration table', (name) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
  });

  it.each(variables)('%s is listed in .env.example', (name) => {
    expect(envExample).toMatch(new RegExp(`^(# )?${name}=`, 'm'));
  });
});

import { loadAdminApiConfig } from '@lms/config';
import { closeOnSignals } from '@lms/observability';
import { createAdminApiApp } from './admin-api.bootstrap';

async function main(): Promise<void> {
  const config = loadAdminApiConfig();
  const app = await createAdminApiApp(config);
  closeOnSignals(app);
  await app.listen(config.port, config.bindHost ?? '0.0.0.0');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});

import { execFileSync } from 'node:child_process';
import path from 'node:path';

const DIST = path.resolve(__dirname, '../../dist/apps');

/** The packages a fresh Node process has loaded after requiring an app's module graph (from dist). */
function packagesLoaded(appModule: string): string[] {
  const script = `
    require(${JSON.stringify(path.join(DIST, appModule))});
    const names = Object.keys(require.cache)
      .map((file) => file.match(/node_modules[\\\\/]((@[^\\\\/]+[\\\\/])?[^\\\\/]+)/))
      .filter(Boolean)
      .map((match) => match[1].replace(/\\\\/g, '/'));
    console.log(JSON.stringify([...new Set(names)].sort()));
  `;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as string[];
}

// Memory is a target of the dispatcher (issue 16: 150 MB peak): packages it never uses must not be
// resident. @nestjs/swagger (pulled in by terminus's @HealthCheck when installed), kafkajs (the
// ingestion's readiness probe) and the OpenTelemetry SDK (tracing off) cost ~8-10 MB each;
// class-validator with libphonenumber-js ~11 MB (the admin commands' event-name check reaches the
// catalogue's DTOs, so they are behind @lms/webhook-domain/admin, which the dispatcher never imports).
describe('what the apps load', () => {
  it('the dispatcher loads no Swagger, no kafkajs, no OpenTelemetry SDK and no class-validator', () => {
    const loaded = packagesLoaded('dispatcher/src/dispatcher-app.module.js');
    expect(loaded).toContain('@nestjs/terminus'); // the graph really was loaded
    const unwanted = /^(@nestjs\/swagger|kafkajs|@opentelemetry\/sdk-.*|class-validator|libphonenumber-js)$/;
    expect(loaded.filter((name) => unwanted.test(name))).toEqual([]);
  });

  it('the admin API still loads class-validator: the check above would see it', () => {
    expect(packagesLoaded('admin-api/src/admin-api.module.js')).toEqual(
      expect.arrayContaining(['class-validator', 'libphonenumber-js']),
    );
  });

  it('the ingestion loads no Swagger and no OpenTelemetry SDK', () => {
    const loaded = packagesLoaded('event-ingestion/src/ingestion-app.module.js');
    expect(loaded).toContain('kafkajs');
    // class-validator stays here: it validates every Kafka message (parseLmsMessage), an edge of its own.
    expect(loaded.filter((name) => /^(@nestjs\/swagger|@opentelemetry\/sdk-)/.test(name))).toEqual([]);
  });
});

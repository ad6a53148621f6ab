import { execFileSync } from 'node:child_process';
import path from 'node:path';

const TRACING = path.resolve(__dirname, '../../dist/libs/tracing/src/tracing.js');

/** Which OpenTelemetry SDK modules a fresh Node process has loaded after startTracing with `env`. */
function sdkModulesLoaded(env: Record<string, string>): string[] {
  const script = `
    const tracing = require(${JSON.stringify(TRACING)});
    const on = tracing.startTracing('probe', ${JSON.stringify(env)});
    const loaded = Object.keys(require.cache)
      .filter((file) => /@opentelemetry[\\\\/](sdk-trace-node|exporter-trace-otlp-(proto|http))[\\\\/]/.test(file))
      .map((file) => file.match(/@opentelemetry[\\\\/]([^\\\\/]+)/)[1]);
    console.log(JSON.stringify({ on, loaded: [...new Set(loaded)].sort() }));
    tracing.shutdownTracing();
  `;
  const output = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  const { on, loaded } = JSON.parse(output) as { on: boolean; loaded: string[] };
  return on ? loaded : loaded.map((name) => `(off) ${name}`);
}

// A process that does not trace must not pay for the SDK: it is ~10 MB of resident code, and the
// dispatcher's memory target (issue 16) is 150 MB.
describe('tracing off loads no OpenTelemetry SDK', () => {
  it('with no endpoint the SDK and exporters stay unloaded; with one they load', () => {
    expect(sdkModulesLoaded({})).toEqual([]);
    expect(sdkModulesLoaded({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' })).toEqual([
      'exporter-trace-otlp-http',
      'exporter-trace-otlp-proto',
      'sdk-trace-node',
    ]);
  });
});

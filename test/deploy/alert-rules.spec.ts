/**
 * Alerts and dashboard as code (deploy/monitoring): every rule expression and dashboard query is
 * parsed by the Prometheus project's PromQL grammar and evaluated label by label against the series
 * the apps export (libs/observability's registry, histograms expanded), so no alert can wait on a
 * metric or label that does not exist. Each alert is explained in docs/operations.md.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEPLOY_DIR, find, renderOverlay, REPOSITORY_ROOT } from './support/deploy-manifests';
import { exportedMetricCatalogue } from './support/metric-catalogue';
import { checkPromql, expandGrafanaVariables } from './support/promql-check';
import { scrapeTargetLabels } from './support/scrape-labels';

interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface DashboardPanel {
  title?: string;
  type: string;
  targets?: Array<{ expr: string }>;
}

const production = renderOverlay('overlays/production');
const catalogue = exportedMetricCatalogue();
const targetLabels = scrapeTargetLabels(production);
const rules = (
  find(production, 'PrometheusRule', 'lms-webhooks').spec as { groups: Array<{ rules: AlertRule[] }> }
).groups.flatMap((group) => group.rules);
const dashboard = JSON.parse(
  readFileSync(path.join(DEPLOY_DIR, 'monitoring/grafana-dashboard.json'), 'utf8'),
) as {
  panels: DashboardPanel[];
  templating: { list: Array<{ name: string; type: string; definition?: string }> };
};
const dashboardQueries = dashboard.panels.flatMap((panel) =>
  (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })),
);

describe('alert rules and dashboard against the metrics the apps export', () => {
  it('builds the catalogue from the apps’ registry, histogram series included', () => {
    expect(catalogue.get('lmsw_delivery_attempt_duration_seconds_bucket')).toEqual(
      new Set(['outcome', 'le']),
    );
    expect(catalogue.get('lmsw_delivery_attempt_duration_seconds_count')).toEqual(new Set(['outcome']));
    expect(catalogue.get('lmsw_consumer_lag')).toEqual(new Set(['topic', 'partition']));
    expect(catalogue.has('lmsw_process_cpu_seconds_total')).toBe(true);
    expect(catalogue.has('lmsw_delivery_attempt_duration_seconds')).toBe(false);
  });

  it.each(rules.map((rule) => [rule.alert ?? rule.record!, rule] as const))(
    '%s: its expression parses and every metric, label and grouping it uses exists',
    (_name, rule) => {
      const check = checkPromql(rule.expr, catalogue, targetLabels);
      expect(check.problems).toEqual([]);
      expect(check.selectors.length).toBeGreaterThan(0);
    },
  );

  it.each(dashboardQueries.map((query) => [query.panel, query.expr] as const))(
    'dashboard panel "%s": %s',
    (_panel, expr) => {
      const check = checkPromql(expandGrafanaVariables(expr), catalogue, targetLabels);
      expect(check.problems).toEqual([]);
      // Every panel follows the namespace chosen at the top of the dashboard.
      for (const selector of check.selectors) {
        expect(selector.matchers).toContainEqual({ label: 'namespace', op: '=', value: '$namespace' });
      }
    },
  );

  it('dashboard variables list namespaces from an exported metric and label', () => {
    const namespace = dashboard.templating.list.find((variable) => variable.name === 'namespace')!;
    const match = /^label_values\((.+),\s*(\w+)\)$/.exec(namespace.definition ?? '');
    expect(match).not.toBeNull();
    const [, selector, label] = match!;
    expect(checkPromql(selector, catalogue, targetLabels).problems).toEqual([]);
    expect(targetLabels.has(label)).toBe(true);
  });

  it('selects only app names the PodMonitor can write into `app` (the Deployments’ app.kubernetes.io/name)', () => {
    const appNames = production
      .filter((object) => object.kind === 'Deployment')
      .map(
        (object) =>
          (object.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata
            .labels['app.kubernetes.io/name'],
      );
    expect(appNames.sort()).toEqual(['admin-api', 'dispatcher', 'event-ingestion']);
    const expressions = [...rules.map((rule) => rule.expr), ...dashboardQueries.map((query) => query.expr)];
    for (const expr of expressions) {
      for (const selector of checkPromql(expandGrafanaVariables(expr), catalogue, targetLabels).selectors) {
        for (const matcher of selector.matchers.filter((candidate) => candidate.label === 'app')) {
          expect({ expr, app: matcher.op === '=' && appNames.includes(matcher.value) }).toEqual({
            expr,
            app: true,
          });
        }
      }
    }
  });

  it('finds what could never fire: unknown metrics, missing labels, dropped groupings, a histogram without le, bad syntax', () => {
    const problems = (expr: string) => checkPromql(expr, catalogue, targetLabels).problems;
    expect(problems('rate(lmsw_delivery_outcome_total[5m]) > 0')).toEqual([
      'metric lmsw_delivery_outcome_total is not exported by any app',
    ]);
    expect(problems('lmsw_blocked_lanes{state="released"} > 0')).toEqual([
      'metric lmsw_blocked_lanes has no label "state"',
    ]);
    expect(problems('sum by (partition) (sum by (topic) (lmsw_consumer_lag))')).toEqual([
      'by (partition): the aggregated expression has no label "partition" in sum by (partition) (sum by (topic) (lmsw_consumer_lag))',
    ]);
    expect(
      problems(
        'histogram_quantile(0.99, sum by (namespace) (rate(lmsw_delivery_attempt_duration_seconds_bucket[5m])))',
      ),
    ).toEqual([
      'histogram_quantile(0.99, sum by (namespace) (rate(lmsw_delivery_attempt_duration_seconds_bucket[5m]))): the histogram argument has no "le" label',
    ]);
    expect(problems('lmsw_delivery_attempt_duration_seconds{outcome="dead"}')).toEqual([
      'metric lmsw_delivery_attempt_duration_seconds is not exported by any app',
    ]);
    expect(() => checkPromql('sum(rate(lmsw_relay_requeued_total[5m])', catalogue, targetLabels)).toThrow();
  });

  it('covers issue 17’s list: consumer stopped, lag growing, lanes blocked, DEAD and DLQ, relay re-queues, auto-disabled webhooks, delivery p99', () => {
    const metricsOf = (rule: AlertRule) =>
      checkPromql(rule.expr, catalogue, targetLabels).selectors.map((selector) => selector.metric);
    const alertUsing = (metric: string, test: (rule: AlertRule) => boolean = () => true) =>
      rules
        .filter((rule) => rule.alert && metricsOf(rule).includes(metric) && test(rule))
        .map((rule) => rule.alert);
    expect(alertUsing('lmsw_consumer_running')).toEqual(
      expect.arrayContaining(['LmsWebhooksIngestionStopped', 'LmsWebhooksConsumerStopped']),
    );
    expect(alertUsing('lmsw_consumer_lag', (rule) => rule.expr.includes('deriv('))).toEqual([
      'LmsWebhooksConsumerLagGrowing',
    ]);
    expect(alertUsing('lmsw_blocked_lanes', (rule) => rule.for === '30m')).toEqual([
      'LmsWebhooksLanesBlocked',
    ]);
    expect(
      alertUsing('lmsw_delivery_outcomes_total', (rule) => rule.expr.includes('outcome="dead"')),
    ).toEqual(['LmsWebhooksDeliveriesDead']);
    expect(alertUsing('lmsw_dlq_messages_total')).toEqual(['LmsWebhooksDeadLetters']);
    expect(alertUsing('lmsw_relay_requeued_total')).toEqual(['LmsWebhooksRelayRequeued']);
    expect(alertUsing('lmsw_webhooks_disabled_total')).toEqual(['LmsWebhooksWebhooksDisabled']);
    expect(
      alertUsing('lmsw_delivery_attempt_duration_seconds_bucket', (rule) =>
        rule.expr.includes('histogram_quantile(0.99'),
      ),
    ).toEqual(['LmsWebhooksDeliveryLatencyHigh']);
  });

  it('alerts on a dispatcher deaf to lane wake-ups: its lmsw_lane_wake_listening at 0 for over a minute, per pod', () => {
    const deaf = rules.filter((rule) =>
      checkPromql(rule.expr, catalogue, targetLabels).selectors.some(
        (selector) => selector.metric === 'lmsw_lane_wake_listening',
      ),
    );
    expect(deaf.map((rule) => rule.alert)).toEqual(['LmsWebhooksLaneWakeDeaf']);
    const [rule] = deaf;
    expect(rule.for).toBe('1m');
    // Only the dispatcher listens: admin-api and event-ingestion register the gauge and leave it at 0.
    expect(checkPromql(rule.expr, catalogue, targetLabels).selectors[0].matchers).toContainEqual({
      label: 'app',
      op: '=',
      value: 'dispatcher',
    });
    // One pod without its connection is the alert, not the namespace's best pod.
    expect(rule.expr.replace(/\s+/g, ' ')).toMatch(/^min by \(namespace, pod\) \(.*\) == 0$/);
  });

  it('gives every alert a severity, a summary, a description and a runbook section in docs/operations.md', () => {
    const operations = readFileSync(path.join(REPOSITORY_ROOT, 'docs/operations.md'), 'utf8');
    const sectionStart = operations.indexOf('\n## Alerts\n');
    expect(sectionStart).toBeGreaterThanOrEqual(0);
    const alertsSection = operations.slice(sectionStart);
    for (const rule of rules.filter((candidate) => candidate.alert)) {
      const name = rule.alert!;
      expect({
        name,
        severity: ['critical', 'warning', 'info'].includes(rule.labels?.severity ?? ''),
      }).toEqual({
        name,
        severity: true,
      });
      expect(rule.annotations?.summary).toBeTruthy();
      expect(rule.annotations?.description).toBeTruthy();
      expect(rule.annotations?.runbook).toBe(`docs/operations.md#${name.toLowerCase()}`);
      expect({ name, documented: alertsSection.includes(`\n### ${name}\n`) }).toEqual({
        name,
        documented: true,
      });
    }
  });
});

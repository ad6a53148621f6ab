import { parser } from '@prometheus-io/lezer-promql';

/** The grammar's own node type (taken from the parser, so it is the same @lezer/common build). */
type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/** Labels each exported metric series carries (histograms expanded to _bucket/_sum/_count). */
export type MetricCatalogue = ReadonlyMap<string, ReadonlySet<string>>;

export interface SelectorUse {
  metric: string;
  matchers: Array<{ label: string; op: string; value: string }>;
}

export interface PromqlCheck {
  selectors: SelectorUse[];
  /** Every reason the expression cannot work against the catalogue; empty when it can. */
  problems: string[];
}

/**
 * Parses an expression with the Prometheus project's own PromQL grammar (strict: a syntax error
 * throws) and works out, node by node, which labels each intermediate result can carry: a selector
 * of a metric that is not exported, a matcher on a label the metric does not have, a `by`/`on`
 * label that the inner expression has already dropped, or histogram_quantile over series without
 * `le` is a problem, because such a rule can never fire or always sees nothing.
 *
 * `targetLabels` are the labels the scrape adds to every series (job, instance, and those the
 * PodMonitor sets), which any selector may use.
 */
export function checkPromql(
  expression: string,
  catalogue: MetricCatalogue,
  targetLabels: ReadonlySet<string>,
): PromqlCheck {
  const tree = parser.configure({ strict: true }).parse(expression);
  const check: PromqlCheck = { selectors: [], problems: [] };
  const top = tree.topNode.firstChild;
  if (!top) throw new Error(`empty expression: ${expression}`);
  new LabelFlow(expression, catalogue, targetLabels, check).labels(top);
  return check;
}

/** What an expression evaluates to: a scalar/string, or series carrying (at most) these labels. */
type Result = { scalar: true } | { scalar: false; labels: Set<string> };

const SCALAR: Result = { scalar: true };
const vector = (labels: Iterable<string>): Result => ({ scalar: false, labels: new Set(labels) });

/** Functions whose result has no labels, or no vector argument to take them from. */
const LABEL_FREE_FUNCTIONS = new Set(['Time', 'Vector', 'Scalar', 'Pi']);

class LabelFlow {
  constructor(
    private readonly source: string,
    private readonly catalogue: MetricCatalogue,
    private readonly targetLabels: ReadonlySet<string>,
    private readonly check: PromqlCheck,
  ) {}

  labels(node: SyntaxNode): Result {
    switch (node.name) {
      case 'VectorSelector':
        return this.selector(node);
      case 'MatrixSelector':
      case 'SubqueryExpr':
      case 'OffsetExpr':
      case 'StepInvariantExpr':
      case 'ParenExpr':
      case 'UnaryExpr':
        return this.labels(this.expressionChildren(node)[0]);
      case 'NumberDurationLiteral':
      case 'StringLiteral':
        return SCALAR;
      case 'AggregateExpr':
        return this.aggregate(node);
      case 'FunctionCall':
        return this.functionCall(node);
      case 'BinaryExpr':
        return this.binary(node);
      default:
        throw new Error(`unhandled PromQL node ${node.name} in: ${this.text(node)}`);
    }
  }

  private selector(node: SyntaxNode): Result {
    const identifier = node.getChild('Identifier');
    const matchers = this.matchers(node);
    const nameMatcher = matchers.find((matcher) => matcher.label === '__name__' && matcher.op === '=');
    const metric = identifier ? this.text(identifier) : nameMatcher?.value;
    if (!metric) {
      this.check.problems.push(`selector ${this.text(node)} names no metric`);
      return vector(this.targetLabels);
    }
    this.check.selectors.push({
      metric,
      matchers: matchers.filter((matcher) => matcher.label !== '__name__'),
    });
    const own = this.catalogue.get(metric);
    if (!own) {
      this.check.problems.push(`metric ${metric} is not exported by any app`);
      return vector(this.targetLabels);
    }
    const available = new Set([...own, ...this.targetLabels]);
    for (const matcher of matchers) {
      if (matcher.label !== '__name__' && !available.has(matcher.label)) {
        this.check.problems.push(`metric ${metric} has no label "${matcher.label}"`);
      }
    }
    return vector(available);
  }

  private matchers(node: SyntaxNode): SelectorUse['matchers'] {
    const list = node.getChild('LabelMatchers');
    if (!list) return [];
    const result: SelectorUse['matchers'] = [];
    for (let matcher = list.firstChild; matcher; matcher = matcher.nextSibling) {
      const name = matcher.getChild('LabelName') ?? matcher.getChild('QuotedLabelName');
      const op = matcher.getChild('MatchOp');
      const value = matcher.getChild('StringLiteral');
      if (!name || !op || !value) continue;
      result.push({
        label: unquote(this.text(name)),
        op: this.text(op),
        value: unquote(this.text(value)),
      });
    }
    return result;
  }

  private aggregate(node: SyntaxNode): Result {
    const operator = node.getChild('AggregateOp')?.firstChild?.name ?? '';
    const body = node.getChild('FunctionCallBody');
    const args = body ? this.expressionChildren(body) : [];
    const input = this.labels(args[args.length - 1]);
    for (const parameter of args.slice(0, -1)) this.labels(parameter);
    const inputLabels = input.scalar ? new Set<string>() : input.labels;
    const modifier = node.getChild('AggregateModifier');
    const grouping = modifier ? this.groupingLabels(modifier) : [];
    if (modifier?.getChild('By')) {
      for (const label of grouping) {
        if (!inputLabels.has(label)) {
          this.check.problems.push(
            `by (${label}): the aggregated expression has no label "${label}" in ${this.text(node)}`,
          );
        }
      }
    }
    // topk/bottomk/limitk keep whole series; count_values adds its output label.
    if (['Topk', 'Bottomk', 'LimitK', 'LimitRatio'].includes(operator)) return vector(inputLabels);
    const added = operator === 'CountValues' && args.length === 2 ? [unquote(this.text(args[0]))] : [];
    if (modifier?.getChild('By')) return vector([...grouping, ...added]);
    if (modifier?.getChild('Without')) {
      return vector([...[...inputLabels].filter((label) => !grouping.includes(label)), ...added]);
    }
    return vector(added);
  }

  private functionCall(node: SyntaxNode): Result {
    const name = node.getChild('FunctionIdentifier')?.firstChild?.name ?? '';
    const body = node.getChild('FunctionCallBody');
    const args = body ? this.expressionChildren(body) : [];
    const results = args.map((argument) => this.labels(argument));
    if (LABEL_FREE_FUNCTIONS.has(name))
      return name === 'Scalar' || name === 'Time' || name === 'Pi' ? SCALAR : vector([]);
    const firstVector = results.find(
      (result): result is { scalar: false; labels: Set<string> } => !result.scalar,
    );
    const labels = new Set(firstVector?.labels ?? []);
    switch (name) {
      case 'HistogramQuantile':
      case 'HistogramFraction': {
        if (!labels.has('le')) {
          this.check.problems.push(`${this.text(node)}: the histogram argument has no "le" label`);
        }
        labels.delete('le');
        return vector(labels);
      }
      case 'Absent':
      case 'AbsentOverTime': {
        // The result carries the selector's equality matchers' labels, nothing else.
        let selector: SyntaxNode | null = args[0] ?? null;
        if (selector?.name === 'MatrixSelector') selector = selector.getChild('VectorSelector');
        if (selector?.name !== 'VectorSelector') return vector([]);
        return vector(
          this.matchers(selector)
            .filter((matcher) => matcher.op === '=' && matcher.label !== '__name__')
            .map((matcher) => matcher.label),
        );
      }
      case 'LabelReplace':
      case 'LabelJoin':
        if (args.length > 1) labels.add(unquote(this.text(args[1])));
        return vector(labels);
      default:
        return firstVector ? vector(labels) : SCALAR;
    }
  }

  private binary(node: SyntaxNode): Result {
    const [left, right] = this.expressionChildren(node);
    const leftResult = this.labels(left);
    const rightResult = this.labels(right);
    const matching = node.getChild('MatchingModifierClause');
    if (matching?.getChild('On')) {
      const on = this.groupingLabels(matching, true);
      for (const [side, result] of [
        ['left', leftResult],
        ['right', rightResult],
      ] as const) {
        if (result.scalar) continue;
        for (const label of on) {
          if (!result.labels.has(label)) {
            this.check.problems.push(
              `on (${label}): the ${side} side has no label "${label}" in ${this.text(node)}`,
            );
          }
        }
      }
    }
    if (leftResult.scalar) return rightResult;
    if (rightResult.scalar) return leftResult;
    if (node.getChild('Or')) return vector([...leftResult.labels, ...rightResult.labels]);
    return leftResult;
  }

  private groupingLabels(node: SyntaxNode, firstOnly = false): string[] {
    const groups = node.getChildren('GroupingLabels');
    const chosen = firstOnly ? groups.slice(0, 1) : groups;
    return chosen.flatMap((group) => group.getChildren('LabelName').map((label) => this.text(label)));
  }

  /** Children that are expressions (not keywords, operators, modifiers or durations). */
  private expressionChildren(node: SyntaxNode): SyntaxNode[] {
    const children: SyntaxNode[] = [];
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (EXPRESSION_NODES.has(child.name)) children.push(child);
    }
    return children;
  }

  private text(node: SyntaxNode): string {
    return this.source.slice(node.from, node.to);
  }
}

const EXPRESSION_NODES = new Set([
  'VectorSelector',
  'MatrixSelector',
  'SubqueryExpr',
  'OffsetExpr',
  'StepInvariantExpr',
  'ParenExpr',
  'UnaryExpr',
  'NumberDurationLiteral',
  'StringLiteral',
  'AggregateExpr',
  'FunctionCall',
  'BinaryExpr',
]);

function unquote(text: string): string {
  if (/^["'`]/.test(text))
    return JSON.parse(text.startsWith('"') ? text : `"${text.slice(1, -1)}"`) as string;
  return text;
}

/**
 * Grafana's built-in interval variables, replaced as Grafana does before the query reaches
 * Prometheus; template variables inside label values ($namespace) are left as they are.
 */
export function expandGrafanaVariables(query: string): string {
  return query.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m');
}

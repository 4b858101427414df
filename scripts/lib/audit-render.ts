/**
 * Markdown and self-contained HTML renderings of the audit report. Every
 * value from a template is escaped (pipes and backticks in Markdown, HTML
 * entities in HTML), so a partner name or URL cannot change the document.
 */
import type { AuditReport, PartnerAudit, RoleAudit, WebhookAudit } from './audit-report';

/** Markdown table cell: no line breaks, no column breaks. */
const md = (value: unknown): string =>
  String(value ?? '')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ')
    .replace(/</g, '&lt;');

/** Inline code in Markdown; a cell-safe code span even when the text holds backticks. */
const code = (value: unknown): string => {
  const text = md(value);
  const fence = text.includes('`') ? '``' : '`';
  return text ? `${fence}${fence === '``' ? ' ' : ''}${text}${fence === '``' ? ' ' : ''}${fence}` : '';
};

const html = (value: unknown): string =>
  String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

const where = (ref?: { stack: string; logicalId: string; name?: string }) =>
  ref ? `${ref.name ? `${ref.name} ` : ''}(${ref.stack}/${ref.logicalId})` : '-';

const retry = (w: WebhookAudit) =>
  w.retryPolicy
    ? `max age ${w.retryPolicy.maximumEventAgeInSeconds ?? '-'} s, ${w.retryPolicy.maximumRetryAttempts ?? '-'} attempts`
    : '-';

/**
 * A table cell before it is rendered: the renderers differ only in how they
 * escape and join, so every table is built once, below, and rendered twice.
 */
type Cell =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'code'; readonly text: string }
  /** A value that needs attention (a crossed quota). */
  | { readonly kind: 'alarm'; readonly text: string }
  /** Parts shown in sequence: `path` as hops (a -> b), `stack` one above the other. */
  | { readonly kind: 'parts'; readonly parts: readonly Cell[]; readonly join: 'path' | 'stack' };

interface Table {
  readonly header: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
}

const text = (value: unknown): Cell => ({ kind: 'text', text: String(value ?? '') });
const codeCell = (value: unknown): Cell => ({ kind: 'code', text: String(value ?? '') });
const NONE = text('-');

interface Row {
  readonly partner: PartnerAudit;
  readonly webhook?: WebhookAudit;
}

const partnerRows = (report: AuditReport): Row[] =>
  report.partners.flatMap((partner) =>
    partner.webhooks.length ? partner.webhooks.map((webhook) => ({ partner, webhook })) : [{ partner }],
  );

const quotaTable = (report: AuditReport): Table => ({
  header: ['quota', 'where', 'actual', 'limit', 'ok'],
  rows: report.quotas.map((q) => [
    text(q.quota),
    text(q.where),
    text(q.actual),
    text(q.limit),
    q.ok ? text('yes') : { kind: 'alarm', text: 'NO' },
  ]),
});

/** Who receives what, where, with which credential: one row per webhook (or per partner without one). */
const partnerTable = (report: AuditReport): Table => ({
  header: [
    'orgId',
    'stack',
    'webhook',
    'bus path',
    'event types',
    'event pattern',
    'destination URL',
    'rate/s',
    'auth',
    'secret reference',
    'retry',
    'DLQ',
  ],
  rows: partnerRows(report).map(({ partner, webhook: w }) => [
    text(partner.orgId),
    text(partner.stack),
    text(w?.webhookId ?? '(no webhook)'),
    w ? { kind: 'parts', parts: w.busPath.map(text), join: 'path' } : NONE,
    text(w?.eventTypes.join(', ') ?? '-'),
    w ? codeCell(w.eventPattern) : NONE,
    text(w?.destination?.url ?? '-'),
    text(w?.destination?.rateLimitPerSecond ?? '-'),
    text(w?.connection ? `${w.connection.authorizationType} ${w.connection.credentialName ?? ''}`.trim() : '-'),
    w?.connection
      ? {
          kind: 'parts',
          parts: [codeCell(w.connection.secretReference), text(where(w.connection.secret))],
          join: 'stack',
        }
      : NONE,
    text(w ? retry(w) : '-'),
    text(where(w?.deadLetterQueue)),
  ]),
});

/** Every alarm per stack; one that tells nobody is marked (it is also a problem). */
const alarmTable = (report: AuditReport): Table => ({
  header: ['stack', 'alarm', 'watches', 'fires when', 'notifies'],
  rows: report.alarms.map((a) => [
    text(a.stack),
    text(a.name),
    codeCell(a.watches),
    text(a.condition),
    a.actions.length === 0 || !a.actionsEnabled
      ? { kind: 'alarm', text: a.actions.length === 0 ? 'nobody (no action)' : 'nobody (actions disabled)' }
      : { kind: 'parts', parts: a.actions.map(text), join: 'stack' },
  ]),
});

const acknowledgedTable = (report: AuditReport): Table => ({
  header: ['rule', 'resource', 'reason'],
  rows: report.nag.acknowledged.map((a) => [codeCell(a.rule), text(`${a.stack}/${a.logicalId}`), text(a.reason)]),
});

const unsuppressedTable = (report: AuditReport): Table => ({
  header: ['plugin', 'rule', 'severity', 'description', 'resources'],
  rows: report.nag.unsuppressed.map((u) => [
    text(u.plugin),
    codeCell(u.rule),
    text(u.severity),
    text(u.description),
    text(u.resources.join(', ')),
  ]),
});

const stackTable = (report: AuditReport): Table => ({
  header: ['stack', 'template', 'resources', 'bytes', 'stack tags'],
  rows: report.stacks.map((s) => [
    text(s.name),
    text(s.templateFile),
    text(s.resources),
    text(s.templateBytes),
    text(
      Object.entries(s.tags)
        .map(([k, v]) => `${k}=${v}`)
        .join(', '),
    ),
  ]),
});

function markdownCell(cell: Cell): string {
  switch (cell.kind) {
    case 'text':
      return md(cell.text);
    case 'code':
      return code(cell.text);
    case 'alarm':
      return `**${md(cell.text)}**`;
    case 'parts':
      return cell.parts.map(markdownCell).join(cell.join === 'path' ? ' -> ' : ' ');
  }
}

function markdownTable(table: Table): string {
  return [
    `| ${table.header.join(' | ')} |`,
    `|${table.header.map(() => '---').join('|')}|`,
    ...table.rows.map((r) => `| ${r.map(markdownCell).join(' | ')} |`),
  ].join('\n');
}

const roleStatements = (role: RoleAudit) =>
  role.policies.flatMap((policy) =>
    policy.statements.map((statement) => `${policy.name}: ${JSON.stringify(statement)}`),
  );

export function renderMarkdown(report: AuditReport): string {
  const lines: string[] = [
    `# Audit report: ${report.environment.name}`,
    '',
    `Environment **${md(report.environment.name)}** (from the ${md(report.environment.source)}); quotas from ${md(report.environment.quotasFrom)}.`,
    `Generated by \`npm run audit\` from cdk.out only. ${report.totals.partners} partners, ${report.totals.webhooks} webhooks, ` +
      `${report.totals.stacks} stacks, ${report.totals.roles} IAM roles, ${report.totals.acknowledgedFindings} acknowledged and ` +
      `${report.totals.unsuppressedFindings} unsuppressed findings, ${report.totals.alarms} alarms.`,
    '',
    '## Problems',
    '',
    ...(report.problems.length ? report.problems.map((p) => `- ${md(p)}`) : ['None.']),
    '',
    '## Quotas',
    '',
    markdownTable(quotaTable(report)),
    '',
    '## Partners: who receives what, where, with which credential',
    '',
    markdownTable(partnerTable(report)),
    '',
    '## IAM roles',
    '',
    ...report.roles.flatMap((role) => [
      `### ${md(role.stack)}/${md(role.logicalId)}`,
      '',
      ...(role.path ? [`Path: ${code(role.path)}`, ''] : []),
      `Trust: ${role.trust.map((s) => code(JSON.stringify(s))).join(' ')}`,
      '',
      ...(role.managedPolicies.length ? [`Managed policies: ${role.managedPolicies.map(code).join(', ')}`, ''] : []),
      ...roleStatements(role).map((s) => `- ${code(s)}`),
      '',
    ]),
    '## Alarms',
    '',
    ...(report.alarms.length ? [markdownTable(alarmTable(report))] : ['None.']),
    '',
    '## cdk-nag: acknowledged findings',
    '',
    markdownTable(acknowledgedTable(report)),
    '',
    '## Unsuppressed findings (cdk.out/validation-report.json)',
    '',
    ...(report.nag.unsuppressed.length ? [markdownTable(unsuppressedTable(report))] : ['None.']),
    '',
    '## Stacks',
    '',
    markdownTable(stackTable(report)),
    '',
  ];
  return lines.join('\n');
}

const hcode = (value: unknown) => `<code>${html(value)}</code>`;

function htmlCell(cell: Cell): string {
  switch (cell.kind) {
    case 'text':
      return html(cell.text);
    case 'code':
      return hcode(cell.text);
    case 'alarm':
      return `<strong class="bad">${html(cell.text)}</strong>`;
    case 'parts':
      return cell.parts.map(htmlCell).join(cell.join === 'path' ? '<br>&rarr; ' : '<br>');
  }
}

function htmlTable(table: Table): string {
  return [
    '<table>',
    `<thead><tr>${table.header.map((h) => `<th>${html(h)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...table.rows.map((r) => `<tr>${r.map((cell) => `<td>${htmlCell(cell)}</td>`).join('')}</tr>`),
    '</tbody>',
    '</table>',
  ].join('\n');
}

/** One HTML file, no external CSS, scripts, fonts or images. */
export function renderHtml(report: AuditReport): string {
  const title = `Audit report: ${report.environment.name}`;
  const body = [
    `<h1>${html(title)}</h1>`,
    `<p>Environment <strong>${html(report.environment.name)}</strong> (from the ${html(report.environment.source)}); quotas from ${html(report.environment.quotasFrom)}. ` +
      `${report.totals.partners} partners, ${report.totals.webhooks} webhooks, ${report.totals.stacks} stacks, ${report.totals.roles} IAM roles, ` +
      `${report.totals.acknowledgedFindings} acknowledged and ${report.totals.unsuppressedFindings} unsuppressed findings, ${report.totals.alarms} alarms.</p>`,
    '<h2>Problems</h2>',
    report.problems.length ? `<ul>${report.problems.map((p) => `<li>${html(p)}</li>`).join('')}</ul>` : '<p>None.</p>',
    '<h2>Quotas</h2>',
    htmlTable(quotaTable(report)),
    '<h2>Partners: who receives what, where, with which credential</h2>',
    htmlTable(partnerTable(report)),
    '<h2>IAM roles</h2>',
    ...report.roles.map((role) =>
      [
        `<h3>${html(`${role.stack}/${role.logicalId}`)}</h3>`,
        role.path ? `<p>Path: ${hcode(role.path)}</p>` : '',
        `<p>Trust: ${role.trust.map((s) => hcode(JSON.stringify(s))).join(' ')}</p>`,
        role.managedPolicies.length ? `<p>Managed policies: ${role.managedPolicies.map(hcode).join(', ')}</p>` : '',
        `<ul>${roleStatements(role)
          .map((s) => `<li>${hcode(s)}</li>`)
          .join('')}</ul>`,
      ].join('\n'),
    ),
    '<h2>Alarms</h2>',
    report.alarms.length ? htmlTable(alarmTable(report)) : '<p>None.</p>',
    '<h2>cdk-nag: acknowledged findings</h2>',
    htmlTable(acknowledgedTable(report)),
    '<h2>Unsuppressed findings (cdk.out/validation-report.json)</h2>',
    report.nag.unsuppressed.length ? htmlTable(unsuppressedTable(report)) : '<p>None.</p>',
    '<h2>Stacks</h2>',
    htmlTable(stackTable(report)),
  ].join('\n');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${html(title)}</title>`,
    '<style>',
    'body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b}',
    'table{border-collapse:collapse;margin:1rem 0;font-size:.85rem}',
    'th,td{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}',
    'th{background:#f2f2f2}code{font-size:.8rem;word-break:break-all}.bad{color:#b00020}',
    '</style>',
    '</head>',
    '<body>',
    body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * The "View usage" page of one API key: totals, status classes and error
 * rate, last use, the rate limit in force, and requests over time as a
 * server-rendered SVG bar chart (no scripts; `role="img"` with a title and
 * description) followed by a table of the same numbers, so the chart is
 * never the only way to read them. Hour and day are two links.
 */
import type { UsageView } from '../api/usage-handlers';
import { STATUS_CLASSES, type UsageGranularity } from '../core/usage';
import { html, type SafeHtml } from './html';
import { type Viewer, layout } from './views';

export function usagePath(keyId: string, granularity?: UsageGranularity): string {
  const path = `/keys/${encodeURIComponent(keyId)}/usage`;
  return granularity === undefined ? path : `${path}?granularity=${granularity}`;
}

export interface UsagePageModel {
  readonly viewer: Viewer;
  readonly usage: UsageView;
  /** The key as partners see it: first 8, `…`, last 4. */
  readonly maskedKey: string;
}

const CHART = { width: 720, height: 180, top: 10, bottom: 24, left: 40 } as const;

function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

function label(start: string, granularity: UsageGranularity): string {
  return granularity === 'hour' ? `${start.slice(0, 10)} ${start.slice(11, 16)} UTC` : start.slice(0, 10);
}

/** Bars of requests per bucket, errors (4xx and 5xx) drawn over them in a second colour. */
function chart(usage: UsageView): SafeHtml {
  const buckets = usage.buckets;
  const max = Math.max(1, ...buckets.map((bucket) => bucket.requests));
  const plotHeight = CHART.height - CHART.top - CHART.bottom;
  const step = (CHART.width - CHART.left) / Math.max(1, buckets.length);
  const barWidth = Math.max(1, step * 0.8);
  const y = (count: number) => CHART.top + plotHeight - (count / max) * plotHeight;
  const bars = buckets.map((bucket, index) => {
    const x = (CHART.left + index * step).toFixed(1);
    const errors = bucket.statusClasses['4xx'] + bucket.statusClasses['5xx'];
    return html`<rect
        class="usage-bar"
        x="${x}"
        y="${y(bucket.requests).toFixed(1)}"
        width="${barWidth.toFixed(1)}"
        height="${(CHART.top + plotHeight - y(bucket.requests)).toFixed(1)}"
        ><title>${label(bucket.start, usage.granularity)}: ${bucket.requests} requests, ${errors} errors</title></rect
      >${errors === 0 ? '' : html`<rect class="usage-error-bar" x="${x}" y="${y(errors).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(CHART.top + plotHeight - y(errors)).toFixed(1)}"></rect>`}`;
  });
  const first = buckets[0];
  const last = buckets.at(-1);
  return html`<svg
    id="usage-chart"
    role="img"
    aria-labelledby="usage-chart-title usage-chart-desc"
    viewBox="0 0 ${CHART.width} ${CHART.height}"
    width="100%"
    xmlns="http://www.w3.org/2000/svg"
  >
    <title id="usage-chart-title">Requests per ${usage.granularity}</title>
    <desc id="usage-chart-desc">
      ${usage.totals.requests} requests from ${label(usage.from, usage.granularity)} to
      ${label(usage.to, usage.granularity)}, at most ${max} in one ${usage.granularity}; errors (4xx and 5xx) drawn
      darker. The table below has the same numbers.
    </desc>
    <line
      x1="${CHART.left}"
      y1="${CHART.top + plotHeight}"
      x2="${CHART.width}"
      y2="${CHART.top + plotHeight}"
      stroke="currentColor"
    ></line>
    <text x="0" y="${CHART.top + 10}" font-size="11">${max}</text>
    <text x="0" y="${CHART.top + plotHeight}" font-size="11">0</text>
    ${bars}
    ${first === undefined ? '' : html`<text x="${CHART.left}" y="${CHART.height - 6}" font-size="11">${label(first.start, usage.granularity)}</text>`}
    ${last === undefined ? '' : html`<text x="${CHART.width}" y="${CHART.height - 6}" font-size="11" text-anchor="end">${label(last.start, usage.granularity)}</text>`}
  </svg>`;
}

function totals(model: UsagePageModel): SafeHtml {
  const { usage } = model;
  const rate = usage.rateLimit;
  return html`<dl id="usage-totals">
    <dt>Total requests</dt>
    <dd id="usage-total">${usage.totals.requests}</dd>
    ${STATUS_CLASSES.filter((name) => name !== '1xx').map(
      (name) =>
        html`<dt>${name}</dt>
          <dd id="usage-${name}">${usage.totals.statusClasses[name]}</dd>`,
    )}
    <dt>Error rate (4xx and 5xx)</dt>
    <dd id="usage-error-rate">${percent(usage.totals.errorRate)}</dd>
    <dt>Status codes</dt>
    <dd id="usage-codes">
      ${
        Object.entries(usage.totals.byStatus)
          .map(([code, count]) => `${code}: ${count}`)
          .join(', ') || 'none'
      }
    </dd>
    <dt>Last used</dt>
    <dd id="usage-last-used">${usage.lastUsedAt ?? 'never'}</dd>
    <dt>Rate limit</dt>
    <dd id="usage-rate-limit">
      ${rate === null ? 'as configured for your organization' : `${rate.requestsPerSecond} requests per second, bursts of ${rate.burst} (per organization)`}
    </dd>
  </dl>`;
}

function table(usage: UsageView): SafeHtml {
  const rows = usage.buckets.filter((bucket) => bucket.requests > 0);
  return html`<table id="usage-table">
    <caption>
      Requests per ${usage.granularity} (${usage.granularity === 'hour' ? 'hours' : 'days'} with requests)
    </caption>
    <thead>
      <tr>
        <th scope="col">${usage.granularity === 'hour' ? 'Hour' : 'Day'}</th>
        <th scope="col">Requests</th>
        <th scope="col">2xx</th>
        <th scope="col">3xx</th>
        <th scope="col">4xx</th>
        <th scope="col">5xx</th>
      </tr>
    </thead>
    <tbody>
      ${
        rows.length === 0
          ? html`<tr>
              <td colspan="6">No requests in this range.</td>
            </tr>`
          : rows.map(
              (bucket) =>
                html`<tr>
                  <th scope="row">${label(bucket.start, usage.granularity)}</th>
                  <td>${bucket.requests}</td>
                  <td>${bucket.statusClasses['2xx']}</td>
                  <td>${bucket.statusClasses['3xx']}</td>
                  <td>${bucket.statusClasses['4xx']}</td>
                  <td>${bucket.statusClasses['5xx']}</td>
                </tr>`,
            )
      }
    </tbody>
  </table>`;
}

function granularityLinks(usage: UsageView): SafeHtml {
  const link = (granularity: UsageGranularity, text: string) =>
    usage.granularity === granularity
      ? html`<strong aria-current="page">${text}</strong>`
      : html`<a href="${usagePath(usage.keyId, granularity)}" id="usage-by-${granularity}">${text}</a>`;
  return html`<nav aria-label="Granularity">
    <p>${link('hour', 'Last day by hour')} · ${link('day', 'Last 30 days by day')}</p>
  </nav>`;
}

export function usagePage(model: UsagePageModel): string {
  return layout(
    'API key usage',
    html`<p><a href="/dashboard">← Dashboard</a></p>
      <h1>Usage of key <code id="usage-key">${model.maskedKey}</code></h1>
      <p>
        Every request made with this key that passed the key check, counted from the API's access logs (usually within a
        minute).
      </p>
      ${granularityLinks(model.usage)} ${totals(model)} ${chart(model.usage)} ${table(model.usage)}`,
    model.viewer,
  );
}

import { type Html, html } from '../html.js';

/** One line of the chart: a name and its values by day. */
export interface ChartSeries {
  readonly name: string;
  readonly points: readonly { readonly day: string; readonly value: number }[];
}

const WIDTH = 720;
const HEIGHT = 240;
const MARGIN = { top: 12, right: 16, bottom: 28, left: 48 };
// Distinct hues that keep 3:1 contrast on white, each with its own dash pattern so lines differ without colour too.
const LINE_STYLES = [
  { stroke: '#0b5cad', dash: '' },
  { stroke: '#a40e26', dash: '6 3' },
  { stroke: '#116329', dash: '2 3' },
  { stroke: '#6639ba', dash: '8 3 2 3' },
  { stroke: '#7d4e00', dash: '12 4' },
  { stroke: '#3c4650', dash: '1 2' },
];

const dayNumber = (day: string) => Date.parse(`${day}T00:00:00Z`) / 86_400_000;

/** A line chart as inline SVG (no script): vulnerable pairs per branch over time, with a legend giving today's values. */
export function lineChart(title: string, series: readonly ChartSeries[]): Html {
  const all = series.flatMap((line) => line.points);
  if (all.length === 0) return html`<p class="muted">No state changes recorded yet.</p>`;
  const days = all.map((point) => dayNumber(point.day));
  const firstDay = Math.min(...days);
  const lastDay = Math.max(...days, firstDay + 1);
  const maxValue = Math.max(1, ...all.map((point) => point.value));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (day: string) => MARGIN.left + ((dayNumber(day) - firstDay) / (lastDay - firstDay)) * plotWidth;
  const y = (value: number) => MARGIN.top + plotHeight - (value / maxValue) * plotHeight;
  const lines = series.map((line, index) => {
    const style = LINE_STYLES[index % LINE_STYLES.length]!;
    // A step line: the count holds until the next day with a change.
    const coordinates: string[] = [];
    line.points.forEach((point, at) => {
      if (at > 0) coordinates.push(`${x(point.day).toFixed(1)},${y(line.points[at - 1]!.value).toFixed(1)}`);
      coordinates.push(`${x(point.day).toFixed(1)},${y(point.value).toFixed(1)}`);
    });
    const last = line.points.at(-1);
    if (last !== undefined) coordinates.push(`${(MARGIN.left + plotWidth).toFixed(1)},${y(last.value).toFixed(1)}`);
    return { line, style, coordinates: coordinates.join(' '), last: last?.value ?? 0 };
  });
  const firstLabel = new Date(firstDay * 86_400_000).toISOString().slice(0, 10);
  const lastLabel = new Date(lastDay * 86_400_000).toISOString().slice(0, 10);
  return html`<figure class="chart">
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">
<title id="chart-title">${title}</title>
<desc id="chart-desc">${lines.map((entry) => `${entry.line.name}: ${entry.last} open now. `)}</desc>
<line class="axis" x1="${MARGIN.left}" y1="${MARGIN.top + plotHeight}" x2="${MARGIN.left + plotWidth}" y2="${MARGIN.top + plotHeight}"/>
<line class="axis" x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotHeight}"/>
<text x="${MARGIN.left - 6}" y="${MARGIN.top + 4}" text-anchor="end">${maxValue}</text>
<text x="${MARGIN.left - 6}" y="${MARGIN.top + plotHeight}" text-anchor="end">0</text>
<text x="${MARGIN.left}" y="${HEIGHT - 8}">${firstLabel}</text>
<text x="${MARGIN.left + plotWidth}" y="${HEIGHT - 8}" text-anchor="end">${lastLabel}</text>
${lines.map((entry) => html`<polyline fill="none" stroke="${entry.style.stroke}" stroke-width="2" stroke-dasharray="${entry.style.dash}" points="${entry.coordinates}"/>`)}
</svg>
<figcaption><ul class="inline">${lines.map(
    (entry) => html`<li><svg width="28" height="10" aria-hidden="true"><line x1="0" y1="5" x2="28" y2="5" stroke="${entry.style.stroke}" stroke-width="2" stroke-dasharray="${entry.style.dash}"/></svg> ${entry.line.name}: ${entry.last} open</li>`,
  )}</ul></figcaption>
</figure>`;
}

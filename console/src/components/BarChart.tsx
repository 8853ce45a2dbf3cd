// A bar chart in SVG, drawn from the data alone (no chart library ships), with the same figures in a table
// for screen readers and for anyone who wants the numbers. Bars grow from the inline start, so a
// right-to-left page mirrors the chart too.
import { formatNumber, useLocale } from "../i18n";

export interface Bar {
  label: string;
  value: number;
}

const BAR = 22;
const GAP = 6;
const LABEL = 140;
const WIDTH = 520;

export function BarChart({ title, bars }: { title: string; bars: readonly Bar[] }) {
  const { language } = useLocale();
  const rtl = document.documentElement.dir === "rtl";
  const highest = Math.max(1, ...bars.map((bar) => bar.value));
  const height = bars.length * (BAR + GAP);
  const span = WIDTH - LABEL - 60;
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${Math.max(height, BAR)}`} role="img" aria-label={title} focusable="false">
        {bars.map((bar, index) => {
          const y = index * (BAR + GAP);
          const length = (bar.value / highest) * span;
          const x = rtl ? WIDTH - LABEL - length : LABEL;
          return (
            <g key={bar.label}>
              <text x={rtl ? WIDTH - 4 : 4} y={y + BAR * 0.7} text-anchor="start" class="chart-label">
                {bar.label}
              </text>
              <rect x={x} y={y} width={Math.max(length, 1)} height={BAR} class="chart-bar" />
              <text x={rtl ? x - 4 : x + length + 4} y={y + BAR * 0.7} class="chart-value">
                {formatNumber(language, bar.value)}
              </text>
            </g>
          );
        })}
      </svg>
      <table class="visually-hidden">
        <caption>{title}</caption>
        <tbody>
          {bars.map((bar) => (
            <tr key={bar.label}>
              <th scope="row">{bar.label}</th>
              <td>{formatNumber(language, bar.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

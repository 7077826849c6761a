// The spectrum of the learned update ΔW = s·B·A per adapter (the engine's Session.spectra(), read
// through the worker's `spectra()` after a window of steps): singular values on a log scale,
// the effective rank and ‖ΔW‖/‖W‖ per layer, and for the low-rank teacher the true ΔW* beside
// it — its spectrum, the principal angles between learned and true subspaces, and two heatmaps.
// Plain SVG; data comes in as props. Numbers carry data-testid and data-value(s) for the e2e tests.
import { useEffect, useRef } from 'react';
import type { Spectra } from '../engine/types.ts';

const W = 360;
const H = 150;
const PAD = 28;
const fmt = (x: number) => (x === 0 ? '0' : Math.abs(x) >= 1e-2 && Math.abs(x) < 1e4 ? x.toPrecision(4) : x.toExponential(2));
const deg = (radians: number) => `${((radians * 180) / Math.PI).toFixed(1)}°`;

type Series = { key: string; values: number[]; dashed?: boolean; testId: string };

/** σ descending per series, on log₁₀ axes; zeros sit on the bottom edge. */
function SingularValuePlot({ series }: { series: Series[] }) {
  const positive = series.flatMap((s) => s.values.filter((v) => v > 0));
  const top = positive.length ? Math.ceil(Math.log10(Math.max(...positive))) : 0;
  const bottom = Math.min(top - 1, Math.floor(Math.log10(Math.min(...positive, 10 ** top))));
  const n = Math.max(2, ...series.map((s) => s.values.length));
  const x = (i: number) => PAD + (i / (n - 1)) * (W - 2 * PAD);
  const y = (v: number) => (v > 0 ? PAD / 2 + ((top - Math.log10(v)) / (top - bottom)) * (H - PAD) : H - PAD / 2);
  return (
    <svg width={W} height={H} role="img" aria-label="singular values of ΔW per module, log scale" className="chart-small">
      <line x1={PAD} y1={H - PAD / 2} x2={W - PAD} y2={H - PAD / 2} stroke="#999" />
      <line x1={PAD} y1={PAD / 2} x2={PAD} y2={H - PAD / 2} stroke="#999" />
      <text x={2} y={PAD / 2 + 4} fontSize={9}>1e{top}</text>
      <text x={2} y={H - PAD / 2} fontSize={9}>1e{bottom}</text>
      <text x={W - PAD} y={H - 2} fontSize={9} textAnchor="end">index i (σ₁ ≥ σ₂ ≥ …)</text>
      {!positive.length && <text x={W / 2} y={H / 2} fontSize={11} textAnchor="middle">{series.length ? 'ΔW = 0: B is still zero' : 'no adapter: full fine-tuning trains W itself'}</text>}
      {series.map((s, k) => (
        <g key={s.key} data-testid={s.testId} data-values={s.values.join(',')} stroke={s.dashed ? '#c0392b' : `hsl(${(k * 47) % 360} 55% 40%)`} fill="none">
          <polyline points={s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')} strokeDasharray={s.dashed ? '4 3' : undefined} strokeOpacity={series.length > 8 && !s.dashed ? 0.5 : 1} />
          {s.values.length <= 64 && s.values.map((v, i) => <circle key={i} cx={x(i).toFixed(1)} cy={y(v).toFixed(1)} r={1.8} />)}
        </g>
      ))}
    </svg>
  );
}

/**
 * A (rows, cols) matrix as coloured pixels, blue < 0 < red, ±`scale`, on a canvas scaled up by
 * CSS: one putImageData per update (4,096 SVG cells cost a 60–90 ms render while training).
 */
function Heatmap({ values, rows, cols, scale, label, testId }: { values: Float32Array; rows: number; cols: number; scale: number; label: string; testId: string }) {
  const ref = useRef<HTMLCanvasElement | null>(null);
  useEffect(() => {
    const context = ref.current?.getContext('2d');
    if (!context) return;
    const image = context.createImageData(cols, rows);
    for (let k = 0; k < rows * cols; k++) {
      const v = Math.max(-1, Math.min(1, values[k] / (scale || 1)));
      const fade = Math.round(255 * (1 - Math.abs(v)));
      image.data.set(v >= 0 ? [255, fade, fade, 255] : [fade, fade, 255, 255], 4 * k);
    }
    context.putImageData(image, 0, 0);
  }, [values, rows, cols, scale]);
  const size = 128;
  return (
    <figure style={{ margin: 0 }}>
      <canvas ref={ref} width={cols} height={rows} role="img" aria-label={label} data-testid={testId} data-max-abs={scale}
        style={{ width: size, height: (size * rows) / cols, imageRendering: 'pixelated', border: '1px solid #dde3ea' }} />
      <figcaption className="small">{label}</figcaption>
    </figure>
  );
}

export function SpectrumPanel({ spectra }: { spectra: Spectra | null }) {
  if (!spectra) {
    return (
      <section className="panel spectrum-panel" aria-labelledby="spectrum-title">
        <h2 id="spectrum-title">Spectrum of the learned update</h2>
        <p className="note">Train or step: the singular values of ΔW = s·B·A are read after a window of steps.</p>
      </section>
    );
  }
  const t = spectra.teacher;
  const series: Series[] = spectra.modules.map((m) => ({ key: m.path, values: m.singularValues, testId: `spectrum-sv-${m.path}` }));
  if (t) series.push({ key: 'ΔW*', values: t.trueSingularValues, dashed: true, testId: 'spectrum-true-sv' });
  const maxAbs = t ? Math.max(...Array.from(t.heatmap.truth, Math.abs), ...Array.from(t.heatmap.learned, Math.abs)) : 0;
  const cell = (id: string, value: number, text = fmt(value)) => <td className="mono" data-testid={id} data-value={value}>{text}</td>;
  return (
    <section className="panel spectrum-panel" aria-labelledby="spectrum-title" data-testid="spectrum-panel" data-step={spectra.step}>
      <h2 id="spectrum-title">Spectrum of the learned update at step {spectra.step}</h2>
      <SingularValuePlot series={series} />
      <p className="small">
        σ of ΔW = s·B·A per module (log scale){t && <>, with ΔW*'s true σ dashed in red</>}. Effective rank: exp of the entropy of σ/Σσ
        (Roy &amp; Vetterli), between 1 and r; beside it the count of σ above 10⁻⁶·σ₁.
      </p>
      <div className="run-table-wrap">
        <table className="table nowrap" aria-label="spectrum per module">
          <thead><tr><th>module</th><th>r</th><th>s</th><th>σ₁</th><th>eff. rank</th><th>σ &gt; 10⁻⁶σ₁</th><th>‖ΔW‖_F</th><th>‖W‖_F</th><th>‖ΔW‖/‖W‖</th></tr></thead>
          <tbody>
            {spectra.modules.map((m) => (
              <tr key={m.path} data-testid="spectrum-row">
                <td title={m.path}>{m.path.replace(/^model\.layers\.(\d+)\.(self_attn|mlp)\./, 'L$1.')}</td><td>{m.rank}</td><td className="mono">{fmt(m.scale)}</td>
                {cell(`spectrum-sigma1-${m.path}`, m.singularValues[0] ?? 0)}
                {cell(`spectrum-erank-${m.path}`, m.effectiveRank, m.effectiveRank.toFixed(2))}
                {cell(`spectrum-nrank-${m.path}`, m.numericalRank, String(m.numericalRank))}
                {cell(`spectrum-delta-norm-${m.path}`, m.deltaNorm)}
                {cell(`spectrum-base-norm-${m.path}`, m.baseNorm)}
                {cell(`spectrum-ratio-${m.path}`, m.ratio)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {t && (
        <>
          <p data-testid="spectrum-angles">
            Principal angles, ΔW's top {t.columnAngles.length} directions vs ΔW*'s (rank {t.trueRank}): columns{' '}
            <span className="mono" data-testid="spectrum-angles-columns" data-values={t.columnAngles.join(',')}>{t.columnAngles.map(deg).join(', ')}</span>; rows{' '}
            <span className="mono" data-testid="spectrum-angles-rows" data-values={t.rowAngles.join(',')}>{t.rowAngles.map(deg).join(', ')}</span>.
            0° means the direction was found; 90°, not at all.
          </p>
          <p data-testid="spectrum-floor" data-value={t.floorFromSpectrum}>
            Loss floor at this rank: Σ of ΔW*'s discarded σ² / (3·d) = <span className="mono">{fmt(t.floorFromSpectrum)}</span> (the task's{' '}
            <span className="mono">{fmt(t.floor)}</span>; untrained <span className="mono">{fmt(t.initialLoss)}</span>).
          </p>
          <div className="side-by-side" style={{ display: 'flex', gap: 16 }}>
            <Heatmap values={t.heatmap.learned} rows={t.heatmap.rows} cols={t.heatmap.cols} scale={maxAbs} label={`ΔW learned (${t.heatmap.rows}×${t.heatmap.cols})`} testId="spectrum-heatmap-learned" />
            <Heatmap values={t.heatmap.truth} rows={t.heatmap.rows} cols={t.heatmap.cols} scale={maxAbs} label="ΔW* true" testId="spectrum-heatmap-truth" />
          </div>
          <p className="small">Heatmaps share one colour scale: blue −{fmt(maxAbs)}, white 0, red +{fmt(maxAbs)}.</p>
        </>
      )}
    </section>
  );
}

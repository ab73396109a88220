// Turns the raw rounds into figures, ratios and goal verdicts, and renders them as markdown and
// as a hand-written SVG bar chart.

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round2 = (x) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : null);

export const NAMES = {
  gatehouse: 'Gatehouse',
  reference: 'Reference (workers-oauth-provider)',
  bare: 'Bare Worker',
};
const SHORT = { gatehouse: 'Gatehouse', reference: 'Reference', bare: 'Bare' };
const COLOURS = { gatehouse: '#1f6feb', reference: '#d97706', bare: '#6b7280' };

export function summarise(raw) {
  const figures = {};
  const ratios = {};
  for (const w of raw.workloads) {
    figures[w.id] = {};
    for (const t of w.targets) {
      const runs = raw.rounds.map((r) => r[`${w.id}/${t}`]).filter(Boolean);
      figures[w.id][t] = {
        rps: round2(median(runs.map((r) => r.rps))),
        p50: round2(median(runs.map((r) => r.p50))),
        p90: round2(median(runs.map((r) => r.p90))),
        p99: round2(median(runs.map((r) => r.p99))),
        requests: runs.reduce((n, r) => n + r.requests, 0),
        errors: runs.reduce((n, r) => n + r.errors, 0),
        errorSamples: runs.flatMap((r) => r.errorSamples).slice(0, 3),
        perRound: runs.map((r) => ({
          rps: round2(r.rps),
          p50: round2(r.p50),
          p90: round2(r.p90),
          p99: round2(r.p99),
          errors: r.errors,
        })),
      };
    }
    if (!w.targets.includes('gatehouse')) continue;
    const perRound = raw.rounds.map((r) => {
      const g = r[`${w.id}/gatehouse`];
      const ref = r[`${w.id}/reference`];
      const b = r[`${w.id}/bare`];
      return {
        rpsVsReference: ref ? round2(g.rps / ref.rps) : null,
        p99VsReference: ref ? round2(g.p99 / ref.p99) : null,
        rpsVsBare: b ? round2(g.rps / b.rps) : null,
      };
    });
    ratios[w.id] = {
      perRound,
      rpsVsReference: round2(median(perRound.map((r) => r.rpsVsReference ?? Number.NaN))),
      p99VsReference: round2(median(perRound.map((r) => r.p99VsReference ?? Number.NaN))),
      rpsVsBare: round2(median(perRound.map((r) => r.rpsVsBare ?? Number.NaN))),
    };
  }

  const call = ratios.call;
  const g = raw.bundles.gatehouse.gzip;
  const r = raw.bundles.reference.gzip;
  const allErrors = Object.values(figures).reduce(
    (n, f) => n + Object.values(f).reduce((m, x) => m + x.errors, 0),
    0,
  );
  const verdict = (ok) => (ok === null ? 'not measured' : ok ? 'met' : 'missed');
  const goals = [
    {
      goal: 'tools/call throughput ≥ 1.2× the reference',
      measured: call?.rpsVsReference != null ? `${call.rpsVsReference}× (median of rounds)` : 'n/a',
      status: verdict(call?.rpsVsReference != null ? call.rpsVsReference >= 1.2 : null),
    },
    {
      goal: 'tools/call p99 ≤ the reference',
      measured:
        call && figures.call.reference
          ? `${call.p99VsReference}× (median of the per-round ratios; the medians of p99 over rounds are ${figures.call.gatehouse.p99} vs ${figures.call.reference.p99} ms)`
          : 'n/a',
      status: verdict(call?.p99VsReference != null ? call.p99VsReference <= 1 : null),
    },
    {
      goal: 'tools/call throughput ≥ 0.6× the bare Worker',
      measured: call?.rpsVsBare != null ? `${call.rpsVsBare}×` : 'n/a',
      status: verdict(call?.rpsVsBare != null ? call.rpsVsBare >= 0.6 : null),
    },
    {
      goal: 'bundle ≤ the reference’s + 25% (gzip)',
      measured: `${kib(g)} vs ${kib(r)} KiB (${round2(g / r)}×)`,
      status: verdict(g <= r * 1.25),
    },
    {
      goal: 'zero wrong answers in every workload',
      measured: `${allErrors}`,
      status: verdict(allErrors === 0),
    },
  ];
  return { ...raw, figures, ratios, goals };
}

const kib = (bytes) => (bytes / 1024).toFixed(1);
const fmt = (x, digits = 2) => (x == null ? '–' : Number(x).toFixed(digits));

export function renderMarkdown(res) {
  const lines = [];
  lines.push('# Benchmark results (latest run)');
  lines.push('');
  lines.push(
    `Generated ${res.generatedAt} by \`${res.command}\` in ${res.durationSeconds.toFixed(0)} s on ${res.machine.nproc} cores (${res.machine.cpu}), ${res.machine.memoryGiB} GiB, ${res.machine.platform}, Node ${res.machine.node}, wrangler ${res.versions.wrangler}, reference library @cloudflare/workers-oauth-provider ${res.versions.referenceLibrary}. Load average before/after: ${res.loadavg.before.map((x) => x.toFixed(2)).join(' ')} / ${res.loadavg.after.map((x) => x.toFixed(2)).join(' ')}.`,
  );
  lines.push('');
  lines.push(
    `Each figure is the median of ${res.options.rounds} rounds of ${res.options.seconds} s at ${res.options.connections} keep-alive connections (closed loop), after a ${res.options.warmupSeconds} s warm-up; target order rotates every round. Errors are wrong statuses or bodies, summed over the rounds. Ratios are Gatehouse ÷ other target per round, then the median.`,
  );
  lines.push('');
  lines.push('| workload | target | req/s | p50 ms | p90 ms | p99 ms | errors | Gatehouse ÷ it (req/s) |');
  lines.push('|---|---|--:|--:|--:|--:|--:|--:|');
  for (const w of res.workloads) {
    for (const t of w.targets) {
      const f = res.figures[w.id][t];
      const ratio = res.ratios[w.id];
      let rel = '';
      if (ratio && t === 'reference')
        rel = `${fmt(ratio.rpsVsReference)}× (${ratio.perRound.map((r) => fmt(r.rpsVsReference)).join(', ')})`;
      if (ratio && t === 'bare')
        rel = `${fmt(ratio.rpsVsBare)}× (${ratio.perRound.map((r) => fmt(r.rpsVsBare)).join(', ')})`;
      lines.push(
        `| ${w.label} | ${SHORT[t]} | ${fmt(f.rps, 0)} | ${fmt(f.p50)} | ${fmt(f.p90)} | ${fmt(f.p99)} | ${f.errors} | ${rel} |`,
      );
    }
  }
  lines.push('');
  lines.push('## Bundle (wrangler deploy --dry-run, gzip -9)');
  lines.push('');
  lines.push('| Worker | raw KiB | gzip KiB | largest parts (raw KiB in the bundle) |');
  lines.push('|---|--:|--:|---|');
  for (const t of ['gatehouse', 'reference', 'bare']) {
    const b = res.bundles[t];
    lines.push(
      `| ${SHORT[t]} | ${kib(b.raw)} | ${kib(b.gzip)} | ${b.top.map((p) => `${p.package} ${kib(p.bytes)}`).join(', ')} |`,
    );
  }
  lines.push('');
  lines.push('## Goals');
  lines.push('');
  lines.push('| goal | measured | status |');
  lines.push('|---|---|---|');
  for (const g of res.goals) lines.push(`| ${g.goal} | ${g.measured} | ${g.status} |`);
  lines.push('');
  lines.push(
    'Hot-path storage operations per request are asserted by `test/bench/hot-path.test.ts` (part of `npm run test:unit`), not by this harness.',
  );
  if (res.notes.length > 0) {
    lines.push('');
    lines.push('## Notes from this run');
    lines.push('');
    for (const n of res.notes) lines.push(`- ${n}`);
  }
  const wrong = Object.entries(res.figures).flatMap(([w, f]) =>
    Object.entries(f)
      .filter(([, x]) => x.errors > 0)
      .map(([t, x]) => `- ${w} / ${t}: ${x.errors} errors, e.g. ${x.errorSamples.join(' | ')}`),
  );
  if (wrong.length > 0) {
    lines.push('');
    lines.push('## Wrong answers');
    lines.push('');
    lines.push(...wrong);
  }
  lines.push('');
  return lines.join('\n');
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Two panels (req/s, p99 ms); one group of bars per workload, each group scaled to its own maximum. */
export function renderSvg(res) {
  const barH = 14;
  const gap = 4;
  const groupGap = 18;
  const labelW = 270;
  const panelW = 300;
  const panelGap = 90;
  const top = 64;
  const groups = res.workloads.map((w) => ({ w, targets: w.targets }));
  const height = top + groups.reduce((h, g) => h + 16 + g.targets.length * (barH + gap) + groupGap, 0) + 40;
  const width = labelW + panelW * 2 + panelGap + 90;
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
  );
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(
    `<text x="16" y="24" font-size="16" font-weight="600">Gatehouse vs reference vs bare Worker — ${esc(res.generatedAt.slice(0, 10))}</text>`,
  );
  out.push(
    `<text x="16" y="42" fill="#555">${esc(`${res.machine.nproc} cores, ${res.machine.cpu}; ${res.options.connections} connections; median of ${res.options.rounds} × ${res.options.seconds} s`)}</text>`,
  );
  const x1 = labelW;
  const x2 = labelW + panelW + panelGap;
  out.push(`<text x="${x1}" y="${top - 6}" font-weight="600">requests/s (higher is better)</text>`);
  out.push(`<text x="${x2}" y="${top - 6}" font-weight="600">p99 latency, ms (lower is better)</text>`);
  let y = top;
  for (const { w, targets } of groups) {
    out.push(`<text x="16" y="${y + 12}" font-weight="600">${esc(w.label)}</text>`);
    y += 16;
    const f = res.figures[w.id];
    const maxRps = Math.max(...targets.map((t) => f[t].rps ?? 0), 1);
    const maxP99 = Math.max(...targets.map((t) => f[t].p99 ?? 0), 0.001);
    for (const t of targets) {
      const rw = Math.max(1, ((f[t].rps ?? 0) / maxRps) * panelW);
      const pw = Math.max(1, ((f[t].p99 ?? 0) / maxP99) * panelW);
      out.push(
        `<text x="${labelW - 8}" y="${y + barH - 3}" text-anchor="end" fill="#333">${esc(NAMES[t])}</text>`,
      );
      out.push(`<rect x="${x1}" y="${y}" width="${rw.toFixed(1)}" height="${barH}" fill="${COLOURS[t]}"/>`);
      out.push(`<text x="${(x1 + rw + 4).toFixed(1)}" y="${y + barH - 3}">${fmt(f[t].rps, 0)}</text>`);
      out.push(
        `<rect x="${x2}" y="${y}" width="${pw.toFixed(1)}" height="${barH}" fill="${COLOURS[t]}" opacity="0.8"/>`,
      );
      out.push(`<text x="${(x2 + pw + 4).toFixed(1)}" y="${y + barH - 3}">${fmt(f[t].p99)}</text>`);
      y += barH + gap;
    }
    y += groupGap;
  }
  out.push(
    `<text x="16" y="${height - 14}" fill="#555">Bundle gzip: Gatehouse ${kib(res.bundles.gatehouse.gzip)} KiB, reference ${kib(res.bundles.reference.gzip)} KiB, bare ${kib(res.bundles.bare.gzip)} KiB. Bars are scaled per workload.</text>`,
  );
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

// Figures and the Markdown table of `npm run bench:gateway` (bench/results/gateway.{json,md}).

const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round2 = (x) => Math.round(x * 100) / 100;

/** The goals of issue 14 ("Bench, same run"); `ratio` reads the per-round ratios' median. */
export const GATEWAY_GOALS = [
  {
    id: 'call-legacy-rps',
    label: 'tools/call → 2025-era upstream: throughput ≥ 0.6× direct',
    max: false,
    bound: 0.6,
  },
  {
    id: 'call-legacy-p50',
    label: 'tools/call → 2025-era upstream: p50 (one connection) ≤ 1.5× direct',
    max: true,
    bound: 1.5,
  },
  {
    id: 'call-modern-rps',
    label: 'tools/call → 2026-07-28 upstream: throughput ≥ 0.6× direct',
    max: false,
    bound: 0.6,
  },
  {
    id: 'call-modern-p50',
    label: 'tools/call → 2026-07-28 upstream: p50 (one connection) ≤ 1.5× direct',
    max: true,
    bound: 1.5,
  },
  {
    id: 'list-p50',
    label: 'warm tools/list over three upstreams: p50 (one connection) ≤ 1.2× over one',
    max: true,
    bound: 1.2,
  },
];

export function summariseGateway(run) {
  const figures = {};
  let errors = 0;
  for (const w of run.workloads) {
    figures[w.id] = {};
    for (const t of w.targets) {
      const rs = run.rounds.map((r) => r[`${w.id}/${t}`]).filter(Boolean);
      errors += rs.reduce((n, r) => n + r.errors, 0);
      figures[w.id][t] = {
        rps: round2(median(rs.map((r) => r.rps))),
        p50: round2(median(rs.map((r) => r.p50))),
        p99: round2(median(rs.map((r) => r.p99))),
        requests: rs.reduce((n, r) => n + r.requests, 0),
        errors: rs.reduce((n, r) => n + r.errors, 0),
        errorSamples: rs.flatMap((r) => r.errorSamples).slice(0, 5),
      };
    }
  }
  const perRound = (fn) => run.rounds.map((r) => round2(fn(r)));
  const ratio = (w, a, b, field) => perRound((r) => r[`${w}/${a}`][field] / r[`${w}/${b}`][field]);
  const ratios = {
    'call-legacy-rps': ratio('call-legacy', 'gateway', 'direct', 'rps'),
    'call-legacy-p50': ratio('call-legacy', 'gateway@1', 'direct@1', 'p50'),
    'call-legacy-p50-loaded': ratio('call-legacy', 'gateway', 'direct', 'p50'),
    'call-legacy-bare-rps': ratio('call-legacy', 'bare', 'direct', 'rps'),
    'call-modern-rps': ratio('call-modern', 'gateway', 'direct', 'rps'),
    'call-modern-p50': ratio('call-modern', 'gateway@1', 'direct@1', 'p50'),
    'call-modern-p50-loaded': ratio('call-modern', 'gateway', 'direct', 'p50'),
    'call-modern-bare-rps': ratio('call-modern', 'bare', 'direct', 'rps'),
    'list-p50': ratio('list', 'three@1', 'one@1', 'p50'),
    'list-p50-loaded': ratio('list', 'three', 'one', 'p50'),
    'list-rps': ratio('list', 'three', 'one', 'rps'),
  };
  const goals = GATEWAY_GOALS.map((g) => {
    const value = round2(median(ratios[g.id]));
    return { ...g, value, rounds: ratios[g.id], met: g.max ? value <= g.bound : value >= g.bound };
  });
  return { ...run, figures, ratios, goals, errors };
}

const cell = (f) => (f ? `${f.rps.toFixed(0)} / ${f.p50.toFixed(1)} / ${f.p99.toFixed(1)}` : '—');

export function renderGatewayMarkdown(result) {
  const { options: o, machine: m } = result;
  const lines = [
    '# Gateway benchmark',
    '',
    `Generated ${result.generatedAt} by \`${result.command}\` in ${result.durationSeconds.toFixed(0)} s.`,
    `${m.nproc} cores, ${m.cpu}, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}.`,
    `Load (uptime) before: \`${result.load.before}\``,
    `Load (uptime) after: \`${result.load.after}\``,
    '',
    `Median of ${o.rounds} rounds × ${o.seconds} s at ${o.connections} connections (warm-up ${o.warmupSeconds} s each); ratios are medians of the per-round ratios.`,
    '',
    '| workload | target | req/s / p50 ms / p99 ms | errors |',
    '| --- | --- | ---: | ---: |',
  ];
  for (const w of result.workloads) {
    for (const t of w.targets) {
      const f = result.figures[w.id][t];
      lines.push(`| ${w.label} | ${t} | ${cell(f)} | ${f.errors} |`);
    }
  }
  lines.push('', '| goal | measured (rounds) | status |', '| --- | ---: | --- |');
  for (const g of result.goals) {
    lines.push(
      `| ${g.label} | ${g.value.toFixed(2)}× (${g.rounds.join(', ')}) | ${g.met ? 'met' : '**not met**'} |`,
    );
  }
  const r = result.ratios;
  lines.push(
    '',
    `The ceiling: a bare Worker under the same \`wrangler dev\` answering the gateway's bytes reaches ${median(r['call-legacy-bare-rps']).toFixed(2)}× (2025-era workload) and ${median(r['call-modern-bare-rps']).toFixed(2)}× (2026-07-28 workload) of the direct throughput.`,
    `Warm tools/list throughput, three upstreams ÷ one: ${median(r['list-rps']).toFixed(2)}× (${r['list-rps'].join(', ')}).`,
    `p50 under load (${o.connections} connections) instead of one connection: tools/call 2025-era ${median(r['call-legacy-p50-loaded']).toFixed(2)}×, 2026-07-28 ${median(r['call-modern-p50-loaded']).toFixed(2)}×, tools/list three ÷ one ${median(r['list-p50-loaded']).toFixed(2)}×.`,
    '`target@1` rows: one connection (latency); the others: the full concurrency (throughput).',
    '',
    `Errors: ${result.errors}.`,
    '',
  );
  return lines.join('\n');
}

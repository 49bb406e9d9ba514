// SPDX-License-Identifier: GPL-2.0-only
/*
 * report.html's script: draws the whole page from the report embedded in
 * <script id="report-data"> (docs/report.md: report.json), with Chart.js (the global Chart).
 * Nothing is fetched. Any field may be missing or null (an interrupted or failed run, an
 * untraced pod, an empty series): the page then says so rather than fail.
 *
 * This file is inlined into a script element by userspace/report/html.c: it must never hold a
 * less-than sign directly followed by a slash, which would end that element early.
 */
(function () {
	'use strict';

	const PHASES = ['baseline', 'fault', 'recovery'];
	const PHASE_FILL = {
		baseline: 'rgba(100, 149, 237, 0.16)',
		fault: 'rgba(220, 53, 69, 0.16)',
		recovery: 'rgba(40, 167, 69, 0.16)',
	};
	const PHASE_INK = {
		baseline: '#3a5f9e',
		fault: '#a12a36',
		recovery: '#23733a',
	};
	const COLORS = {
		connect_p99_ns: '#1f77b4',
		rtt_p99_ns: '#6a3d9a',
		connects: '#4d7ea8',
		connect_failed: '#d62728',
		retransmits: '#ff7f0e',
		drops: '#8c564b',
		fault_dropped: '#c2185b',
	};

	// --- helpers -------------------------------------------------------------------------

	function isNum(v) {
		return typeof v === 'number' && isFinite(v);
	}

	function obj(v) {
		return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {};
	}

	function arr(v) {
		return Array.isArray(v) ? v : [];
	}

	function str(v) {
		return v === null || v === undefined ? '' : String(v);
	}

	// el('td', {class: 'x'}, child, 'text', ...): an element, children as nodes or text.
	function el(tag, attrs) {
		const e = document.createElement(tag);
		for (const [k, v] of Object.entries(attrs || {})) {
			if (v === null || v === undefined || v === false)
				continue;
			if (k === 'class')
				e.className = v;
			else
				e.setAttribute(k, String(v));
		}
		for (let i = 2; i < arguments.length; i++) {
			const c = arguments[i];
			if (c === null || c === undefined)
				continue;
			e.append(c instanceof Node ? c : String(c));
		}
		return e;
	}

	function fmtNs(ns) {
		if (!isNum(ns))
			return '\u2013';
		const units = [[1e9, 's'], [1e6, 'ms'], [1e3, '\u00b5s']];
		for (const [scale, unit] of units)
			if (Math.abs(ns) >= scale)
				return Number((ns / scale).toPrecision(3)) + ' ' + unit;
		return Math.round(ns) + ' ns';
	}

	function fmtCount(n) {
		return isNum(n) ? n.toLocaleString('en-US') : '\u2013';
	}

	function fmtRatio(r) {
		return isNum(r) ? '\u00d7' + Number(r.toPrecision(3)) : '\u2013';
	}

	// A duration in ms as the plan format writes one: 250ms, 20s, 1m30s, 1h5m.
	function fmtDuration(ms) {
		if (!isNum(ms))
			return '\u2013';
		if (ms < 1000)
			return Math.round(ms) + 'ms';
		let s = Math.round(ms / 100) / 10;
		const h = Math.floor(s / 3600);
		const m = Math.floor((s % 3600) / 60);
		s = Math.round((s % 60) * 10) / 10;
		return (h ? h + 'h' : '') + (m ? m + 'm' : '') + (s || (!h && !m) ? s + 's' : '');
	}

	// Seconds from the run's start, for a time in ms from the start.
	function fmtAt(ms) {
		return isNum(ms) ? (ms / 1000).toFixed(1) + ' s' : '\u2013';
	}

	function fmtUnixMs(ms) {
		if (!isNum(ms))
			return '\u2013';
		const d = new Date(ms);
		return isNaN(d.getTime()) ? String(ms) :
			d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
	}

	function fmtValue(v, unit) {
		return unit === 'ns' ? fmtNs(v) : fmtCount(v);
	}

	// A condition's threshold or value: a latency in ns, else a count.
	function fmtThreshold(c, key) {
		return isNum(c[key + '_ns']) ? fmtNs(c[key + '_ns']) : fmtCount(c[key]);
	}

	// A table; a heading in brackets, ['effects'], heads a column of text (left-aligned).
	function table(cls, head, rows) {
		const th = (h) => Array.isArray(h) ? el('th', { class: 'text' }, h[0]) : el('th', null, h);
		const thead = el('thead', null, el('tr', null, ...head.map(th)));
		const tbody = el('tbody', null, ...rows.map((r) => el('tr', null, ...r)));
		return el('table', { class: cls }, thead, tbody);
	}

	function td(text, cls, title) {
		return el('td', { class: cls, title: title }, text);
	}

	// --- the run: verdict banner and phases ---------------------------------------------

	function describeCondition(c) {
		return [str(c.target) || '?', str(c.metric) || '?', 'above', fmtThreshold(c, 'above'),
			'for', fmtDuration(c.for_ms)].join(' ');
	}

	function abortBox(abort) {
		const what = [
			'condition ' + (isNum(abort.condition) ? '#' + abort.condition : '?') + ': ' +
				describeCondition(abort),
			'held from ' + fmtAt(abort.first_held_ms) + ', fired at ' + fmtAt(abort.fired_ms) +
				' with the value ' + fmtThreshold(abort, 'value'),
			isNum(abort.reverted_ms) ? 'the plan was reverted at ' + fmtAt(abort.reverted_ms) :
				'the plan was not reverted',
		];
		return el('div', { id: 'abort', class: 'abort' }, el('h2', null, 'abort condition fired'),
			el('p', { id: 'abort-condition' }, what.join('; ')));
	}

	function verdictBanner(r) {
		const verdict = obj(r.verdict);
		const plan = obj(r.plan);
		const node = obj(r.node);
		const status = str(verdict.status) || 'unknown';
		const known = ['completed', 'aborted', 'interrupted', 'failed'].includes(status);
		const facts = [
			['plan', el('span', null, str(plan.name) || '\u2013',
				plan.file ? el('span', null, ' (', el('code', null, plan.file), ')') : null)],
			['node', str(node.hostname) || '\u2013'],
			['kernel', str(node.kernel) || '\u2013'],
			['started', fmtUnixMs(r.start_unix_ms)],
			['ran for', isNum(r.start_unix_ms) && isNum(r.end_unix_ms) ?
				fmtDuration(r.end_unix_ms - r.start_unix_ms) : '\u2013'],
			['plan duration', fmtDuration(plan.duration_ms)],
			['interval', fmtDuration(r.interval_ms)],
		];
		const conditions = arr(plan.abortWhen);
		if (conditions.length)
			facts.push(['abort when', conditions.map(describeCondition).join('; ')]);
		const dl = el('dl', { class: 'facts' });
		for (const [k, v] of facts)
			dl.append(el('dt', null, k), el('dd', null, v));
		const abort = r.abort && typeof r.abort === 'object' ? abortBox(r.abort) : null;
		return el('header', { id: 'verdict', class: 'verdict status-' + (known ? status : 'unknown'),
				      'data-status': status },
			el('div', { class: 'verdict-head' },
				el('span', { id: 'verdict-status', class: 'status-word' }, status),
				el('h1', null, 'faultline run ', el('code', null, str(plan.name) || '?'))),
			el('p', { id: 'verdict-message' }, str(verdict.message) || 'no verdict message'),
			dl, abort);
	}

	function phaseStrip(phases, abort) {
		const bar = el('div', { class: 'phase-bar' });
		const first = phases.length ? phases[0].start_ms : 0;
		const span = phases.length ? phases[phases.length - 1].end_ms - first : 0;
		for (const p of phases) {
			const width = span > 0 ? Math.max(0, (p.end_ms - p.start_ms) / span * 100) : 0;
			bar.append(el('span', { class: 'phase-' + p.name, style: 'width: ' + width + '%',
						title: p.name + ': ' + fmtAt(p.start_ms) + ' to ' + fmtAt(p.end_ms) },
				p.name + ' ' + fmtDuration(p.end_ms - p.start_ms)));
		}
		const marks = [];
		if (abort && isNum(abort.fired_ms))
			marks.push('abort fired at ' + fmtAt(abort.fired_ms));
		if (abort && isNum(abort.reverted_ms))
			marks.push('reverted at ' + fmtAt(abort.reverted_ms));
		return el('section', { id: 'phases', class: 'phases' },
			el('h2', null, 'phases'),
			phases.length ? bar : el('p', { class: 'none' }, 'no phase ran'),
			phases.length ? el('p', { class: 'markers' },
				'In the charts, the shaded parts are the phases' + (marks.length ?
					'; the red line is when the abort fired, the dashed one the ' +
					'revert (' + marks.join(', ') + ')' : '') + '.') : null);
	}

	// --- charts --------------------------------------------------------------------------

	// Paint with ctx saved and restored, given the plot area and the x scale (once laid out).
	function paint(chart, fn) {
		const a = chart.chartArea;
		const x = chart.scales.x;
		if (!a || !x)
			return;
		chart.ctx.save();
		fn(chart.ctx, a, x);
		chart.ctx.restore();
	}

	function shadePhases(ctx, a, x, phases) {
		ctx.font = '11px sans-serif';
		ctx.textBaseline = 'top';
		for (const p of phases) {
			const x0 = Math.max(a.left, x.getPixelForValue(p.start_ms / 1000));
			const x1 = Math.min(a.right, x.getPixelForValue(p.end_ms / 1000));
			if (!(x1 > x0))
				continue;
			ctx.fillStyle = PHASE_FILL[p.name] || 'rgba(0, 0, 0, 0.06)';
			ctx.fillRect(x0, a.top, x1 - x0, a.bottom - a.top);
			if (x1 - x0 > ctx.measureText(p.name).width + 8) {
				ctx.fillStyle = PHASE_INK[p.name] || '#555';
				ctx.fillText(p.name, x0 + 4, a.top + 3);
			}
		}
	}

	function drawMarks(ctx, a, x, marks, empty) {
		for (const m of marks) {
			const px = x.getPixelForValue(m.ms / 1000);
			if (px < a.left || px > a.right)
				continue;
			ctx.strokeStyle = m.color;
			ctx.lineWidth = 2;
			ctx.setLineDash(m.dash);
			ctx.beginPath();
			ctx.moveTo(px, a.top);
			ctx.lineTo(px, a.bottom);
			ctx.stroke();
		}
		if (empty) {
			ctx.fillStyle = '#5b6670';
			ctx.font = 'italic 13px sans-serif';
			ctx.textAlign = 'center';
			ctx.textBaseline = 'middle';
			ctx.fillText('no intervals recorded', (a.left + a.right) / 2, (a.top + a.bottom) / 2);
		}
	}

	// This chart's own plugin: the phases shaded behind the data, the abort marked over it.
	function overlays(phases, marks, empty) {
		return {
			id: 'faultlineOverlays',
			beforeDraw: (chart) => paint(chart, (ctx, a, x) => shadePhases(ctx, a, x, phases)),
			afterDatasetsDraw: (chart) => paint(chart,
				(ctx, a, x) => drawMarks(ctx, a, x, marks, empty)),
		};
	}

	// The points of one series: x in seconds from the start, y scaled; null stays a gap.
	function points(series, key, scale) {
		const t = arr(series.t_ms);
		const v = arr(series[key]);
		const out = [];
		for (let i = 0; i < t.length; i++) {
			if (!isNum(t[i]))
				continue;
			const y = isNum(v[i]) ? v[i] / scale : null;
			out.push({ x: t[i] / 1000, y: y });
		}
		return out;
	}

	function chartBox(run, pod, spec) {
		const series = obj(pod.series);
		const canvas = el('canvas', { class: 'chart', 'data-metric': spec.metric,
					      'aria-label': spec.title, role: 'img' });
		const box = el('div', { class: 'chart-box' }, canvas);
		const datasets = spec.lines.map((l) => ({
			label: l.label,
			data: points(series, l.key, spec.scale),
			borderColor: COLORS[l.key],
			backgroundColor: COLORS[l.key],
			borderWidth: 1.8,
			pointRadius: 1.8,
			pointHoverRadius: 4,
			spanGaps: false,
		}));
		const empty = !arr(series.t_ms).length;
		const marks = [];
		if (run.abort && isNum(run.abort.fired_ms))
			marks.push({ ms: run.abort.fired_ms, color: '#c62828', dash: [] });
		if (run.abort && isNum(run.abort.reverted_ms))
			marks.push({ ms: run.abort.reverted_ms, color: '#37474f', dash: [5, 4] });
		const phaseAt = (sec) => {
			const p = run.phases.find((q) => sec * 1000 > q.start_ms && sec * 1000 <= q.end_ms);
			return p ? ' (' + p.name + ')' : '';
		};
		/* the chart is made once the box is in the page, so that it has its size */
		run.pending.push(() => new Chart(canvas, {
			type: 'line',
			data: { datasets: datasets },
			plugins: [overlays(run.phases, marks, empty)],
			options: {
				animation: false,
				responsive: true,
				maintainAspectRatio: false,
				normalized: true,
				interaction: { mode: 'index', intersect: false },
				scales: {
					x: {
						type: 'linear',
						min: 0,
						max: run.xMax,
						title: { display: true, text: 'seconds from the start' },
						ticks: { maxTicksLimit: 12 },
					},
					y: {
						beginAtZero: true,
						title: { display: true, text: spec.unit },
						ticks: { precision: spec.scale === 1 ? 0 : undefined },
					},
				},
				plugins: {
					title: { display: true, text: spec.title, align: 'start',
						 font: { size: 13, weight: '600' } },
					legend: { display: datasets.length > 1, position: 'bottom',
						  labels: { boxWidth: 12, boxHeight: 12 } },
					tooltip: {
						callbacks: {
							title: (items) => items.length ?
								items[0].parsed.x.toFixed(1) + ' s' +
								phaseAt(items[0].parsed.x) : '',
						},
					},
				},
			},
		}));
		return box;
	}

	function chartSpecs(pod) {
		const packets = [
			{ key: 'retransmits', label: 'retransmits' },
			{ key: 'drops', label: 'drops (every reason)' },
		];
		if (pod.role === 'target')
			packets.push({ key: 'fault_dropped', label: 'dropped by the faults' });
		if (pod.traced === false)
			return [{ metric: 'fault_dropped', title: 'packets the faults dropped, per interval',
				  unit: 'packets', scale: 1,
				  lines: [{ key: 'fault_dropped', label: 'dropped by the faults' }] }];
		return [
			{ metric: 'connect_p99', title: 'connect latency p99 (ms)', unit: 'ms', scale: 1e6,
			  lines: [{ key: 'connect_p99_ns', label: 'connect p99' }] },
			{ metric: 'rtt_p99', title: 'RTT p99 (ms)', unit: 'ms', scale: 1e6,
			  lines: [{ key: 'rtt_p99_ns', label: 'RTT p99' }] },
			{ metric: 'connects', title: 'connects and failed connects, per interval',
			  unit: 'connects', scale: 1,
			  lines: [{ key: 'connects', label: 'connects' },
				  { key: 'connect_failed', label: 'failed' }] },
			{ metric: 'packets', title: 'retransmits and drops, per interval', unit: 'packets',
			  scale: 1, lines: packets },
		];
	}

	// --- tables --------------------------------------------------------------------------

	// A histogram's p99, or null when it holds no sample (trace -j then gives 0).
	function histP99(h) {
		h = obj(h);
		if (Array.isArray(h.buckets))
			return h.buckets.length && isNum(h.p99_ns) ? h.p99_ns : null;
		return isNum(h.p99_ns) && h.p99_ns > 0 ? h.p99_ns : null;
	}

	function dropsCell(drops) {
		drops = arr(drops).filter((d) => d && isNum(d.count));
		const total = drops.reduce((s, d) => s + d.count, 0);
		const reasons = drops.map((d) => str(d.reason) + ' ' + fmtCount(d.count)).join(', ');
		return el('td', null, fmtCount(drops.length ? total : 0),
			reasons ? el('span', { class: 'reasons' }, reasons) : null);
	}

	function phaseTable(pod) {
		const phases = obj(pod.phases);
		const names = PHASES.filter((n) => phases[n] && typeof phases[n] === 'object');
		if (!names.length)
			return el('p', { class: 'none' }, 'no phase ran: no per-phase figures');
		const rows = names.map((n) => {
			const p = obj(phases[n]);
			const tcp = obj(p.tcp);
			const connect = obj(tcp.connect);
			return [
				td(n, 'text phase-name'),
				td(fmtDuration(p.duration_ms)),
				td(fmtCount(isNum(connect.count) ? connect.count : null)),
				td(fmtCount(isNum(connect.failed) ? connect.failed : null)),
				td(fmtNs(histP99(connect))),
				td(fmtNs(histP99(tcp.rtt))),
				td(fmtCount(isNum(tcp.retransmits) ? tcp.retransmits : null)),
				dropsCell(tcp.drops),
			];
		});
		return table('phase-figures', ['phase', 'duration', 'connects', 'failed', 'connect p99',
					       'RTT p99', 'retransmits', 'drops'], rows);
	}

	function verdictTable(run, pod) {
		const entry = arr(obj(run.verdict).pods).find((v) => v && v.id === pod.id &&
			(!v.role || v.role === pod.role));
		const figures = arr(entry && entry.figures).filter((f) => f && typeof f === 'object');
		if (!figures.length)
			return el('p', { class: 'none' }, 'no verdict figures for this pod');
		const ratio = (r) => td(fmtRatio(r), isNum(r) && (r >= 2 || r <= 0.5) ? 'ratio-high' : null);
		const rows = figures.map((f) => [
			td(str(f.name), 'text'),
			td(fmtValue(f.baseline, f.unit)),
			td(fmtValue(f.fault, f.unit)),
			td(fmtValue(f.recovery, f.unit)),
			ratio(f.fault_ratio),
			ratio(f.recovery_ratio),
		]);
		return table('verdict-figures', ['figure', 'baseline', 'fault', 'recovery',
						 'fault / baseline', 'recovery / baseline'], rows);
	}

	function faultTable(run, pod) {
		const faults = arr(pod.faults).filter((f) => f && typeof f === 'object');
		if (!faults.length)
			return el('p', { class: 'none' }, pod.role === 'observed' ?
				'an observed pod: no faults of its own' : 'no fault counters');
		const planFaults = arr(obj(run.plan).faults);
		const rows = faults.map((f) => {
			const p = planFaults.find((q) => q && q.name === f.name);
			return [
				td(str(f.name), 'text'),
				td(p ? arr(p.effects).join(', ') : '\u2013', 'text'),
				td(fmtCount(f.matched_packets)),
				td(fmtCount(f.matched_bytes)),
				td(fmtCount(f.dropped_packets)),
				td(fmtCount(f.rejected_connects)),
				td(fmtCount(f.rejected_sends)),
			];
		});
		return table('fault-counters', ['fault', ['effects'], 'matched packets', 'matched bytes',
						'dropped', 'rejected connects', 'rejected sends'], rows);
	}

	// --- pods ----------------------------------------------------------------------------

	// A pod that kubelet's log folders name: NAMESPACE/NAME, its UID beside; else the id alone.
	function podTitle(pod) {
		const id = el('code', { class: 'pod-id' }, str(pod.id) || '?');
		if (!str(pod.namespace) || !str(pod.pod))
			return [id];
		return [el('span', { class: 'pod-name' }, str(pod.namespace) + '/' + str(pod.pod)), ' ', id];
	}

	function podSection(run, pod, index) {
		const role = str(pod.role) || 'pod';
		const meta = [str(pod.kind) || 'pod'];
		if (pod.target)
			meta.push('target ' + pod.target);
		if (pod.pattern)
			meta.push('named by ' + pod.pattern);
		meta.push(pod.traced === false ? 'not traced: fault counters only' : 'traced');
		const charts = el('div', { class: 'charts' },
			...chartSpecs(pod).map((spec) => chartBox(run, pod, spec)));
		return el('section', { id: 'pod-' + index, class: 'pod', 'data-pod-id': str(pod.id),
				       'data-role': role },
			el('div', { class: 'pod-head' },
				el('span', { class: 'role role-' + role }, role),
				el('h2', null, ...podTitle(pod))),
			el('p', { class: 'pod-meta' }, meta.join(' \u00b7 ')),
			charts,
			arr(obj(pod.series).t_ms).length ? null :
				el('p', { class: 'none' }, 'no intervals recorded: the charts are empty'),
			...(pod.traced === false ? [
				el('p', { class: 'none' }, 'a netns or interface target is not traced ' +
					'(the tracer attributes by cgroup): no latency, connect or drop figures'),
			] : [
				el('h3', null, 'per phase'), phaseTable(pod),
				el('h3', null, 'verdict figures'), verdictTable(run, pod),
			]),
			el('h3', null, 'fault counters'), faultTable(run, pod));
	}

	// --- the page ------------------------------------------------------------------------

	// The phases that ran, in order, with numeric bounds; the charts' x range in seconds.
	function runOf(r) {
		const phases = arr(r.phases).filter((p) => p && isNum(p.start_ms) && isNum(p.end_ms))
			.map((p) => ({ name: str(p.name), start_ms: p.start_ms, end_ms: p.end_ms }));
		let end = 0;
		for (const p of phases)
			end = Math.max(end, p.end_ms);
		for (const pod of arr(r.pods))
			for (const t of arr(obj(obj(pod).series).t_ms))
				if (isNum(t))
					end = Math.max(end, t);
		const abort = r.abort && typeof r.abort === 'object' ? r.abort : null;
		if (abort)
			for (const k of ['fired_ms', 'reverted_ms'])
				if (isNum(abort[k]))
					end = Math.max(end, abort[k]);
		if (!end && isNum(r.start_unix_ms) && isNum(r.end_unix_ms))
			end = Math.max(0, r.end_unix_ms - r.start_unix_ms);
		return { phases: phases, abort: abort, plan: obj(r.plan), verdict: obj(r.verdict),
			 xMax: end > 0 ? Math.ceil(end / 1000) : 1, pending: [] };
	}

	function draw(r, main) {
		const run = runOf(r);
		const plan = obj(r.plan);
		const verdict = obj(r.verdict);
		document.title = 'faultline report: ' + (str(plan.name) || '?') + ' (' +
			(str(verdict.status) || 'unknown') + ')';
		main.append(verdictBanner(r), phaseStrip(run.phases, run.abort));
		const pods = arr(r.pods).filter((p) => p && typeof p === 'object');
		if (!pods.length)
			main.append(el('p', { class: 'none' }, 'the report has no pods'));
		pods.forEach((pod, i) => main.append(podSection(run, pod, i)));
		main.append(el('footer', null, 'drawn from report.json (report_version ' +
			str(r.report_version) + ') of faultline ' + (str(r.faultline_version) || '?') +
			'; times in seconds from the start of the run, latencies as measured in the kernel'));
		for (const make of run.pending)
			make();
	}

	function fail(main, e) {
		main.append(el('div', { id: 'report-error' }, 'the report could not be drawn: ' +
			(e && e.message ? e.message : String(e))));
		throw e;
	}

	const main = document.getElementById('report');
	let r;
	try {
		r = JSON.parse(document.getElementById('report-data').textContent);
		if (typeof Chart !== 'function')
			throw new Error('Chart.js is missing from the page');
		Chart.defaults.font.family = 'system-ui, "DejaVu Sans", sans-serif';
		Chart.defaults.color = '#1d2329';
		draw(obj(r), main);
	} catch (e) {
		fail(main, e);
	}
})();

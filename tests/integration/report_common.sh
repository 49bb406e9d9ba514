# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Checks of a report.html (docs/report.md), sourced after lib.sh by the report and run tests:
#
#   have_chromium             true when Debian's chromium is installed
#   need_chromium             SKIP unless it is (call it first when check_report_html runs
#                             inside `soft`, whose subshell would count the SKIP as a failure)
#   check_report_html HTML NAME EXPECTED_TEXT...
#                             (1) nothing in HTML refers outside it: no <link>, no src= or
#                             href= but to '#' or data:, no http:// or https:// but in the
#                             inlined Chart.js's licence comments, the page's policy forbids
#                             fetches; (2) in headless chromium, a copy of the page with a
#                             recorder of errors injected after <head> and a checker before
#                             </body>: no error event, console.error or policy violation, one
#                             section a pod of the embedded report, each with a chart, no
#                             <canvas> blank, the page no wider than a 1280 px window (no
#                             sideways scroll), and each EXPECTED_TEXT in the drawn page
#                             (<main id="report">, not the embedded data); (3) a screenshot of
#                             the page itself at 1366x900, kept as ARTIFACTS/NAME.png
#                             (FAULTLINE_ARTIFACTS, default build/artifacts), a PNG of that size.
#                             Any failure ends the test (fail), naming what was wrong.
# shellcheck disable=SC2154 # lib.sh sets TEST_TMP, TOP

REPORT_ARTIFACTS=${FAULTLINE_ARTIFACTS:-$TOP/build/artifacts}
# The narrowest laptop screen the page must fit without scrolling sideways.
REPORT_CHECK_WIDTH=1280

have_chromium() {
	command -v chromium >/dev/null
}

need_chromium() {
	have_chromium ||
		skip "chromium is not installed (scripts/install-deps.sh --vm installs it): report.html is not checked"
}

# chromium_run DIR ARGS...: headless chromium, its profile in DIR, bounded in time; its own log
# (dbus and GPU chatter) in DIR/chromium.log.
chromium_run() {
	local dir=$1
	shift
	timeout 90 chromium --headless --no-sandbox --disable-gpu --no-first-run \
		--no-default-browser-check --disable-extensions --disable-dev-shm-usage \
		--hide-scrollbars --user-data-dir="$dir/profile" --virtual-time-budget=5000 \
		"$@" 2>>"$dir/chromium.log"
}

# report_refs_outside HTML: what in HTML refers to anything outside it, one finding a line. The
# inlined Chart.js (<script id="chartjs">) names its home pages in its licence comments (lines
# " * https://..."); nothing else of it is looked at but for URLs. The embedded report (the line
# of <script id="report-data">) is data, never loaded: it is not looked at.
report_refs_outside() {
	awk '
	/^<script id="report-data" type="application\/json">/ { next }
	/^<script id="chartjs">/ { lib = 1; next }
	lib && /^<\/script>/ { lib = 0; next }
	lib {
		if ($0 !~ /^ \* / && $0 ~ /https?:\/\//)
			print "chart.js line " NR ": a URL outside its licence comments"
		next
	}
	{
		line = $0
		if (line ~ /https?:\/\//)
			print "line " NR ": a URL"
		if (tolower(line) ~ /<link[ >]/)
			print "line " NR ": a <link> element"
		if (line ~ /@import|url\([^d#]/)
			print "line " NR ": a stylesheet import or url()"
		while (match(tolower(line), /(src|href)[ ]*=[ ]*["'\'']?/)) {
			rest = substr(line, RSTART + RLENGTH)
			if (rest !~ /^(#|data:)/)
				print "line " NR ": " substr(line, RSTART, RLENGTH + 20)
			line = rest
		}
	}' "$1"
}

# report_inject HTML COPY: COPY is HTML with the recorder after <head> and the checker before
# </body> (the page has each once).
report_inject() {
	awk -v head="$TEST_TMP/report-check/recorder.html" -v tail="$TEST_TMP/report-check/checker.html" '
	function slurp(file,   s, l) { s = ""; while ((getline l < file) > 0) s = s l "\n"; return s }
	BEGIN { rec = slurp(head); chk = slurp(tail) }
	!h && (i = index($0, "<head>")) {
		$0 = substr($0, 1, i + 5) "\n" rec substr($0, i + 6); h = 1
	}
	!b && (i = index($0, "</body>")) {
		$0 = substr($0, 1, i - 1) chk substr($0, i); b = 1
	}
	{ print }
	END { if (!h || !b) exit 1 }' "$1" >"$2"
}

report_write_probes() {
	mkdir -p "$TEST_TMP/report-check"
	cat >"$TEST_TMP/report-check/recorder.html" <<'EOF'
<script>
window.fltErrors = [];
(function () {
	var orig = console.error;
	console.error = function () {
		window.fltErrors.push('console.error: ' + Array.prototype.join.call(arguments, ' '));
		return orig.apply(console, arguments);
	};
	window.addEventListener('error', function (e) {
		window.fltErrors.push('error: ' + (e.message || (e.target && e.target.outerHTML) || e.type));
	}, true);
	window.addEventListener('unhandledrejection', function (e) {
		window.fltErrors.push('unhandled rejection: ' + e.reason);
	});
	document.addEventListener('securitypolicyviolation', function (e) {
		window.fltErrors.push('policy violation: ' + e.violatedDirective + ' ' + e.blockedURI);
	});
})();
</script>
EOF
	# The check runs in the load handler (the charts draw as they are made: no animation), and
	# again 500 ms later, once Chart.js has resized them, if chromium has not dumped the page by
	# then: data-stage says which of the two the dump holds.
	cat >"$TEST_TMP/report-check/checker.html" <<'EOF'
<script>
function fltCheck(stage) {
	var canvases = document.querySelectorAll('canvas'), blank = [], bare = [];
	canvases.forEach(function (c, i) {
		var painted = false;
		try {
			var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
			for (var j = 3; j < d.length && !painted; j += 4)
				painted = d[j] !== 0;
		} catch (e) {
			window.fltErrors.push('getImageData: ' + e);
		}
		if (!painted || !c.width || !c.height)
			blank.push((c.getAttribute('data-metric') || 'canvas') + '#' + i);
	});
	var pods = document.querySelectorAll('section.pod');
	pods.forEach(function (p) {
		if (!p.querySelector('canvas'))
			bare.push(p.getAttribute('data-pod-id'));
	});
	var r = document.getElementById('flt-check') || document.createElement('div');
	r.id = 'flt-check';
	r.setAttribute('data-stage', stage);
	r.setAttribute('data-errors', window.fltErrors.length);
	r.setAttribute('data-canvases', canvases.length);
	r.setAttribute('data-blank', blank.length);
	r.setAttribute('data-pods', pods.length);
	r.setAttribute('data-pods-without-chart', bare.length);
	r.setAttribute('data-scroll-width', document.documentElement.scrollWidth);
	r.setAttribute('data-window-width', window.innerWidth);
	r.textContent = stage + '; errors: ' + window.fltErrors.join(' | ') + '; blank: ' +
		blank.join(' ') + '; pods without a chart: ' + bare.join(' ');
	document.body.appendChild(r);
}
window.addEventListener('load', function () {
	fltCheck('load');
	setTimeout(function () { fltCheck('settled'); }, 500);
});
</script>
EOF
}

# check_attr DUMP NAME: the value of attribute data-NAME of the checker's element in DUMP.
check_attr() {
	sed -n -E "s/.*<div id=\"flt-check\"[^>]* data-$2=\"([^\"]*)\".*/\1/p" "$1" | head -n 1
}

# report_data HTML: the report embedded in HTML, as JSON.
report_data() {
	sed -n 's/^<script id="report-data" type="application\/json">\(.*\)<\/script>$/\1/p' "$1"
}

# drawn_text DUMP: the text of <main id="report"> in DUMP, tags removed, entities decoded.
drawn_text() {
	awk 'BEGIN { RS = "</main>" } { i = index($0, "<main id=\"report\""); if (i) { print substr($0, i); exit } }' "$1" |
		sed -e 's/<[^>]*>//g' -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&quot;/"/g' -e 's/&amp;/\&/g'
}

check_report_html() {
	local html=$1 name=$2 dir found dump text png size w h t0 t
	shift 2
	[ -s "$html" ] || fail "$name: $html is missing or empty"

	found=$(report_refs_outside "$html")
	assert_eq "$found" "" "$name: references outside the page"
	assert_contains "$(grep -m1 'Content-Security-Policy' "$html")" "default-src 'none'" \
		"$name: the page's policy forbids fetches"

	need_chromium
	dir=$TEST_TMP/report-check/$name
	rm -rf "$dir"
	mkdir -p "$dir"
	[ -f "$TEST_TMP/report-check/checker.html" ] || report_write_probes
	report_inject "$html" "$dir/checked.html" || fail "$name: no <head> or </body> in $html"
	dump=$dir/dom.html
	t0=$(date +%s%N)
	chromium_run "$dir" --window-size=$REPORT_CHECK_WIDTH,900 --dump-dom \
		"file://$dir/checked.html" >"$dump" ||
		fail "$name: chromium --dump-dom failed: $(tail -n 3 "$dir/chromium.log")"
	log "$name: chromium drew the page in $((($(date +%s%N) - t0) / 1000000)) ms"
	grep -q 'id="flt-check"' "$dump" ||
		fail "$name: the checker did not run (the page's scripts stopped?): $(tail -n 3 "$dir/chromium.log")"
	text=$(sed -n -E 's/.*<div id="flt-check"[^>]*>([^<]*)<.*/\1/p' "$dump")
	log "$name: checker: $text"
	assert_eq "$(check_attr "$dump" errors)" 0 "$name: errors in the page"
	assert_eq "$(check_attr "$dump" pods)" "$(report_data "$html" | jq '[.pods[]? | objects] | length')" \
		"$name: pod sections (one a pod of the embedded report)"
	assert_eq "$(check_attr "$dump" pods-without-chart)" 0 "$name: pod sections without a chart"
	assert_range "$(check_attr "$dump" canvases)" "$(check_attr "$dump" pods)" 100000 \
		"$name: charts (at least one a pod)"
	assert_eq "$(check_attr "$dump" blank)" 0 "$name: blank charts"
	assert_range "$(check_attr "$dump" scroll-width)" 1 "$(check_attr "$dump" window-width)" \
		"$name: page width in a ${REPORT_CHECK_WIDTH} px window (no sideways scroll)"
	text=$(drawn_text "$dump")
	for t in "$@"; do
		assert_contains "$text" "$t" "$name: the drawn page shows '$t'"
	done

	mkdir -p "$REPORT_ARTIFACTS" || fail "mkdir $REPORT_ARTIFACTS"
	png=$REPORT_ARTIFACTS/$name.png
	rm -f "$png"
	chromium_run "$dir" --window-size=1366,900 --screenshot="$png" "file://$(realpath "$html")" \
		>/dev/null || fail "$name: chromium --screenshot failed: $(tail -n 3 "$dir/chromium.log")"
	[ -f "$png" ] || fail "$name: no screenshot $png"
	assert_eq "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" 89504e470d0a1a0a "$name: screenshot is a PNG"
	w=$(od -An -N4 -j16 -tu1 "$png" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
	h=$(od -An -N4 -j20 -tu1 "$png" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
	assert_eq "${w}x$h" 1366x900 "$name: screenshot size"
	size=$(stat -c %s "$png")
	# a blank or nearly blank page of that size compresses to a few KB
	assert_range "$size" 20000 100000000 "$name: screenshot bytes (a drawn page, not a blank one)"
	log "$name: screenshot kept as $png"
}

// The ops page (api/routes/ops_page.py, README "Ops page"). Vanilla JS, no build step.
// The admin token lives in this tab's sessionStorage and goes out only as a bearer header
// to this origin. Every value from the API is written as text (textContent, SVG
// attributes), never parsed as markup: together with the page's Content-Security-Policy,
// nothing the API returns can run as script.
"use strict";

(() => {
  const TOKEN_KEY = "atraxion.ops.token";
  const REFRESH_MS = Math.max(1, Number(document.body.dataset.refreshS) || 5) * 1000;
  const HISTORY = 120; // lag samples per group kept for the charts (10 min at 5 s)
  const LATEST_DEAD_LETTERS = 10;
  const PROCESSES = "/api/v1/ops/processes";
  const SVG_NS = "http://www.w3.org/2000/svg";
  const FINISHED = new Set(["done", "finished", "completed", "succeeded", "failed", "error",
    "cancelled", "canceled"]);

  const $ = (id) => document.getElementById(id);
  const lagHistory = new Map(); // group -> [{t, records, seconds}]
  let timer = null;
  let generation = 0; // bumped at logout: answers of an earlier session are dropped

  // -- DOM building -----------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = String(value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "text") node.textContent = String(value);
      else node.setAttribute(name, String(value));
    }
    for (const child of children.flat()) if (child) node.append(child);
    return node;
  }

  function table(headers, rows, attrs) {
    return el("table", attrs || {},
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows));
  }

  const cell = (value, attrs) => el("td", attrs || {}, value === null || value === undefined
    ? el("span", { class: "muted", text: "-" }) : value);

  // -- formatting ---------------------------------------------------------------------------

  const NUMBER = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
  const num = (v) => (v === null || v === undefined ? null : NUMBER.format(Number(v)));

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return null;
    const s = Number(seconds);
    if (s < 60) return `${NUMBER.format(s)} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
    return `${Math.floor(s / 86400)} d ${Math.round((s % 86400) / 3600)} h`;
  }

  function when(iso) {
    if (!iso) return null;
    const at = new Date(iso);
    if (Number.isNaN(at.getTime())) return String(iso);
    const ago = Math.max(0, (Date.now() - at.getTime()) / 1000);
    return el("time", { datetime: iso, title: at.toISOString(), text: `${duration(ago)} ago` });
  }

  const plural = (n, word) => `${num(n)} ${word}${Number(n) === 1 ? "" : "s"}`;

  const badge = (text, kind) => el("span", { class: `badge ${kind}`, text });

  function problemDetail(answer) {
    const body = answer.body;
    if (body && typeof body === "object" && (body.detail || body.title)) {
      return String(body.detail || body.title);
    }
    return "";
  }

  // -- the API --------------------------------------------------------------------------------

  async function call(path, token) {
    const response = await fetch(path, {
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
      cache: "no-store",
      credentials: "omit",
    });
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      body = null; // an empty or non-JSON answer: its status says enough
    }
    return { status: response.status, body, retryAfter: response.headers.get("Retry-After") };
  }

  // -- charts ---------------------------------------------------------------------------------

  // A line per series over the kept samples; y from 0 to the largest value seen.
  function lineChart(title, series, unit) {
    const W = 360, H = 130, L = 46, R = 8, T = 18, B = 18;
    const points = series.flatMap((s) => s.points);
    const chart = svg("svg", {
      viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: "chart", role: "img",
      "aria-label": title,
    }, svg("title", { text: title }));
    chart.append(svg("text", { x: L, y: 12, class: "chart-title", text: title }));
    if (points.length === 0) {
      chart.append(svg("text", { x: L, y: H / 2, class: "muted", text: "no samples yet" }));
      return chart;
    }
    const t0 = Math.min(...points.map((p) => p.t));
    const t1 = Math.max(...points.map((p) => p.t), t0 + 1);
    const vmax = Math.max(1, ...points.map((p) => p.v));
    const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
    const y = (v) => H - B - (v / vmax) * (H - T - B);
    chart.append(
      svg("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis" }),
      svg("line", { x1: L, y1: T, x2: L, y2: H - B, class: "axis" }),
      svg("text", { x: L - 4, y: T + 4, class: "tick end", text: `${num(vmax)}${unit}` }),
      svg("text", { x: L - 4, y: H - B, class: "tick end", text: `0${unit}` }),
      svg("text", { x: L, y: H - 4, class: "tick", text: `${duration((t1 - t0) / 1000)} ago` }),
      svg("text", { x: W - R, y: H - 4, class: "tick end", text: "now" }),
    );
    series.forEach((s, i) => {
      const cls = `series series-${i % 6}`;
      const last = s.points[s.points.length - 1];
      if (!last) return;
      const coords = s.points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`);
      chart.append(svg("polyline", { points: coords.join(" "), class: cls },
        svg("title", { text: s.name })));
      // The latest sample as a dot: visible even while there is only one.
      chart.append(svg("circle", { cx: x(last.t).toFixed(1), cy: y(last.v).toFixed(1), r: 2.5,
        class: `${cls} dot` }, svg("title", { text: `${s.name}: ${num(last.v)}${unit}` })));
    });
    return chart;
  }

  function legend(names) {
    return el("ul", { class: "legend" }, names.map((name, i) =>
      el("li", {}, el("span", { class: `swatch series-${i % 6}` }), name)));
  }

  // Buckets as Prometheus writes them (cumulative, "le") become counts per bucket; buckets
  // already per bucket stay as they are.
  function bucketCounts(histogram, total) {
    const counts = histogram.map((b) => Number(b.count) || 0);
    const rising = counts.every((c, i) => i === 0 || c >= counts[i - 1]);
    const cumulative = rising && counts.length > 0 && counts[counts.length - 1] === total;
    return counts.map((c, i) => (cumulative && i > 0 ? c - counts[i - 1] : c));
  }

  function histogramBars(histogram, total) {
    const W = 220, H = 48, B = 12;
    const counts = bucketCounts(histogram || [], Number(total) || 0);
    const chart = svg("svg", {
      viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: "histogram", role: "img",
      "aria-label": "histogram of seconds from Odoo commit to read model",
    });
    if (counts.length === 0) return chart;
    const max = Math.max(1, ...counts);
    const w = W / counts.length;
    counts.forEach((count, i) => {
      const h = (count / max) * (H - B - 2);
      const le = histogram[i].le;
      const label = le === "+Inf" ? "> last" : `<= ${le} s`;
      chart.append(svg("rect", {
        x: (i * w + 1).toFixed(1), y: (H - B - h).toFixed(1), width: Math.max(1, w - 2).toFixed(1),
        height: h.toFixed(1), class: "bar",
      }, svg("title", { text: `${label}: ${count}` })));
    });
    chart.append(svg("text", { x: 0, y: H - 1, class: "tick", text: `<= ${histogram[0].le} s` }));
    chart.append(svg("text", { x: W, y: H - 1, class: "tick end", text: "+Inf" }));
    return chart;
  }

  function progressBar(done, total) {
    if (total === null || total === undefined || Number(total) <= 0) {
      return el("progress", { "aria-label": "in progress" }); // no total: indeterminate
    }
    const pct = Math.min(100, (100 * Number(done)) / Number(total));
    return el("span", { class: "progress" },
      el("progress", { max: total, value: done, "aria-label": `${pct.toFixed(0)} %` }),
      ` ${num(done)} / ${num(total)} (${pct.toFixed(0)} %)`);
  }

  const running = (item) => !FINISHED.has(String(item.status).toLowerCase()) && !item.finishedAt;

  // -- panels -----------------------------------------------------------------------------------

  const PANELS = [
    {
      id: "panel-processes",
      path: PROCESSES,
      render(body) {
        const stateKind = { alive: "ok", stale: "warn", stopped: "bad" };
        const rows = body.processes.map((p) => {
          const s = p.status;
          const parts = [];
          if (s) {
            const stalled = Number(s.stalledFor) > 0 ? ` for ${duration(s.stalledFor)}` : "";
            parts.push(`${s.status}${stalled}`);
            const lag = Object.values(s.lag || {}).reduce((a, b) => a + Number(b), 0);
            if (s.lag && Object.keys(s.lag).length) parts.push(`lag ${num(lag)}`);
            if (s.error) parts.push(String(s.error));
          }
          return el("tr", { "data-process": p.name },
            cell(p.name), cell(badge(p.state, stateKind[p.state] || "warn")), cell(p.pid),
            cell(when(p.since)), cell(p.restarts), cell(duration(p.statusAgeS)),
            cell(parts.length ? parts.join(", ") : null));
        });
        return [
          table(["Process", "State", "PID", "Started", "Restarts", "Status age", "Status"], rows,
            { class: "processes" }),
          body.processes.length ? null
            : el("p", { class: "muted", text: `No processes on record in ${body.stateDir}.` }),
        ];
      },
    },
    {
      id: "panel-lag",
      path: "/api/v1/ops/lag",
      render(body) {
        const t = Date.parse(body.measuredAt) || Date.now();
        for (const g of body.groups) {
          const kept = lagHistory.get(g.group) || [];
          if (!kept.length || kept[kept.length - 1].t !== t) {
            kept.push({ t, records: Number(g.lagRecords) || 0, seconds: Number(g.lagSeconds) || 0 });
          }
          lagHistory.set(g.group, kept.slice(-HISTORY));
        }
        const rows = body.groups.map((g) => el("tr", { "data-group": g.group },
          cell(g.group), cell(num(g.lagRecords), { class: "n" }),
          cell(duration(g.lagSeconds), { class: "n" }),
          cell(el("details", {}, el("summary", { text: plural(g.partitions.length, "partition") }),
            table(["Topic", "Part.", "Committed", "Log end", "Lag", "Lag (s)"],
              g.partitions.map((p) => el("tr", {}, cell(p.topic), cell(p.partition),
                cell(num(p.committedOffset)), cell(num(p.logEndOffset)),
                cell(num(p.lagRecords)), cell(num(p.lagSeconds)))),
              { class: "partitions" })))));
        const groups = body.groups.map((g) => g.group);
        const series = (field) => groups.map((name) => ({
          name, points: (lagHistory.get(name) || []).map((s) => ({ t: s.t, v: s[field] })),
        }));
        return [
          table(["Group", "Lag (records)", "Lag (time)", "Partitions"], rows, { class: "lag" }),
          el("div", { class: "charts" },
            lineChart("lag, records", series("records"), ""),
            lineChart("lag, seconds", series("seconds"), " s")),
          legend(groups),
        ];
      },
    },
    {
      id: "panel-freshness",
      path: "/api/v1/ops/freshness",
      render(body) {
        const rows = body.entities.map((e) => el("tr", { "data-entity": e.entity },
          cell(e.entity), cell(duration(e.lastSeconds), { class: "n" }),
          cell(when(e.lastSourceAt)), cell(when(e.lastAppliedAt)),
          cell(num(e.count), { class: "n" }), cell(histogramBars(e.histogram, e.count))));
        return table(["Entity", "Last", "Odoo commit", "Applied", "Count", "Histogram"], rows,
          { class: "freshness" });
      },
    },
    {
      id: "panel-dead-letters",
      path: `/api/v1/ops/dead-letters?limit=${LATEST_DEAD_LETTERS}`,
      render(body) {
        const counts = Object.entries(body.countsByReason || {}).sort((a, b) => b[1] - a[1]);
        const total = counts.reduce((a, [, n]) => a + Number(n), 0);
        const items = body.items.map((d) => el("tr", { "data-dead-letter": d.id },
          cell(when(d.at)), cell(d.processor), cell(d.reason),
          cell(`${d.sourceTopic}[${d.sourcePartition}]@${d.sourceOffset}`),
          cell(d.key === null || d.key === undefined ? null : String(d.key)),
          cell(el("a", { href: `#dead-letter/${encodeURIComponent(d.id)}`, text: "detail" }))));
        return [
          el("p", {}, badge(`${num(total)} in all`, total ? "bad" : "ok")),
          table(["Reason", "Count"], counts.map(([reason, n]) =>
            el("tr", {}, cell(reason), cell(num(n), { class: "n" }))), { class: "reasons" }),
          el("h3", { text: "Latest" }),
          items.length ? table(["At", "Processor", "Reason", "Source", "Key", ""], items,
            { class: "dead-letters" }) : el("p", { class: "muted", text: "none" }),
        ];
      },
    },
    {
      id: "panel-resyncs",
      path: "/api/v1/ops/resyncs",
      render(body) {
        const items = [...body.items].sort((a, b) => running(b) - running(a));
        const active = items.filter(running).length;
        const rows = items.map((r) => el("tr", { "data-resync": r.id },
          cell(r.table),
          cell(r.ids && r.ids.length ? `ids ${r.ids.join(",")}` : r.where || "all rows"),
          cell(r.status),
          cell(running(r) ? el("span", {}, progressBar(r.rowsDone, null), ` ${num(r.rowsDone)} rows`)
            : `${num(r.rowsDone)} rows`),
          cell(when(r.startedAt)), cell(when(r.finishedAt)),
          cell(r.hint ? el("span", { class: "hint" }, badge("signal unread", "warn"), ` ${r.hint}`)
            : r.error)));
        return [
          el("p", {}, badge(`${active} in progress`, active ? "warn" : "ok")),
          rows.length ? table(["Table", "Rows", "Status", "Progress", "Started", "Finished",
            "Error or hint"], rows, { class: "resyncs" }) : el("p", { class: "muted", text: "none" }),
        ];
      },
    },
    {
      id: "panel-replays",
      path: "/api/v1/ops/replays",
      render(body) {
        const items = [...body.items].sort((a, b) => running(b) - running(a));
        const active = items.filter(running).length;
        const rows = items.map((r) => el("tr", { "data-replay": r.id },
          cell(r.view), cell(r.status), cell(progressBar(r.done, r.total)),
          cell(r.ratePerS === null || r.ratePerS === undefined ? null : `${num(r.ratePerS)}/s`),
          cell(running(r) ? duration(r.etaS) : null),
          cell(when(r.startedAt)), cell(when(r.finishedAt))));
        return [
          el("p", {}, badge(`${active} in progress`, active ? "warn" : "ok")),
          rows.length ? table(["View", "Status", "Progress", "Rate", "ETA", "Started",
            "Finished"], rows, { class: "replays" }) : el("p", { class: "muted", text: "none" }),
        ];
      },
    },
    {
      id: "panel-verify",
      path: "/api/v1/ops/verify",
      render(body) {
        const entities = body.entities || [];
        const differing = entities.reduce((a, e) => a + Number(e.differences || 0), 0);
        const rows = entities.map((e) => el("tr", { "data-entity": e.entity },
          cell(e.entity), cell(num(e.expected), { class: "n" }),
          cell(num(e.served), { class: "n" }),
          cell(badge(num(e.differences), Number(e.differences) ? "bad" : "ok")),
          cell(e.sample && e.sample.length ? el("details", {},
            el("summary", { text: plural(e.sample.length, "row") }),
            el("pre", { text: JSON.stringify(e.sample, null, 2) })) : null)));
        // Never run is not "no differences": nothing was compared yet.
        const verdict = !body.ranAt ? el("p", {}, badge("not run yet", "warn"),
          " (atraxion verify, or POST /api/v1/ops/verify)")
          : el("p", {}, badge(differing
            ? `${plural(differing, "row")} differ${differing === 1 ? "s" : ""}` : "no differences",
            differing ? "bad" : "ok"), " ran ", when(body.ranAt));
        return [
          verdict,
          table(["Entity", "Expected", "Served", "Differences", "Sample"], rows,
            { class: "verify" }),
        ];
      },
    },
  ];

  function setPanel(section, state, message) {
    section.dataset.state = state;
    const status = section.querySelector(".panel-status");
    status.textContent = message;
    status.className = `panel-status ${state}`;
  }

  // One panel: its endpoint's answer drawn, or why not. Returns the answer's status.
  async function load(panel, token, session) {
    const section = $(panel.id);
    let answer;
    try {
      answer = await call(panel.path, token);
    } catch (error) {
      if (session === generation) setPanel(section, "error", `The API did not answer (${error})`);
      return { status: 0 };
    }
    if (session !== generation) return answer;
    const body = section.querySelector(".panel-body");
    const detail = problemDetail(answer);
    if (answer.status === 200) {
      try {
        body.replaceChildren(...[panel.render(answer.body)].flat().filter(Boolean));
        setPanel(section, "ok", `updated ${new Date().toLocaleTimeString("en-GB")}`);
      } catch (error) {
        setPanel(section, "error", `Cannot show this answer: ${error}`);
      }
    } else if (answer.status === 404) {
      body.replaceChildren();
      const why = detail && detail !== "Not Found" ? `: ${detail}` : "";
      setPanel(section, "unavailable", `Not available (404)${why}`);
    } else {
      // Keep what was drawn last; the status line says it is out of date and why.
      setPanel(section, "error", `Error ${answer.status}${detail ? `: ${detail}` : ""}`);
    }
    return answer;
  }

  async function refresh() {
    timer = null;
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) return showLogin();
    const session = generation;
    const answers = await Promise.all(PANELS.map((panel) => load(panel, token, session)));
    if (session !== generation) return;
    if (answers.some((a) => a.status === 401)) {
      const refused = answers.find((a) => a.status === 401);
      return logout(`Logged out: the token was refused (401) ${problemDetail(refused)}`.trim());
    }
    $("refreshed").textContent = `refreshed ${new Date().toLocaleTimeString("en-GB")}`;
    // Counted for whoever watches the page (its browser test waits for refreshes).
    document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes || 0) + 1);
    // A rate-limited answer says when to come back; never sooner than the usual interval.
    const waits = answers.filter((a) => a.status === 429).map((a) => Number(a.retryAfter) * 1000);
    timer = setTimeout(refresh, Math.max(REFRESH_MS, ...waits.filter(Number.isFinite)));
  }

  // -- dead-letter detail (#dead-letter/<id>) -----------------------------------------------

  async function showDetail() {
    const section = $("dead-letter-detail");
    const match = /^#dead-letter\/(.+)$/.exec(window.location.hash);
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!match || !token) {
      section.hidden = true;
      return;
    }
    const id = decodeURIComponent(match[1]);
    section.hidden = false;
    $("dead-letter-id").textContent = id;
    const pre = section.querySelector(".panel-body");
    pre.textContent = "";
    setPanel(section, "loading", "loading");
    const answer = await call(`/api/v1/ops/dead-letters/${encodeURIComponent(id)}`, token);
    if (answer.status === 200) {
      pre.textContent = JSON.stringify(answer.body, null, 2);
      setPanel(section, "ok", "");
    } else {
      const detail = problemDetail(answer);
      setPanel(section, answer.status === 404 ? "unavailable" : "error",
        `${answer.status === 404 ? "Not available" : "Error"} (${answer.status})${detail ? `: ${detail}` : ""}`);
    }
    section.scrollIntoView();
  }

  // -- session ----------------------------------------------------------------------------------

  function showLogin(note) {
    $("dashboard").hidden = true;
    $("logout").hidden = true;
    $("login").hidden = false;
    $("refreshed").textContent = "";
    $("login-note").hidden = !note;
    $("login-note").textContent = note || "";
    $("token").focus();
  }

  function showDashboard() {
    $("login").hidden = true;
    $("login-error").hidden = true;
    $("login-note").hidden = true;
    $("dashboard").hidden = false;
    $("logout").hidden = false;
    if (timer === null) refresh();
    showDetail();
  }

  function logout(note) {
    generation += 1;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    sessionStorage.removeItem(TOKEN_KEY);
    lagHistory.clear();
    for (const section of document.querySelectorAll("#dashboard section")) {
      section.querySelector(".panel-body").replaceChildren();
      setPanel(section, "loading", "loading");
    }
    $("dead-letter-detail").hidden = true;
    showLogin(note);
  }

  async function login(event) {
    event.preventDefault();
    const input = $("token");
    const error = $("login-error");
    const token = input.value.trim();
    error.hidden = true;
    if (!token) return;
    $("login-submit").disabled = true;
    let answer;
    try {
      answer = await call(PROCESSES, token); // an admin endpoint: answers 200 to admins only
    } catch (failure) {
      answer = { status: 0, body: { detail: `The API did not answer (${failure}).` } };
    } finally {
      $("login-submit").disabled = false;
    }
    if (answer.status === 200) {
      input.value = "";
      sessionStorage.setItem(TOKEN_KEY, token);
      showDashboard();
      return;
    }
    const why = {
      401: "the token is not valid, expired or revoked",
      403: "the token does not have the admin scope",
    }[answer.status];
    const detail = problemDetail(answer);
    error.textContent = `Refused (${answer.status}): ${why || detail || "no answer"}.`
      + (why && detail ? ` ${detail}` : "");
    error.hidden = false;
  }

  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", () => logout("Logged out."));
  $("dead-letter-close").addEventListener("click", (event) => {
    event.preventDefault();
    history.replaceState(null, "", window.location.pathname);
    $("dead-letter-detail").hidden = true;
  });
  window.addEventListener("hashchange", showDetail);

  if (sessionStorage.getItem(TOKEN_KEY)) showDashboard();
  else showLogin();
})();

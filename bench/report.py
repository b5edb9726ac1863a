"""Turns the results into bench/results/latest.md: ratios first, then every scenario's figures.

Ratios are to pycrdt-websocket measured in the same run (the machine's mood cancels out); the
absolute figures sit below them with the generator's CPU and the other load on each core, so a
reader can tell a real difference from a busy machine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

BASE = "pycrdt-websocket"
NODE = "y-websocket-server"
PEER_TITLES = {
    "planboard": "planboard (SQLite)",
    "pycrdt-websocket": "pycrdt-websocket",
    "y-websocket-server": "@y/websocket-server 0.1.1",
}

Getter = Callable[[dict[str, Any]], float | None]


def _get(*path: str) -> Getter:
    def get(r: dict[str, Any]) -> float | None:
        cur: Any = r
        for key in path:
            if not isinstance(cur, dict) or key not in cur:
                return None
            cur = cur[key]
        return float(cur) if isinstance(cur, int | float) else None

    return get


def s1_size(results: dict[str, Any]) -> str | None:
    """The S1 size the headline uses: 200 clients when measured, else the middle one."""
    for peer in results.values():
        sizes = list(peer.get("S1", {}).keys())
        if sizes:
            return "200" if "200" in sizes else sizes[len(sizes) // 2]
    return None


def headline(size: str | None) -> list[tuple[str, Getter, bool]]:
    """(column, getter, higher is better)."""
    s = size or "200"
    return [
        (f"S1 p50 ms ({s} cl.)", _get("S1", s, "p50_ms"), False),
        (f"S1 p99 ms ({s} cl.)", _get("S1", s, "p99_ms"), False),
        ("S1 CPU ms / 1k deliv.", _get("S1", s, "cpu_ms_per_1k"), False),
        ("S2 p99 ms", _get("S2", "p99_ms"), False),
        ("S2 CPU ms / 1k deliv.", _get("S2", "cpu_ms_per_1k"), False),
        ("S3 join p50 ms", _get("S3", "join_p50_ms"), False),
        ("S3 MiB / board", _get("S3", "rss_per_board_mib"), False),
        ("S4 KiB / idle conn.", _get("S4", "rss_per_conn_kib"), False),
        ("S6 deliveries/s @ p99 100 ms", _get("S6", "max_deliveries_per_s"), True),
    ]


def extra_headline() -> list[tuple[str, Getter, bool]]:
    """S7-S9's headline figures (column, getter, higher is better); all lower-is-better."""
    return [
        ("S7 server CPU %", _get("S7", "server_cpu_pct"), False),
        ("S7 cursor p99 ms", _get("S7", "p99_ms"), False),
        ("S7 frames/s", _get("S7", "frames_per_s"), False),
        ("S8 synced p50 ms", _get("S8", "synced_p50_ms"), False),
        ("S8 synced p99 ms", _get("S8", "synced_p99_ms"), False),
        ("S8 peak RSS MiB", _get("S8", "peak_rss_mib"), False),
        ("S9 join p50 ms", _get("S9", "join_p50_ms"), False),
        ("S9 MiB / board", _get("S9", "rss_per_board_mib"), False),
        ("S9 µs / update (large board)", _get("S9", "guard_big", "net_cpu_us_per_update"), False),
    ]


def _extra_ratios(results: dict[str, Any], peers: list[str]) -> list[str]:
    """S7-S9 (run on demand): each pair of peers' ratio, then the absolute figures."""
    if not any(s in results[p] for p in peers for s in ("S7", "S8", "S9")):
        return []
    cols = extra_headline()
    pairs = [
        (a, b)
        for a, b in (("planboard", NODE), ("planboard", BASE), (BASE, NODE))
        if a in results and b in results
    ]
    out = ["", "## S7-S9: ratios (same run; below 1 is better)", ""]
    rows = [
        [f"{PEER_TITLES[a]} / {PEER_TITLES[b]}"]
        + [ratio(get(results[a]), get(results[b])) for _, get, _ in cols]
        for a, b in pairs
    ]
    out += _table(["ratio"] + [c for c, _, _ in cols], rows)
    out += ["", "Absolute figures:", ""]
    rows = [[PEER_TITLES[p]] + [fmt(get(results[p])) for _, get, _ in cols] for p in peers]
    out += _table(["peer"] + [c for c, _, _ in cols], rows)
    return out


def _extra_targets(results: dict[str, Any]) -> list[str]:
    """Issue 20's targets for S7-S9, when those ran."""
    pb, node = results.get("planboard", {}), results.get(NODE, {})
    lines: list[str] = []

    def check(name: str, ok: bool | None, detail: str) -> None:
        verdict = "-" if ok is None else ("met" if ok else "**missed**")
        lines.append(f"- {name}: {verdict} ({detail})")

    if "S7" in pb:
        s7 = pb["S7"]
        v, n = s7.get("server_cpu_pct"), _get("S7", "server_cpu_pct")(node)
        p99 = s7.get("p99_ms")
        lost = (s7.get("final_missing") or 0) + (s7.get("reordered") or 0)
        check(
            "S7 server CPU ≤ 0.3x @y/websocket-server at cursor p99 ≤ 100 ms, no state lost",
            None
            if v is None or n is None or p99 is None
            else v <= 0.3 * n and p99 <= 100 and lost == 0,
            f"planboard {fmt(v)} %, @y/websocket-server {fmt(n)} % ({ratio(v, n)}), p99 "
            f"{fmt(p99)} ms, finals missing {s7.get('final_missing')}, reordered "
            f"{s7.get('reordered')}",
        )
    if "S8" in pb:
        s8 = pb["S8"]
        p99, peak = s8.get("synced_p99_ms"), s8.get("peak_rss_mib")
        check(
            "S8 join storm: synced p99 ≤ 1 s and peak RSS ≤ 300 MB",
            None if p99 is None or peak is None else p99 <= 1000 and peak * 1.048576 <= 300,
            f"p99 {fmt(p99)} ms, peak RSS {fmt(peak)} MiB, {s8.get('joined')}/"
            f"{s8.get('clients')} synced",
        )
    if "S9" in pb:
        r = pb["S9"].get("guard_cpu_ratio")
        check(
            "S9 guard cost does not grow with the board (CPU per update, 5,000 vs 10 notes, "
            "≤ 1.25x)",
            None if r is None else r <= 1.25,
            f"{fmt(r)}x",
        )
    return lines


def _extra_details(results: dict[str, Any], peers: list[str]) -> list[str]:
    out: list[str] = [""]

    def table(key: str, cols: list[tuple[str, Callable[[dict[str, Any]], Any]]]) -> list[str]:
        rows = [
            [PEER_TITLES[p]] + [fmt(get(results[p][key])) for _, get in cols]
            for p in peers
            if key in results[p]
        ]
        return [*_table(["peer"] + [c for c, _ in cols], rows), ""]

    def k(name: str) -> Callable[[dict[str, Any]], Any]:
        return lambda r: r.get(name)

    if any("S7" in results[p] for p in peers):
        movers = next(results[p]["S7"]["movers"] for p in peers if "S7" in results[p])
        out += [f"## S7: presence, {movers} cursors at 10 Hz in one room, 5 observers", ""]
        out += table(
            "S7",
            [
                ("cursor updates/s", k("cursor_updates_per_s")),
                ("p50 ms", k("p50_ms")),
                ("p95 ms", k("p95_ms")),
                ("p99 ms", k("p99_ms")),
                ("server CPU %", k("server_cpu_pct")),
                ("frames/s sent", k("frames_per_s")),
                ("KiB/s sent", lambda r: r["bytes_per_s"] / 1024),
                ("reordered", k("reordered")),
                ("superseded", k("superseded")),
                ("finals missing", lambda r: f"{r['final_missing']} / {r['finals_expected']}"),
                ("RSS MiB", k("rss_mib")),
                ("gen. CPU %", k("loadgen_cpu_pct")),
                ("other core0 %", k("other_core0_pct")),
            ],
        )
    if any("S8" in results[p] for p in peers):
        out += ["## S8: join storm", ""]
        out += table(
            "S8",
            [
                ("clients", k("clients")),
                ("synced", k("joined")),
                ("board bytes", k("step2_bytes")),
                ("synced p50 ms", k("synced_p50_ms")),
                ("p95 ms", k("synced_p95_ms")),
                ("p99 ms", k("synced_p99_ms")),
                ("max ms", k("synced_max_ms")),
                ("RSS before MiB", k("rss_before_mib")),
                ("peak RSS MiB", k("peak_rss_mib")),
                ("server CPU s", k("server_cpu_s")),
                ("gen. CPU %", k("loadgen_cpu_pct")),
            ],
        )
    if any("S9" in results[p] for p in peers):
        out += ["## S9: a large board", ""]

        def guard(side: str, name: str) -> Callable[[dict[str, Any]], Any]:
            return lambda r: r.get(f"guard_{side}", {}).get(name)

        out += table(
            "S9",
            [
                ("notes", k("notes")),
                ("doc bytes", k("doc_bytes")),
                ("join p50 ms", k("join_p50_ms")),
                ("join p99 ms", k("join_p99_ms")),
                ("cold (store) p50 ms", k("from_store_p50_ms")),
                ("cold (store) p99 ms", k("from_store_p99_ms")),
                ("MiB / board", k("rss_per_board_mib")),
                ("µs/update big", guard("big", "net_cpu_us_per_update")),
                ("µs/update 10 notes", guard("small", "net_cpu_us_per_update")),
                ("big / small", k("guard_cpu_ratio")),
                ("p99 ms big", guard("big", "p99_ms")),
                ("p99 ms 10 notes", guard("small", "p99_ms")),
            ],
        )
        out += [
            "Cold join from the store: planboard only (the peers keep no store: `-`). "
            "µs/update: the server's CPU per update in the guard windows, net of its idle CPU.",
            "",
        ]
    return out if len(out) > 1 else []


def fmt(v: Any, spec: str = ".2f") -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float) and abs(v) >= 1000:
        return f"{v:,.0f}"
    if isinstance(v, float):
        return format(v, spec)
    return str(v)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def ratio(value: float | None, base: float | None) -> str:
    if value is None or base is None or base == 0:
        return "-"
    return f"{value / base:.2f}x"


def render(data: dict[str, Any]) -> str:
    meta, results = data["meta"], data["results"]
    peers = [p for p in ("planboard", BASE, NODE) if p in results]
    size = s1_size(results)
    cols = headline(size)
    out = [
        "# planboard load benchmark",
        "",
        f"Run {meta['started']} ({'--quick' if meta['quick'] else 'full'}), commit "
        f"`{meta.get('commit', '?')}`, {meta['duration_s']:.0f} s. Server on core 0, load "
        "generator on core 1.",
        f"Machine: {meta['machine']}.",
        "",
        f"**{meta['quiet']}**",
        "",
        "## Ratios to pycrdt-websocket (same run; below 1 is better except deliveries/s)",
        "",
    ]
    base = results.get(BASE, {})
    rows = []
    for peer in peers:
        rows.append(
            [PEER_TITLES[peer]] + [ratio(get(results[peer]), get(base)) for _, get, _ in cols]
        )
    out += _table(["peer"] + [c for c, _, _ in cols], rows)
    out += ["", "## Absolute figures", ""]
    rows = [[PEER_TITLES[p]] + [fmt(get(results[p])) for _, get, _ in cols] for p in peers]
    out += _table(["peer"] + [c for c, _, _ in cols], rows)
    out += _extra_ratios(results, peers)
    out += ["", "## Targets", ""]
    out += _targets(results, size) + _extra_targets(results)
    out += _details(results, peers)
    return "\n".join(out) + "\n"


def _targets(results: dict[str, Any], size: str | None) -> list[str]:
    s = size or "200"
    pb, base, node = (results.get(k, {}) for k in ("planboard", BASE, NODE))
    lines: list[str] = []

    def check(name: str, value: float | None, ok: bool | None, detail: str) -> None:
        verdict = "-" if ok is None else ("met" if ok else "**missed**")
        lines.append(f"- {name}: {verdict} ({detail})")

    for label, key in (("p99 latency", "p99_ms"), ("CPU per 1,000 deliveries", "cpu_ms_per_1k")):
        v, b, n = (_get("S1", s, key)(r) for r in (pb, base, node))
        ok = None if v is None or b is None else v <= b / 2 and (n is None or v <= n)
        check(
            f"S1 {s} clients, {label} ≤ ½ pycrdt-websocket and ≤ @y/websocket-server",
            v,
            ok,
            f"planboard {fmt(v)}, pycrdt-websocket {fmt(b)}, @y/websocket-server {fmt(n)}",
        )
    v, b = _get("S6", "max_deliveries_per_s")(pb), _get("S6", "max_deliveries_per_s")(base)
    check(
        "S6 deliveries/s at p99 100 ms ≥ 3x pycrdt-websocket",
        v,
        None if v is None or b is None else v >= 3 * b,
        f"planboard {fmt(v)}, pycrdt-websocket {fmt(b)} ({ratio(v, b)})",
    )
    v, b = _get("S3", "join_p50_ms")(pb), _get("S3", "join_p50_ms")(base)
    check(
        "S3 cold join p50 ≤ ½ pycrdt-websocket",
        v,
        None if v is None or b is None else v <= b / 2,
        f"planboard {fmt(v)} ms, pycrdt-websocket {fmt(b)} ms",
    )
    v = _get("S4", "rss_per_conn_kib")(pb)
    check(
        "S4 RSS per idle connection < 50 KiB",
        v,
        None if v is None else v < 50,
        f"planboard {fmt(v, '.1f')} KiB",
    )
    s5 = pb.get("S5", {})
    if s5.get("available"):
        v = s5.get("added_p50_ms")
        check(
            "S5 Redis hop adds < 2 ms at p50",
            v,
            None if v is None else v < 2,
            f"{fmt(v)} ms",
        )
    else:
        lines.append(f"- S5 Redis hop < 2 ms at p50: {s5.get('reason', 'not run')}")
    return lines


def _details(results: dict[str, Any], peers: list[str]) -> list[str]:
    out: list[str] = []
    window_cols = [
        ("p50 ms", "p50_ms"),
        ("p95 ms", "p95_ms"),
        ("p99 ms", "p99_ms"),
        ("updates/s", "updates_per_s"),
        ("deliveries/s", "deliveries_per_s"),
        ("CPU ms/1k", "cpu_ms_per_1k"),
        ("server CPU %", "server_cpu_pct"),
        ("RSS MiB", "rss_mib"),
        ("gen. CPU %", "loadgen_cpu_pct"),
        ("other core0 %", "other_core0_pct"),
        ("missing", "missing"),
    ]

    def window_rows(get: Callable[[str], dict[str, Any] | None]) -> list[list[str]]:
        rows = []
        for p in peers:
            r = get(p)
            if r:
                rows.append([PEER_TITLES[p]] + [fmt(r.get(k)) for _, k in window_cols])
        return rows

    sizes: list[str] = []
    for p in peers:
        for s in results[p].get("S1", {}):
            if s not in sizes:
                sizes.append(s)
    if sizes:
        out += ["", "## S1: one room, 10 writers at 5 updates/s each", ""]
        for size in sizes:

            def s1_at(p: str, size: str = size) -> dict[str, Any] | None:
                found: dict[str, Any] | None = results[p].get("S1", {}).get(size)
                return found

            out += [f"{size} clients:", ""]
            out += _table(["peer"] + [c for c, _ in window_cols], window_rows(s1_at))
            out.append("")
    if any("S2" in results[p] for p in peers):
        out += ["## S2: 100 rooms x 4 clients, one writer per room at 5 updates/s", ""]
        out += _table(
            ["peer"] + [c for c, _ in window_cols], window_rows(lambda p: results[p].get("S2"))
        )
        out.append("")
    if any("S3" in results[p] for p in peers):
        out += ["## S3: cold join of a 2,000-note board", ""]
        cols = [
            ("join p50 ms", "join_p50_ms"),
            ("join p95 ms", "join_p95_ms"),
            ("of which handshake ms", "handshake_p50_ms"),
            ("from store p50 ms", "from_store_p50_ms"),
            ("from store p95 ms", "from_store_p95_ms"),
            ("MiB / board", "rss_per_board_mib"),
            ("doc bytes", "doc_bytes"),
            ("notes received", "notes_received"),
            ("client apply ms", "client_apply_p50_ms"),
        ]
        rows = [
            [PEER_TITLES[p]] + [fmt(results[p]["S3"].get(k)) for _, k in cols]
            for p in peers
            if "S3" in results[p]
        ]
        out += _table(["peer"] + [c for c, _ in cols], rows)
        out.append("")
    if any("S4" in results[p] for p in peers):
        out += ["## S4: idle connections", ""]
        cols = [
            ("connections", "connections"),
            ("KiB / connection", "rss_per_conn_kib"),
            ("RSS MiB", "rss_mib"),
            ("connect s", "connect_s"),
            ("CPU ms / connect", "cpu_ms_per_connect"),
        ]
        rows = [
            [PEER_TITLES[p]] + [fmt(results[p]["S4"].get(k)) for _, k in cols]
            for p in peers
            if "S4" in results[p]
        ]
        out += _table(["peer"] + [c for c, _ in cols], rows)
        out.append("")
    s5 = results.get("planboard", {}).get("S5")
    if s5 is not None:
        out += ["## S5: two planboard instances on Redis", ""]
        if s5.get("available"):
            loc, rem = s5["local"], s5["remote"]
            out += _table(
                ["observers", "p50 ms", "p95 ms", "p99 ms", "samples", "missing"],
                [
                    [
                        name,
                        fmt(d.get("p50")),
                        fmt(d.get("p95")),
                        fmt(d.get("p99")),
                        fmt(d.get("n")),
                        fmt(d.get("missing")),
                    ]
                    for name, d in (("same instance as writers", loc), ("other instance", rem))
                ],
            )
            out += [
                "",
                f"Added by the Redis hop: p50 {fmt(s5.get('added_p50_ms'))} ms, "
                f"p99 {fmt(s5.get('added_p99_ms'))} ms ({s5['clients']} clients, CPU of both "
                f"instances and Redis {fmt(s5.get('cpu_ms_per_1k'))} ms per 1k deliveries).",
                "",
            ]
        else:
            out += [f"{s5.get('reason')}", ""]
    if any("S6" in results[p] for p in peers):
        out += ["## S6: saturation (200 clients, 40 writers; rate x1.35 per step)", ""]
        cols = [
            ("deliveries/s @ p99 ≤ 100 ms", "max_deliveries_per_s"),
            ("at updates/s", "at_updates_per_s"),
            ("p99 there ms", "p99_at_max_ms"),
        ]
        rows = []
        for p in peers:
            r = results[p].get("S6")
            if r:
                last = r["steps"][-1] if r["steps"] else {}
                rows.append(
                    [PEER_TITLES[p]]
                    + [fmt(r.get(k)) for _, k in cols]
                    + [
                        "yes" if r.get("reached_limit") else "no (time budget)",
                        fmt(last.get("p99_ms")),
                        "yes" if r.get("generator_bound") else "no",
                    ]
                )
        out += _table(
            ["peer"]
            + [c for c, _ in cols]
            + ["limit reached", "p99 of failing step ms", "generator > 90 % CPU"],
            rows,
        )
        out.append("")
        for p in peers:
            r = results[p].get("S6")
            if not r:
                continue
            out += [f"{PEER_TITLES[p]} steps:", ""]
            out += _table(
                [
                    "updates/s",
                    "deliveries/s",
                    "p50 ms",
                    "p99 ms",
                    "server CPU %",
                    "gen. CPU %",
                    "missing",
                    "ok",
                ],
                [
                    [
                        fmt(s["updates_per_s"], ".0f"),
                        fmt(s["deliveries_per_s"], ".0f"),
                        fmt(s["p50_ms"]),
                        fmt(s["p99_ms"]),
                        fmt(s["server_cpu_pct"], ".0f"),
                        fmt(s["loadgen_cpu_pct"], ".0f"),
                        fmt(s["missing"]),
                        "yes" if s["ok"] else "no",
                    ]
                    for s in r["steps"]
                ],
            )
            out.append("")
    out += _extra_details(results, peers)
    errors = [(p, s, e) for p in peers for s, e in results[p].get("errors", {}).items()]
    if errors:
        out += ["## Errors", ""] + [f"- {PEER_TITLES[p]} {s}: {e}" for p, s, e in errors]
    return out

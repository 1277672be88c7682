#!/usr/bin/env python3
"""The cases of issue 18's performance targets and the aggregation of scripts/perf-targets.sh's rounds.

    perf_ratios.py plan --targets 1,2,3,4,5      # the items perf-targets.sh runs each round (TSV)
    perf_ratios.py aggregate DIR --rounds N      # DIR/rounds/r<i>/... -> DIR/ratios.json and DIR/ratios.md
    perf_ratios.py --self-test                   # perf_ratios_test.py: no torch, no JVM needed

Targets (issue 18; names or numbers):
  1 forward   CS336 small forward 4x128 and dense-cpu prefill 128: Knobs / eager <= 0.95
  2 backward  CS336 small forward_backward and train_step 4x128: Knobs / eager <= 0.95
  3 moe       MoeDispatch.moe at topK 1..32, routing router and balanced: >= 60 % of the roofline bound
              (Knobs only: the percent_of_roofline_bound that `reports summarize` gives each row, when it does)
  4 tinyop    Overhead.tinyOp: Knobs / eager <= 1.0
  5 startup   StartupProbe moe-cpu, 5 fresh JVMs a round, median total <= 1500 ms (Knobs only)
  moe-eager   (not in the default) MoeDispatch.moe and .dense against the eager twins, no threshold

A round runs every item once; within a round each paired case runs Knobs (one JMH fork) and then
eager (scripts/pytorch-parity.py --case), back to back. The ratio of a case in a round is the Knobs
median over that fork's iterations divided by eager's median; a case's result is the median of its
per-round ratios with their range (min-max). Output files are written to a temporary file in DIR and
renamed: never half-written. Bad input exits 2 with one line naming the value and the allowed ones.
"""
import json
import math
import os
import re
import statistics
import sys
import tempfile

TOPKS = (1, 2, 4, 8, 16, 32)
ROUTINGS = ("router", "balanced")
TARGET_NAMES = {"1": "forward", "2": "backward", "3": "moe", "4": "tinyop", "5": "startup"}
ALL_TARGETS = ("forward", "backward", "moe", "tinyop", "startup", "moe-eager")
DEFAULT_TARGETS = ("forward", "backward", "moe", "tinyop", "startup")
STARTUP_JVMS = 5
STARTUP_LIMIT_MS = 1500.0
ROOFLINE_MIN_PERCENT = 60.0
GEMM_CEILING_MIN_PERCENT = 85.0  # target 1: small forward >= 85 % of the same round's Calibration.gemm
ROOFLINE_FIELD = "percent_of_roofline_bound"  # added to `reports summarize` rows by the roofline work of issue 18


def die(msg):
    print("perf_ratios: " + msg, file=sys.stderr)
    sys.exit(2)


class Pair:
    """A case timed in Knobs (JMH pattern and -p params) and in eager (its pytorch-parity.py key)."""

    def __init__(self, target, cid, label, benchmark, params, limit, ceiling_min=None):
        self.target, self.id, self.label, self.benchmark, self.params, self.limit = target, cid, label, benchmark, params, limit
        self.ceiling_min = ceiling_min  # also needs >= this % of the same round's Calibration.gemm FLOP/s, or None

    @property
    def key(self):
        """pytorch-parity.py's key of the twin: `Benchmark k=v ...`, params sorted by name."""
        return self.benchmark + " " + " ".join("%s=%s" % (k, self.params[k]) for k in sorted(self.params))

    def jmh_args(self):
        """The JMH pattern (the whole benchmark name, anchored) and one -p per param."""
        args = ["knobs\\.benchmarks\\." + self.benchmark.replace(".", "\\.") + "$"]
        for k in sorted(self.params):
            args += ["-p", "%s=%s" % (k, self.params[k])]
        return args

    def case_regex(self):
        return "^" + re.escape(self.key) + "$"


SMALL = {"batchSize": 4, "contextLength": 128, "device": "cpu", "precision": "fp32", "size": "small", "tokens": "random"}


def pairs():
    out = []
    for pss, target, label in (("forward", "forward", "CS336 small forward 4x128"),
                               ("forward_backward", "backward", "CS336 small forward_backward 4x128"),
                               ("train_step", "backward", "CS336 small train_step 4x128 (AdamW)")):
        out.append(Pair(target, "small-" + pss.replace("_", "-"), label, "ModelSize.step", dict(SMALL, **{"pass": pss}), 0.95,
                        GEMM_CEILING_MIN_PERCENT if pss == "forward" else None))
        if pss == "forward":
            out.append(Pair("forward", "dense-prefill-128", "dense-cpu prefill 128 (batch 1)", "SeqLenScaling.prefill",
                            {"batch": 1, "device": "cpu", "model": "dense-cpu", "pass": "forward", "seqLen": 128,
                             "tokens": "random"}, 0.95))
    out.append(Pair("tinyop", "tiny-op", "tiny op (add, 16 floats, allocates)", "Overhead.tinyOp", {"device": "cpu"}, 1.0))
    for routing in ROUTINGS:
        for k in TOPKS:
            out.append(Pair("moe-eager", "moe-%s-k%d" % (routing, k), "MoE layer, %s routing, top-%d" % (routing, k),
                            "MoeDispatch.moe", {"device": "cpu", "model": "moe-cpu", "routing": routing, "tokens": 512,
                                                "topK": k}, None))
    for k in TOPKS:
        out.append(Pair("moe-eager", "dense-k%d" % k, "dense SwiGLU of the MoE's active FLOPs, top-%d" % k,
                        "MoeDispatch.dense", {"device": "cpu", "model": "moe-cpu", "routing": "router", "tokens": 512,
                                              "topK": k}, None))
    return out


def parse_targets(text):
    """'1,2,forward,moe-eager' -> target names in ALL_TARGETS order; exits 2 on an unknown one."""
    names = []
    for t in (x.strip() for x in text.split(",")):
        if not t:
            continue
        name = TARGET_NAMES.get(t, t)
        if name not in ALL_TARGETS:
            die("unknown target '%s'; allowed: %s (or 1-5 for the first five)" % (t, ", ".join(ALL_TARGETS)))
        names.append(name)
    if not names:
        die("--targets is empty; allowed: %s" % ", ".join(ALL_TARGETS))
    return [n for n in ALL_TARGETS if n in names]


def plan(targets):
    """The items of one round, TSV: `pair ID PARITY-REGEX JMH-ARGS...`, `ceiling gemm JMH-ARGS...`,
    `startup startup`, `roofline moe`."""
    lines = []
    if "forward" in targets:
        lines.append("\t".join(["ceiling", "gemm", "knobs\\.benchmarks\\.Calibration\\.gemm$"]))
    for p in pairs():
        if p.target in targets:
            lines.append("\t".join(["pair", p.id, p.case_regex()] + p.jmh_args()))
    if "moe" in targets:
        lines.append("roofline\tmoe")
    if "startup" in targets:
        lines.append("startup\tstartup")
    return lines


def roofline_jmh_args():
    """JMH arguments of a round's MoE roofline run: the layer at every topK and routing (Calibration runs beside it)."""
    return ["knobs\\.benchmarks\\.MoeDispatch\\.moe$", "-p", "topK=" + ",".join(map(str, TOPKS)),
            "-p", "routing=" + ",".join(ROUTINGS)]


# --- reading one round's files ---

UNIT_MS = {"s/op": 1e3, "ms/op": 1.0, "us/op": 1e-3, "ns/op": 1e-6}


def median(values):
    return statistics.median(values)


def read_jmh(path):
    """(median ms of every iteration of the single configuration, its FLOPs per op or None)."""
    with open(path) as f:
        doc = json.load(f)
    if len(doc) != 1:
        raise ValueError("%s: %d JMH results; a paired case runs exactly one configuration" % (path, len(doc)))
    r = doc[0]["primaryMetric"]
    if r["scoreUnit"] not in UNIT_MS:
        raise ValueError("%s: unit %s; allowed: %s" % (path, r["scoreUnit"], ", ".join(UNIT_MS)))
    values = [v for fork in r["rawData"] for v in fork]
    # WorkCounters are JMH event counters: per iteration totals, so FLOPs per op = flops / ops
    sec = doc[0].get("secondaryMetrics", {})
    flops, ops = sec.get("flops", {}).get("score"), sec.get("ops", {}).get("score")
    per_op = flops / ops if flops is not None and ops else None
    return median(values) * UNIT_MS[r["scoreUnit"]], per_op


def contended(path):
    """Whether the contention profiler flagged any measured iteration of a JMH result as contended."""
    with open(path) as f:
        doc = json.load(f)
    score = doc[0].get("secondaryMetrics", {}).get("contention.contended", {}).get("score")
    return bool(score) and score > 0


def straddles(s, ok):
    """Whether the rounds fall on both sides of a target (ok(value) says a value meets it): no verdict then."""
    return s is not None and s["n"] > 1 and ok(s["min"]) != ok(s["max"])


def read_eager(path, key):
    """(median ms, flops) of the twin row whose key is `key` in pytorch-parity.py's summary.json."""
    with open(path) as f:
        doc = json.load(f)
    rows = [r for r in doc["summary"]
            if r["benchmark"] + " " + " ".join("%s=%s" % (k, r["params"][k]) for k in sorted(r["params"])) == key]
    if len(rows) != 1:
        raise ValueError("%s: %d rows with key '%s'" % (path, len(rows), key))
    return rows[0]["median"] * UNIT_MS[rows[0]["unit"]], rows[0].get("flops")


def read_startup(path):
    """Total ms of each `startup ... total_ms=N ...` line of StartupProbe's output."""
    with open(path) as f:
        totals = [float(m.group(1)) for m in (re.search(r"\btotal_ms=(\d+(?:\.\d+)?)", line) for line in f) if m]
    if not totals:
        raise ValueError("%s: no StartupProbe line with total_ms" % path)
    return totals


def read_roofline(path):
    """{(routing, topK): (percent, trustworthy)} of the MoeDispatch.moe rows of a `reports summarize` summary.json, or
    None when its rows have no percent_of_roofline_bound (the report does not compute it yet)."""
    with open(path) as f:
        doc = json.load(f)
    rows = [r for r in doc["summary"] if r["benchmark"].endswith("MoeDispatch.moe")]
    if not rows or not any(ROOFLINE_FIELD in r for r in rows):
        return None
    out = {}
    for r in rows:
        v = r.get(ROOFLINE_FIELD)
        if v is not None:
            out[(str(r["params"].get("routing", "router")), int(r["params"]["topK"]))] = (float(v), r.get("trustworthy", True) is not False)
    return out


def ceiling_percent(round_dir, knobs_ms, knobs_flops, problems, i):
    """Knobs' FLOP/s in that round as a % of the round's Calibration.gemm FLOP/s (flops / median time), or None."""
    f = os.path.join(round_dir, "gemm.knobs.json")
    if not os.path.exists(f) or not knobs_flops:
        problems.append("round %d: no GEMM ceiling (%s)" % (i, "gemm.knobs.json missing" if knobs_flops else "no flops"))
        return None
    try:
        g_ms, g_flops = read_jmh(f)
    except (ValueError, KeyError, json.JSONDecodeError) as e:
        problems.append("round %d, GEMM ceiling: %s" % (i, e))
        return None
    if not g_flops:
        problems.append("round %d, GEMM ceiling: Calibration.gemm has no flops" % i)
        return None
    return 100.0 * (knobs_flops / knobs_ms) / (g_flops / g_ms)


def spread(values):
    return {"median": median(values), "min": min(values), "max": max(values), "n": len(values)} if values else None


def flops_equal(a, b):
    if a is None or b is None:
        return None
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)


def aggregate(out_dir, rounds, targets):
    """Reads OUT/rounds/r1..rN and returns the ratios document (see docs/performance.md, "Reproduce")."""
    rdirs = [os.path.join(out_dir, "rounds", "r%d" % i) for i in range(1, rounds + 1)]
    cases, problems = [], []
    for p in pairs():
        if p.target not in targets:
            continue
        per_round = []
        for i, d in enumerate(rdirs, 1):
            knobs_file = os.path.join(d, p.id + ".knobs.json")
            eager_file = os.path.join(d, p.id + ".eager", "summary.json")
            if not (os.path.exists(knobs_file) and os.path.exists(eager_file)):
                problems.append("round %d, %s: %s missing" % (i, p.id, "Knobs result" if not os.path.exists(knobs_file) else "eager result"))
                continue
            try:
                k_ms, k_flops = read_jmh(knobs_file)
                e_ms, e_flops = read_eager(eager_file, p.key)
            except (ValueError, KeyError, json.JSONDecodeError) as e:
                problems.append("round %d, %s: %s" % (i, p.id, e))
                continue
            row = {"round": i, "knobs_ms": k_ms, "eager_ms": e_ms, "ratio": k_ms / e_ms, "contended": contended(knobs_file),
                   "knobs_flops": k_flops, "eager_flops": e_flops, "flops_equal": flops_equal(k_flops, e_flops)}
            if p.ceiling_min is not None:
                row["percent_of_gemm_ceiling"] = ceiling_percent(d, k_ms, k_flops, problems, i)
            per_round.append(row)
        # a round whose Knobs iterations were contended is shown but not counted
        ratios = [r["ratio"] for r in per_round if not r["contended"]]
        s = spread(ratios)
        fe = [r["flops_equal"] for r in per_round if r["flops_equal"] is not None]
        ceiling = None
        if p.ceiling_min is not None:
            ceiling = spread([r["percent_of_gemm_ceiling"] for r in per_round
                              if r["percent_of_gemm_ceiling"] is not None and not r["contended"]])
        if s is None:
            status = "no data"
        elif p.limit is None:
            status = "info"
        else:
            met = s["median"] <= p.limit
            if p.ceiling_min is not None:
                met = met and ceiling is not None and ceiling["median"] >= p.ceiling_min
            status = "met" if met else "not met"
        cases.append({"id": p.id, "target": p.target, "label": p.label, "benchmark": p.benchmark, "params": p.params,
                      "limit": p.limit, "rounds": per_round, "ratio": s, "status": status,
                      "straddles": p.limit is not None and straddles(s, lambda x, lim=p.limit: x <= lim),
                      "flops_equal": (all(fe) if fe else None),
                      "gemm_ceiling": None if p.ceiling_min is None else {"min_percent": p.ceiling_min, "percent": ceiling}})
    doc = {"rounds_requested": rounds, "targets": list(targets), "cases": cases, "problems": problems}
    if "startup" in targets:
        per_round = []
        for i, d in enumerate(rdirs, 1):
            f = os.path.join(d, "startup.txt")
            if not os.path.exists(f):
                problems.append("round %d, startup: startup.txt missing" % i)
                continue
            try:
                totals = read_startup(f)
            except ValueError as e:
                problems.append("round %d, startup: %s" % (i, e))
                continue
            per_round.append({"round": i, "total_ms": totals, "median_ms": median(totals)})
        s = spread([r["median_ms"] for r in per_round])
        doc["startup"] = {"limit_ms": STARTUP_LIMIT_MS, "jvms_per_round": STARTUP_JVMS, "rounds": per_round, "median_ms": s,
                          "straddles": straddles(s, lambda x: x <= STARTUP_LIMIT_MS),
                          "status": "no data" if s is None else ("met" if s["median"] <= STARTUP_LIMIT_MS else "not met")}
    if "moe" in targets:
        found, per = False, {}
        for i, d in enumerate(rdirs, 1):
            f = os.path.join(d, "moe-report", "summary.json")
            if not os.path.exists(f):
                problems.append("round %d, moe roofline: moe-report/summary.json missing" % i)
                continue
            got = read_roofline(f)
            if got is None:
                continue
            found = True
            for key, (v, trusted) in got.items():
                per.setdefault(key, []).append({"round": i, "percent": v, "trustworthy": trusted})
        rows = []
        for routing in ROUTINGS:
            for k in TOPKS:
                rs = per.get((routing, k), [])
                # rounds whose row the report marks untrustworthy (noisy or contended) are shown, not counted
                s = spread([r["percent"] for r in rs if r["trustworthy"]])
                rows.append({"routing": routing, "topK": k, "rounds": rs, "percent": s,
                             "straddles": straddles(s, lambda x: x >= ROOFLINE_MIN_PERCENT),
                             "status": "no data" if s is None else ("met" if s["median"] >= ROOFLINE_MIN_PERCENT else "not met")})
        doc["moe_roofline"] = {"field": ROOFLINE_FIELD, "min_percent": ROOFLINE_MIN_PERCENT, "available": found,
                               "rows": rows if found else []}
    return doc


def fmt(x, digits=2):
    return "—" if x is None else ("%.*f" % (digits, x))


def sig(x):
    """An absolute time in ms to 4 significant digits (a tiny op is ~0.001 ms, a train step ~3000)."""
    return "—" if x is None else "%.4g" % x


def status_cell(status, straddling):
    return status + (" (rounds on both sides of the target: not a verdict)" if straddling else "")


def markdown(doc):
    lines = ["# Performance targets (issue 18): interleaved rounds", "",
             "Ratio = Knobs median / eager median of the same round; median (range) over rounds. "
             "Rounds requested: %d. A round marked * had contended Knobs iterations (or, for the MoE rows, a row "
             "the report marks untrustworthy) and is shown but not counted." % doc["rounds_requested"], ""]
    if doc["cases"]:
        lines += ["| case | target | per-round ratios | median (range) | rounds | Knobs ms per round | eager ms per round | FLOPs equal | status |",
                  "|---|---|---|---|---:|---|---|---|---|"]
        for c in doc["cases"]:
            s = c["ratio"]
            lines.append("| %s (`%s`) | %s | %s | %s | %d | %s | %s | %s | %s |" % (
                c["label"], c["id"], "≤ %.2f" % c["limit"] if c["limit"] is not None else "— (info)",
                " / ".join(fmt(r["ratio"]) + ("*" if r.get("contended") else "") for r in c["rounds"]) or "—",
                "—" if s is None else "%s (%s–%s)" % (fmt(s["median"]), fmt(s["min"]), fmt(s["max"])),
                len(c["rounds"]), " / ".join(sig(r["knobs_ms"]) for r in c["rounds"]) or "—",
                " / ".join(sig(r["eager_ms"]) for r in c["rounds"]) or "—",
                {True: "yes", False: "**no**", None: "—"}[c["flops_equal"]], status_cell(c["status"], c.get("straddles"))))
        lines.append("")
        for c in doc["cases"]:
            g = c.get("gemm_ceiling")
            if g is not None:
                s = g["percent"]
                lines += ["%s also needs ≥ %.0f %% of the same round's `Calibration.gemm` FLOP/s: %s per round, median %s." % (
                    c["label"], g["min_percent"],
                    " / ".join(fmt(r.get("percent_of_gemm_ceiling"), 1) for r in c["rounds"]) or "—",
                    "—" if s is None else "%s %% (%s–%s)" % (fmt(s["median"], 1), fmt(s["min"], 1), fmt(s["max"], 1))), ""]
    if "startup" in doc:
        st = doc["startup"]
        s = st["median_ms"]
        lines += ["## Fork start (StartupProbe moe-cpu, %d fresh JVMs a round; target ≤ %.0f ms)" % (st["jvms_per_round"], st["limit_ms"]), "",
                  "| per-round medians (ms) | median (range) | rounds | status |", "|---|---|---:|---|",
                  "| %s | %s | %d | %s |" % (" / ".join(fmt(r["median_ms"], 0) for r in st["rounds"]) or "—",
                                           "—" if s is None else "%s (%s–%s)" % (fmt(s["median"], 0), fmt(s["min"], 0), fmt(s["max"], 0)),
                                           len(st["rounds"]), status_cell(st["status"], st.get("straddles"))), ""]
    if "moe_roofline" in doc:
        m = doc["moe_roofline"]
        lines += ["## MoE layer against its roofline bound (MoeDispatch.moe; target ≥ %.0f %%)" % m["min_percent"], ""]
        if not m["available"]:
            lines += ["Not available: the rounds' `reports summarize` rows have no `%s` (the report does not compute the "
                      "roofline bound yet); the MoE rows were measured and are under rounds/r*/moe-report/." % m["field"], ""]
        else:
            lines += ["| routing | topK | per-round % | median (range) | rounds | status |", "|---|---:|---|---|---:|---|"]
            for r in m["rows"]:
                s = r["percent"]
                lines.append("| %s | %d | %s | %s | %d | %s |" % (
                    r["routing"], r["topK"], " / ".join(fmt(x["percent"], 1) + ("" if x.get("trustworthy", True) else "*")
                                                        for x in r["rounds"]) or "—",
                    "—" if s is None else "%s (%s–%s)" % (fmt(s["median"], 1), fmt(s["min"], 1), fmt(s["max"], 1)),
                    len(r["rounds"]), status_cell(r["status"], r.get("straddles"))))
            lines.append("")
    if doc["problems"]:
        lines += ["## Problems", ""] + ["- " + p for p in doc["problems"]] + [""]
    return "\n".join(lines)


def write_atomic(path, text):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix="." + os.path.basename(path) + ".")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def positive_int(name, text):
    if not re.fullmatch(r"[1-9][0-9]*", text or ""):
        die("%s '%s' must be a whole number >= 1" % (name, text))
    return int(text)


def main(argv):
    usage = "usage: perf_ratios.py plan --targets LIST | roofline-args | aggregate DIR --rounds N --targets LIST | --self-test"
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if argv[0] == "--self-test":
        import unittest
        here = os.path.dirname(os.path.abspath(__file__))
        sys.path.insert(0, here)
        suite = unittest.defaultTestLoader.discover(here, pattern="perf_ratios_test.py")
        return 0 if unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful() else 1
    cmd, rest = argv[0], argv[1:]
    opts, pos = {}, []
    i = 0
    while i < len(rest):
        if rest[i] in ("--targets", "--rounds"):
            if i + 1 >= len(rest):
                die("%s needs a value" % rest[i])
            opts[rest[i]] = rest[i + 1]
            i += 2
        elif rest[i].startswith("-"):
            die("unknown option '%s'; allowed: --targets LIST, --rounds N" % rest[i])
        else:
            pos.append(rest[i])
            i += 1
    targets = parse_targets(opts.get("--targets", ",".join(DEFAULT_TARGETS)))
    if cmd == "plan":
        print("\n".join(plan(targets)))
    elif cmd == "roofline-args":
        print("\t".join(roofline_jmh_args()))
    elif cmd == "aggregate":
        if len(pos) != 1:
            die("aggregate needs one DIR; " + usage)
        rounds = positive_int("--rounds", opts.get("--rounds"))
        doc = aggregate(pos[0], rounds, targets)
        write_atomic(os.path.join(pos[0], "ratios.json"), json.dumps(doc, indent=1, sort_keys=True) + "\n")
        write_atomic(os.path.join(pos[0], "ratios.md"), markdown(doc))
        print(markdown(doc))
    else:
        die("unknown command '%s'; allowed: plan, roofline-args, aggregate, --self-test" % cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

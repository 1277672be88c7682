"""Tests of perf_ratios.py and of pytorch-parity.py's case selection; run by `perf_ratios.py --self-test`.
Need neither torch nor a JVM: the JMH and eager files are synthetic."""
import contextlib
import importlib.util
import io
import json
import os
import shutil
import tempfile
import unittest

import perf_ratios as pr

HERE = os.path.dirname(os.path.abspath(__file__))


def load_parity():
    spec = importlib.util.spec_from_file_location("pytorch_parity", os.path.join(HERE, "pytorch-parity.py"))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def jmh_file(path, values_ms, flops, unit="ms/op"):
    scale = {"ms/op": 1.0, "us/op": 1e3}[unit]
    doc = [{"benchmark": "x", "primaryMetric": {"scoreUnit": unit, "rawData": [[v * scale for v in values_ms]]},
            "secondaryMetrics": {"flops": {"score": 3 * flops}, "ops": {"score": 3.0}} if flops is not None else {}}]
    with open(path, "w") as f:
        json.dump(doc, f)


def eager_file(path, pair, median_ms, flops):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rows = [{"benchmark": pair.benchmark, "params": pair.params, "unit": "ms/op", "median": median_ms, "flops": flops},
            {"benchmark": "Other.case", "params": {}, "unit": "ms/op", "median": 1.0, "flops": None}]
    with open(path, "w") as f:
        json.dump({"summary": rows}, f)


def by_id(doc, cid):
    return next(c for c in doc["cases"] if c["id"] == cid)


class PlanTest(unittest.TestCase):
    def test_targets_by_number_and_name(self):
        self.assertEqual(pr.parse_targets("1,tinyop,5"), ["forward", "tinyop", "startup"])
        self.assertEqual(pr.parse_targets("moe-eager,2"), ["backward", "moe-eager"])

    def test_unknown_target_exits_2_naming_the_allowed(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), self.assertRaises(SystemExit) as e:
            pr.parse_targets("1,7")
        self.assertEqual(e.exception.code, 2)
        self.assertIn("'7'", err.getvalue())
        self.assertIn("forward, backward, moe, tinyop, startup, moe-eager", err.getvalue())

    def test_plan_items(self):
        lines = pr.plan(["forward", "moe", "startup"])
        kinds = [l.split("\t")[:2] for l in lines]
        self.assertEqual(kinds, [["ceiling", "gemm"], ["pair", "small-forward"], ["pair", "dense-prefill-128"],
                                 ["roofline", "moe"], ["startup", "startup"]])
        small = lines[1].split("\t")
        self.assertEqual(small[3], "knobs\\.benchmarks\\.ModelSize\\.step$")
        self.assertIn("pass=forward", small[4:])

    def test_every_pair_matches_exactly_one_parity_twin(self):
        parity = load_parity()
        specs = parity.all_specs()
        for p in pr.pairs():
            chosen = parity.select(parity.SUITES, p.case_regex())
            self.assertEqual([s.key for s in chosen], [p.key], p.id)
        keys = [s.key for s in specs]
        self.assertEqual(len(keys), len(set(keys)))

    def test_parity_bad_case_exits_2(self):
        parity = load_parity()
        for bad in ("nothing-matches", "("):
            err = io.StringIO()
            with contextlib.redirect_stderr(err), self.assertRaises(SystemExit) as e:
                parity.select(parity.SUITES, bad)
            self.assertEqual(e.exception.code, 2)
            self.assertIn(bad, err.getvalue())

    def test_parity_flops_follow_the_cost_model(self):
        parity = load_parity()
        # kernels' CostModel for CS336 small, batch 4 x 128 (JMH's flops secondary: 126244356096)
        self.assertEqual(parity.forward_flops(12, 768, 3072, 3, 10000, 4, 128), 126244356096)
        # MoeDispatch.work for moe-cpu at top-8: experts 2*512*512*8*256*3 plus the router 2*512*512*64
        self.assertEqual(parity.moe_flops(8, True), 3221225472 + 33554432)
        self.assertEqual(parity.moe_flops(8, False), 3221225472)


class AggregateTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.pairs = {p.id: p for p in pr.pairs()}

    def tearDown(self):
        shutil.rmtree(self.dir)

    def round_dir(self, i):
        d = os.path.join(self.dir, "rounds", "r%d" % i)
        os.makedirs(d, exist_ok=True)
        return d

    def pair_round(self, i, cid, knobs_ms, eager_ms, knobs_flops=100, eager_flops=100):
        d = self.round_dir(i)
        jmh_file(os.path.join(d, cid + ".knobs.json"), knobs_ms, knobs_flops)
        eager_file(os.path.join(d, cid + ".eager", "summary.json"), self.pairs[cid], eager_ms, eager_flops)

    def test_median_and_range_of_per_round_ratios(self):
        self.pair_round(1, "tiny-op", [1.0, 2.0, 3.0], 2.0)   # median 2.0 -> 1.0
        self.pair_round(2, "tiny-op", [0.9, 0.9, 0.9], 1.0)   # 0.9
        self.pair_round(3, "tiny-op", [5.0], 2.0)             # 2.5
        doc = pr.aggregate(self.dir, 3, ["tinyop"])
        c = by_id(doc, "tiny-op")
        self.assertEqual([r["ratio"] for r in c["rounds"]], [1.0, 0.9, 2.5])
        self.assertEqual(c["ratio"], {"median": 1.0, "min": 0.9, "max": 2.5, "n": 3})
        self.assertEqual(c["status"], "met")  # target <= 1.0
        self.assertTrue(c["flops_equal"])
        self.assertEqual(doc["problems"], [])

    def test_not_met_above_the_limit_and_units_converted(self):
        d = self.round_dir(1)
        jmh_file(os.path.join(d, "tiny-op.knobs.json"), [0.002], None, unit="us/op")  # written as 2 us
        eager_file(os.path.join(d, "tiny-op.eager", "summary.json"), self.pairs["tiny-op"], 0.001, None)
        doc = pr.aggregate(self.dir, 1, ["tinyop"])
        c = by_id(doc, "tiny-op")
        self.assertAlmostEqual(c["rounds"][0]["knobs_ms"], 0.002)
        self.assertIn("| 0.002 | 0.001 |", pr.markdown(doc))  # absolute times keep their significant digits
        self.assertAlmostEqual(c["ratio"]["median"], 2.0)
        self.assertEqual(c["status"], "not met")
        self.assertIsNone(c["flops_equal"])

    def test_missing_round_and_flops_mismatch_are_reported(self):
        self.pair_round(1, "small-forward-backward", [10.0], 10.0, 300, 300)
        self.pair_round(3, "small-forward-backward", [9.0], 10.0, 300, 301)
        doc = pr.aggregate(self.dir, 3, ["backward"])
        c = by_id(doc, "small-forward-backward")
        self.assertEqual(c["ratio"]["n"], 2)
        self.assertFalse(c["flops_equal"])
        self.assertTrue(any("round 2, small-forward-backward" in p for p in doc["problems"]))
        t = by_id(doc, "small-train-step")
        self.assertEqual(t["status"], "no data")
        self.assertIn("**no**", pr.markdown(doc))

    def test_small_forward_needs_the_gemm_ceiling_too(self):
        self.pair_round(1, "small-forward", [100.0], 200.0, knobs_flops=1e9, eager_flops=1e9)  # 0.5x eager, 10 GFLOP/s
        jmh_file(os.path.join(self.round_dir(1), "gemm.knobs.json"), [10.0], 1e9)             # 100 GFLOP/s
        c = by_id(pr.aggregate(self.dir, 1, ["forward"]), "small-forward")
        self.assertAlmostEqual(c["rounds"][0]["percent_of_gemm_ceiling"], 10.0)
        self.assertEqual(c["status"], "not met")  # ratio met, ceiling 10 % < 85 %
        jmh_file(os.path.join(self.round_dir(1), "gemm.knobs.json"), [10.0], 1.1e8)          # 11 GFLOP/s
        c = by_id(pr.aggregate(self.dir, 1, ["forward"]), "small-forward")
        self.assertEqual(c["status"], "met")

    def test_startup_median_of_round_medians(self):
        for i, totals in enumerate(([1400, 1500, 1450, 1600, 1300], [1700, 1800, 1650, 1750, 1900]), 1):
            with open(os.path.join(self.round_dir(i), "startup.txt"), "w") as f:
                for t in totals:
                    f.write("startup model=moe-cpu jvm_to_main_ms=70 natives_and_setup_ms=900 model_ms=500 total_ms=%d params=1\n" % t)
        st = pr.aggregate(self.dir, 2, ["startup"])["startup"]
        self.assertEqual([r["median_ms"] for r in st["rounds"]], [1450, 1750])
        self.assertEqual(st["median_ms"]["median"], 1600)
        self.assertEqual(st["status"], "not met")

    def test_roofline_absent_then_present(self):
        rep = os.path.join(self.round_dir(1), "moe-report")
        os.makedirs(rep)
        rows = [{"benchmark": "knobs.benchmarks.MoeDispatch.moe", "params": {"topK": "8", "routing": "balanced"}}]
        with open(os.path.join(rep, "summary.json"), "w") as f:
            json.dump({"summary": rows}, f)
        m = pr.aggregate(self.dir, 1, ["moe"])["moe_roofline"]
        self.assertFalse(m["available"])
        self.assertIn("Not available", pr.markdown(pr.aggregate(self.dir, 1, ["moe"])))
        rows[0][pr.ROOFLINE_FIELD] = 61.5
        with open(os.path.join(rep, "summary.json"), "w") as f:
            json.dump({"summary": rows}, f)
        m = pr.aggregate(self.dir, 1, ["moe"])["moe_roofline"]
        self.assertTrue(m["available"])
        row = next(r for r in m["rows"] if r["routing"] == "balanced" and r["topK"] == 8)
        self.assertEqual(row["percent"]["median"], 61.5)
        self.assertEqual(row["status"], "met")
        self.assertEqual(next(r for r in m["rows"] if r["topK"] == 1)["status"], "no data")

    def test_a_contended_round_is_shown_but_not_counted_and_straddling_rounds_are_no_verdict(self):
        self.pair_round(1, "tiny-op", [0.9], 1.0)   # 0.9
        self.pair_round(2, "tiny-op", [1.2], 1.0)   # 1.2
        self.pair_round(3, "tiny-op", [5.0], 1.0)   # 5.0, contended
        f = os.path.join(self.round_dir(3), "tiny-op.knobs.json")
        with open(f) as fh:
            doc = json.load(fh)
        doc[0]["secondaryMetrics"]["contention.contended"] = {"score": 0.2}
        with open(f, "w") as fh:
            json.dump(doc, fh)
        out = pr.aggregate(self.dir, 3, ["tinyop"])
        c = by_id(out, "tiny-op")
        self.assertEqual([r["contended"] for r in c["rounds"]], [False, False, True])
        self.assertEqual(c["ratio"]["n"], 2)
        self.assertAlmostEqual(c["ratio"]["max"], 1.2)
        self.assertTrue(c["straddles"])
        md = pr.markdown(out)
        self.assertIn("5.00*", md)
        self.assertIn("not a verdict", md)

    def test_an_untrustworthy_moe_round_is_shown_but_not_counted(self):
        for i, (pct, trusted) in enumerate(((70.0, True), (20.0, False)), 1):
            rep = os.path.join(self.round_dir(i), "moe-report")
            os.makedirs(rep)
            rows = [{"benchmark": "knobs.benchmarks.MoeDispatch.moe", "params": {"topK": "8", "routing": "router"},
                     pr.ROOFLINE_FIELD: pct, "trustworthy": trusted}]
            with open(os.path.join(rep, "summary.json"), "w") as f:
                json.dump({"summary": rows}, f)
        out = pr.aggregate(self.dir, 2, ["moe"])
        row = next(r for r in out["moe_roofline"]["rows"] if r["routing"] == "router" and r["topK"] == 8)
        self.assertEqual(row["percent"]["n"], 1)
        self.assertEqual(row["status"], "met")
        self.assertIn("70.0 / 20.0*", pr.markdown(out))

    def test_main_writes_both_files_and_no_temporary(self):
        self.pair_round(1, "tiny-op", [1.0], 1.0)
        with contextlib.redirect_stdout(io.StringIO()):
            self.assertEqual(pr.main(["aggregate", self.dir, "--rounds", "1", "--targets", "4"]), 0)
        names = sorted(n for n in os.listdir(self.dir) if not n.startswith("rounds"))
        self.assertEqual(names, ["ratios.json", "ratios.md"])
        with open(os.path.join(self.dir, "ratios.json")) as f:
            self.assertEqual(json.load(f)["cases"][0]["ratio"]["median"], 1.0)

    def test_bad_rounds_exit_2(self):
        for bad in (["--rounds", "0"], ["--rounds", "x"], []):
            err = io.StringIO()
            with contextlib.redirect_stderr(err), self.assertRaises(SystemExit) as e:
                pr.main(["aggregate", self.dir] + bad)
            self.assertEqual(e.exception.code, 2)


if __name__ == "__main__":
    unittest.main()

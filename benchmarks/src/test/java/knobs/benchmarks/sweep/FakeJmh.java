package knobs.benchmarks.sweep;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Stands in for JMH's main in runner tests: answers JMH's command line (benchmark, -p, -f, -i,
 * -rff) with JMH-shaped JSON in a fraction of a second, and behaves as its params say:
 * {@code log=FILE} appends "id rep" per call (the run order), {@code noisyRuns=K} gives noisy
 * samples on the first K calls of the configuration (counted in {@code log}'s folder),
 * {@code contended=1} flags every iteration contended, {@code fail=1} fails like a bad knob value,
 * {@code failOnce=1} fails only on the first call, {@code sleep=S} hangs S seconds.
 */
public final class FakeJmh {
    public static void main(String[] args) throws Exception {
        String benchmark = args[0].replace("^", "").replace("$", "").replace("\\.", ".");
        Map<String, String> params = new LinkedHashMap<>();
        int forks = 1;
        int iterations = 1;
        Path rff = null;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "-p" -> {
                    String[] kv = args[++i].split("=", 2);
                    params.put(kv[0], kv[1]);
                }
                case "-f" -> forks = Integer.parseInt(args[++i]);
                case "-i" -> iterations = Integer.parseInt(args[++i]);
                case "-rff" -> rff = Paths.get(args[++i]);
                default -> {
                }
            }
        }
        Files.writeString(rff, "", StandardCharsets.UTF_8); // JMH touches its result file first
        Path log = Paths.get(params.get("log"));
        String key = params.get("name");
        Path counter = log.resolveSibling("calls-" + key);
        int call = Files.exists(counter) ? Integer.parseInt(Files.readString(counter).trim()) + 1 : 1;
        Files.writeString(counter, Integer.toString(call));
        Files.writeString(log, key + " " + forks + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        if (params.containsKey("sleep")) {
            Thread.sleep(Long.parseLong(params.get("sleep")) * 1000);
        }
        if ("1".equals(params.get("fail")) || ("1".equals(params.get("failOnce")) && call == 1)) {
            System.out.println("<failure>");
            System.out.println("java.lang.IllegalArgumentException: planted failure of " + key);
            System.out.println("\tat knobs.benchmarks.Fake.setUp(Fake.java:1)");
            System.exit(1);
        }
        boolean noisy = call <= Integer.parseInt(params.getOrDefault("noisyRuns", "0"));
        boolean contended = "1".equals(params.get("contended"));
        List<String> primary = new ArrayList<>();
        List<String> tokens = new ArrayList<>();
        List<String> flags = new ArrayList<>();
        double sum = 0;
        int n = 0;
        for (int f = 0; f < forks; f++) {
            List<String> p = new ArrayList<>();
            List<String> t = new ArrayList<>();
            List<String> c = new ArrayList<>();
            for (int i = 0; i < iterations; i++) {
                double v = noisy ? (i % 2 == 0 ? 5.0 : 20.0) : 10.0 + 0.01 * i;
                p.add(Double.toString(v));
                t.add("64.0");
                c.add(contended ? "1.0" : "0.0");
                sum += v;
                n++;
            }
            primary.add("[" + String.join(",", p) + "]");
            tokens.add("[" + String.join(",", t) + "]");
            flags.add("[" + String.join(",", c) + "]");
        }
        StringBuilder ps = new StringBuilder();
        params.forEach((k, v) -> ps.append(ps.length() == 0 ? "" : ",").append('"').append(k).append("\":\"").append(v).append('"'));
        double mean = sum / n;
        String json = String.format(Locale.ROOT, """
                [ { "jmhVersion" : "1.37", "benchmark" : "%s", "mode" : "avgt", "threads" : 1, "forks" : %d,
                    "measurementIterations" : %d, "params" : { %s },
                    "primaryMetric" : { "score" : %s, "scoreError" : "NaN", "scoreConfidence" : [ %s, %s ],
                      "scorePercentiles" : { "0.0" : 0.0, "50.0" : 0.0, "100.0" : 0.0 }, "scoreUnit" : "ms/op",
                      "rawData" : [ %s ] },
                    "secondaryMetrics" : {
                      "tokens" : { "score" : %s, "scoreError" : "NaN", "scoreConfidence" : [ 0, 0 ],
                        "scorePercentiles" : { "50.0" : 64.0 }, "scoreUnit" : "#", "rawData" : [ %s ] },
                      "contention.contended" : { "score" : %s, "scoreError" : "NaN", "scoreConfidence" : [ 0, 0 ],
                        "scorePercentiles" : { "50.0" : 0.0 }, "scoreUnit" : "#", "rawData" : [ %s ] } } } ]
                """, benchmark, forks, iterations, ps, mean, mean, mean, String.join(",", primary),
                64.0 * n, String.join(",", tokens), contended ? 1.0 : 0.0, String.join(",", flags));
        Files.writeString(rff, json, StandardCharsets.UTF_8);
    }
}

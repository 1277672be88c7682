package knobs.benchmarks.sweep;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a sweep runs: one line per benchmark, with the params to widen or narrow and JMH timing
 * options. Syntax, one entry per line ({@code #} starts a comment):
 * <pre>
 * MoeTopK topK=1,8 phase=prefill,decode -wi 1 -w 500ms -i 3 -r 500ms -f 1
 * Calibration
 * </pre>
 * A benchmark is a class ({@code MoeTopK}: all its methods) or {@code Class.method}. Params not
 * named keep the benchmark's {@code @Param} defaults. Options: -wi, -w, -i, -r, -f (as in JMH).
 */
public record SweepDefinition(String name, List<Entry> entries, String text) {

    /** JMH options a sweep line may set (each takes one value). */
    public static final Set<String> OPTIONS = Set.of("-wi", "-w", "-i", "-r", "-f");

    /** One line: a benchmark, its params (name → values) and JMH options, with its line number. */
    public record Entry(int line, String benchmark, Map<String, List<String>> params, List<String> options) {
    }

    /** Named presets. {@code quick} is the CI smoke sweep; {@code full} every default; {@code gpu} full on CUDA. */
    public static SweepDefinition preset(String name) {
        String timing = " -wi 1 -w 500ms -i 3 -r 500ms -f 1";
        String text = switch (name) {
            case "quick" -> String.join("\n",
                    "Calibration" + timing,
                    "MoeTopK topK=1,8 phase=prefill,decode" + timing,
                    "ContextScaling crops=1,6,12" + timing,
                    "BlocksMask activeBlocks=1,4,8 phase=prefill,decode" + timing,
                    "SeqLenScaling seqLen=64,128,256" + timing,
                    "BatchSize batchSize=1,4,16 phase=decode" + timing,
                    "OutputTokens maxNewTokens=1,10,50" + timing,
                    "ModelSize size=tiny" + timing,
                    "WarmupComparison warmupSteps=0,5 -i 3 -f 1");
            case "full" -> String.join("\n", "Calibration", "MoeTopK", "ContextScaling", "BlocksMask", "SeqLenScaling", "BatchSize",
                    "OutputTokens", "ModelSize", "WarmupComparison");
            case "gpu" -> String.join("\n", "Calibration device=cuda", "MoeTopK device=cuda", "ContextScaling device=cuda",
                    "BlocksMask device=cuda",
                    "SeqLenScaling device=cuda", "BatchSize device=cuda", "OutputTokens device=cuda",
                    "ModelSize device=cuda size=tiny,small,medium,large,xl,2.7B", "WarmupComparison device=cuda");
            default -> throw new IllegalArgumentException("unknown sweep preset '" + name + "'; known: quick, full, gpu (or a sweep file)");
        };
        return parse(name, text);
    }

    /** Parses sweep text; a bad line is an error naming its number and what is wrong. */
    public static SweepDefinition parse(String name, String text) {
        List<Entry> entries = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].replaceAll("#.*", "").trim();
            if (!line.isEmpty()) {
                entries.add(parseLine(name, i + 1, line));
            }
        }
        if (entries.isEmpty()) {
            throw new IllegalArgumentException(name + ": the sweep names no benchmark");
        }
        return new SweepDefinition(name, Collections.unmodifiableList(entries), text);
    }

    private static Entry parseLine(String name, int no, String line) {
        List<String> words = Arrays.asList(line.split("\\s+"));
        String where = name + " line " + no + ": ";
        String bench = words.get(0);
        if (!bench.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?")) {
            throw new IllegalArgumentException(where + "'" + bench + "' is not a benchmark name (Class or Class.method)");
        }
        Map<String, List<String>> params = new LinkedHashMap<>();
        List<String> options = new ArrayList<>();
        for (int w = 1; w < words.size(); w++) {
            String word = words.get(w);
            if (word.startsWith("-")) {
                if (!OPTIONS.contains(word)) {
                    throw new IllegalArgumentException(where + "unknown option '" + word + "'; allowed: -wi, -w, -i, -r, -f");
                }
                if (w + 1 >= words.size()) {
                    throw new IllegalArgumentException(where + "option " + word + " needs a value");
                }
                options.add(word);
                options.add(words.get(++w));
            } else {
                int eq = word.indexOf('=');
                if (eq <= 0 || eq == word.length() - 1) {
                    throw new IllegalArgumentException(where + "'" + word + "' is not name=value[,value...]");
                }
                String param = word.substring(0, eq);
                if (params.containsKey(param)) {
                    throw new IllegalArgumentException(where + "param '" + param + "' given twice");
                }
                List<String> values = Arrays.asList(word.substring(eq + 1).split(","));
                if (values.stream().anyMatch(String::isEmpty)) {
                    throw new IllegalArgumentException(where + "'" + word + "' has an empty value");
                }
                params.put(param, values);
            }
        }
        return new Entry(no, bench, params, options);
    }

    /** A hash of the definition's text: a resumed sweep must run the same definition. */
    public String hash() {
        return sha256(text);
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}

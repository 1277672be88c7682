package knobs.harness;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import knobs.kernels.Inputs;
import knobs.kernels.ModelConfig;
import org.bytedeco.pytorch.Tensor;

/**
 * Token ids from a file, for prompts from a real data set instead of random ids ({@code -p tokens=FILE}).
 *
 * <p>Two formats, told apart by the first character that is not white space:
 * <ul>
 *   <li><b>text</b>: one sequence per line, ids separated by white space and/or commas; blank lines
 *       and lines starting with {@code #} are skipped. {@code 464 3290 286 11}</li>
 *   <li><b>JSON</b> (starts with {@code [}): an array of ids (one sequence) or an array of arrays
 *       (one per sequence). {@code [[464, 3290, 286], [40, 1101, 257]]}</li>
 * </ul>
 * Sequence b of the file is row b of the batch; a step uses the first {@code promptLen} ids of each
 * (and, for a decode step, the next id as the decoded token). Ids are checked against the model's
 * vocabulary, all of them, since one id out of range means the file was tokenized for another model.
 */
public final class TokenFile {
    /** The {@code tokens} knob's default: ids drawn from a fixed seed. */
    public static final String RANDOM = "random";

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The last token file read: a sweep's pre-fork check reads one file per configuration. */
    private static final LastFile<TokenFile> LAST = new LastFile<>();

    private final String display;
    private final long[][] sequences;
    private final int[] lines; // line of each sequence in a text file (1-based); 0 in a JSON file

    private TokenFile(String display, long[][] sequences, int[] lines) {
        this.display = display;
        this.sequences = sequences;
        this.lines = lines;
    }

    /**
     * The file a {@code tokens} knob names, or null for {@value #RANDOM}.
     *
     * @throws IllegalArgumentException for a file that is missing, empty or not token ids
     */
    public static TokenFile forKnob(String value) {
        if (value == null || value.equals(RANDOM)) {
            return null;
        }
        if (value.isBlank()) {
            throw new IllegalArgumentException("tokens= is empty; allowed: " + RANDOM + " or a file of token ids");
        }
        Path path;
        try {
            path = knobs.kernels.UserPaths.resolve(value);
        } catch (java.nio.file.InvalidPathException e) {
            throw new IllegalArgumentException("tokens=" + value + " is not a valid path: " + e.getMessage(), e);
        }
        if (!Files.exists(path)) {
            throw new IllegalArgumentException("tokens=" + value + ": no such file; allowed: " + RANDOM + " or a file of token ids");
        }
        return read(path, "tokens=" + value);
    }

    /**
     * Reads a token file.
     *
     * @param display how messages name it ({@code tokens=prompts.txt})
     */
    public static TokenFile read(Path file, String display) {
        return LAST.get(file, display, TokenFile::parse);
    }

    private static TokenFile parse(Path file, String display) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException(display + ": cannot read: " + e.getMessage());
        }
        return text.stripLeading().startsWith("[") ? json(text, display) : text(text, display);
    }

    private static TokenFile text(String text, String display) {
        List<long[]> seqs = new ArrayList<>();
        List<Integer> lineNos = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("[\\s,]+");
            long[] ids = new long[parts.length];
            int n = 0;
            for (String p : parts) {
                if (p.isEmpty()) {
                    continue;
                }
                ids[n++] = id(p, display + ": line " + (i + 1));
            }
            seqs.add(java.util.Arrays.copyOf(ids, n));
            lineNos.add(i + 1);
        }
        return of(display, seqs, lineNos);
    }

    private static TokenFile json(String text, String display) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(display + ": not JSON: " + e.getOriginalMessage());
        }
        List<long[]> seqs = new ArrayList<>();
        List<Integer> lineNos = new ArrayList<>();
        boolean nested = root.size() > 0 && root.get(0).isArray();
        for (int s = 0; s < (nested ? root.size() : 1); s++) {
            JsonNode seq = nested ? root.get(s) : root;
            String where = display + (nested ? ": sequence " + s : "");
            if (!seq.isArray()) {
                throw new IllegalArgumentException(where + ": expected an array of token ids, got " + seq.getNodeType());
            }
            long[] ids = new long[seq.size()];
            for (int i = 0; i < ids.length; i++) {
                JsonNode v = seq.get(i);
                if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                    throw new IllegalArgumentException(where + ", id " + i + ": " + v + " is not a token id (a whole number >= 0)");
                }
                ids[i] = id(v.asText(), where + ", id " + i);
            }
            seqs.add(ids);
            lineNos.add(0);
        }
        return of(display, seqs, lineNos);
    }

    private static TokenFile of(String display, List<long[]> seqs, List<Integer> lineNos) {
        if (seqs.isEmpty() || seqs.stream().allMatch(s -> s.length == 0)) {
            throw new IllegalArgumentException(display + ": holds no token ids (one sequence per line, ids separated by"
                    + " spaces or commas, or a JSON array)");
        }
        return new TokenFile(display, seqs.toArray(new long[0][]), lineNos.stream().mapToInt(Integer::intValue).toArray());
    }

    private static long id(String s, String where) {
        try {
            long v = Long.parseLong(s);
            if (v < 0) {
                throw new IllegalArgumentException(where + ": token id " + v + " is negative");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ": '" + s + "' is not a token id (a whole number >= 0)");
        }
    }

    /** How messages name the file. */
    public String display() {
        return display;
    }

    /** Sequences in the file. */
    public int sequences() {
        return sequences.length;
    }

    /** The ids of sequence {@code s} (a copy). */
    public long[] sequence(int s) {
        return sequences[s].clone();
    }

    /** The length of the shortest of the first {@code n} sequences (of all when {@code n} is larger). */
    public int shortestOf(int n) {
        int m = Integer.MAX_VALUE;
        for (int s = 0; s < Math.min(n, sequences.length); s++) {
            m = Math.min(m, sequences[s].length);
        }
        return m;
    }

    /**
     * Checks that the file can feed {@code batch} sequences of {@code needed} ids each to {@code model}.
     *
     * @param why what needs that many ids, for the message (e.g. {@code promptLen=128 with phase=decode (the
     *            prompt and the decoded token)})
     * @throws IllegalArgumentException naming the file, the line and the allowed values
     */
    public void check(ModelConfig model, int batch, int needed, String why) {
        if (sequences.length < batch) {
            throw new IllegalArgumentException(display + ": holds " + sequences.length + " sequence" + (sequences.length == 1 ? "" : "s")
                    + "; batch=" + batch + " needs " + batch + " (one per line, or one array each)");
        }
        for (int s = 0; s < batch; s++) {
            if (sequences[s].length < needed) {
                throw new IllegalArgumentException(display + ": " + where(s) + " holds " + sequences[s].length
                        + " ids; " + why + " needs " + needed + " (too few tokens)");
            }
        }
        for (int s = 0; s < sequences.length; s++) {
            for (long id : sequences[s]) {
                if (id >= model.vocab()) {
                    throw new IllegalArgumentException(display + ": " + where(s) + ": token id " + id + " is not allowed for model '"
                            + model.name() + "': ids must be in 0.." + (model.vocab() - 1) + " (its vocab " + model.vocab()
                            + "; was the file tokenized for another model?)");
                }
            }
        }
    }

    private String where(int s) {
        return (sequences.length == 1 ? "the sequence" : "sequence " + s) + (lines[s] > 0 ? " (line " + lines[s] + ")" : "");
    }

    /** (batch, length) int64 ids: positions {@code from .. from+length-1} of the first {@code batch} sequences (see {@link #check}). */
    public Tensor ids(int batch, int from, int length) {
        return Inputs.ids(sequences, batch, from, length);
    }
}

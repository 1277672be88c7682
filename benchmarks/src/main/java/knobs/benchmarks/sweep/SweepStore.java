package knobs.benchmarks.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The sweep's folder. Every file is written to a temporary name and renamed into place, so a
 * sweep killed at any moment (even {@code kill -9}) leaves only complete files:
 * <pre>
 * DIR/sweep.json              definition, its hash, code version, settings, configuration ids
 * DIR/order.json              interleaved sweeps: the seed and the order of every pass
 * DIR/results/ID.json         JMH JSON of one finished configuration (and results/knobs-env/)
 * DIR/repetitions/ID.rR.json  interleaved sweeps: repetition R of a configuration (aA.rR for attempt A)
 * DIR/attempts/ID.aA.json     every attempt of a re-run configuration (ID.aA.failed.json: a failed one)
 * DIR/retries.json            which configurations were re-run, why, and whether they settled
 * DIR/failed/ID.json          why a configuration failed (removed when a resumed run succeeds)
 * DIR/logs/ID….log            JMH's output for each run
 * </pre>
 */
public final class SweepStore {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final List<String> FOLDERS = List.of("results", "repetitions", "attempts", "failed", "logs");
    private final Path dir;

    public SweepStore(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    public Path results() {
        return dir.resolve("results");
    }

    Path state() {
        return dir.resolve("sweep.json");
    }

    Path orderFile() {
        return dir.resolve("order.json");
    }

    Path retriesFile() {
        return dir.resolve("retries.json");
    }

    Path result(Configuration c) {
        return results().resolve(c.id() + ".json");
    }

    Path failure(Configuration c) {
        return dir.resolve("failed").resolve(c.id() + ".json");
    }

    /**
     * The name of one run of a configuration: its id, then {@code .aA} for a re-run (attempt A ≥ 2)
     * and {@code .rR} for repetition R of an interleaved sweep (0: the whole configuration at once).
     */
    static String unit(Configuration c, int attempt, int repetition) {
        return c.id() + (attempt > 1 ? ".a" + attempt : "") + (repetition > 0 ? ".r" + repetition : "");
    }

    Path log(Configuration c, int attempt, int repetition) {
        return dir.resolve("logs").resolve(unit(c, attempt, repetition) + ".log");
    }

    Path repetition(Configuration c, int attempt, int repetition) {
        return dir.resolve("repetitions").resolve(unit(c, attempt, repetition) + ".json");
    }

    Path attempt(Configuration c, int attempt) {
        return dir.resolve("attempts").resolve(c.id() + ".a" + attempt + ".json");
    }

    Path attemptFailure(Configuration c, int attempt) {
        return dir.resolve("attempts").resolve(c.id() + ".a" + attempt + ".failed.json");
    }

    /** The temporary JMH result file of one run: hidden, in results/ (where resume looks for leftovers). */
    Path part(Configuration c, int attempt, int repetition) {
        return results().resolve("." + unit(c, attempt, repetition) + "." + ProcessHandle.current().pid() + ".part");
    }

    /** The stored state of the sweep in this folder, or null when it holds none. */
    JsonNode readState() {
        if (!Files.exists(state())) {
            return null;
        }
        try {
            return JSON.readTree(state().toFile());
        } catch (IOException e) {
            throw new SweepException(SweepException.USAGE, "cannot read " + state() + ": " + reason(e));
        }
    }

    /**
     * Checks, before anything is written, that the folder can hold a sweep: it is a folder (or can
     * be made one) and writable.
     *
     * @throws SweepException "cannot write DIR: reason" ({@link SweepException#USAGE})
     */
    void checkWritable() {
        Path p = dir.toAbsolutePath();
        Path existing = p;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw new SweepException(SweepException.USAGE, "cannot write " + dir + ": no existing parent folder");
        }
        if (!Files.isDirectory(existing)) {
            throw new SweepException(SweepException.USAGE, "cannot write " + dir + ": "
                    + (existing.equals(p) ? "it is a file, not a folder" : existing + " is a file, not a folder"));
        }
        if (!Files.isWritable(existing) || !Files.isExecutable(existing)) {
            String why = "permission denied";
            try {
                if (Files.getFileStore(existing).isReadOnly()) {
                    why = "read-only file system";
                }
            } catch (IOException e) {
                why = "permission denied"; // the store cannot be asked; access was refused either way
            }
            throw new SweepException(SweepException.USAGE, "cannot write " + dir + ": " + why
                    + (existing.equals(p) ? "" : " (in " + existing + ")"));
        }
    }

    /** Creates a new sweep's folder and records its definition (the folder must hold no sweep). */
    void create(SweepDefinition def, String codeVersion, SweepSettings settings, List<Configuration> configs) {
        try {
            makeFolders();
            ObjectNode s = JSON.createObjectNode();
            s.put("name", def.name());
            s.put("definition", def.text());
            s.put("definition_hash", def.hash());
            s.put("code_version", codeVersion);
            s.set("settings", settings.toJson());
            configs.forEach(c -> s.withArray("configurations").addObject()
                    .put("id", c.id()).put("benchmark", c.benchmark())
                    .set("params", JSON.valueToTree(c.params())));
            write(state(), JSON.writeValueAsBytes(s));
        } catch (IOException e) {
            throw cannotWrite(e);
        }
    }

    /** Reopens a sweep's folder to resume it: clears a killed run's leftovers first. */
    void reopen() {
        try {
            makeFolders();
            stopOrphans();
            repairAttempts();
        } catch (IOException e) {
            throw cannotWrite(e);
        }
    }

    private void makeFolders() throws IOException {
        for (String f : FOLDERS) {
            Files.createDirectories(dir.resolve(f));
        }
    }

    SweepException cannotWrite(IOException e) {
        return new SweepException(SweepException.USAGE, "cannot write " + dir + ": " + reason(e));
    }

    /** The OS's reason for a failed file operation, without Java's exception class names. */
    static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied" + where(e);
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or folder" + where(e);
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason().toLowerCase(Locale.ROOT) + where(e);
        }
        return e.getMessage();
    }

    private static String where(IOException e) {
        return e instanceof FileSystemException f && f.getFile() != null ? " (" + f.getFile() + ")" : "";
    }

    /**
     * Stops JMH runs left behind by a killed sweep of this folder, and removes their partial
     * files. A sweep killed with kill -9 cannot take its child with it; the orphan would compete
     * for the cores (and, started by an older runner, hold JMH's lock). Children are recognised by
     * their command line, which names the launcher (today's, or JMH's own from an older runner) and
     * this folder's results (their -rff target).
     */
    void stopOrphans() throws IOException {
        String marker = results().toAbsolutePath().toString();
        List<ProcessHandle> orphans = ProcessHandle.allProcesses()
                .filter(h -> h.pid() != ProcessHandle.current().pid())
                .filter(h -> h.info().commandLine().map(cl -> (cl.contains(SweepMain.LAUNCHER) || cl.contains("org.openjdk.jmh.Main")) && cl.contains(marker)).orElse(false))
                .toList();
        for (ProcessHandle h : orphans) {
            h.descendants().forEach(ProcessHandle::destroyForcibly); // its benchmark fork
            h.destroyForcibly();
            h.onExit().join();
        }
        for (Path folder : Stream.concat(Stream.of(dir), FOLDERS.stream().map(dir::resolve)).toList()) {
            try (Stream<Path> s = Files.list(folder)) {
                for (Path p : s.filter(p -> p.getFileName().toString().startsWith(".")
                        && p.getFileName().toString().matches(".*\\.(part|tmp)$")).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /**
     * A kill between writing a re-run's attempt file and copying it to results/ leaves results/
     * one attempt behind: the latest attempt file is the truth.
     */
    private void repairAttempts() throws IOException {
        try (Stream<Path> s = Files.list(dir.resolve("attempts"))) {
            for (Path p : s.filter(p -> p.getFileName().toString().matches("[0-9a-f]{16}\\.a\\d+\\.json")).sorted().toList()) {
                String id = p.getFileName().toString().substring(0, 16);
                Path latest = latestAttemptFile(id);
                Path result = results().resolve(id + ".json");
                if (latest != null && (!Files.exists(result) || !Arrays.equals(Files.readAllBytes(latest), Files.readAllBytes(result)))) {
                    write(result, Files.readAllBytes(latest));
                }
            }
        }
    }

    private Path latestAttemptFile(String id) throws IOException {
        int best = 0;
        Path file = null;
        try (Stream<Path> s = Files.list(dir.resolve("attempts"))) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith(id + ".a") && n.matches("[0-9a-f]{16}\\.a\\d+\\.json")) {
                    int a = Integer.parseInt(n.substring(18, n.length() - 5));
                    if (a > best) {
                        best = a;
                        file = p;
                    }
                }
            }
        }
        return file;
    }

    boolean done(Configuration c) {
        return Files.exists(result(c));
    }

    /**
     * Attempts made so far at a configuration: the highest attempt recorded (a failed re-run
     * counts), else 1 when it has a result, else 0.
     */
    int attemptsMade(Configuration c) {
        int made = done(c) ? 1 : 0;
        Path folder = dir.resolve("attempts");
        if (Files.isDirectory(folder)) {
            try (Stream<Path> s = Files.list(folder)) {
                for (Path p : s.toList()) {
                    String n = p.getFileName().toString();
                    if (n.startsWith(c.id() + ".a") && n.matches("[0-9a-f]{16}\\.a\\d+(\\.failed)?\\.json")) {
                        made = Math.max(made, Integer.parseInt(n.substring(18, n.indexOf('.', 18))));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + folder, e);
            }
        }
        return made;
    }

    /** Moves a finished JMH result into place and clears an old failure of the same configuration. */
    void recordResult(Configuration c, Path jmhJson) throws IOException {
        Files.move(jmhJson, result(c), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.deleteIfExists(failure(c));
    }

    /** Records a merged (or re-run) result of attempt 1 or later; every re-run's data stays in attempts/. */
    void recordAttempt(Configuration c, int attempt, byte[] json) throws IOException {
        if (attempt == 1) {
            write(result(c), json);
            Files.deleteIfExists(failure(c));
            return;
        }
        keepFirstAttempt(c);
        write(attempt(c, attempt), json);
        write(result(c), json);
    }

    /** Before a re-run is recorded, the first attempt's result is kept beside it in attempts/. */
    private void keepFirstAttempt(Configuration c) throws IOException {
        if (!Files.exists(attempt(c, 1))) {
            write(attempt(c, 1), Files.readAllBytes(result(c)));
        }
    }

    void recordRepetition(Configuration c, int attempt, int repetition, Path jmhJson) throws IOException {
        Files.move(jmhJson, repetition(c, attempt, repetition), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    void recordFailure(Configuration c, int attempt, int repetition, String reason) throws IOException {
        ObjectNode f = JSON.createObjectNode();
        f.put("id", c.id());
        f.put("benchmark", c.benchmark());
        f.set("params", JSON.valueToTree(c.params()));
        f.put("reason", reason);
        f.put("log", dir.relativize(log(c, attempt, repetition)).toString());
        if (repetition > 0) {
            f.put("repetition", repetition);
        }
        if (attempt > 1) {
            keepFirstAttempt(c);
            f.put("attempt", attempt);
            write(attemptFailure(c, attempt), JSON.writeValueAsBytes(f));
        } else {
            write(failure(c), JSON.writeValueAsBytes(f));
        }
    }

    /** The interleaved order of each pass, as recorded ({@code null} when none is yet). */
    ArrayNode passes() throws IOException {
        if (!Files.exists(orderFile())) {
            return null;
        }
        return (ArrayNode) JSON.readTree(orderFile().toFile()).get("passes");
    }

    void recordOrder(long seed, int repetitions, ArrayNode passes) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("schema", "knobs-sweep-order/1");
        o.put("seed", seed);
        o.put("repetitions", repetitions);
        o.set("passes", passes);
        write(orderFile(), JSON.writeValueAsBytes(o));
    }

    static void write(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Every successful attempt's file of a configuration, in attempt order (results/ID.json alone when never re-run). */
    List<Path> attemptFiles(Configuration c) {
        List<Path> files = new ArrayList<>();
        int made = attemptsMade(c);
        for (int a = 1; a <= made; a++) {
            if (Files.exists(attempt(c, a))) {
                files.add(attempt(c, a));
            }
        }
        if (files.isEmpty() && done(c)) {
            files.add(result(c));
        }
        return files;
    }
}

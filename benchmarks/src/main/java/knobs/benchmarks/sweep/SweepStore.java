package knobs.benchmarks.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The sweep's folder. Every file is written to a temporary name and renamed into place, so a
 * sweep killed at any moment (even {@code kill -9}) leaves only complete files:
 * <pre>
 * DIR/sweep.json            definition, its hash, code version, configuration ids
 * DIR/results/ID.json       JMH JSON of one finished configuration (and results/knobs-env/)
 * DIR/failed/ID.json        why a configuration failed (removed when a resumed run succeeds)
 * DIR/logs/ID.log           JMH's output for the configuration
 * </pre>
 */
public final class SweepStore {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
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

    Path result(Configuration c) {
        return results().resolve(c.id() + ".json");
    }

    Path failure(Configuration c) {
        return dir.resolve("failed").resolve(c.id() + ".json");
    }

    Path log(Configuration c) {
        return dir.resolve("logs").resolve(c.id() + ".log");
    }

    /**
     * Opens the folder for a sweep: a new sweep needs a folder without one; a resumed sweep must
     * find the same definition and code version it started with.
     */
    void open(SweepDefinition def, String codeVersion, List<Configuration> configs, boolean resume) {
        Path state = dir.resolve("sweep.json");
        try {
            Files.createDirectories(results());
            Files.createDirectories(dir.resolve("failed"));
            Files.createDirectories(dir.resolve("logs"));
            if (Files.exists(state)) {
                JsonNode old = JSON.readTree(state.toFile());
                if (!resume) {
                    throw new IllegalArgumentException(dir + " already holds a sweep ('" + old.path("name").asText()
                            + "'); pass --resume to continue it, or choose another --out");
                }
                if (!old.path("definition_hash").asText().equals(def.hash())) {
                    throw new IllegalArgumentException("cannot resume: " + dir + " holds sweep '" + old.path("name").asText()
                            + "' with another definition; use another --out");
                }
                if (!old.path("code_version").asText().equals(codeVersion)) {
                    throw new IllegalArgumentException("cannot resume: " + dir + " was recorded by code version "
                            + old.path("code_version").asText() + ", this is " + codeVersion
                            + "; results of different code must not be mixed — use another --out");
                }
                stopOrphans();
                return;
            }
            ObjectNode s = JSON.createObjectNode();
            s.put("name", def.name());
            s.put("definition", def.text());
            s.put("definition_hash", def.hash());
            s.put("code_version", codeVersion);
            configs.forEach(c -> s.withArray("configurations").addObject()
                    .put("id", c.id()).put("benchmark", c.benchmark())
                    .set("params", JSON.valueToTree(c.params())));
            write(state, JSON.writeValueAsBytes(s));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the sweep folder " + dir, e);
        }
    }

    /**
     * Stops JMH runs left behind by a killed sweep of this folder, and removes their partial
     * files. A sweep killed with kill -9 cannot take its child with it; the orphan would hold JMH's
     * lock (so every resumed run would fail) and compete for the cores. Children are recognised by
     * their command line, which names this folder's results (their -rff target).
     */
    void stopOrphans() throws IOException {
        String marker = results().toAbsolutePath().toString();
        java.util.List<ProcessHandle> orphans = ProcessHandle.allProcesses()
                .filter(h -> h.pid() != ProcessHandle.current().pid())
                .filter(h -> h.info().commandLine().map(cl -> cl.contains("org.openjdk.jmh.Main") && cl.contains(marker)).orElse(false))
                .toList();
        for (ProcessHandle h : orphans) {
            h.descendants().forEach(ProcessHandle::destroyForcibly); // its benchmark fork
            h.destroyForcibly();
            h.onExit().join();
        }
        try (java.util.stream.Stream<Path> s = Files.list(results())) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(".")).toList()) {
                Files.delete(p);
            }
        }
    }

    boolean done(Configuration c) {
        return Files.exists(result(c));
    }

    /** Moves a finished JMH result into place and clears an old failure of the same configuration. */
    void recordResult(Configuration c, Path jmhJson) throws IOException {
        Files.move(jmhJson, result(c), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.deleteIfExists(failure(c));
    }

    void recordFailure(Configuration c, String reason) throws IOException {
        ObjectNode f = JSON.createObjectNode();
        f.put("id", c.id());
        f.put("benchmark", c.benchmark());
        f.set("params", JSON.valueToTree(c.params()));
        f.put("reason", reason);
        f.put("log", dir.relativize(log(c)).toString());
        write(failure(c), JSON.writeValueAsBytes(f));
    }

    static void write(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}

package knobs.reports.regression;

import knobs.reports.fixtures.JmhFixture;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The CI recipe's scripts, driven as the workflow drives them (docs/regressions.md, "In CI"), on fixture
 * sweeps instead of a real sweep (ci-bench.sh --run) and with reports from this build's class path:
 *
 * <ul>
 *   <li>the default-branch path: ci-bench.sh records into a history fetched from the data branch, and
 *       ci-history.sh appends it to the branch of a local "origin" — twice, the second run with the first
 *       as baseline, then once more after another run won the race for the branch;</li>
 *   <li>the pull-request path: ci-bench.sh compares a run with one configuration 25 % slower against the
 *       default branch's run without recording it, and ci-comment.sh (against a fake gh) creates one
 *       comment, then updates it on the second run, leaving a person's comment that quotes the marker alone.</li>
 * </ul>
 */
class CiScriptsTest {

    private static final String MARKER = "<!-- knobs-bench -->";

    @TempDir
    Path dir;

    private Path scripts;
    private Path origin;
    private Path clone;

    @BeforeEach
    void locate() throws IOException, InterruptedException {
        // Surefire runs in the module's folder; the scripts are beside it.
        scripts = Path.of("").toAbsolutePath().getParent().resolve("scripts");
        assertTrue(Files.isRegularFile(scripts.resolve("ci-bench.sh")), "scripts/ci-bench.sh not found from " + Path.of("").toAbsolutePath());
        // The scripts need bash and git, as the workflow's runners have them; a test installs nothing.
        for (String tool : List.of("bash", "git")) {
            boolean found;
            try {
                found = new ProcessBuilder(tool, "--version").redirectErrorStream(true).start().waitFor() == 0;
            } catch (IOException e) {
                found = false;
            }
            if (!found) {
                String message = tool + " is not installed; the CI scripts need it";
                if ("true".equals(System.getenv("CI"))) {
                    fail(message);
                }
                Assumptions.abort(message);
            }
        }
    }

    /** A command's exit status and output (stdout and stderr together). */
    private record Result(int exit, String output) {
    }

    private Result sh(Path workDir, Map<String, String> env, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        pb.environment().put("PATH", dir.resolve("bin") + ":" + Path.of(System.getProperty("java.home"), "bin") + ":"
                + System.getenv("PATH"));
        pb.environment().put("KNOBS_REPORTS_CP", System.getProperty("java.class.path"));
        pb.environment().remove("GITHUB_SHA");
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("timed out: " + String.join(" ", command));
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private Result ok(Path workDir, Map<String, String> env, String... command) throws IOException, InterruptedException {
        Result r = sh(workDir, env, command);
        assertEquals(0, r.exit(), String.join(" ", command) + "\n" + r.output());
        return r;
    }

    private String script(String name) {
        return scripts.resolve(name).toString();
    }

    /** Sweep folders: a default-branch run and a pull-request run with MoeTopK decode topK=8 25 % slower. */
    private void writeSweeps() {
        JmhFixture.write(dir.resolve("main-sweep/results/run.json"), JmhFixture.comparisonRun(11, 1, Map.of(), Set.of()));
        JmhFixture.write(dir.resolve("main-sweep/results/knobs-env/env-1.json"), JmhFixture.sidecar("2026-11-20T10:00:00Z"));
        JmhFixture.write(dir.resolve("main2-sweep/results/run.json"), JmhFixture.comparisonRun(12, 1, Map.of(), Set.of()));
        JmhFixture.write(dir.resolve("main2-sweep/results/knobs-env/env-1.json"), JmhFixture.sidecar("2026-11-21T10:00:00Z"));
        JmhFixture.write(dir.resolve("pr-sweep/results/run.json"),
                JmhFixture.comparisonRun(13, 1, Map.of(JmhFixture.DECODE_8, 1.25), Set.of()));
        JmhFixture.write(dir.resolve("pr-sweep/results/knobs-env/env-1.json"), JmhFixture.sidecar("2026-11-22T10:00:00Z"));
    }

    /** A bare "origin" and a clone of it with one commit on main, as actions/checkout leaves it. */
    private void writeRepository() throws IOException, InterruptedException {
        origin = dir.resolve("origin.git");
        clone = dir.resolve("clone");
        ok(dir, Map.of(), "git", "init", "-q", "--bare", origin.toString());
        ok(dir, Map.of(), "git", "clone", "-q", origin.toString(), clone.toString());
        Files.writeString(clone.resolve("code.txt"), "code\n");
        ok(clone, Map.of(), "git", "add", "code.txt");
        ok(clone, Map.of(), "git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "code");
        ok(clone, Map.of(), "git", "push", "-q", "origin", "HEAD:refs/heads/main");
    }

    private List<String> dataBranchFiles() throws IOException, InterruptedException {
        Result r = ok(dir, Map.of(), "git", "--git-dir", origin.toString(), "ls-tree", "-r", "--name-only", "benchmark-data");
        return r.output().lines().toList();
    }

    private static List<String> jsonFiles(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted().toList();
        }
    }

    @Test
    void defaultBranchRunsAppendToTheDataBranch() throws IOException, InterruptedException {
        writeSweeps();
        writeRepository();
        // First run: the data branch does not exist yet; the history starts empty.
        Result fetched = ok(clone, Map.of(), script("ci-history.sh"), "fetch", "--into", dir.resolve("h1").toString());
        assertTrue(fetched.output().contains("no branch benchmark-data yet"), fetched.output());
        ok(dir, Map.of(), script("ci-bench.sh"), "--run", "main-sweep", "--out", "main1", "--history", "h1", "--commit", "c1",
                "--normalize", "--no-build");
        assertEquals(1, jsonFiles(dir.resolve("main1/history")).size());
        assertTrue(Files.isRegularFile(dir.resolve("main1/history-report/index.html")));
        assertTrue(Files.isRegularFile(dir.resolve("main1/sweep/report/summary.json")), "the taken sweep's report is made");
        for (String export : List.of("github-action-benchmark.json", "github-action-benchmark-bigger.json", "bencher.json")) {
            assertTrue(Files.size(dir.resolve("main1/export/" + export)) > 2, export);
        }
        assertTrue(Files.readString(dir.resolve("main1/summary.md")).contains("No baseline given"));
        Result published = ok(clone, Map.of(), script("ci-history.sh"), "publish", "--store", dir.resolve("main1/history").toString(),
                "--message", "history: c1");
        assertTrue(published.output().contains("pushed 1 new history entry"), published.output());
        String first = "history/" + jsonFiles(dir.resolve("main1/history")).get(0);
        assertEquals(List.of("README.md", first), dataBranchFiles());

        // Second run: starts from the branch's history, compares with the first run, appends one entry.
        ok(clone, Map.of(), script("ci-history.sh"), "fetch", "--into", dir.resolve("h2").toString());
        assertEquals(1, jsonFiles(dir.resolve("h2")).size());
        ok(dir, Map.of(), script("ci-bench.sh"), "--run", "main2-sweep", "--out", "main2", "--history", "h2", "--baseline", "main1",
                "--baseline-label", "main @ c1", "--commit", "c2", "--normalize", "--no-build");
        assertEquals(2, jsonFiles(dir.resolve("main2/history")).size());
        assertTrue(Files.isRegularFile(dir.resolve("main2/compare/comparison.md")));
        ok(clone, Map.of(), script("ci-history.sh"), "publish", "--store", dir.resolve("main2/history").toString());
        assertEquals(3, dataBranchFiles().size());
        Result again = ok(clone, Map.of(), script("ci-history.sh"), "publish", "--store", dir.resolve("main2/history").toString());
        assertTrue(again.output().contains("already holds every entry"), again.output());

        // A race: another run appends between this run's fetch and its push (a hook moves the branch once
        // and rejects the push). The rejected push is refetched and redone: no entry is lost.
        Path other = dir.resolve("other-store");
        Files.createDirectories(other);
        Files.writeString(other.resolve("00000000000000aa.json"), "{\"other\": 1}\n");
        ok(clone, Map.of(), "git", "fetch", "-q", "origin", "benchmark-data:refs/tmp/data");
        Path otherIndex = dir.resolve("other-index");
        Map<String, String> idx = Map.of("GIT_INDEX_FILE", otherIndex.toString());
        ok(clone, idx, "git", "read-tree", "refs/tmp/data");
        String blob = ok(clone, Map.of(), "git", "hash-object", "-w", other.resolve("00000000000000aa.json").toString()).output().trim();
        ok(clone, idx, "git", "update-index", "--add", "--cacheinfo", "100644," + blob + ",history/00000000000000aa.json");
        String tree = ok(clone, idx, "git", "write-tree").output().trim();
        String commit = ok(clone, Map.of("GIT_AUTHOR_NAME", "o", "GIT_AUTHOR_EMAIL", "o@o", "GIT_COMMITTER_NAME", "o",
                "GIT_COMMITTER_EMAIL", "o@o"), "git", "commit-tree", tree, "-p", "refs/tmp/data", "-m", "other run").output().trim();
        ok(clone, Map.of(), "git", "push", "-q", "origin", commit + ":refs/heads/racer");
        Path hook = origin.resolve("hooks/pre-receive");
        // (git forbids ref updates inside a push's quarantine; the racer's objects are already in the repository.)
        Files.writeString(hook, "#!/bin/sh\nif [ ! -e \"$GIT_DIR/raced\" ]; then touch \"$GIT_DIR/raced\";"
                + " env -u GIT_QUARANTINE_PATH git update-ref refs/heads/benchmark-data refs/heads/racer || echo 'hook: update-ref failed' >&2;"
                + " echo 'raced' >&2; exit 1; fi\nexit 0\n");
        assertTrue(hook.toFile().setExecutable(true));
        Path third = dir.resolve("third-store");
        Files.createDirectories(third);
        Files.writeString(third.resolve("00000000000000bb.json"), "{\"third\": 1}\n");
        Result raced = ok(clone, Map.of(), script("ci-history.sh"), "publish", "--store", third.toString());
        assertTrue(raced.output().contains("rejected (attempt 1 of 5)") && raced.output().contains("pushed 1 new history entry"),
                raced.output());
        List<String> files = dataBranchFiles();
        assertTrue(files.contains("history/00000000000000aa.json") && files.contains("history/00000000000000bb.json"), files.toString());
        assertEquals(5, files.size(), files.toString());
        // The clone's own branches, index and working tree are untouched.
        assertEquals("", ok(clone, Map.of(), "git", "status", "--porcelain").output());
        assertFalse(ok(clone, Map.of(), "git", "branch", "--list").output().contains("benchmark-data"));
    }

    @Test
    void pullRequestsAreComparedWithTheDefaultBranchAndCommentedOnce() throws IOException, InterruptedException {
        writeSweeps();
        Files.createDirectories(dir.resolve("bin"));
        try (InputStream in = getClass().getResourceAsStream("/ci/fake-gh")) {
            Files.write(dir.resolve("bin/gh"), in.readAllBytes());
        }
        assertTrue(dir.resolve("bin/gh").toFile().setExecutable(true));
        Path state = dir.resolve("gh-state");
        Files.createDirectories(state.resolve("comments"));
        // A person quoting the marker: never to be edited.
        Files.writeString(state.resolve("comments/7.body"), "Why does " + MARKER + " appear?\n");
        Files.writeString(state.resolve("comments/7.user"), "User\n");
        Map<String, String> gh = Map.of("FAKE_GH_STATE", state.toString());

        ok(dir, Map.of(), script("ci-bench.sh"), "--run", "main-sweep", "--out", "main", "--no-record", "--normalize", "--no-build");
        Result pr = ok(dir, Map.of(), script("ci-bench.sh"), "--run", "pr-sweep", "--out", "pr1", "--baseline", "main",
                "--baseline-label", "main @ c1 (run 1)", "--no-record", "--commit", "p1", "--normalize", "--no-build");
        assertFalse(Files.exists(dir.resolve("pr1/history")), "a pull request is never recorded: " + pr.output());
        assertFalse(Files.exists(dir.resolve("pr1/history-report")));
        String comment = Files.readString(dir.resolve("pr1/comment.md"));
        assertTrue(comment.startsWith(MARKER + "\n## Knobs benchmarks (report only)"), comment);
        assertTrue(comment.contains("Baseline: main @ c1 (run 1)."), comment);
        assertTrue(comment.contains("Regressions found (report only"), comment);
        JsonNode cmp = JmhFixture.MAPPER.readTree(dir.resolve("pr1/compare/comparison.json").toFile());
        assertEquals(1, cmp.at("/counts/regression").asInt(), cmp.get("counts").toString());
        assertEquals(Files.readString(dir.resolve("pr1/summary.md")), comment.substring(MARKER.length() + 1), "the comment is the summary");

        Result created = ok(dir, gh, script("ci-comment.sh"), "--repo", "o/r", "--pr", "5", "--body", "pr1/comment.md");
        assertTrue(created.output().contains("created a comment on o/r#5"), created.output());
        // The next push to the pull request: a new run, the same comment updated.
        ok(dir, Map.of(), script("ci-bench.sh"), "--run", "pr-sweep", "--out", "pr2", "--baseline", "main", "--no-record",
                "--commit", "p2", "--normalize", "--no-build");
        Result updated = ok(dir, gh, script("ci-comment.sh"), "--repo", "o/r", "--pr", "5", "--body", "pr2/comment.md");
        assertTrue(updated.output().contains("updated comment 1001 on o/r#5"), updated.output());
        assertEquals(List.of("1001.body", "1001.user", "7.body", "7.user"), listSorted(state.resolve("comments")));
        assertEquals(Files.readString(dir.resolve("pr2/comment.md")), Files.readString(state.resolve("comments/1001.body")));
        assertTrue(Files.readString(state.resolve("comments/7.body")).startsWith("Why does"), "the person's comment is untouched");
        assertEquals(List.of("GET repos/o/r/issues/5/comments?per_page=100", "POST repos/o/r/issues/5/comments",
                "GET repos/o/r/issues/5/comments?per_page=100", "PATCH repos/o/r/issues/comments/1001"),
                Files.readAllLines(state.resolve("calls")));
    }

    @Test
    void badUsageIsRefusedWithExitTwo() throws IOException, InterruptedException {
        writeSweeps();
        List<String[]> bad = new ArrayList<>();
        bad.add(new String[] {script("ci-bench.sh"), "--run", "main-sweep", "--shard", "1/2"});
        bad.add(new String[] {script("ci-bench.sh"), "--shard", "3"});
        bad.add(new String[] {script("ci-bench.sh"), "--run", "nowhere"});
        bad.add(new String[] {script("ci-bench.sh"), "--run", "main-sweep", "--history", "nowhere"});
        bad.add(new String[] {script("ci-comment.sh"), "--repo", "o/r", "--pr", "x", "--body", "main-sweep/results/run.json"});
        bad.add(new String[] {script("ci-comment.sh"), "--repo", "o/r", "--pr", "5", "--body", "main-sweep/results/run.json"});
        bad.add(new String[] {script("ci-history.sh"), "push"});
        for (String[] command : bad) {
            Result r = sh(dir, Map.of(), command);
            assertEquals(2, r.exit(), String.join(" ", command) + "\n" + r.output());
            assertEquals(1, r.output().lines().count(), "one line: " + r.output());
        }
    }

    private static List<String> listSorted(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}

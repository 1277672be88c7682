package knobs.reports;

import knobs.reports.format.HistoryJsonWriter;
import knobs.reports.format.OutputFiles;
import knobs.reports.format.html.HistoryHtmlWriter;
import knobs.reports.format.html.Plots;
import knobs.reports.input.RunData;
import knobs.reports.input.RunLoader;
import knobs.reports.regression.History;
import knobs.reports.regression.HistoryStore;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * {@code history add RUN --store DIR [--commit ID] [--date WHEN]} and
 * {@code history show --store DIR --out DIR [--threshold T] [--alpha A] [--no-plots]}: keep runs in a
 * {@link HistoryStore} and draw how each configuration moved across them ({@link History}).
 */
@Command(name = "history",
        description = {"Keep runs in a history store and draw their trends.",
                "'history add' stores runs; 'history show' draws how each configuration moved across them"
                        + " (docs/regressions.md)."},
        commandListHeading = "%nCommands:%n")
public final class HistoryCommand implements Callable<Integer> {

    /** A commit id, tag or branch name: no white space or control characters, so it is safe in every output. */
    private static final Pattern COMMIT = Pattern.compile("[\\x21-\\x7e]{1,200}");

    @Mixin
    HelpOption help;

    @Override
    public Integer call() throws UsageException {
        throw new UsageException("expected 'add' or 'show'");
    }

    /** {@code history add}: one run into the store, once. */
    @Command(name = "add",
            description = {"Add a run to the history store.",
                    "Stores a run (as for compare) in DIR/<id>.json, the id a hash of its samples: adding the same run"
                            + " again adds nothing."})
    static final class Add implements Callable<Integer> {

        @Parameters(index = "0", paramLabel = "RUN", description = "The run to add.")
        String run;

        @Option(names = "--store", required = true, paramLabel = "DIR", description = "The history store (created if missing).")
        String store;

        @Option(names = "--commit", paramLabel = "ID",
                description = "Code version of the run (default: $GITHUB_SHA, else `git rev-parse HEAD` here).")
        String commit;

        @Option(names = "--date", paramLabel = "WHEN",
                description = "When it ran, ISO-8601 (default: the run's environment capture time, else now).")
        String date;

        @Mixin
        HelpOption help;

        private final CommandContext context;

        Add(CommandContext context) {
            this.context = context;
        }

        @Override
        public Integer call() throws ReportException, IOException {
            Path storeDir = context.resolve(store);
            List<String> warnings = new ArrayList<>();
            RunData data = RunLoader.load(run, context, warnings);
            String id = commit(commit, context);
            Instant when = date(date, data);
            HistoryStore.Entry entry = HistoryStore.entry(data, id, when);

            Path file = storeDir.resolve(HistoryStore.fileName(entry.id()));
            String shown = Path.of(store).resolve(HistoryStore.fileName(entry.id())).toString();
            if (Files.isRegularFile(file)) {
                try {
                    HistoryStore.Entry existing = HistoryStore.read(file, shown);
                    context.out().println("already in " + store + " as " + existing.id() + " (commit " + existing.commit()
                            + ", " + existing.date() + "); not added again");
                    warnings.forEach(context::warn);
                    return ExitCode.OK;
                } catch (ReportException corrupt) {
                    // The same run under the same id, but the stored copy is damaged: replace it with a good one.
                    warnings.add("replacing a corrupt entry: " + corrupt.getMessage());
                }
            }
            OutputFiles.writeAll(storeDir, store, Map.of(HistoryStore.fileName(entry.id()), HistoryStore.write(entry)));
            context.out().println("added " + data.display() + " to " + store + " as " + entry.id() + " (commit " + id
                    + ", " + when + ", " + entry.series().size() + " configurations)");
            warnings.forEach(context::warn);
            return ExitCode.OK;
        }
    }

    /** {@code history show}: the trend page of a store. */
    @Command(name = "show",
            description = {"Draw the history store's trends.",
                    "One trend figure per configuration in DIR/plots/, with the runs where compare's rule flags a change"
                            + " against the previous run marked, history.json and index.html; store files that are not"
                            + " valid entries are reported and skipped."})
    static final class Show implements Callable<Integer> {

        @Option(names = "--store", required = true, paramLabel = "DIR", description = "The history store.")
        String store;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
        String out;

        @Mixin
        ChangeRuleOptions rule;

        @Option(names = "--no-plots", description = "Tables instead of figures.")
        boolean noPlots;

        @Mixin
        HelpOption help;

        private final CommandContext context;

        Show(CommandContext context) {
            this.context = context;
        }

        @Override
        public Integer call() throws ReportException, IOException {
            double threshold = rule.threshold();
            double alpha = rule.alpha();
            boolean plotted = !noPlots;

            HistoryStore.Contents contents = HistoryStore.readAll(context.resolve(store), store);
            if (contents.entries().isEmpty()) {
                throw new ReportException("--store " + store + ": holds no valid history entry"
                        + (contents.corrupt().isEmpty() ? "; add runs with 'history add RUN --store " + store + "'"
                        : " (" + contents.corrupt().size() + " damaged: " + contents.corrupt().get(0).reason() + ")"));
            }
            History history = History.of(store, contents, threshold, alpha);
            Plots.Result plots = plotted ? Plots.trends(HistoryHtmlWriter.trends(history)) : new Plots.Result(List.of(), Map.of());
            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put(HistoryJsonWriter.FILE, HistoryJsonWriter.write(history));
            files.putAll(plots.files());
            files.put(HistoryHtmlWriter.FILE, HistoryHtmlWriter.write(history, plots.figures(), plotted));
            OutputFiles.writeAll(context.resolve(out), out, files, Set.of(Plots.FOLDER));

            long changes = history.trends().stream().mapToLong(t -> t.changes().size()).sum();
            context.out().println(history.runs().size() + " runs, " + history.trends().size() + " configurations, " + changes
                    + " changes detected; " + Path.of(out).resolve(HistoryHtmlWriter.FILE));
            // Reported, not fatal: one damaged file must not hide the rest of the history.
            contents.corrupt().forEach(c -> context.warn("skipped " + c.reason()));
            return ExitCode.OK;
        }
    }

    /** The commit: the option, else $GITHUB_SHA, else git's HEAD in the working folder. */
    private static String commit(String given, CommandContext context) throws ReportException {
        String commit = given;
        String from = "--commit";
        if (commit == null) {
            commit = System.getenv("GITHUB_SHA");
            from = "GITHUB_SHA";
        }
        if (commit == null) {
            commit = gitHead(context.workingDir());
            from = "git rev-parse HEAD";
        }
        if (!COMMIT.matcher(commit).matches()) {
            throw new ReportException("history add: commit '" + commit + "' (from " + from + ") is not a commit id:"
                    + " expected 1 to 200 printable characters without spaces");
        }
        return commit;
    }

    private static String gitHead(Path dir) throws ReportException {
        String hint = "; pass --commit ID";
        try {
            Process p = new ProcessBuilder("git", "rev-parse", "HEAD").directory(dir.toFile()).redirectErrorStream(true).start();
            String output;
            try (InputStream in = p.getInputStream()) {
                output = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            }
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new ReportException("history add: `git rev-parse HEAD` did not answer in 30 s" + hint);
            }
            if (p.exitValue() != 0) {
                throw new ReportException("history add: no commit id: GITHUB_SHA is unset and `git rev-parse HEAD` failed in "
                        + dir + ": " + output + hint);
            }
            return output;
        } catch (IOException e) {
            throw new ReportException("history add: no commit id: GITHUB_SHA is unset and git could not be run ("
                    + e.getMessage() + ")" + hint, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ReportException("history add: interrupted while asking git for the commit" + hint, e);
        }
    }

    /** The date: the option, else when the run's environment was captured, else now (to the second). */
    private static Instant date(String given, RunData run) throws ReportException {
        if (given != null) {
            try {
                return Instant.parse(given);
            } catch (DateTimeParseException notInstant) {
                try {
                    return OffsetDateTime.parse(given).toInstant();
                } catch (DateTimeParseException e) {
                    throw new ReportException("history add: --date '" + given
                            + "' is not an ISO-8601 date-time such as 2026-11-23T12:05:00Z", e);
                }
            }
        }
        JsonNode captured = run.environment() == null ? null : run.environment().path("sidecar").path("last_captured_at");
        if (captured != null && captured.isTextual()) {
            try {
                return Instant.parse(captured.asText());
            } catch (DateTimeParseException e) {
                throw new ReportException(run.display() + ": environment.sidecar.last_captured_at '" + captured.asText()
                        + "' is not an ISO-8601 instant; pass --date", e);
            }
        }
        return Instant.now().truncatedTo(ChronoUnit.SECONDS);
    }
}

package knobs.reports;

import knobs.reports.format.Json;
import knobs.reports.format.OutputFiles;
import knobs.reports.input.RunData;
import knobs.reports.input.RunLoader;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code merge SHARD... --out DIR}: the shards of one sweep ({@code run-all.sh --shard I/N}, e.g. the
 * jobs of a CI matrix) as one sweep folder that every command reads as a run: their
 * {@code results/*.json}, their environment sidecars (renamed {@code env-s<K>-…} so that the shards'
 * never overwrite each other), their failure records and the logs those name. A configuration measured
 * in two shards is an error: shards of one sweep split it, and two measurements of one configuration
 * are two runs, which {@code compare} compares rather than pools.
 */
@Command(name = "merge",
        description = {"Merge the shards of a sweep into one sweep folder.",
                "Reads sweep folders (or scripts/ci-bench.sh folders) made with run-all.sh --shard I/N and writes DIR"
                        + " with their results/, results/knobs-env/, failed/ and logs/, and merge.json naming the shards"
                        + " (docs/regressions.md, \"Shards in CI\")."})
public final class MergeCommand implements Callable<Integer> {

    @Parameters(index = "0..*", arity = "1..*", paramLabel = "SHARD", description = "The shards' sweep folders.")
    List<String> shards;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The merged sweep folder (new or empty).")
    String out;

    @Mixin
    HelpOption help;

    private final CommandContext context;

    MergeCommand(CommandContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws ReportException, IOException {
        Path dir = context.resolve(out);
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                if (s.findAny().isPresent()) {
                    throw new ReportException("--out " + out + ": already holds files; merge writes a new or empty folder");
                }
            }
        }
        List<String> warnings = new ArrayList<>();
        Map<String, byte[]> files = new LinkedHashMap<>();
        Map<RunData.Key, String> owner = new HashMap<>();
        ArrayNode listed = Json.NODES.arrayNode();
        for (int k = 0; k < shards.size(); k++) {
            String shard = shards.get(k);
            RunLoader.SweepFolder sweep = RunLoader.sweepFolder(shard, context);
            if (sweep == null) {
                throw new ReportException(shard + ": not a sweep folder (no results/ in it, nor sweep/results/);"
                        + " merge reads the folders of run-all.sh --shard I/N");
            }
            RunData run = sweep.results().isEmpty() && sweep.failed() == null ? null : loadOrNull(sweep, warnings);
            int configurations = 0;
            if (run != null) {
                for (RunData.Series s : run.series()) {
                    String first = owner.putIfAbsent(s.key(), shard);
                    if (first != null) {
                        throw new ReportException(s.key().describe() + " is in both " + first + " and " + shard
                                + "; the shards of one sweep hold each configuration once (were they run with the same --shard?)");
                    }
                    configurations++;
                }
            }
            for (String result : sweep.results()) {
                put(files, "results/" + Path.of(result).getFileName(), context.resolve(result), shard);
            }
            copyFolder(files, context.resolve(sweep.display()).resolve("results/knobs-env"), "results/knobs-env/",
                    "env-s" + (k + 1) + "-", shard);
            int failed = 0;
            if (sweep.failed() != null) {
                failed = copyFolder(files, context.resolve(sweep.failed()), "failed/", "", shard);
                copyFolder(files, context.resolve(sweep.display()).resolve("logs"), "logs/", "", shard);
            }
            ObjectNode entry = listed.addObject();
            entry.put("shard", shard);
            entry.put("configurations", configurations);
            entry.put("failed", failed);
        }
        if (owner.isEmpty() && files.keySet().stream().noneMatch(f -> f.startsWith("failed/"))) {
            throw new ReportException("the shards hold no result and no failure record: nothing to merge");
        }
        ObjectNode merge = Json.NODES.objectNode();
        merge.put("schema", "knobs-merge/1");
        merge.set("shards", listed);
        files.put("merge.json", Json.write(merge));
        OutputFiles.writeAll(dir, out, files);
        warnings.forEach(context::warn);
        context.out().println("merged " + shards.size() + " shard" + (shards.size() == 1 ? "" : "s") + " into " + out + ": "
                + owner.size() + " configuration" + (owner.size() == 1 ? "" : "s"));
        return ExitCode.OK;
    }

    /** The shard as a run, checked as strictly as every command checks one; null when it holds failure records only. */
    private RunData loadOrNull(RunLoader.SweepFolder sweep, List<String> warnings) throws ReportException {
        if (sweep.results().isEmpty()) {
            return null;
        }
        return RunLoader.load(sweep.display(), context, warnings);
    }

    /** Adds every plain file of {@code folder} (if it exists) as {@code prefix + rename + name}; returns how many. */
    private static int copyFolder(Map<String, byte[]> files, Path folder, String prefix, String rename, String shard)
            throws ReportException, IOException {
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        List<Path> list;
        try (Stream<Path> s = Files.list(folder)) {
            list = s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        }
        for (Path p : list) {
            put(files, prefix + rename + p.getFileName(), p, shard);
        }
        return list.size();
    }

    private static void put(Map<String, byte[]> files, String name, Path from, String shard) throws ReportException, IOException {
        byte[] content = Files.readAllBytes(from);
        byte[] first = files.putIfAbsent(name, content);
        if (first != null && !java.util.Arrays.equals(first, content)) {
            throw new ReportException(shard + ": " + name + " is also in an earlier shard, with other content; shards of one"
                    + " sweep never share a file");
        }
    }
}

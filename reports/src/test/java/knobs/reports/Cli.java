package knobs.reports;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Runs the CLI in-process against a working directory and captures exit status and output. */
record Cli(int exit, String out, String err) {

    static Cli run(Path workingDir, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(args, workingDir, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Cli(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /**
     * The bad-input contract: exit 2, nothing on stdout, and one {@code reports: } line naming the
     * problem (each of {@code expected} in it) — followed by the usage text for usage errors, by
     * nothing else otherwise (no warnings).
     */
    void assertBadInput(java.util.List<String> expected, boolean usage) {
        org.junit.jupiter.api.Assertions.assertEquals(2, exit, err);
        java.util.List<String> lines = err.lines().toList();
        String message = lines.get(0);
        org.junit.jupiter.api.Assertions.assertTrue(message.startsWith("reports: "), message);
        for (String e : expected) {
            org.junit.jupiter.api.Assertions.assertTrue(message.contains(e), "expected '" + e + "' in: " + message);
        }
        if (usage) {
            org.junit.jupiter.api.Assertions.assertTrue(err.contains("usage: java -jar reports.jar <command> [options]"), err);
        } else {
            org.junit.jupiter.api.Assertions.assertEquals(1, lines.size(), "one message only, no warnings: " + err);
        }
        org.junit.jupiter.api.Assertions.assertEquals("", out);
    }
}

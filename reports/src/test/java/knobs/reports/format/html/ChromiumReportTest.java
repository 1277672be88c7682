package knobs.reports.format.html;

import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.JmhFixture;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Renders a real report in headless Chromium (Debian's {@code chromium}) from {@code file://}, as a
 * user opening the folder would, and checks that the page loads and that every image decodes.
 *
 * <p>Without Chromium the test fails under {@code CI=true} and is skipped, with the reason, elsewhere;
 * it never installs it ({@code .ci/run} does, before the build). It also checks that the first
 * headline and the first figure are above the fold of a 1280×900 window. Screenshots are left at
 * {@code target/report-fold.png} (that first screen) and {@code target/report-screenshot.png} (the
 * top 3000 pixels) for a person to look at.
 */
class ChromiumReportTest {

    private static final List<String> CANDIDATES = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser");
    private static final Pattern MARKER = Pattern.compile("<pre id=\"knobs-check\">images=(\\d+) broken=(\\d+)([^<]*)</pre>");

    /**
     * Runs after the page has loaded: counts the images and those that failed to decode, and leaves the
     * result in the DOM that {@code --dump-dom} prints. Only in a copy of the page; index.html runs no script.
     */
    private static final String CHECK = """
            <script>
            window.addEventListener('load', function () {
              var images = Array.prototype.slice.call(document.images);
              var broken = images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
              var pre = document.createElement('pre');
              pre.id = 'knobs-check';
              pre.textContent = 'images=' + images.length + ' broken=' + broken.length + ' '
                  + broken.map(function (i) { return i.getAttribute('src'); }).join(' ');
              document.body.appendChild(pre);
            });
            </script>
            """;

    /** The viewport a person opens the report in: a laptop browser window. */
    static final int FOLD_WIDTH = 1280;
    static final int FOLD_HEIGHT = 900;
    private static final Pattern FOLD = Pattern.compile(
            "<pre id=\"knobs-fold\">viewport=(\\d+)x(\\d+) headline=(-?\\d+),(-?\\d+) figure=(-?\\d+),(-?\\d+)</pre>");

    /**
     * Where the first headline and the first figure sit in the viewport once laid out (images carry
     * their size, so the layout does not move when they decode), left in the DOM for {@code --dump-dom}.
     */
    private static final String FOLD_CHECK = """
            <script>
            window.addEventListener('load', function () {
              var h = document.querySelector('#headlines li').getBoundingClientRect();
              var f = document.querySelector('figure img').getBoundingClientRect();
              var pre = document.createElement('pre');
              pre.id = 'knobs-fold';
              pre.textContent = 'viewport=' + window.innerWidth + 'x' + window.innerHeight
                  + ' headline=' + Math.round(h.top) + ',' + Math.round(h.bottom)
                  + ' figure=' + Math.round(f.top) + ',' + Math.round(f.bottom);
              document.body.appendChild(pre);
            });
            </script>
            """;

    @TempDir
    Path dir;

    @Test
    void reportLoadsWithAllItsImagesInHeadlessChromium() throws Exception {
        Path chromium = chromium();
        JmhFixture.writeAnalysisInputs(dir);
        JmhFixture.writeHostileInputs(dir.resolve("hostile"));
        Cli cli = Cli.run(dir, "summarize", "knobs.json", "calibration.json", "--out", "report");
        assertEquals(0, cli.exit(), cli.err());
        Path report = dir.resolve("report");
        String index = Files.readString(report.resolve(HtmlReport.FILE));
        long images = Pattern.compile("<img ").matcher(index).results().count();
        assertTrue(images > 10, "the fixture report has figures: " + images);

        Path check = report.resolve("check.html");
        Files.writeString(check, index.replace("</body>", CHECK + "</body>"));
        String dom = run(chromium, List.of("--dump-dom", check.toUri().toString()));
        Matcher m = MARKER.matcher(dom);
        assertTrue(m.find(), "the load handler did not run; Chromium printed:\n" + tail(dom));
        assertEquals(images, Long.parseLong(m.group(1)), "images seen by the browser");
        assertEquals(0, Integer.parseInt(m.group(2)), "images that did not load:" + m.group(3));
        assertTrue(dom.contains("<title>Knobs report</title>"));

        // Hostile names: escaped text stays text, so no injected script changes the title and no injected <img> appears.
        Path hostile = dir.resolve("hostile");
        assertEquals(0, Cli.run(hostile, "summarize", "in.json", "--out", "report").exit());
        String page = Files.readString(hostile.resolve("report").resolve(HtmlReport.FILE));
        Files.writeString(hostile.resolve("report/check.html"), page.replace("</body>", CHECK + "</body>"));
        String hostileDom = run(chromium, List.of("--dump-dom", hostile.resolve("report/check.html").toUri().toString()));
        Matcher h = MARKER.matcher(hostileDom);
        assertTrue(h.find(), tail(hostileDom));
        assertEquals(Pattern.compile("<img ").matcher(page).results().count(), Long.parseLong(h.group(1)),
                "no <img> beyond the report's own figures");
        assertEquals(0, Integer.parseInt(h.group(2)), h.group(3));
        assertTrue(hostileDom.contains("<title>Knobs report</title>"), "an injected script ran");
        assertTrue(hostileDom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"), "the name shows as text");

        // Above the fold: in a 1280×900 window the first headline is whole and the first figure (the roofline)
        // shows at least a quarter of its height without scrolling.
        Path fold = report.resolve("fold.html");
        Files.writeString(fold, index.replace("</body>", FOLD_CHECK + "</body>"));
        String foldDom = run(chromium, List.of("--window-size=" + FOLD_WIDTH + "," + FOLD_HEIGHT, "--dump-dom",
                fold.toUri().toString()));
        Matcher at = FOLD.matcher(foldDom);
        assertTrue(at.find(), "the fold check did not run; Chromium printed:\n" + tail(foldDom));
        int viewport = Integer.parseInt(at.group(2));
        assertEquals(FOLD_WIDTH, Integer.parseInt(at.group(1)), "viewport width");
        assertTrue(viewport > FOLD_HEIGHT - 150 && viewport <= FOLD_HEIGHT, "viewport height " + viewport);
        assertTrue(Integer.parseInt(at.group(3)) > 0 && Integer.parseInt(at.group(4)) < viewport,
                "first headline not above the fold: " + at.group());
        int figureTop = Integer.parseInt(at.group(5));
        int figureHeight = Integer.parseInt(at.group(6)) - figureTop;
        assertTrue(figureHeight > 0 && figureTop + figureHeight / 4 < viewport, "first figure not above the fold: " + at.group());

        Path foldShot = Path.of("target", "report-fold.png").toAbsolutePath();
        Files.deleteIfExists(foldShot);
        run(chromium, List.of("--screenshot=" + foldShot, "--window-size=" + FOLD_WIDTH + "," + FOLD_HEIGHT, "--hide-scrollbars",
                report.resolve(HtmlReport.FILE).toUri().toString()));
        BufferedImage first = ImageIO.read(foldShot.toFile());
        assertNotNull(first, "no screenshot of the first screen written");
        assertEquals(FOLD_WIDTH, first.getWidth());
        assertTrue(distinctColours(first) > 16, "the first screen is blank");

        Path screenshot = Path.of("target", "report-screenshot.png").toAbsolutePath();
        Files.deleteIfExists(screenshot);
        run(chromium, List.of("--screenshot=" + screenshot, "--window-size=1280,3000", "--hide-scrollbars",
                report.resolve(HtmlReport.FILE).toUri().toString()));
        BufferedImage shot = ImageIO.read(screenshot.toFile());
        assertNotNull(shot, "no screenshot written");
        assertEquals(1280, shot.getWidth());
        assertTrue(distinctColours(shot) > 16, "the screenshot is blank");
    }

    private static long distinctColours(BufferedImage image) {
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 7) {
            for (int x = 0; x < image.getWidth(); x += 7) {
                colours.add(image.getRGB(x, y));
            }
        }
        return colours.size();
    }

    /** Runs Chromium headless with a fresh profile and no network services; returns standard output. */
    private String run(Path chromium, List<String> args) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(dir, "profile");
        List<String> command = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--user-data-dir=" + profile,
                // Let the page's load event fire before the DOM is dumped.
                "--virtual-time-budget=10000"));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(dir.resolve("chromium.err").toFile());
        pb.environment().put("HOME", profile.toString());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("Chromium did not finish in 120 s: " + command);
        }
        String stdout = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            fail("Chromium exited with " + p.exitValue() + ": " + command + "\n" + tail(Files.readString(dir.resolve("chromium.err"))));
        }
        return stdout;
    }

    private static String tail(String text) {
        return text.length() <= 3000 ? text : text.substring(text.length() - 3000);
    }

    /**
     * Chromium's path. A test installs nothing: CI installs Debian's {@code chromium} package first
     * ({@code .ci/run}), so there a missing browser fails the build; elsewhere the test is skipped and
     * says how to get it.
     */
    static Path chromium() {
        Path found = CANDIDATES.stream().map(Path::of).filter(Files::isExecutable).findFirst().orElse(null);
        if (found != null) {
            return found;
        }
        String message = "headless Chromium is needed to render the report and none is installed (looked for "
                + String.join(", ", CANDIDATES) + "); install Debian's 'chromium' package"
                + " (apt-get install --no-install-recommends chromium), as .ci/run does on CI";
        if ("true".equals(System.getenv("CI"))) {
            fail(message);
        }
        Assumptions.abort(message);
        throw new AssertionError("unreachable");
    }
}

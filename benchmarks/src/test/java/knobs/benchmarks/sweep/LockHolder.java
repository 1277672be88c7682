package knobs.benchmarks.sweep;

import java.io.RandomAccessFile;
import java.nio.channels.FileLock;

/** Holds JMH's lock file (args[0]) like a running JMH until its standard input closes. */
public final class LockHolder {
    public static void main(String[] args) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(args[0], "rw"); FileLock lock = f.getChannel().lock()) {
            System.out.println("locked");
            System.out.flush();
            while (System.in.read() >= 0) {
                // wait for the test to close our input
            }
        }
    }
}

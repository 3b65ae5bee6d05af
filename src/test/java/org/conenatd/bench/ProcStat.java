package org.conenatd.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU readings from /proc, for the benches' CPU shares. */
final class ProcStat {
    private ProcStat() {}

    /** utime+stime in clock ticks (USER_HZ = 100) and the wall clock, for a CPU share; a pid below 0 reads as 0 ticks. */
    static long[] cpu(long pid) throws IOException {
        if (pid < 0) return new long[] {0, System.nanoTime()};
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(f[11]) + Long.parseLong(f[12]), System.nanoTime()};
    }

    /** The machine's "cpu" line of /proc/stat: user nice system idle iowait irq softirq steal (ticks). */
    static long[] machine() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
            if (line.startsWith("cpu ")) {
                String[] f = line.trim().split("\\s+");
                long[] v = new long[8];
                for (int i = 0; i < 8; i++) v[i] = Long.parseLong(f[i + 1]);
                return v;
            }
        }
        throw new IOException("no cpu line in /proc/stat");
    }
}

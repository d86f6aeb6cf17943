package org.oligarchy.vmm.bench.e2e;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

/**
 * The slave-restart case of one kind: the slave jackd killed with SIGKILL, restarted 3 s later
 * (after both masters have given up on it), and the channel-1 tone of {@code audio_probe} timed
 * until it flows again.
 *
 * @param kind                "jack2" or "bridge".
 * @param failure             why there is no result, or null.
 * @param killToBackMillis    kill to the first period with the tone again.
 * @param restartToBackMillis slave process start to tone back.
 * @param loopedToBackMillis  slave's loop connected (by the script) to tone back; negative when
 *                            the tone was back before the script saw its connect succeed.
 * @param hostXruns           host xruns from the kill to 1 s after the tone was back.
 * @param masterLogLines      host jackd log lines from the kill to tone back.
 * @param bridgeLogLines      bridge log lines over the same time (0 for JACK2).
 * @param dropoutsAfter       silent runs of the tone in the 2 s after it was back.
 */
record RestartMeasurement(
    String kind,
    String failure,
    long killToBackMillis,
    long restartToBackMillis,
    long loopedToBackMillis,
    int hostXruns,
    long masterLogLines,
    long bridgeLogLines,
    int dropoutsAfter)
{
    /**
     * Reads a restart case folder.
     *
     * @param dir the folder.
     * @return the measurement.
     * @throws IOException if a file cannot be read.
     */
    static RestartMeasurement read(final Path dir) throws IOException
    {
        final Properties p = RawFiles.properties(dir.resolve("case.properties"));
        final String kind = p.getProperty("kind", dir.getFileName().toString().replaceAll("-L.*", ""));
        final long kill = RawFiles.longOf(p, "kill_ms", -1);
        final long restart = RawFiles.longOf(p, "restart_ms", -1);
        final long looped = RawFiles.longOf(p, "slave_looped_ms", -1);
        final long back = RawFiles.longOf(p, "audio_back_ms", -1);
        if (p.getProperty("failed") != null || kill < 0)
        {
            return new RestartMeasurement(kind, "set-up failed", -1, -1, -1, -1, -1, -1, -1);
        }
        if (back < 0)
        {
            return new RestartMeasurement(kind, "the tone did not come back within 15 s of the restart", -1, -1, -1,
                -1, -1, -1, -1);
        }
        int xruns = 0;
        for (final RawFiles.Event event : RawFiles.events(dir.resolve("xruns_master.txt")))
        {
            if (event.name().equals("xrun") && event.epochMillis() >= kill && event.epochMillis() <= back + 1000)
            {
                xruns++;
            }
        }
        int dropouts = 0;
        final List<RawFiles.Event> probe = RawFiles.events(dir.resolve("probe.txt"));
        for (final RawFiles.Event event : probe)
        {
            if (event.name().equals("silent") && event.epochMillis() > back && event.epochMillis() <= back + 2000)
            {
                dropouts++;
            }
        }
        return new RestartMeasurement(kind, null, back - kill, back - restart, back - looped, xruns,
            RawFiles.longOf(p, "master_log_lines_back", 0) - RawFiles.longOf(p, "master_log_lines_kill", 0),
            RawFiles.longOf(p, "bridge_log_lines_back", 0) - RawFiles.longOf(p, "bridge_log_lines_kill", 0),
            dropouts);
    }
}

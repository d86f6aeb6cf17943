package org.oligarchy.vmm.control.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The test DSP guest of {@code vm-control/guest/build-test-guest.sh}: Debian 12's kernel and a
 * busybox + jackd initramfs. The script caches its result keyed by package versions, so only the
 * first call of a machine downloads and builds (about 80 MB from the Debian archive, 30 s).
 */
public final class TestGuest
{
    /** What the guest's init prints first on the serial console. */
    public static final String INIT_BANNER = "guest: init on ";
    /** What the guest prints once its NIC is configured from netjack.* words. */
    public static final String NETJACK_LINE = "guest: netjack master=";

    private static Path built;

    private TestGuest()
    {
    }

    /** @return the build script, found from the working directory (a module or the repository root). */
    public static Path script()
    {
        for (final Path candidate : new Path[]{Path.of("guest/build-test-guest.sh"),
            Path.of("vm-control/guest/build-test-guest.sh"), Path.of("../vm-control/guest/build-test-guest.sh")})
        {
            if (Files.isExecutable(candidate))
            {
                return candidate.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("vm-control/guest/build-test-guest.sh not found from " +
            Path.of("").toAbsolutePath());
    }

    /**
     * Build (or find in the cache) the test guest.
     *
     * @return the directory holding {@code vmlinuz} and {@code initrd.img}.
     */
    public static synchronized Path directory() throws IOException, InterruptedException
    {
        if (built != null)
        {
            return built;
        }
        final Path log = Files.createTempFile("build-test-guest", ".log");
        final Process process = new ProcessBuilder(script().toString())
            .redirectError(log.toFile())
            .start();
        final String out;
        try
        {
            if (!process.waitFor(10, TimeUnit.MINUTES))
            {
                process.destroyForcibly();
                throw new IllegalStateException("build-test-guest.sh took more than 10 minutes; log: " + log);
            }
            out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        }
        finally
        {
            process.destroyForcibly();
        }
        final String err = Files.readString(log, StandardCharsets.UTF_8);
        Files.deleteIfExists(log);
        if (process.exitValue() != 0 || out.isEmpty())
        {
            throw new IllegalStateException("build-test-guest.sh failed (exit " + process.exitValue() + "):\n" + err);
        }
        final Path dir = Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
        if (!Files.isReadable(dir.resolve("vmlinuz")) || !Files.isReadable(dir.resolve("initrd.img")))
        {
            throw new IllegalStateException("build-test-guest.sh printed " + dir + " without vmlinuz and initrd.img");
        }
        built = dir;
        return dir;
    }

    public static Path kernel() throws IOException, InterruptedException
    {
        return directory().resolve("vmlinuz");
    }

    public static Path initrd() throws IOException, InterruptedException
    {
        return directory().resolve("initrd.img");
    }
}

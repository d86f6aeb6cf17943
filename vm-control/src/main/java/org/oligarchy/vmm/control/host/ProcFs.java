package org.oligarchy.vmm.control.host;

import org.oligarchy.vmm.control.model.CpuList;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Reads {@code /proc} and {@code /sys} below a configurable root, so tests can point it at a
 * fixture tree shaped like the real files. The root is {@code /} in production.
 */
public final class ProcFs
{
    private final Path root;

    public ProcFs(final Path root)
    {
        this.root = root;
    }

    public static ProcFs host()
    {
        return new ProcFs(Path.of("/"));
    }

    public Path root()
    {
        return root;
    }

    /** @return the absolute path below the root, e.g. {@code resolve("/proc/meminfo")}. */
    public Path resolve(final String absolutePath)
    {
        return root.resolve(absolutePath.startsWith("/") ? absolutePath.substring(1) : absolutePath);
    }

    /** @return the trimmed file content, or empty when the file is missing or unreadable. */
    public Optional<String> read(final String absolutePath)
    {
        try
        {
            // One large read: /proc/sys files return nothing for reads at a non-zero offset, which
            // defeats Files.readString's size-based buffering (it saw "9" of "950000").
            try (java.io.InputStream in = Files.newInputStream(resolve(absolutePath)))
            {
                return Optional.of(new String(in.readNBytes(1 << 20), java.nio.charset.StandardCharsets.UTF_8).trim());
            }
        }
        catch (final IOException ex)
        {
            return Optional.empty();
        }
    }

    public boolean exists(final String absolutePath)
    {
        return Files.exists(resolve(absolutePath));
    }

    /** @return names in a directory, sorted, or an empty list when it does not exist. */
    public List<String> list(final String absolutePath)
    {
        final Path dir = resolve(absolutePath);
        if (!Files.isDirectory(dir))
        {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir))
        {
            return entries.map((p) -> p.getFileName().toString()).sorted().toList();
        }
        catch (final IOException ex)
        {
            return List.of();
        }
    }

    /** @return the last path element of a symlink's target, e.g. a driver name, or empty. */
    public Optional<String> linkName(final String absolutePath)
    {
        try
        {
            return Optional.of(Files.readSymbolicLink(resolve(absolutePath)).getFileName().toString());
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            return Optional.empty();
        }
    }

    /** @return the value of a {@code Key:\tvalue} line of a status-style file, or empty. */
    public Optional<String> field(final String absolutePath, final String key)
    {
        return read(absolutePath).flatMap((text) -> text.lines()
            .filter((line) -> line.startsWith(key + ":"))
            .map((line) -> line.substring(key.length() + 1).trim())
            .findFirst());
    }

    /** @return the CPUs a task may run on, from {@code Cpus_allowed_list}. */
    public Optional<List<Integer>> cpusAllowed(final long pid, final long tid)
    {
        return field("/proc/" + pid + "/task/" + tid + "/status", "Cpus_allowed_list").map(CpuList::parse);
    }

    /**
     * Scheduling policy and real-time priority of a task from fields 41 and 40 of its
     * {@code stat} file ({@code proc(5)}).
     *
     * @return {policy, rtPriority}, or empty.
     */
    public Optional<int[]> schedPolicy(final long pid, final long tid)
    {
        return read("/proc/" + pid + "/task/" + tid + "/stat").map((stat) ->
        {
            // comm (field 2) may contain spaces and parentheses: fields after it start at the last ')'.
            final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return new int[]{Integer.parseInt(fields[41 - 3]), Integer.parseInt(fields[40 - 3])};
        });
    }

    /** @return a task's thread name from {@code comm}, e.g. {@code CPU 0/TCG}. */
    public Optional<String> threadName(final long pid, final long tid)
    {
        return read("/proc/" + pid + "/task/" + tid + "/comm");
    }

    /** @return TIDs of a process's threads. */
    public List<Long> threads(final long pid)
    {
        final List<Long> tids = new ArrayList<>();
        for (final String name : list("/proc/" + pid + "/task"))
        {
            tids.add(Long.parseLong(name));
        }
        return tids;
    }

    /** @return policy name as {@code chrt} prints it. */
    public static String policyName(final int policy)
    {
        return switch (policy)
        {
            case ThreadScheduler.SCHED_OTHER -> "SCHED_OTHER";
            case ThreadScheduler.SCHED_FIFO -> "SCHED_FIFO";
            case ThreadScheduler.SCHED_RR -> "SCHED_RR";
            case 3 -> "SCHED_BATCH";
            case 5 -> "SCHED_IDLE";
            case 6 -> "SCHED_DEADLINE";
            default -> "policy " + policy;
        };
    }
}

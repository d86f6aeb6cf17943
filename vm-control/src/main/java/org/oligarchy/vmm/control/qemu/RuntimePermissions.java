package org.oligarchy.vmm.control.qemu;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * Who may open a VM's runtime files: the owner (the supervisor) and the group of the runtime
 * directory (the operators), never anybody else.
 * <p>
 * The directory is {@value #DIRECTORY}; a setgid bit the administrator put on it is kept, so the
 * files QEMU creates take the directory's group. QEMU (or quickemu) is started under umask
 * {@value #UMASK}, so every socket and file it creates is born owner-only: there is no moment in
 * which anyone else could connect. Once QMP answers (QEMU has then created all its sockets), the
 * supervisor's QMP socket stays {@value #SUPERVISOR_SOCKET}, every other socket in the directory
 * (tools QMP, serial console, SPICE/VNC displays, quickemu's monitor and serial) becomes
 * {@value #OPERATOR_SOCKET}, and the pid file and logs become {@value #FILE}. Each mode is read
 * back; a launch whose files cannot be restricted fails.
 */
public final class RuntimePermissions
{
    public static final String DIRECTORY = "rwxr-x---";
    /** The supervisor's QMP socket: only {@code vmctl start} itself connects to it. */
    public static final String SUPERVISOR_SOCKET = "rw-------";
    /** Sockets operators use: {@code vmctl status/stop} (tools QMP), {@code vmctl console}, viewers. */
    public static final String OPERATOR_SOCKET = "rw-rw----";
    /** Pid file and logs: the group may read them ({@code vmctl status} reads the pid file). */
    public static final String FILE = "rw-r-----";
    /** The umask QEMU and quickemu run under. */
    public static final String UMASK = "0077";

    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;
    private static final int S_ISGID = 02000;
    private static final int DIRECTORY_MODE = 0750;

    private RuntimePermissions()
    {
    }

    /**
     * Java cannot set a child's umask, so the child is started through {@code /bin/sh}, which sets
     * it and then {@code exec}s the real program: the pid stays the same, the arguments are passed
     * as positional parameters and never parsed by the shell.
     *
     * @param argv the program and its arguments.
     * @return the argv that runs it under {@link #UMASK}.
     */
    public static List<String> underUmask(final List<String> argv)
    {
        final List<String> wrapped = new ArrayList<>(argv.size() + 3);
        wrapped.add("/bin/sh");
        wrapped.add("-c");
        wrapped.add("umask " + UMASK + " && exec \"$0\" \"$@\"");
        wrapped.addAll(argv);
        return wrapped;
    }

    /**
     * Create the runtime directory if needed and set it to {@value #DIRECTORY}, keeping a setgid bit.
     *
     * @param directory the VM's runtime directory.
     */
    public static void prepareDirectory(final Path directory) throws IOException
    {
        Files.createDirectories(directory);
        final int mode = (Integer)Files.getAttribute(directory, "unix:mode");
        Files.setAttribute(directory, "unix:mode", (mode & S_ISGID) | DIRECTORY_MODE);
    }

    /**
     * Create a file that the JVM redirects a child's output to with mode {@value #FILE} from the
     * start (a redirect would create it with the JVM's umask), or restrict an existing one.
     *
     * @param file the log file.
     */
    public static void createPrivateFile(final Path file) throws IOException
    {
        try
        {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(FILE)));
        }
        catch (final FileAlreadyExistsException ex)
        {
            // Appended to across launches; its mode is set below.
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(FILE));
    }

    /**
     * Give every socket in {@code directory} its final mode and each of {@code files} that exists
     * mode {@value #FILE}, then check the directory.
     *
     * @param directory        the VM's runtime directory.
     * @param supervisorSocket the supervisor's QMP socket, which stays owner-only.
     * @param files            pid file and logs.
     * @return the sockets found, in directory order.
     * @throws IOException if a mode cannot be set or does not read back as set.
     */
    public static List<Path> apply(final Path directory, final Path supervisorSocket, final List<Path> files)
        throws IOException
    {
        final List<Path> sockets = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory))
        {
            for (final Path entry : entries)
            {
                if (isSocket(entry))
                {
                    sockets.add(entry);
                    set(entry, entry.getFileName().equals(supervisorSocket.getFileName()) ?
                        SUPERVISOR_SOCKET : OPERATOR_SOCKET);
                }
            }
        }
        for (final Path file : files)
        {
            if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS))
            {
                set(file, FILE);
            }
        }
        final String actual = PosixFilePermissions.toString(Files.getPosixFilePermissions(directory));
        if (!actual.equals(DIRECTORY))
        {
            throw new IOException(directory + " is " + actual + ", expected " + DIRECTORY);
        }
        return sockets;
    }

    private static boolean isSocket(final Path entry) throws IOException
    {
        return ((Integer)Files.getAttribute(entry, "unix:mode", LinkOption.NOFOLLOW_LINKS) & S_IFMT) == S_IFSOCK;
    }

    private static void set(final Path path, final String permissions) throws IOException
    {
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
        final String actual = PosixFilePermissions.toString(
            Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS).permissions());
        if (!actual.equals(permissions))
        {
            throw new IOException(path + " is " + actual + " after chmod, expected " + permissions);
        }
    }
}

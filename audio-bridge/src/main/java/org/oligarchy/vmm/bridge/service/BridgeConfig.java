package org.oligarchy.vmm.bridge.service;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import org.oligarchy.vmm.bridge.engine.WaitStrategy;
import org.oligarchy.vmm.config.ConfigFile;
import org.oligarchy.vmm.config.ConfigProblem;
import org.oligarchy.vmm.config.CpuList;
import org.oligarchy.vmm.config.InvalidConfigException;
import org.oligarchy.vmm.config.Ipv4;
import org.oligarchy.vmm.config.JsonFields;
import org.oligarchy.vmm.config.ValidationReport;

/**
 * The validated {@code bridge} section of the JSON configuration (docs/config-format.md), built
 * once at start-up. The file is read by the reader vmctl uses ({@link ConfigFile},
 * {@link JsonFields}), so both programs refuse the same file with the same words, which are
 * also the words of the NixOS module ({@code native-config/lib/validate.nix}). {@link #load}
 * collects every problem of the file; {@link #checkHost} adds what depends on this machine.
 *
 * @param clientName           JACK client name.
 * @param toVmPorts            JACK input ports sent to the VM.
 * @param fromVmPorts          JACK output ports returned by the VM.
 * @param peerAddresses        VM addresses whose packets are accepted.
 * @param listenAddress        UDP listen address.
 * @param port                 UDP port.
 * @param latencyPeriods       network latency L.
 * @param encoder              sample encoder the slave must use ("float" or "int16").
 * @param mtu                  largest MTU accepted from the slave.
 * @param jackServer           JACK server name or null for the default.
 * @param jackCpu              CPU for the JACK thread or −1.
 * @param senderCpu            CPU for the sender or −1.
 * @param receiverCpu          CPU for the receiver or −1.
 * @param senderPriority       SCHED_FIFO priority of the sender, 0 = none.
 * @param receiverPriority     SCHED_FIFO priority of the receiver, 0 = none.
 * @param waitStrategy         sender wait strategy.
 * @param mlockall             lock all memory at start.
 * @param countersFile         live counters file.
 * @param histogramLog         HdrHistogram interval log, or null.
 * @param controlSocket        Unix socket for dsp-netjack-restart.
 */
public record BridgeConfig(
    String clientName,
    int toVmPorts,
    int fromVmPorts,
    List<InetAddress> peerAddresses,
    InetAddress listenAddress,
    int port,
    int latencyPeriods,
    String encoder,
    int mtu,
    String jackServer,
    int jackCpu,
    int senderCpu,
    int receiverCpu,
    int senderPriority,
    int receiverPriority,
    WaitStrategy waitStrategy,
    boolean mlockall,
    Path countersFile,
    Path histogramLog,
    Path controlSocket)
{
    /** Default counters file: tmpfs, so updates never cause writeback I/O. */
    public static final String DEFAULT_COUNTERS_FILE = "/dev/shm/netjack-bridge/counters.dat";
    /** Default control socket. */
    public static final String DEFAULT_CONTROL_SOCKET = "/run/netjack-bridge/control.sock";
    /** Default config file rendered by the NixOS module. */
    public static final String DEFAULT_CONFIG_FILE = ConfigFile.DEFAULT_PATH;
    /** Highest CPU number accepted, as vmctl's and the NixOS module's (a CPU that is not online is a warning). */
    public static final int MAX_CPU = 8191;

    private static final Pattern CLIENT_NAME = Pattern.compile("^[^:]{1,63}$");
    private static final Pattern JACK_SERVER = Pattern.compile("^[^/\\s]{1,63}$");
    private static final String IPV4_RULE = "write an IPv4 address such as ";

    /**
     * Reads and validates the {@code bridge} section of a config file.
     *
     * @param file the JSON file.
     * @return the config.
     * @throws InvalidConfigException listing every problem, or why the file cannot be read.
     */
    public static BridgeConfig load(final Path file) throws InvalidConfigException
    {
        return parse(ConfigFile.readText(file));
    }

    /**
     * Validates config text: the file as a whole (syntax, unique keys, nesting, {@code version},
     * top-level keys) and every field of {@code bridge}.
     *
     * @param text JSON text.
     * @return the config.
     * @throws InvalidConfigException listing every problem.
     */
    public static BridgeConfig parse(final String text) throws InvalidConfigException
    {
        final List<ConfigProblem> problems = new ArrayList<>();
        final JsonFields top = ConfigFile.topLevel(ConfigFile.parse(text), problems).fields();
        final JsonNode bridge = top.value("bridge");
        if (bridge == null)
        {
            problems.add(new ConfigProblem("bridge", "missing; the file has no bridge section (is " +
                "custom.vm.dsp.archibaldOS.netjack enabled in the NixOS config?)"));
            throw new InvalidConfigException(problems);
        }
        final JsonFields f = JsonFields.object(bridge, "bridge", problems);
        if (f == null)
        {
            throw new InvalidConfigException(problems);
        }
        String clientName = f.matching("clientName", CLIENT_NAME,
            "use 1 to 63 characters without ':' (it becomes the JACK client name, such as dsp:to_vm_1)");
        clientName = clientName == null ? "dsp" : clientName;
        final int toVm = orDefault(f.integer("toVmPorts", 1, 64, null), 2);
        final int fromVm = orDefault(f.integer("fromVmPorts", 1, 64, null), 2);
        for (final String midi : List.of("midiToVmPorts", "midiFromVmPorts"))
        {
            final Integer ports = f.integer(midi, 0, 64, null);
            if (ports != null && ports != 0)
            {
                f.problem(midi, ports + " MIDI ports, but MIDI through the host bridge is not implemented yet " +
                    "(the protocol library has it); set 0");
            }
        }
        final List<InetAddress> peers = peerAddresses(f, problems);
        final String listenText = f.matching("listenAddress", Ipv4.PATTERN, IPV4_RULE + "0.0.0.0");
        final InetAddress listen = Ipv4.parse(listenText == null ? "0.0.0.0" : listenText);
        final int port = orDefault(f.integer("port", 1, 65535, null), 19000);
        final int latency = orDefault(f.integer("latencyPeriods", 0, 10, null), 1);
        final String encoder = f.choice("encoder", new String[]{"float", "int16"}, "float");
        final int mtu = orDefault(f.integer("mtu", 576, 9000, null), 1500);
        final String jackServer = f.matching("jackServer", JACK_SERVER,
            "use the name jackd was started with (-n), 1 to 63 characters without '/' or spaces; null for the " +
            "default server");
        final int[] cpus = {-1, -1, -1};
        final JsonFields cpuFields = optionalObject(f, "cpus", problems);
        if (cpuFields != null)
        {
            cpus[0] = orDefault(cpuFields.integer("jack", 0, MAX_CPU, null), -1);
            cpus[1] = orDefault(cpuFields.integer("sender", 0, MAX_CPU, null), -1);
            cpus[2] = orDefault(cpuFields.integer("receiver", 0, MAX_CPU, null), -1);
            cpuFields.finish();
        }
        int senderPriority = 0;
        int receiverPriority = 0;
        final JsonFields priorityFields = optionalObject(f, "priorities", problems);
        if (priorityFields != null)
        {
            senderPriority = orDefault(priorityFields.integer("sender", 0, 99, null), 0);
            receiverPriority = orDefault(priorityFields.integer("receiver", 0, 99, null), 0);
            priorityFields.finish();
        }
        final String[] waitNames = new String[WaitStrategy.values().length];
        for (final WaitStrategy strategy : WaitStrategy.values())
        {
            waitNames[strategy.ordinal()] = strategy.configName();
        }
        WaitStrategy wait = f.choice("waitStrategy", WaitStrategy.values(), waitNames, WaitStrategy.BLOCKING);
        if (wait == WaitStrategy.BUSY_SPIN && senderPriority > 0)
        {
            f.problem("waitStrategy", "busy-spin with bridge.priorities.sender " + senderPriority +
                " would spin at SCHED_FIFO, which the kernel throttles (and starves the core); set the sender " +
                "priority to 0 or use blocking");
        }
        wait = wait == null ? WaitStrategy.BLOCKING : wait;
        final boolean mlockall = f.bool("mlockall", false);
        final Path counters = path(f, "countersFile", DEFAULT_COUNTERS_FILE, true);
        final Path histogram = path(f, "histogramLog", null, true);
        final Path control = path(f, "controlSocket", DEFAULT_CONTROL_SOCKET, false);
        f.finish();
        if (!problems.isEmpty())
        {
            throw new InvalidConfigException(problems);
        }
        return new BridgeConfig(clientName, toVm, fromVm, peers, listen, port, latency, encoder, mtu, jackServer,
            cpus[0], cpus[1], cpus[2], senderPriority, receiverPriority, wait, mlockall, counters, histogram, control);
    }

    /**
     * What depends on this host, for {@code run} and {@code run --check} alike: the counters
     * file's directory must exist (the bridge, often root, does not create directories); a CPU
     * that is not online, or a control socket or histogram log whose directory is missing, is a
     * warning (run leaves the thread unpinned, or goes on without the socket or log).
     *
     * @return errors and warnings.
     */
    public ValidationReport checkHost()
    {
        return checkHost(CpuList.read(CpuList.ONLINE));
    }

    /**
     * {@link #checkHost()} against a given set of online CPUs.
     *
     * @param onlineCpus the host's online CPUs, or null when unknown (then CPUs are not checked).
     * @return errors and warnings.
     */
    public ValidationReport checkHost(final BitSet onlineCpus)
    {
        final List<ConfigProblem> errors = new ArrayList<>();
        final List<ConfigProblem> warnings = new ArrayList<>();
        final Path countersDir = countersFile.getParent();
        if (!Files.isDirectory(countersDir))
        {
            errors.add(new ConfigProblem("bridge.countersFile", "\"" + countersFile + "\" is in " + countersDir +
                ", which does not exist, and the bridge does not create directories; create it for the bridge's " +
                "user (the NixOS module's tmpfiles rule makes /dev/shm/netjack-bridge), or choose a file in an " +
                "existing directory such as /dev/shm"));
        }
        if (histogramLog != null && !Files.isDirectory(histogramLog.getParent()))
        {
            warnings.add(new ConfigProblem("bridge.histogramLog", "\"" + histogramLog + "\" is in " +
                histogramLog.getParent() + ", which does not exist yet; create it for the bridge's user " +
                "(the NixOS module's StateDirectory does at start)"));
        }
        if (!Files.isDirectory(controlSocket.getParent()))
        {
            warnings.add(new ConfigProblem("bridge.controlSocket", "\"" + controlSocket + "\" is in " +
                controlSocket.getParent() + ", which does not exist; run cannot open the socket and " +
                "dsp-netjack-restart will not reach the bridge; create the directory (the NixOS module's " +
                "RuntimeDirectory does at start)"));
        }
        if (onlineCpus != null)
        {
            final String[] names = {"jack", "sender", "receiver"};
            final int[] values = {jackCpu, senderCpu, receiverCpu};
            for (int i = 0; i < names.length; i++)
            {
                if (values[i] >= 0 && !onlineCpus.get(values[i]))
                {
                    warnings.add(new ConfigProblem("bridge.cpus." + names[i], "CPU " + values[i] +
                        " is not online on this host (online: " + CpuList.format(onlineCpus) + "); run cannot pin " +
                        "the " + names[i] + " thread there and leaves it unpinned; use an online CPU"));
                }
            }
        }
        return new ValidationReport(errors, warnings);
    }

    private static int orDefault(final Integer value, final int fallback)
    {
        return value == null ? fallback : value;
    }

    private static JsonFields optionalObject(
        final JsonFields parent, final String key, final List<ConfigProblem> problems)
    {
        final JsonNode node = parent.value(key);
        return node == null ? null : JsonFields.object(node, parent.path(key), problems);
    }

    private static List<InetAddress> peerAddresses(final JsonFields f, final List<ConfigProblem> problems)
    {
        final String fix = "list the VM's IPv4 address, such as [\"10.77.0.2\"]; packets from anyone else are dropped";
        final List<InetAddress> peers = new ArrayList<>();
        final JsonNode value = f.value("peerAddresses");
        if (value == null)
        {
            f.problem("peerAddresses", "is missing; " + fix);
            return peers;
        }
        if (value.isArray() && value.isEmpty())
        {
            f.problem("peerAddresses", "[] is empty; " + fix);
            return peers;
        }
        final List<JsonNode> items = f.array("peerAddresses");
        for (int i = 0; i < items.size(); i++)
        {
            final JsonNode item = items.get(i);
            final String path = f.path("peerAddresses") + "[" + i + "]";
            final InetAddress address = item.isTextual() ? Ipv4.parse(item.textValue()) : null;
            if (!item.isTextual())
            {
                problems.add(new ConfigProblem(path, item + " is not a string; write it in double quotes"));
            }
            else if (address == null)
            {
                problems.add(new ConfigProblem(path, item + " is not valid; " + IPV4_RULE + "10.77.0.2"));
            }
            else
            {
                peers.add(address);
            }
        }
        return peers;
    }

    /**
     * An absolute path, not in the kernel's pseudo file systems: under /proc or /sys nothing can be
     * created, and under /dev only /dev/shm (tmpfs) is a place for files ({@code inShm}) — a socket
     * is never one.
     */
    private static Path path(final JsonFields f, final String key, final String fallback, final boolean inShm)
    {
        final String value = f.string(key);
        if (value == null)
        {
            return fallback == null ? null : Path.of(fallback);
        }
        final String example = fallback == null ? "/var/lib/netjack-bridge/latency.hlog" : fallback;
        if (!value.startsWith("/"))
        {
            f.problem(key, JsonFields.quote(value) + " is not an absolute path; write one such as " + example);
            return fallback == null ? null : Path.of(fallback);
        }
        final Path path = Path.of(value).normalize();
        final boolean pseudo = path.startsWith("/proc") || path.startsWith("/sys") ||
            (path.startsWith("/dev") && !(inShm && path.startsWith("/dev/shm") && path.getNameCount() > 2));
        if (pseudo || path.getParent() == null)
        {
            f.problem(key, JsonFields.quote(value) + " is " + (pseudo ? "in the kernel's /proc, /sys or /dev" :
                "not a file path") + ", where the bridge must not create files; write a path such as " + example);
            return fallback == null ? null : Path.of(fallback);
        }
        return path;
    }

    /**
     * As a summary map for logs and JSON.
     *
     * @return field values.
     */
    public Map<String, Object> describe()
    {
        final Map<String, Object> map = new java.util.LinkedHashMap<>();
        map.put("clientName", clientName);
        map.put("toVmPorts", toVmPorts);
        map.put("fromVmPorts", fromVmPorts);
        map.put("peerAddresses", peerAddresses.stream().map(InetAddress::getHostAddress).toList());
        map.put("port", port);
        map.put("latencyPeriods", latencyPeriods);
        map.put("waitStrategy", waitStrategy.configName());
        return map;
    }
}

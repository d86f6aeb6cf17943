package org.oligarchy.vmm.bridge.service;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.oligarchy.vmm.bridge.engine.WaitStrategy;

/**
 * The validated {@code bridge} section of the JSON configuration (docs/config-format.md), built
 * once at start-up. {@link #load(Path)} collects every problem, each naming the field by its
 * JSON path, the value seen and the fix; nothing starts from an invalid file.
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
    public static final String DEFAULT_CONFIG_FILE = "/etc/dsp-vm/config.json";

    private static final Set<String> KNOWN_FIELDS = Set.of(
        "clientName", "toVmPorts", "fromVmPorts", "midiToVmPorts", "midiFromVmPorts", "peerAddresses",
        "listenAddress", "port", "latencyPeriods", "encoder", "mtu", "jackServer", "cpus", "priorities",
        "waitStrategy", "mlockall", "countersFile", "histogramLog", "controlSocket");

    /** A configuration that failed validation; {@link #problems()} lists every problem. */
    public static final class InvalidConfigException extends Exception
    {
        private static final long serialVersionUID = 1L;
        private final List<String> problems;

        InvalidConfigException(final List<String> problems)
        {
            super(String.join("\n", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems()
        {
            return problems;
        }
    }

    /**
     * Reads and validates the {@code bridge} section of a config file.
     *
     * @param file the JSON file.
     * @return the config.
     * @throws InvalidConfigException listing every problem.
     */
    public static BridgeConfig load(final Path file) throws InvalidConfigException
    {
        final String text;
        try
        {
            text = Files.readString(file);
        }
        catch (final IOException ex)
        {
            throw new InvalidConfigException(List.of(file + ": cannot read the config file (" + ex.getMessage() +
                "); pass --config with the path the NixOS module renders (default " + DEFAULT_CONFIG_FILE + ")"));
        }
        return parse(text, file.toString());
    }

    /**
     * Validates config text.
     *
     * @param text   JSON text.
     * @param source name for messages.
     * @return the config.
     * @throws InvalidConfigException listing every problem.
     */
    public static BridgeConfig parse(final String text, final String source) throws InvalidConfigException
    {
        final JsonNode root;
        try
        {
            root = new ObjectMapper().readTree(text);
        }
        catch (final JsonProcessingException ex)
        {
            throw new InvalidConfigException(List.of(source + ": not valid JSON at line " +
                ex.getLocation().getLineNr() + ", column " + ex.getLocation().getColumnNr() + ": " +
                ex.getOriginalMessage()));
        }
        final List<String> problems = new ArrayList<>();
        if (root == null || !root.isObject())
        {
            throw new InvalidConfigException(List.of(source + ": the top level must be a JSON object with a " +
                "\"bridge\" section (see docs/config-format.md)"));
        }
        final JsonNode version = root.get("version");
        if (version == null || !version.isInt() || version.asInt() != 1)
        {
            problems.add("version: is " + version + ", must be 1 (the config format this bridge reads)");
        }
        final JsonNode bridge = root.get("bridge");
        if (bridge == null || bridge.isNull())
        {
            problems.add("bridge: missing; the file has no bridge section (is custom.vm.dsp.archibaldOS.netjack " +
                "enabled in the NixOS config?)");
            throw new InvalidConfigException(problems);
        }
        if (!bridge.isObject())
        {
            problems.add("bridge: must be an object, got " + bridge.getNodeType());
            throw new InvalidConfigException(problems);
        }
        for (final Iterator<String> names = bridge.fieldNames(); names.hasNext(); )
        {
            final String name = names.next();
            if (!KNOWN_FIELDS.contains(name))
            {
                problems.add("bridge." + name + ": unknown field; remove it or fix its spelling (known: " +
                    String.join(", ", new java.util.TreeSet<>(KNOWN_FIELDS)) + ")");
            }
        }
        final Reader r = new Reader(bridge, problems);
        final String clientName = r.string("clientName", "dsp");
        if (clientName != null && (clientName.isEmpty() || clientName.length() > 63 || clientName.contains(":")))
        {
            problems.add("bridge.clientName: \"" + clientName + "\" must be 1..63 characters without ':' " +
                "(it becomes the JACK client name, e.g. dsp:to_vm_1)");
        }
        final int toVm = r.integer("toVmPorts", 2, 1, 64, "the number of JACK ports whose audio goes to the VM");
        final int fromVm = r.integer("fromVmPorts", 2, 1, 64, "the number of JACK ports the VM's audio returns on");
        final int midiTo = r.integer("midiToVmPorts", 0, 0, 0,
            "MIDI through the host bridge is not implemented yet (the protocol library has it); set 0");
        final int midiFrom = r.integer("midiFromVmPorts", 0, 0, 0,
            "MIDI through the host bridge is not implemented yet (the protocol library has it); set 0");
        final List<InetAddress> peers = r.addresses("peerAddresses");
        final InetAddress listen = r.address("listenAddress", "0.0.0.0");
        final int port = r.integer("port", 19000, 1, 65535, "the UDP port the VM's slave announces to");
        final int latency = r.integer("latencyPeriods", 1, 0, 10,
            "periods between sending a block and playing its return; 1 is the usual choice, 0 only on an idle host");
        final String encoder = r.string("encoder", "float");
        if (encoder != null && !encoder.equals("float") && !encoder.equals("int16"))
        {
            problems.add("bridge.encoder: \"" + encoder + "\" is not supported; use \"float\" or \"int16\"");
        }
        final int mtu = r.integer("mtu", 1500, 576, 9000, "the largest MTU accepted from the slave");
        final String jackServer = r.optionalString("jackServer");
        final JsonNode cpus = r.object("cpus");
        rejectUnknown(cpus, Set.of("jack", "sender", "receiver"), "bridge.cpus.", "jack, sender or receiver", problems);
        final Reader cpuReader = new Reader(cpus, problems, "bridge.cpus.");
        final int jackCpu = cpuReader.optionalInteger("jack", -1, 0, 1023, "a CPU number");
        final int senderCpu = cpuReader.optionalInteger("sender", -1, 0, 1023, "a CPU number");
        final int receiverCpu = cpuReader.optionalInteger("receiver", -1, 0, 1023, "a CPU number");
        final JsonNode priorities = r.object("priorities");
        rejectUnknown(priorities, Set.of("sender", "receiver"), "bridge.priorities.", "sender or receiver", problems);
        final Reader priorityReader = new Reader(priorities, problems, "bridge.priorities.");
        final int senderPriority = priorityReader.optionalInteger("sender", 0, 0, 99, "0 (none) or a SCHED_FIFO priority 1..99");
        final int receiverPriority =
            priorityReader.optionalInteger("receiver", 0, 0, 99, "0 (none) or a SCHED_FIFO priority 1..99");
        final String waitName = r.string("waitStrategy", "blocking");
        WaitStrategy wait = WaitStrategy.fromConfigName(waitName);
        if (wait == null)
        {
            problems.add("bridge.waitStrategy: \"" + waitName + "\" is unknown; use busy-spin (isolated cores " +
                "only), yielding, sleeping or blocking (shared machines)");
            wait = WaitStrategy.BLOCKING;
        }
        else if (wait == WaitStrategy.BUSY_SPIN && senderPriority > 0)
        {
            problems.add("bridge.waitStrategy: busy-spin with bridge.priorities.sender " + senderPriority +
                " would spin at SCHED_FIFO, which the kernel throttles (and starves the core); set the sender " +
                "priority to 0 or use blocking");
        }
        final boolean mlockall = r.bool("mlockall", false);
        final Path counters = r.path("countersFile", DEFAULT_COUNTERS_FILE);
        final String histogram = r.optionalString("histogramLog");
        final Path control = r.path("controlSocket", DEFAULT_CONTROL_SOCKET);
        if (histogram != null && !histogram.startsWith("/"))
        {
            problems.add("bridge.histogramLog: \"" + histogram + "\" must be an absolute path");
        }
        if (midiTo != 0 || midiFrom != 0 || !problems.isEmpty())
        {
            throw new InvalidConfigException(problems);
        }
        return new BridgeConfig(clientName, toVm, fromVm, peers, listen, port, latency, encoder, mtu, jackServer,
            jackCpu, senderCpu, receiverCpu, senderPriority, receiverPriority, wait, mlockall, counters,
            histogram == null ? null : Path.of(histogram), control);
    }

    private static void rejectUnknown(
        final JsonNode node, final Set<String> known, final String prefix, final String hint, final List<String> problems)
    {
        if (node == null)
        {
            return;
        }
        for (final Iterator<String> names = node.fieldNames(); names.hasNext(); )
        {
            final String name = names.next();
            if (!known.contains(name))
            {
                problems.add(prefix + name + ": unknown field; use " + hint);
            }
        }
    }

    /** Field readers that record problems instead of throwing. */
    private static final class Reader
    {
        private final JsonNode node;
        private final List<String> problems;
        private final String prefix;

        Reader(final JsonNode node, final List<String> problems)
        {
            this(node, problems, "bridge.");
        }

        Reader(final JsonNode node, final List<String> problems, final String prefix)
        {
            this.node = node;
            this.problems = problems;
            this.prefix = prefix;
        }

        private JsonNode get(final String field)
        {
            return node == null ? null : node.get(field);
        }

        String string(final String field, final String fallback)
        {
            final JsonNode value = get(field);
            if (value == null || value.isNull())
            {
                return fallback;
            }
            if (!value.isTextual())
            {
                problems.add(prefix + field + ": is " + value + ", must be a string");
                return fallback;
            }
            return value.asText();
        }

        String optionalString(final String field)
        {
            return string(field, null);
        }

        int integer(final String field, final int fallback, final int min, final int max, final String meaning)
        {
            final JsonNode value = get(field);
            if (value == null || value.isNull())
            {
                return fallback;
            }
            if (!value.isInt() || value.asInt() < min || value.asInt() > max)
            {
                problems.add(prefix + field + ": is " + value + ", must be an integer " +
                    (min == max ? "equal to " + min : min + ".." + max) + " (" + meaning + ")");
                return fallback;
            }
            return value.asInt();
        }

        int optionalInteger(final String field, final int fallback, final int min, final int max, final String meaning)
        {
            return integer(field, fallback, min, max, meaning);
        }

        boolean bool(final String field, final boolean fallback)
        {
            final JsonNode value = get(field);
            if (value == null || value.isNull())
            {
                return fallback;
            }
            if (!value.isBoolean())
            {
                problems.add(prefix + field + ": is " + value + ", must be true or false");
                return fallback;
            }
            return value.asBoolean();
        }

        JsonNode object(final String field)
        {
            final JsonNode value = get(field);
            if (value == null || value.isNull())
            {
                return null;
            }
            if (!value.isObject())
            {
                problems.add(prefix + field + ": is " + value + ", must be an object");
                return null;
            }
            return value;
        }

        Path path(final String field, final String fallback)
        {
            final String value = string(field, fallback);
            if (value == null || !value.startsWith("/"))
            {
                problems.add(prefix + field + ": \"" + value + "\" must be an absolute path");
                return Path.of(fallback);
            }
            return Path.of(value);
        }

        InetAddress address(final String field, final String fallback)
        {
            final String value = string(field, fallback);
            final InetAddress address = parseIpv4(value);
            if (address == null)
            {
                problems.add(prefix + field + ": \"" + value + "\" is not an IPv4 address like 10.77.0.1 " +
                    "(NetJack2 is IPv4 only; host names are not resolved)");
                return parseIpv4(fallback);
            }
            return address;
        }

        List<InetAddress> addresses(final String field)
        {
            final JsonNode value = get(field);
            final List<InetAddress> result = new ArrayList<>();
            if (value == null || value.isNull() || (value.isArray() && value.isEmpty()))
            {
                problems.add(prefix + field + ": missing or empty; list the DSP VM's IPv4 address (for example " +
                    "[\"10.77.0.2\"]): packets from any other address are dropped");
                return result;
            }
            if (!value.isArray())
            {
                problems.add(prefix + field + ": is " + value + ", must be a list of IPv4 addresses");
                return result;
            }
            for (int i = 0; i < value.size(); i++)
            {
                final JsonNode item = value.get(i);
                final InetAddress address = item.isTextual() ? parseIpv4(item.asText()) : null;
                if (address == null)
                {
                    problems.add(prefix + field + "[" + i + "]: " + item + " is not an IPv4 address like 10.77.0.2");
                }
                else
                {
                    result.add(address);
                }
            }
            return result;
        }
    }

    static InetAddress parseIpv4(final String text)
    {
        if (text == null || !text.matches("^(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})$"))
        {
            return null;
        }
        for (final String part : text.split("\\."))
        {
            if (Integer.parseInt(part) > 255)
            {
                return null;
            }
        }
        try
        {
            final InetAddress address = InetAddress.getByName(text);
            return address instanceof Inet4Address ? address : null;
        }
        catch (final IOException ex)
        {
            return null;
        }
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

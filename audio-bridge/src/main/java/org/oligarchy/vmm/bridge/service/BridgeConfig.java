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
import org.oligarchy.vmm.bridge.engine.UdpSockets;
import org.oligarchy.vmm.bridge.engine.WaitStrategy;
import org.oligarchy.vmm.bridge.netjack.MidiLongEvents;
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
 * <p>A context (Aeron's {@code MediaDriver.Context}): named setters over documented defaults, and
 * {@link #conclude()}, which checks every field with the file's messages and freezes the
 * context. {@link #parse} maps the file onto the setters; a test or a tool may set fields
 * directly and conclude.
 */
public final class BridgeConfig
{
    /** Default counters file: tmpfs, so updates never cause writeback I/O. */
    public static final String DEFAULT_COUNTERS_FILE = "/dev/shm/netjack-bridge/counters.dat";
    /** Default control socket. */
    public static final String DEFAULT_CONTROL_SOCKET = "/run/netjack-bridge/control.sock";
    /** Default config file rendered by the NixOS module. */
    public static final String DEFAULT_CONFIG_FILE = ConfigFile.DEFAULT_PATH;
    /** Highest CPU number accepted, as vmctl's and the NixOS module's (a CPU that is not online is a warning). */
    public static final int MAX_CPU = 8191;
    /** Default JACK client name. */
    public static final String DEFAULT_CLIENT_NAME = "dsp";
    /** Default UDP port, NetJack2's. */
    public static final int DEFAULT_PORT = 19000;
    /**
     * Largest {@code maxSessions}: the sessions one bridge runs at once, each with its own rings,
     * threads, JACK client and counters file ({@link
     * org.oligarchy.vmm.bridge.engine.MasterBridge#SESSION_SLOTS}).
     */
    public static final int MAX_SESSIONS = org.oligarchy.vmm.bridge.engine.MasterBridge.SESSION_SLOTS;
    private static final String MAX_SESSIONS_RULE = "use 1 to " + MAX_SESSIONS + " (the slaves served at once; " +
        "1, the default, refuses another slave while one plays)";

    private static final Pattern CLIENT_NAME = Pattern.compile("^[^:]{1,63}$");
    private static final Pattern JACK_SERVER = Pattern.compile("^[^/\\s]{1,63}$");
    private static final Pattern INTERFACE = Pattern.compile("^[A-Za-z0-9_.-]{1,15}$");
    private static final String INTERFACE_RULE = "name a network interface as `ip link` shows it (1 to 15 letters, " +
        "digits, '_', '.' or '-'), such as the VM's tap; null for unicast only";
    private static final String GROUP_RULE = "write an IPv4 multicast address (224.0.0.0 to 239.255.255.255), such " +
        "as JACK2's and PipeWire's default " + org.oligarchy.vmm.bridge.netjack.NetJack.DEFAULT_MULTICAST_GROUP;
    private static final String IPV4_RULE = "write an IPv4 address such as ";
    private static final String CLIENT_NAME_RULE =
        "use 1 to 63 characters without ':' (it becomes the JACK client name, such as dsp:to_vm_1)";
    private static final String JACK_SERVER_RULE = "use the name jackd was started with (-n), 1 to 63 characters " +
        "without '/' or spaces; null for the default server";
    private static final String SESSION_PORT_IS_PORT = "%d is also bridge.port; use another port, or null for an " +
        "ephemeral port per session (a session socket on the announce port would take the slave's re-announces)";
    private static final String PEER_FIX =
        "list the VM's IPv4 address, such as [\"10.77.0.2\"]; packets from anyone else are dropped";

    private String clientName = DEFAULT_CLIENT_NAME;
    private int toVmPorts = 2;
    private int fromVmPorts = 2;
    private int midiToVmPorts;
    private int midiFromVmPorts;
    private MidiLongEvents midiLongEvents = MidiLongEvents.DROP;
    private List<InetAddress> peerAddresses = List.of();
    private InetAddress listenAddress = Ipv4.parse("0.0.0.0");
    private int port = DEFAULT_PORT;
    private int latencyPeriods = 1;
    private String encoder = "float";
    private String sendPath = "auto";
    private int mtu = 1500;
    private int dscp = UdpSockets.DEFAULT_DSCP;
    private int sessionPort = 0;
    private int maxSessions = 1;
    private String jackServer = null;
    private String multicastInterface = null;
    private InetAddress multicastGroup = Ipv4.parse(org.oligarchy.vmm.bridge.netjack.NetJack.DEFAULT_MULTICAST_GROUP);
    private int jackCpu = -1;
    private int senderCpu = -1;
    private int receiverCpu = -1;
    private int senderPriority = 0;
    private int receiverPriority = 0;
    private WaitStrategy waitStrategy = WaitStrategy.BLOCKING;
    private boolean mlockall = false;
    private Path countersFile = Path.of(DEFAULT_COUNTERS_FILE);
    private Path histogramLog = null;
    private Path controlSocket = Path.of(DEFAULT_CONTROL_SOCKET);
    private boolean concluded;

    /**
     * @return JACK client name (its ports are {@code NAME:to_vm_1} …).
     */
    public String clientName()
    {
        return clientName;
    }

    /**
     * @param value JACK client name (its ports are {@code NAME:to_vm_1} …).
     * @return this context.
     */
    public BridgeConfig clientName(final String value)
    {
        checkNotConcluded();
        clientName = value;
        return this;
    }

    /**
     * @return JACK input ports whose audio goes to the VM, 1 … 64.
     */
    public int toVmPorts()
    {
        return toVmPorts;
    }

    /**
     * @param value JACK input ports whose audio goes to the VM, 1 … 64.
     * @return this context.
     */
    public BridgeConfig toVmPorts(final int value)
    {
        checkNotConcluded();
        toVmPorts = value;
        return this;
    }

    /**
     * @return JACK output ports the VM's audio returns on, 1 … 64.
     */
    public int fromVmPorts()
    {
        return fromVmPorts;
    }

    /**
     * @param value JACK output ports the VM's audio returns on, 1 … 64.
     * @return this context.
     */
    public BridgeConfig fromVmPorts(final int value)
    {
        checkNotConcluded();
        fromVmPorts = value;
        return this;
    }

    /**
     * @return JACK MIDI input ports whose events go to the VM ({@code to_vm_midi_N}), 0 … 64.
     */
    public int midiToVmPorts()
    {
        return midiToVmPorts;
    }

    /**
     * @param value JACK MIDI input ports whose events go to the VM, 0 … 64.
     * @return this context.
     */
    public BridgeConfig midiToVmPorts(final int value)
    {
        checkNotConcluded();
        midiToVmPorts = value;
        return this;
    }

    /**
     * @return JACK MIDI output ports the VM's events return on ({@code from_vm_midi_N}), 0 … 64.
     */
    public int midiFromVmPorts()
    {
        return midiFromVmPorts;
    }

    /**
     * @param value JACK MIDI output ports the VM's events return on, 0 … 64.
     * @return this context.
     */
    public BridgeConfig midiFromVmPorts(final int value)
    {
        checkNotConcluded();
        midiFromVmPorts = value;
        return this;
    }

    /**
     * @return VM addresses whose packets are accepted; required, non-empty.
     */
    public List<InetAddress> peerAddresses()
    {
        return peerAddresses;
    }

    /**
     * @param value VM addresses whose packets are accepted; required, non-empty.
     * @return this context.
     */
    public BridgeConfig peerAddresses(final List<InetAddress> value)
    {
        checkNotConcluded();
        peerAddresses = List.copyOf(value);
        return this;
    }

    /**
     * @return UDP listen address (IPv4).
     */
    public InetAddress listenAddress()
    {
        return listenAddress;
    }

    /**
     * @param value UDP listen address (IPv4).
     * @return this context.
     */
    public BridgeConfig listenAddress(final InetAddress value)
    {
        checkNotConcluded();
        listenAddress = value;
        return this;
    }

    /**
     * @return UDP port the VM's slave announces to, 1 … 65535.
     */
    public int port()
    {
        return port;
    }

    /**
     * @param value UDP port the VM's slave announces to, 1 … 65535.
     * @return this context.
     */
    public BridgeConfig port(final int value)
    {
        checkNotConcluded();
        port = value;
        return this;
    }

    /**
     * @return what the bridge does with MIDI events longer than 4 bytes (SysEx): {@code drop}, the
     *         default (JACK2 1.9.21/1.9.22 corrupt them), or {@code send} (PipeWire's netjack2,
     *         netjack-bridge slave).
     */
    public MidiLongEvents midiLongEvents()
    {
        return midiLongEvents;
    }

    /**
     * @param value what the bridge does with MIDI events longer than 4 bytes.
     * @return this context.
     */
    public BridgeConfig midiLongEvents(final MidiLongEvents value)
    {
        checkNotConcluded();
        midiLongEvents = value;
        return this;
    }

    /**
     * @return DSCP class of every datagram, 0 (not marked) … 63; default 34 (AF41, as PipeWire).
     */
    public int dscp()
    {
        return dscp;
    }

    /**
     * @param value DSCP class of every datagram, 0 (not marked) … 63.
     * @return this context.
     */
    public BridgeConfig dscp(final int value)
    {
        checkNotConcluded();
        dscp = value;
        return this;
    }

    /**
     * @return local UDP port of session sockets, 1 … 65535 and not {@link #port()}; 0 (the
     *         file's null, the default) for an ephemeral port per session, as JACK2's master.
     */
    public int sessionPort()
    {
        return sessionPort;
    }

    /**
     * @param value local UDP port of session sockets, or 0 for an ephemeral one.
     * @return this context.
     */
    public BridgeConfig sessionPort(final int value)
    {
        checkNotConcluded();
        sessionPort = value;
        return this;
    }

    /**
     * @return sessions that may run at once, 1 … {@link #MAX_SESSIONS}: another slave (another
     *         address, or another name) that announces while they are all in use is refused; the
     *         slave of a running session that announces again (it restarted) replaces its own.
     */
    public int maxSessions()
    {
        return maxSessions;
    }

    /**
     * @param value sessions that may run at once, 1 … {@link #MAX_SESSIONS}.
     * @return this context.
     */
    public BridgeConfig maxSessions(final int value)
    {
        checkNotConcluded();
        maxSessions = value;
        return this;
    }

    /**
     * @return how the bridge opens its UDP sockets ({@link #dscp()}, {@link #sessionPort()}).
     */
    public UdpSockets udpSockets()
    {
        return new UdpSockets(dscp, sessionPort);
    }

    /**
     * @return network latency L in periods, 0 … 10.
     */
    public int latencyPeriods()
    {
        return latencyPeriods;
    }

    /**
     * @param value network latency L in periods, 0 … 10.
     * @return this context.
     */
    public BridgeConfig latencyPeriods(final int value)
    {
        checkNotConcluded();
        latencyPeriods = value;
        return this;
    }

    /**
     * @return which thread sends each period's datagrams: {@code auto} (the default: the JACK
     *         thread at L = 0, the sender thread at L ≥ 1, as measured in bench/README.md),
     *         {@code period} (always the JACK thread) or {@code sender} (always the sender thread).
     */
    public String sendPath()
    {
        return sendPath;
    }

    /**
     * @param value {@code auto}, {@code period} or {@code sender}.
     * @return this context.
     */
    public BridgeConfig sendPath(final String value)
    {
        checkNotConcluded();
        sendPath = value;
        return this;
    }

    /**
     * @return the send path to use, or null for {@code auto} (the bridge chooses per L).
     */
    public org.oligarchy.vmm.bridge.engine.SendPath resolvedSendPath()
    {
        return "auto".equals(sendPath) ? null : org.oligarchy.vmm.bridge.engine.SendPath.parse(sendPath);
    }

    /**
     * @return sample encoder the slave must use, {@code float} or {@code int16}.
     */
    public String encoder()
    {
        return encoder;
    }

    /**
     * @param value sample encoder the slave must use, {@code float} or {@code int16}.
     * @return this context.
     */
    public BridgeConfig encoder(final String value)
    {
        checkNotConcluded();
        encoder = value;
        return this;
    }

    /**
     * @return largest MTU accepted from the slave, 576 … 9000.
     */
    public int mtu()
    {
        return mtu;
    }

    /**
     * @param value largest MTU accepted from the slave, 576 … 9000.
     * @return this context.
     */
    public BridgeConfig mtu(final int value)
    {
        checkNotConcluded();
        mtu = value;
        return this;
    }

    /**
     * @return the interface on which the bridge joins the multicast group to hear slaves that
     *         announce there (JACK2 without {@code -a}, PipeWire's default), or null: unicast only.
     */
    public String multicastInterface()
    {
        return multicastInterface;
    }

    /**
     * @param value the interface to join the multicast group on, or null for unicast only.
     * @return this context.
     */
    public BridgeConfig multicastInterface(final String value)
    {
        checkNotConcluded();
        multicastInterface = value;
        return this;
    }

    /**
     * @return the multicast group slaves announce on (default 225.3.19.154).
     */
    public InetAddress multicastGroup()
    {
        return multicastGroup;
    }

    /**
     * @param value the multicast group slaves announce on.
     * @return this context.
     */
    public BridgeConfig multicastGroup(final InetAddress value)
    {
        checkNotConcluded();
        multicastGroup = value;
        return this;
    }

    /**
     * @return JACK server name ({@code jackd -n}), or null for the default server.
     */
    public String jackServer()
    {
        return jackServer;
    }

    /**
     * @param value JACK server name ({@code jackd -n}), or null for the default server.
     * @return this context.
     */
    public BridgeConfig jackServer(final String value)
    {
        checkNotConcluded();
        jackServer = value;
        return this;
    }

    /**
     * @return CPU for the JACK thread, or −1 for none.
     */
    public int jackCpu()
    {
        return jackCpu;
    }

    /**
     * @param value CPU for the JACK thread, or −1 for none.
     * @return this context.
     */
    public BridgeConfig jackCpu(final int value)
    {
        checkNotConcluded();
        jackCpu = value;
        return this;
    }

    /**
     * @return CPU for the sender, or −1 for none.
     */
    public int senderCpu()
    {
        return senderCpu;
    }

    /**
     * @param value CPU for the sender, or −1 for none.
     * @return this context.
     */
    public BridgeConfig senderCpu(final int value)
    {
        checkNotConcluded();
        senderCpu = value;
        return this;
    }

    /**
     * @return CPU for the receiver, or −1 for none.
     */
    public int receiverCpu()
    {
        return receiverCpu;
    }

    /**
     * @param value CPU for the receiver, or −1 for none.
     * @return this context.
     */
    public BridgeConfig receiverCpu(final int value)
    {
        checkNotConcluded();
        receiverCpu = value;
        return this;
    }

    /**
     * @return SCHED_FIFO priority of the sender, 0 = none … 99.
     */
    public int senderPriority()
    {
        return senderPriority;
    }

    /**
     * @param value SCHED_FIFO priority of the sender, 0 = none … 99.
     * @return this context.
     */
    public BridgeConfig senderPriority(final int value)
    {
        checkNotConcluded();
        senderPriority = value;
        return this;
    }

    /**
     * @return SCHED_FIFO priority of the receiver, 0 = none … 99.
     */
    public int receiverPriority()
    {
        return receiverPriority;
    }

    /**
     * @param value SCHED_FIFO priority of the receiver, 0 = none … 99.
     * @return this context.
     */
    public BridgeConfig receiverPriority(final int value)
    {
        checkNotConcluded();
        receiverPriority = value;
        return this;
    }

    /**
     * @return sender wait strategy.
     */
    public WaitStrategy waitStrategy()
    {
        return waitStrategy;
    }

    /**
     * @param value sender wait strategy.
     * @return this context.
     */
    public BridgeConfig waitStrategy(final WaitStrategy value)
    {
        checkNotConcluded();
        waitStrategy = value;
        return this;
    }

    /**
     * @return lock all memory at start.
     */
    public boolean mlockall()
    {
        return mlockall;
    }

    /**
     * @param value lock all memory at start.
     * @return this context.
     */
    public BridgeConfig mlockall(final boolean value)
    {
        checkNotConcluded();
        mlockall = value;
        return this;
    }

    /**
     * @return live counters file; its directory must exist.
     */
    public Path countersFile()
    {
        return countersFile;
    }

    /**
     * The counters file of session slot {@code slot}: {@link #countersFile()} for the first (0),
     * else beside it with ".sessionN" before the extension ({@code counters.session2.dat}).
     *
     * @param countersFile the bridge's counters file.
     * @param slot         the session slot, 0 … {@link #MAX_SESSIONS} − 1.
     * @return the file.
     */
    public static Path sessionCountersFile(final Path countersFile, final int slot)
    {
        if (slot == 0)
        {
            return countersFile;
        }
        final String name = countersFile.getFileName().toString();
        final int dot = name.lastIndexOf('.');
        final String session = ".session" + (slot + 1);
        return countersFile.resolveSibling(dot <= 0 ? name + session : name.substring(0, dot) + session +
            name.substring(dot));
    }

    /**
     * @param value live counters file; its directory must exist.
     * @return this context.
     */
    public BridgeConfig countersFile(final Path value)
    {
        checkNotConcluded();
        countersFile = value;
        return this;
    }

    /**
     * @return HdrHistogram interval log, or null for none.
     */
    public Path histogramLog()
    {
        return histogramLog;
    }

    /**
     * @param value HdrHistogram interval log, or null for none.
     * @return this context.
     */
    public BridgeConfig histogramLog(final Path value)
    {
        checkNotConcluded();
        histogramLog = value;
        return this;
    }

    /**
     * @return Unix socket for dsp-netjack-restart.
     */
    public Path controlSocket()
    {
        return controlSocket;
    }

    /**
     * @param value Unix socket for dsp-netjack-restart.
     * @return this context.
     */
    public BridgeConfig controlSocket(final Path value)
    {
        checkNotConcluded();
        controlSocket = value;
        return this;
    }

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
        String clientName = f.matching("clientName", CLIENT_NAME, CLIENT_NAME_RULE);
        clientName = clientName == null ? "dsp" : clientName;
        final int toVm = orDefault(f.integer("toVmPorts", 1, 64, null), 2);
        final int fromVm = orDefault(f.integer("fromVmPorts", 1, 64, null), 2);
        final int midiToVm = orDefault(f.integer("midiToVmPorts", 0, 64, null), 0);
        final int midiFromVm = orDefault(f.integer("midiFromVmPorts", 0, 64, null), 0);
        final String[] longNames = new String[MidiLongEvents.values().length];
        for (final MidiLongEvents value : MidiLongEvents.values())
        {
            longNames[value.ordinal()] = value.configName();
        }
        final MidiLongEvents midiLong =
            f.choice("midiLongEvents", MidiLongEvents.values(), longNames, MidiLongEvents.DROP);
        final List<InetAddress> peers = peerAddresses(f, problems);
        final String listenText = f.matching("listenAddress", Ipv4.PATTERN, IPV4_RULE + "0.0.0.0");
        final InetAddress listen = Ipv4.parse(listenText == null ? "0.0.0.0" : listenText);
        final int port = orDefault(f.integer("port", 1, 65535, null), 19000);
        final int latency = orDefault(f.integer("latencyPeriods", 0, 10, null), 1);
        final String encoder = f.choice("encoder", new String[]{"float", "int16"}, "float");
        final String send = f.choice("sendPath", new String[]{"auto", "period", "sender"}, "auto");
        final int mtu = orDefault(f.integer("mtu", 576, 9000, null), 1500);
        final int dscp = orDefault(f.integer("dscp", 0, 63, null), UdpSockets.DEFAULT_DSCP);
        final int sessionPort = orDefault(f.integer("sessionPort", 1, 65535, null), 0);
        // The range and its fix are check()'s (MAX_SESSIONS_RULE), for values set in code too.
        final JsonNode maxSessionsNode = f.value("maxSessions");
        int maxSessions = 1;
        if (maxSessionsNode != null && (!maxSessionsNode.isIntegralNumber() || !maxSessionsNode.canConvertToInt()))
        {
            f.problem("maxSessions", maxSessionsNode + " is not a whole number; " + MAX_SESSIONS_RULE);
        }
        else if (maxSessionsNode != null)
        {
            maxSessions = maxSessionsNode.intValue();
        }
        final String jackServer = f.matching("jackServer", JACK_SERVER, JACK_SERVER_RULE);
        final String multicastInterface = f.matching("multicastInterface", INTERFACE, INTERFACE_RULE);
        final String groupText = f.matching("multicastGroup", Ipv4.PATTERN, GROUP_RULE);
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
        wait = wait == null ? WaitStrategy.BLOCKING : wait;
        final boolean mlockall = f.bool("mlockall", false);
        final Path counters = path(f, "countersFile", DEFAULT_COUNTERS_FILE);
        final Path histogram = path(f, "histogramLog", null);
        final Path control = path(f, "controlSocket", DEFAULT_CONTROL_SOCKET);
        f.finish();
        final BridgeConfig config = new BridgeConfig().clientName(clientName).toVmPorts(toVm).fromVmPorts(fromVm)
            .midiToVmPorts(midiToVm).midiFromVmPorts(midiFromVm)
            .midiLongEvents(midiLong == null ? MidiLongEvents.DROP : midiLong)
            .peerAddresses(peers).listenAddress(listen).port(port).latencyPeriods(latency)
            .encoder(encoder == null ? "float" : encoder).sendPath(send == null ? "auto" : send).mtu(mtu).dscp(dscp).sessionPort(sessionPort)
            .maxSessions(maxSessions)
            .jackServer(jackServer)
            .multicastInterface(multicastInterface)
            .multicastGroup(groupText == null ? Ipv4.parse(org.oligarchy.vmm.bridge.netjack.NetJack.DEFAULT_MULTICAST_GROUP) :
                Ipv4.parse(groupText))
            .jackCpu(cpus[0]).senderCpu(cpus[1]).receiverCpu(cpus[2])
            .senderPriority(senderPriority).receiverPriority(receiverPriority).waitStrategy(wait).mlockall(mlockall)
            .countersFile(counters).histogramLog(histogram).controlSocket(control);
        // The context's own rules (paths, busy-spin at SCHED_FIFO, and again the ranges), except
        // for a field the reader already reported: one pass lists every problem, each once.
        for (final ConfigProblem problem : config.check())
        {
            if (problems.stream().noneMatch((p) -> p.path().equals(problem.path()) ||
                p.path().startsWith(problem.path() + "[") || p.path().startsWith(problem.path() + ".")))
            {
                problems.add(problem);
            }
        }
        if (!problems.isEmpty())
        {
            throw new InvalidConfigException(problems);
        }
        return config.conclude();
    }

    /**
     * Every rule of the context, in the file's words (paths {@code bridge.*}), for values set by
     * the reader or in code.
     *
     * @return the problems, empty when the context is valid.
     */
    public List<ConfigProblem> check()
    {
        final List<ConfigProblem> problems = new ArrayList<>();
        if (clientName == null || !CLIENT_NAME.matcher(clientName).matches())
        {
            problems.add(new ConfigProblem("bridge.clientName",
                quote(clientName) + " is not valid; " + CLIENT_NAME_RULE));
        }
        range(problems, "toVmPorts", toVmPorts, 1, 64);
        range(problems, "fromVmPorts", fromVmPorts, 1, 64);
        range(problems, "midiToVmPorts", midiToVmPorts, 0, 64);
        range(problems, "midiFromVmPorts", midiFromVmPorts, 0, 64);
        if (midiLongEvents == null)
        {
            problems.add(new ConfigProblem("bridge.midiLongEvents", "is missing; use " + MidiLongEvents.ALLOWED));
        }
        if (peerAddresses.isEmpty())
        {
            problems.add(new ConfigProblem("bridge.peerAddresses", "[] is empty; " + PEER_FIX));
        }
        for (int i = 0; i < peerAddresses.size(); i++)
        {
            if (!(peerAddresses.get(i) instanceof java.net.Inet4Address))
            {
                problems.add(new ConfigProblem("bridge.peerAddresses[" + i + "]", quote(String.valueOf(
                    peerAddresses.get(i))) + " is not valid; " + IPV4_RULE + "10.77.0.2"));
            }
        }
        if (!(listenAddress instanceof java.net.Inet4Address))
        {
            problems.add(new ConfigProblem("bridge.listenAddress", quote(String.valueOf(listenAddress)) +
                " is not valid; " + IPV4_RULE + "0.0.0.0"));
        }
        range(problems, "port", port, 1, 65535);
        range(problems, "latencyPeriods", latencyPeriods, 0, 10);
        if (!"float".equals(encoder) && !"int16".equals(encoder))
        {
            problems.add(new ConfigProblem("bridge.encoder", quote(encoder) + " is not allowed; use one of \"float\", " +
                "\"int16\""));
        }
        if (!"auto".equals(sendPath) && !"period".equals(sendPath) && !"sender".equals(sendPath))
        {
            problems.add(new ConfigProblem("bridge.sendPath", quote(sendPath) + " is not allowed; use one of \"auto\", " +
                "\"period\", \"sender\""));
        }
        range(problems, "mtu", mtu, 576, 9000);
        if (multicastInterface != null && !INTERFACE.matcher(multicastInterface).matches())
        {
            problems.add(new ConfigProblem("bridge.multicastInterface",
                quote(multicastInterface) + " is not valid; " + INTERFACE_RULE));
        }
        if (multicastGroup == null || !multicastGroup.isMulticastAddress() ||
            !(multicastGroup instanceof java.net.Inet4Address))
        {
            problems.add(new ConfigProblem("bridge.multicastGroup", quote(multicastGroup == null ? null :
                multicastGroup.getHostAddress()) + " is not a multicast address; " + GROUP_RULE));
        }
        range(problems, "dscp", dscp, 0, 63);
        if (sessionPort != 0)
        {
            range(problems, "sessionPort", sessionPort, 1, 65535);
            if (sessionPort == port)
            {
                problems.add(new ConfigProblem("bridge.sessionPort", SESSION_PORT_IS_PORT.formatted(sessionPort)));
            }
        }
        if (maxSessions < 1 || maxSessions > MAX_SESSIONS)
        {
            problems.add(new ConfigProblem("bridge.maxSessions", maxSessions + " is out of range; " +
                MAX_SESSIONS_RULE));
        }
        if (jackServer != null && !JACK_SERVER.matcher(jackServer).matches())
        {
            problems.add(new ConfigProblem("bridge.jackServer",
                quote(jackServer) + " is not valid; " + JACK_SERVER_RULE));
        }
        final String[] cpuNames = {"jack", "sender", "receiver"};
        final int[] cpuValues = {jackCpu, senderCpu, receiverCpu};
        for (int i = 0; i < cpuNames.length; i++)
        {
            if (cpuValues[i] != -1)
            {
                range(problems, "cpus." + cpuNames[i], cpuValues[i], 0, MAX_CPU);
            }
        }
        range(problems, "priorities.sender", senderPriority, 0, 99);
        range(problems, "priorities.receiver", receiverPriority, 0, 99);
        if (waitStrategy == null)
        {
            problems.add(new ConfigProblem("bridge.waitStrategy", "is missing; use one of \"busy-spin\", " +
                "\"yielding\", \"sleeping\", \"blocking\""));
        }
        else if (waitStrategy == WaitStrategy.BUSY_SPIN && senderPriority > 0)
        {
            problems.add(new ConfigProblem("bridge.waitStrategy", "busy-spin with bridge.priorities.sender " +
                senderPriority + " would spin at SCHED_FIFO, which the kernel throttles (and starves the core); set " +
                "the sender priority to 0 or use blocking"));
        }
        pathRule(problems, "countersFile", countersFile, DEFAULT_COUNTERS_FILE, true);
        pathRule(problems, "histogramLog", histogramLog, "/var/lib/netjack-bridge/latency.hlog", true);
        pathRule(problems, "controlSocket", controlSocket, DEFAULT_CONTROL_SOCKET, false);
        return problems;
    }

    /**
     * Checks every rule ({@link #check()}) and freezes the context: setters fail afterwards.
     *
     * @return this context.
     * @throws InvalidConfigException listing every problem.
     */
    public BridgeConfig conclude() throws InvalidConfigException
    {
        checkNotConcluded();
        final List<ConfigProblem> problems = check();
        if (!problems.isEmpty())
        {
            throw new InvalidConfigException(problems);
        }
        countersFile = countersFile.normalize();
        histogramLog = histogramLog == null ? null : histogramLog.normalize();
        controlSocket = controlSocket.normalize();
        concluded = true;
        return this;
    }

    private void checkNotConcluded()
    {
        if (concluded)
        {
            throw new IllegalStateException("BridgeConfig is concluded; set fields before conclude()");
        }
    }

    private static void range(
        final List<ConfigProblem> problems, final String field, final int value, final int min, final int max)
    {
        if (value < min || value > max)
        {
            problems.add(new ConfigProblem("bridge." + field, JsonFields.outOfRange(value, min, max)));
        }
    }

    private static String quote(final String value)
    {
        return value == null ? "null" : JsonFields.quote(value);
    }

    /**
     * What depends on this host, for {@code run} and {@code run --check} alike: the counters
     * file's directory, or at least that directory's parent, must exist (the bridge, often root,
     * creates the file's own directory but never a tree); a CPU
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
        // The bridge makes the file's own directory (as systemd's RuntimeDirectory would), never
        // a tree: as root, a typo in the path would otherwise become directories.
        if (!Files.isDirectory(countersDir) && !Files.isDirectory(countersDir.getParent()))
        {
            errors.add(new ConfigProblem("bridge.countersFile", "\"" + countersFile + "\" is in " + countersDir +
                ", whose parent " + countersDir.getParent() + " does not exist; the bridge creates only the file's " +
                "own directory, not a tree; fix the path, or create " + countersDir + " for the bridge's user (the " +
                "NixOS module's tmpfiles rule makes /dev/shm/netjack-bridge)"));
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
        final String fix = PEER_FIX;
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

    /** A path as written (the context checks it), or the default when absent or not a path. */
    private static Path path(final JsonFields f, final String key, final String fallback)
    {
        final String value = f.string(key);
        if (value != null)
        {
            try
            {
                return Path.of(value);
            }
            catch (final java.nio.file.InvalidPathException ex)
            {
                f.problem(key, JsonFields.quote(value) + " is not a path (" + ex.getReason() + "); write one such as " +
                    (fallback == null ? "/var/lib/netjack-bridge/latency.hlog" : fallback));
            }
        }
        return fallback == null ? null : Path.of(fallback);
    }

    /**
     * An absolute path, not in the kernel's pseudo file systems: under /proc or /sys nothing can be
     * created, and under /dev only /dev/shm (tmpfs) is a place for files ({@code inShm}); a socket
     * is never one.
     */
    private static void pathRule(
        final List<ConfigProblem> problems, final String key, final Path value, final String example,
        final boolean inShm)
    {
        if (value == null)
        {
            if (!key.equals("histogramLog"))
            {
                problems.add(new ConfigProblem("bridge." + key, "is missing; write a path such as " + example));
            }
            return;
        }
        if (!value.isAbsolute())
        {
            problems.add(new ConfigProblem("bridge." + key, quote(value.toString()) +
                " is not an absolute path; write one such as " + example));
            return;
        }
        final Path path = value.normalize();
        final boolean pseudo = path.startsWith("/proc") || path.startsWith("/sys") ||
            (path.startsWith("/dev") && !(inShm && path.startsWith("/dev/shm") && path.getNameCount() > 2));
        if (pseudo || path.getParent() == null)
        {
            problems.add(new ConfigProblem("bridge." + key, quote(value.toString()) + " is " +
                (pseudo ? "in the kernel's /proc, /sys or /dev" : "not a file path") +
                ", where the bridge must not create files; write a path such as " + example));
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
        map.put("midiToVmPorts", midiToVmPorts);
        map.put("midiFromVmPorts", midiFromVmPorts);
        map.put("midiLongEvents", midiLongEvents == MidiLongEvents.SEND ?
            "send (events over 4 bytes go out of line: for PipeWire's netjack2 and netjack-bridge slave; a JACK2 " +
                "slave corrupts them)" :
            "drop (events over 4 bytes are dropped and counted lost, as JACK2 slaves corrupt them; \"send\" " +
                "carries them to PipeWire and netjack-bridge slave)");
        map.put("peerAddresses", peerAddresses.stream().map(InetAddress::getHostAddress).toList());
        map.put("port", port);
        map.put("sessionPort", sessionPort == 0 ? "ephemeral" : sessionPort);
        map.put("dscp", dscp == 0 ? "0 (not marked)" : dscp + " (IP TOS 0x" + Integer.toHexString(dscp << 2) + ")");
        map.put("maxSessions", maxSessions);
        map.put("latencyPeriods", latencyPeriods);
        map.put("sendPath", switch (sendPath)
        {
            case "period" -> "period (the JACK thread encodes and sends each period's datagrams)";
            case "sender" -> "sender (the nj-sender thread, woken by the JACK thread, encodes and sends)";
            default -> "auto (at L = " + latencyPeriods + ": " +
                (HostBridge.Settings.defaultSendPath(latencyPeriods) ==
                    org.oligarchy.vmm.bridge.engine.SendPath.PERIOD_THREAD ? "the JACK thread sends" :
                    "the nj-sender thread sends") + "; the JACK thread at L = 0, the sender thread at L >= 1)";
        });
        map.put("waitStrategy", waitStrategy.configName());
        if (multicastInterface != null)
        {
            map.put("multicast", multicastGroup.getHostAddress() + " on " + multicastInterface);
        }
        return map;
    }
}

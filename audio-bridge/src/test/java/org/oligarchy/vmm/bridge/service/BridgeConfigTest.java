package org.oligarchy.vmm.bridge.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.oligarchy.vmm.bridge.cli.BridgeMain;
import org.oligarchy.vmm.bridge.cli.CliRun;
import org.oligarchy.vmm.bridge.engine.UdpSockets;
import org.oligarchy.vmm.bridge.engine.WaitStrategy;
import org.oligarchy.vmm.config.ConfigProblem;
import org.oligarchy.vmm.config.CpuList;
import org.oligarchy.vmm.config.InvalidConfigException;
import org.oligarchy.vmm.config.ValidationReport;

/**
 * Every field of the bridge config is validated with a message that names the field, the value
 * and the fix; an invalid file makes {@code netjack-bridge run} exit 2 before starting anything.
 */
final class BridgeConfigTest
{
    private static final String VALID = "\"peerAddresses\": [\"10.77.0.2\"]";

    @Test
    void shouldLoadTheDocumentedExampleWithItsValues() throws Exception
    {
        final BridgeConfig config = BridgeConfig.parse("{\"version\": 1, \"bridge\": {" +
            "\"clientName\": \"dsp\", \"toVmPorts\": 2, \"fromVmPorts\": 2, \"midiToVmPorts\": 0, " +
            "\"midiFromVmPorts\": 0, \"peerAddresses\": [\"10.77.0.2\"], \"listenAddress\": \"0.0.0.0\", " +
            "\"port\": 19000, \"latencyPeriods\": 1, \"encoder\": \"float\", \"mtu\": 1500, \"jackServer\": null, " +
            "\"cpus\": {\"jack\": 2, \"sender\": 3, \"receiver\": 3}, \"priorities\": {\"sender\": 70, " +
            "\"receiver\": 70}, \"waitStrategy\": \"blocking\", \"mlockall\": true, \"countersFile\": " +
            "\"/dev/shm/netjack-bridge/counters.dat\", \"histogramLog\": \"/var/lib/netjack-bridge/latency.hlog\", " +
            "\"controlSocket\": \"/run/netjack-bridge/control.sock\"}}");
        assertEquals("dsp", config.clientName());
        assertEquals(List.of(InetAddress.getByName("10.77.0.2")), config.peerAddresses());
        assertEquals(1, config.latencyPeriods());
        assertEquals(2, config.jackCpu());
        assertEquals(70, config.receiverPriority());
        assertEquals(WaitStrategy.BLOCKING, config.waitStrategy());
        assertEquals(Path.of("/var/lib/netjack-bridge/latency.hlog"), config.histogramLog());
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "`\"toVmPorts\": 0, " + VALID + "`|bridge.toVmPorts: 0 is out of range; use a whole number from 1 to 64",
        "`\"toVmPorts\": \"two\", " + VALID + "`|bridge.toVmPorts: \"two\" is not an integer; write a whole number from 1 to 64",
        "`\"fromVmPorts\": 65, " + VALID + "`|bridge.fromVmPorts: 65 is out of range; use a whole number from 1 to 64",
        "`\"midiToVmPorts\": 65, " + VALID + "`|bridge.midiToVmPorts: 65 is out of range; use a whole number from 0 to 64",
        "`\"midiFromVmPorts\": -1, " + VALID + "`|bridge.midiFromVmPorts: -1 is out of range; use a whole number from 0 to 64",
        "`\"multicastInterface\": \"tap 0\", " + VALID + "`|bridge.multicastInterface: \"tap 0\" is not valid; name a network interface as `ip link` shows it (1 to 15 letters, digits, '_', '.' or '-'), such as the VM's tap; null for unicast only",
        "`\"multicastGroup\": \"10.0.0.1\", " + VALID + "`|bridge.multicastGroup: \"10.0.0.1\" is not a multicast address; write an IPv4 multicast address (224.0.0.0 to 239.255.255.255), such as JACK2's and PipeWire's default 225.3.19.154",
        "`\"maxSessions\": 0, " + VALID + "`|bridge.maxSessions: 0 is out of range; use 1 to 8 (the slaves served at once; 1, the default, refuses another slave while one plays)",
        "`\"maxSessions\": 9, " + VALID + "`|bridge.maxSessions: 9 is out of range; use 1 to 8 (the slaves served at once; 1, the default, refuses another slave while one plays)",
        "`\"maxSessions\": \"one\", " + VALID + "`|bridge.maxSessions: \"one\" is not a whole number; use 1 to 8 (the slaves served at once; 1, the default, refuses another slave while one plays)",
        "`\"latencyPeriods\": 11, " + VALID + "`|bridge.latencyPeriods: 11 is out of range; use a whole number from 0 to 10",
        "`\"latencyPeriods\": -1, " + VALID + "`|bridge.latencyPeriods: -1 is out of range; use a whole number from 0 to 10",
        "`\"port\": 70000, " + VALID + "`|bridge.port: 70000 is out of range; use a whole number from 1 to 65535",
        "`\"port\": 0, " + VALID + "`|bridge.port: 0 is out of range; use a whole number from 1 to 65535",
        "`\"mtu\": 100, " + VALID + "`|bridge.mtu: 100 is out of range; use a whole number from 576 to 9000",
        "`\"encoder\": \"opus\", " + VALID + "`|bridge.encoder: \"opus\" is not allowed; use one of \"float\", \"int16\"",
        "`\"clientName\": \"a:b\", " + VALID + "`|bridge.clientName: \"a:b\" is not valid; use 1 to 63 characters without ':' (it becomes the JACK client name, such as dsp:to_vm_1)",
        "`\"clientName\": 5, " + VALID + "`|bridge.clientName: 5 is not a string; write it in double quotes",
        "`\"jackServer\": \"a/b\", " + VALID + "`|bridge.jackServer: \"a/b\" is not valid; use the name jackd was started with (-n), 1 to 63 characters without '/' or spaces; null for the default server",
        "`\"peerAddresses\": []`|bridge.peerAddresses: [] is empty; list the VM's IPv4 address, such as [\"10.77.0.2\"]; packets from anyone else are dropped",
        "`\"port\": 19000`|bridge.peerAddresses: is missing; list the VM's IPv4 address, such as [\"10.77.0.2\"]; packets from anyone else are dropped",
        "`\"peerAddresses\": [\"vm.local\"]`|bridge.peerAddresses[0]: \"vm.local\" is not valid; write an IPv4 address such as 10.77.0.2",
        "`\"peerAddresses\": [\"10.0.0.300\"]`|bridge.peerAddresses[0]: \"10.0.0.300\" is not valid; write an IPv4 address such as 10.77.0.2",
        "`\"peerAddresses\": [7]`|bridge.peerAddresses[0]: 7 is not a string; write it in double quotes",
        "`\"peerAddresses\": \"10.77.0.2\"`|bridge.peerAddresses: \"10.77.0.2\" is not a list; write it as [ ... ]",
        "`\"listenAddress\": \"::\", " + VALID + "`|bridge.listenAddress: \"::\" is not valid; write an IPv4 address such as 0.0.0.0",
        "`\"waitStrategy\": \"spin\", " + VALID + "`|bridge.waitStrategy: \"spin\" is not allowed; use one of \"busy-spin\", \"yielding\", \"sleeping\", \"blocking\"",
        "`\"waitStrategy\": \"busy-spin\", \"priorities\": {\"sender\": 70}, " + VALID + "`|bridge.waitStrategy: busy-spin with bridge.priorities.sender 70 would spin at SCHED_FIFO, which the kernel throttles (and starves the core); set the sender priority to 0 or use blocking",
        "`\"priorities\": {\"receiver\": 100}, " + VALID + "`|bridge.priorities.receiver: 100 is out of range; use a whole number from 0 to 99",
        "`\"cpus\": {\"jack\": -2}, " + VALID + "`|bridge.cpus.jack: -2 is out of range; use a whole number from 0 to 8191",
        "`\"cpus\": {\"jak\": 2}, " + VALID + "`|bridge.cpus.jak: unknown key; remove it or use one of jack, sender, receiver",
        "`\"cpus\": {\"Jack\": 2}, " + VALID + "`|bridge.cpus.Jack: unknown key; remove it or correct the spelling to \"jack\"",
        "`\"cpus\": [2], " + VALID + "`|bridge.cpus: [2] is not an object; write it as { ... }",
        "`\"mlockall\": \"yes\", " + VALID + "`|bridge.mlockall: \"yes\" is not a boolean; write true or false without quotes",
        "`\"countersFile\": \"counters.dat\", " + VALID + "`|bridge.countersFile: \"counters.dat\" is not an absolute path; write one such as /dev/shm/netjack-bridge/counters.dat",
        "`\"countersFile\": \"/sys/fs/counters.dat\", " + VALID + "`|bridge.countersFile: \"/sys/fs/counters.dat\" is in the kernel's /proc, /sys or /dev, where the bridge must not create files; write a path such as /dev/shm/netjack-bridge/counters.dat",
        "`\"histogramLog\": \"lat.hlog\", " + VALID + "`|bridge.histogramLog: \"lat.hlog\" is not an absolute path; write one such as /var/lib/netjack-bridge/latency.hlog",
        "`\"controlSocket\": \"/proc/netjack.sock\", " + VALID + "`|bridge.controlSocket: \"/proc/netjack.sock\" is in the kernel's /proc, /sys or /dev, where the bridge must not create files; write a path such as /run/netjack-bridge/control.sock",
        "`\"controlSocket\": \"/run/../sys/x.sock\", " + VALID + "`|bridge.controlSocket: \"/run/../sys/x.sock\" is in the kernel's /proc, /sys or /dev, where the bridge must not create files; write a path such as /run/netjack-bridge/control.sock",
        "`\"controlSocket\": \"/dev/shm/x.sock\", " + VALID + "`|bridge.controlSocket: \"/dev/shm/x.sock\" is in the kernel's /proc, /sys or /dev, where the bridge must not create files; write a path such as /run/netjack-bridge/control.sock",
        "`\"latencyPeriod\": 1, " + VALID + "`|bridge.latencyPeriod: unknown key; remove it or use one of clientName, toVmPorts, fromVmPorts, midiToVmPorts, midiFromVmPorts, midiLongEvents, peerAddresses, listenAddress, port, latencyPeriods, encoder, sendPath, mtu, dscp, sessionPort, maxSessions, jackServer, multicastInterface, multicastGroup, cpus, priorities, waitStrategy, mlockall, countersFile, histogramLog, controlSocket"
    })
    void shouldRejectAnInvalidFieldWithAMessageNamingFieldValueAndFix(final String fields, final String message)
    {
        final InvalidConfigException ex = assertThrows(InvalidConfigException.class,
            () -> BridgeConfig.parse("{\"version\": 1, \"bridge\": {" + fields + "}}"));
        assertEquals(List.of(message), messages(ex));
    }

    static List<String> messages(final InvalidConfigException ex)
    {
        return ex.problems().stream().map(ConfigProblem::toString).toList();
    }

    @Test
    void shouldRejectAWrongVersionAndAMissingBridgeSection()
    {
        final InvalidConfigException ex = assertThrows(InvalidConfigException.class,
            () -> BridgeConfig.parse("{\"version\": 2}"));
        assertEquals(List.of(
            "version: 2 is out of range; use a whole number from 1 to 1",
            "bridge: missing; the file has no bridge section (is custom.vm.dsp.archibaldOS.netjack enabled in the " +
                "NixOS config?)"), messages(ex));
        final InvalidConfigException noVersion = assertThrows(InvalidConfigException.class,
            () -> BridgeConfig.parse("{\"bridge\": {" + VALID + "}}"));
        assertEquals(List.of("version: is missing; add it, set \"version\": 1"), messages(noVersion));
    }

    @Test
    void shouldAcceptTheSmallestBridgeOnlyFileWithItsDefaults() throws Exception
    {
        // The smallest valid file docs/config-format.md shows.
        final BridgeConfig config = BridgeConfig.parse("{ \"version\": 1, \"bridge\": { \"peerAddresses\": " +
            "[\"10.77.0.2\"] } }");
        assertEquals("dsp", config.clientName());
        assertEquals(2, config.toVmPorts());
        assertEquals(2, config.fromVmPorts());
        assertEquals(InetAddress.getByName("0.0.0.0"), config.listenAddress());
        assertEquals(19000, config.port());
        assertEquals(1, config.latencyPeriods());
        assertEquals("float", config.encoder());
        assertEquals(1500, config.mtu());
        assertEquals(null, config.jackServer());
        assertEquals(-1, config.senderCpu());
        assertEquals(0, config.senderPriority());
        assertEquals(WaitStrategy.BLOCKING, config.waitStrategy());
        assertEquals(false, config.mlockall());
        assertEquals(Path.of("/dev/shm/netjack-bridge/counters.dat"), config.countersFile());
        assertEquals(null, config.histogramLog());
        assertEquals(Path.of("/run/netjack-bridge/control.sock"), config.controlSocket());
        assertEquals("server-1", BridgeConfig.parse("{ \"version\": 1, \"bridge\": { \"peerAddresses\": " +
            "[\"10.77.0.2\"], \"jackServer\": \"server-1\" } }").jackServer());
    }

    @Test
    void shouldConcludeAContextSetInCodeWithTheFilesDefaultsAndMessages() throws Exception
    {
        final BridgeConfig fromFile = BridgeConfig.parse("{ \"version\": 1, \"bridge\": { \"peerAddresses\": " +
            "[\"10.77.0.2\"] } }");
        final BridgeConfig inCode = new BridgeConfig().peerAddresses(List.of(InetAddress.getByName("10.77.0.2")))
            .conclude();
        assertEquals(fromFile.describe(), inCode.describe());
        assertEquals(fromFile.countersFile(), inCode.countersFile());
        assertEquals(fromFile.controlSocket(), inCode.controlSocket());
        assertEquals(fromFile.waitStrategy(), inCode.waitStrategy());
        assertThrows(IllegalStateException.class, () -> inCode.port(19001), "a concluded context is frozen");

        final InvalidConfigException ex = assertThrows(InvalidConfigException.class, () -> new BridgeConfig()
            .port(0).latencyPeriods(11).encoder("opus").senderCpu(9000).waitStrategy(WaitStrategy.BUSY_SPIN)
            .senderPriority(70).controlSocket(Path.of("/proc/x.sock")).conclude());
        assertEquals(List.of(
            "bridge.peerAddresses: [] is empty; list the VM's IPv4 address, such as [\"10.77.0.2\"]; packets from " +
                "anyone else are dropped",
            "bridge.port: 0 is out of range; use a whole number from 1 to 65535",
            "bridge.latencyPeriods: 11 is out of range; use a whole number from 0 to 10",
            "bridge.encoder: \"opus\" is not allowed; use one of \"float\", \"int16\"",
            "bridge.cpus.sender: 9000 is out of range; use a whole number from 0 to 8191",
            "bridge.waitStrategy: busy-spin with bridge.priorities.sender 70 would spin at SCHED_FIFO, which the " +
                "kernel throttles (and starves the core); set the sender priority to 0 or use blocking",
            "bridge.controlSocket: \"/proc/x.sock\" is in the kernel's /proc, /sys or /dev, where the bridge must " +
                "not create files; write a path such as /run/netjack-bridge/control.sock"), messages(ex));
    }

    @Test
    void shouldListEveryProblemOfTheFileOnceInOnePass()
    {
        final InvalidConfigException ex = assertThrows(InvalidConfigException.class, () -> BridgeConfig.parse(
            "{\"version\": 1, \"bridge\": {\"peerAddresses\": [\"vm.local\"], \"port\": 0, \"waitStrategy\": " +
            "\"busy-spin\", \"priorities\": {\"sender\": 70}, \"countersFile\": \"/sys/c.dat\"}}"));
        assertEquals(List.of(
            "bridge.peerAddresses[0]: \"vm.local\" is not valid; write an IPv4 address such as 10.77.0.2",
            "bridge.port: 0 is out of range; use a whole number from 1 to 65535",
            "bridge.waitStrategy: busy-spin with bridge.priorities.sender 70 would spin at SCHED_FIFO, which the " +
                "kernel throttles (and starves the core); set the sender priority to 0 or use blocking",
            "bridge.countersFile: \"/sys/c.dat\" is in the kernel's /proc, /sys or /dev, where the bridge must not " +
                "create files; write a path such as /dev/shm/netjack-bridge/counters.dat"), messages(ex));
    }

    @Test
    void shouldPointAtTheLineAndColumnOfBrokenJson()
    {
        final InvalidConfigException ex = assertThrows(InvalidConfigException.class,
            () -> BridgeConfig.parse("{\"version\": 1,\n  \"bridge\": {\"port\": }\n}"));
        assertEquals(1, ex.problems().size());
        final String message = ex.problems().get(0).toString();
        assertEquals(true, message.startsWith("(file): is not valid JSON (") &&
            message.endsWith(" at line 2, column 22); fix the syntax"), message);
    }

    @Test
    @Timeout(60)
    void shouldRefuseACountersFileWhoseDirectoryWouldNeedATreeAndCreateNothing(@TempDir final Path dir)
        throws Exception
    {
        final Path counters = dir.resolve("no/such/dir/counters.dat");
        final BridgeConfig config = BridgeConfig.parse("{\"version\": 1, \"bridge\": {" + VALID +
            ", \"countersFile\": \"" + counters + "\", \"controlSocket\": \"" + dir.resolve("c.sock") + "\"}}");
        final String refusal = "bridge.countersFile: \"" + counters + "\" is in " + counters.getParent() + ", whose " +
            "parent " + dir.resolve("no/such") + " does not exist; the bridge creates only the file's own directory, " +
            "not a tree; fix the path, or create " + counters.getParent() + " for the bridge's user (the NixOS " +
            "module's tmpfiles rule makes /dev/shm/netjack-bridge)";
        assertEquals(List.of(refusal), config.checkHost(null).errors().stream().map(ConfigProblem::toString).toList());
        // Its own directory alone may be missing: the bridge makes that one, as the default's /dev/shm/netjack-bridge.
        assertEquals(List.of(), BridgeConfig.parse("{\"version\": 1, \"bridge\": {" + VALID + ", \"countersFile\": \"" +
            dir.resolve("own/counters.dat") + "\", \"controlSocket\": \"" + dir.resolve("c.sock") + "\"}}")
            .checkHost(null).errors());
        final Path file = dir.resolve("config.json");
        Files.writeString(file, "{\"version\": 1, \"bridge\": {" + VALID + ", \"countersFile\": \"" + counters +
            "\", \"controlSocket\": \"" + dir.resolve("c.sock") + "\"}}");
        for (final String[] args : List.of(new String[]{"run", "--check", "--config", file.toString()},
            new String[]{"run", "--config", file.toString()}))
        {
            final CliRun run = CliRun.execute(args);
            assertEquals(2, run.code(), run.err());
            assertEquals("netjack-bridge: invalid config " + file + ":\n  " + refusal + "\n", run.err());
        }
        assertEquals(false, Files.exists(dir.resolve("no")), "no directory was created");
    }

    @Test
    @Timeout(60)
    void shouldWarnInCheckAboutACpuThatIsNotOnline(@TempDir final Path dir) throws Exception
    {
        final BitSet online = new BitSet();
        online.set(0, 4);
        final BridgeConfig config = BridgeConfig.parse("{\"version\": 1, \"bridge\": {" + VALID +
            ", \"cpus\": {\"jack\": 1, \"sender\": 7}, \"countersFile\": \"" + dir.resolve("c.dat") +
            "\", \"controlSocket\": \"" + dir.resolve("c.sock") + "\"}}");
        final ValidationReport report = config.checkHost(online);
        assertEquals(List.of(), report.errors());
        assertEquals(List.of(new ConfigProblem("bridge.cpus.sender", "CPU 7 is not online on this host (online: " +
            "0-3); run cannot pin the sender thread there and leaves it unpinned; use an online CPU")), report.warnings());

        // Through the command line, against this host's /sys/devices/system/cpu/online: CPU 1023 is on no test host.
        final BitSet hostCpus = CpuList.read(CpuList.ONLINE);
        assertEquals(false, hostCpus == null || hostCpus.get(1023), "this host's online CPUs: " + hostCpus);
        final Path file = dir.resolve("config.json");
        Files.writeString(file, "{\"version\": 1, \"bridge\": {" + VALID + ", \"cpus\": {\"receiver\": 1023}, " +
            "\"countersFile\": \"" + dir.resolve("c.dat") + "\", \"controlSocket\": \"" + dir.resolve("c.sock") + "\"}}");
        final CliRun check = CliRun.execute("run", "--check", "--config", file.toString());
        assertEquals(0, check.code(), check.err());
        assertEquals("netjack-bridge: warning: bridge.cpus.receiver: CPU 1023 is not online on this host (online: " +
            CpuList.format(hostCpus) + "); run cannot pin the receiver thread there and leaves it unpinned; use an " +
            "online CPU\n", check.err());
    }

    @Test
    @Timeout(60)
    void shouldRefuseARepeatedKeyAndAHostileNestingWithAMessageNotAStackTrace(@TempDir final Path dir) throws Exception
    {
        final Path repeated = Files.writeString(dir.resolve("repeated.json"), "{\"version\": 1, \"bridge\": {" + VALID +
            ", \"port\": 19000, \"port\": 19001}}");
        final CliRun twice = CliRun.execute("run", "--check", "--config", repeated.toString());
        assertEquals(2, twice.code());
        assertEquals("netjack-bridge: invalid config " + repeated + ":\n  bridge.port: appears twice in the same " +
            "object (at line 1, column 80); keep one (readers disagree on which copy wins)\n", twice.err());

        final Path deep = Files.writeString(dir.resolve("deep.json"), "[".repeat(100_000));
        final CliRun nested = CliRun.execute("run", "--check", "--config", deep.toString());
        assertEquals(2, nested.code());
        assertEquals("netjack-bridge: invalid config " + deep + ":\n  (file): nests arrays and objects deeper than 32 " +
            "levels (at line 1, column 34); the format nests 5 deep at most (guests[0].portForwards[0].host); fix the " +
            "syntax\n", nested.err());
    }

    @Test
    @Timeout(60)
    void shouldExitWithCode2AndStartNothingForAnInvalidConfig(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("config.json");
        final Path counters = dir.resolve("counters.dat");
        Files.writeString(file, "{\"version\": 1, \"bridge\": {\"latencyPeriods\": 99, \"peerAddresses\": " +
            "[\"10.77.0.2\"], \"countersFile\": \"" + counters + "\"}}");
        final PrintStream originalErr = System.err;
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true));
        final int code;
        try
        {
            code = BridgeMain.execute("run", "--config", file.toString());
        }
        finally
        {
            System.setErr(originalErr);
        }
        assertEquals(2, code);
        assertEquals("netjack-bridge: invalid config " + file + ":\n  bridge.latencyPeriods: 99 is out of range; use " +
            "a whole number from 0 to 10\n", err.toString());
        assertEquals(false, Files.exists(counters), "nothing was started: no counters file");
    }
    @Test
    @Timeout(60)
    void shouldValidateDscpAndSessionPortAndShowThemInCheck(@TempDir final Path dir) throws Exception
    {
        final BridgeConfig defaults = BridgeConfig.parse("{\"version\": 1, \"bridge\": {" + VALID + "}}");
        assertEquals(34, defaults.dscp(), "AF41, as PipeWire marks");
        assertEquals(0, defaults.sessionPort(), "ephemeral, as JACK2's master");
        assertEquals(new UdpSockets(34, 0), defaults.udpSockets());
        final BridgeConfig set = BridgeConfig.parse("{\"version\": 1, \"bridge\": {" + VALID +
            ", \"dscp\": 0, \"sessionPort\": 19001}}");
        assertEquals(new UdpSockets(0, 19001), set.udpSockets());
        assertEquals(0, BridgeConfig.parse("{\"version\": 1, \"bridge\": {" + VALID + ", \"sessionPort\": null}}")
            .sessionPort(), "null is the default: an ephemeral port");

        InvalidConfigException ex = assertThrows(InvalidConfigException.class, () -> BridgeConfig.parse(
            "{\"version\": 1, \"bridge\": {" + VALID + ", \"dscp\": 64, \"sessionPort\": 0}}"));
        assertEquals(List.of("bridge.dscp: 64 is out of range; use a whole number from 0 to 63",
            "bridge.sessionPort: 0 is out of range; use a whole number from 1 to 65535"), messages(ex));
        ex = assertThrows(InvalidConfigException.class, () -> BridgeConfig.parse(
            "{\"version\": 1, \"bridge\": {" + VALID + ", \"dscp\": -1, \"port\": 19005, \"sessionPort\": 19005}}"));
        assertEquals(List.of("bridge.dscp: -1 is out of range; use a whole number from 0 to 63",
            "bridge.sessionPort: 19005 is also bridge.port; use another port, or null for an ephemeral port per " +
                "session (a session socket on the announce port would take the slave's re-announces)"), messages(ex));

        final Path file = dir.resolve("config.json");
        Files.writeString(file, "{\"version\": 1, \"bridge\": {" + VALID + ", \"sessionPort\": 19001, " +
            "\"countersFile\": \"" + dir.resolve("c.dat") + "\", \"controlSocket\": \"" + dir.resolve("c.sock") + "\"}}");
        final CliRun check = CliRun.execute("run", "--check", "--config", file.toString());
        final int code = check.code();
        final String out = check.out();
        assertEquals(0, code);
        assertEquals(true, out.toString().startsWith("config OK: {") &&
            out.toString().contains(", port=19000, sessionPort=19001, dscp=34 (IP TOS 0x88), "), out.toString());
    }

    /**
     * bridge.maxSessions: 1 by default (one slave per bridge, as JACK2's netmanager serves one
     * master per slave), shown in --check; checked in code too, with the same words.
     */
    @Test
    @Timeout(60)
    void shouldDefaultToOneSessionAndShowItInCheck(@TempDir final Path dir) throws Exception
    {
        assertEquals(1, BridgeConfig.parse("{\"version\": 1, \"bridge\": {" + VALID + "}}").maxSessions());
        assertEquals(1, BridgeConfig.parse("{\"version\": 1, \"bridge\": {" + VALID + ", \"maxSessions\": null}}")
            .maxSessions(), "null is the default");
        assertEquals(BridgeConfig.MAX_SESSIONS, BridgeConfig.parse("{\"version\": 1, \"bridge\": {" + VALID +
            ", \"maxSessions\": " + BridgeConfig.MAX_SESSIONS + "}}").maxSessions());
        assertEquals(List.of("bridge.maxSessions"), new BridgeConfig().peerAddresses(List.of(InetAddress.getByName(
            "10.77.0.2"))).maxSessions(BridgeConfig.MAX_SESSIONS + 1).check().stream().map((p) -> p.path()).toList());

        final Path file = dir.resolve("config.json");
        Files.writeString(file, "{\"version\": 1, \"bridge\": {" + VALID + ", \"maxSessions\": 1, " +
            "\"countersFile\": \"" + dir.resolve("c.dat") + "\", \"controlSocket\": \"" + dir.resolve("c.sock") + "\"}}");
        final CliRun check = CliRun.execute("run", "--check", "--config", file.toString());
        final int code = check.code();
        final String out = check.out();
        assertEquals(0, code);
        assertEquals(true, out.toString().contains(", dscp=34 (IP TOS 0x88), maxSessions=1, latencyPeriods=1, "),
            out.toString());
    }

    /**
     * bridge.sendPath: "auto" by default (the bridge chooses per L), "period" or "sender" on
     * request; anything else is refused with the field and the allowed values; --check says what
     * auto means at the configured L.
     */
    @Test
    @Timeout(60)
    void shouldChooseTheSendPathPerLByDefaultAndShowItInCheck(@TempDir final Path dir) throws Exception
    {
        assertEquals("auto", BridgeConfig.parse("{\"version\": 1, \"bridge\": {" + VALID + "}}").sendPath());
        assertEquals(null, BridgeConfig.parse("{\"version\": 1, \"bridge\": {" + VALID + "}}").resolvedSendPath());
        assertEquals(org.oligarchy.vmm.bridge.engine.SendPath.PERIOD_THREAD, BridgeConfig.parse(
            "{\"version\": 1, \"bridge\": {" + VALID + ", \"sendPath\": \"period\"}}").resolvedSendPath());
        assertEquals(org.oligarchy.vmm.bridge.engine.SendPath.SENDER_THREAD, BridgeConfig.parse(
            "{\"version\": 1, \"bridge\": {" + VALID + ", \"sendPath\": \"sender\"}}").resolvedSendPath());
        final InvalidConfigException ex = assertThrows(InvalidConfigException.class, () -> BridgeConfig.parse(
            "{\"version\": 1, \"bridge\": {" + VALID + ", \"sendPath\": \"jack\"}}"));
        assertEquals(List.of("bridge.sendPath: \"jack\" is not allowed; use one of \"auto\", \"period\", \"sender\""),
            messages(ex));
        final Path file = dir.resolve("auto.json");
        Files.writeString(file, "{\"version\": 1, \"bridge\": {" + VALID + ", \"countersFile\": \"" +
            dir.resolve("c.dat") + "\", \"controlSocket\": \"" + dir.resolve("c.sock") + "\"}}");
        final CliRun check = CliRun.execute("run", "--check", "--config", file.toString());
        final int code = check.code();
        final String out = check.out();
        assertEquals(0, code, out.toString());
        assertEquals(true, out.toString().contains("sendPath=auto (at L = 1: the nj-sender thread sends; "),
            out.toString());
    }

    /**
     * bridge.midiLongEvents: "drop" by default (JACK2 corrupts MIDI events over 4 bytes), "send"
     * on request; anything else is refused with the field and the allowed values, in code too;
     * --check shows it. The slave's --midi-long-events refuses other words the same way.
     */
    @Test
    @Timeout(60)
    void shouldDropLongMidiEventsByDefaultSendThemOnRequestAndShowItInCheck(@TempDir final Path dir) throws Exception
    {
        assertEquals(org.oligarchy.vmm.bridge.netjack.MidiLongEvents.DROP,
            BridgeConfig.parse("{\"version\": 1, \"bridge\": {" + VALID + "}}").midiLongEvents());
        assertEquals(org.oligarchy.vmm.bridge.netjack.MidiLongEvents.SEND, BridgeConfig.parse(
            "{\"version\": 1, \"bridge\": {" + VALID + ", \"midiLongEvents\": \"send\"}}").midiLongEvents());
        InvalidConfigException ex = assertThrows(InvalidConfigException.class, () -> BridgeConfig.parse(
            "{\"version\": 1, \"bridge\": {" + VALID + ", \"midiLongEvents\": \"keep\"}}"));
        assertEquals(List.of("bridge.midiLongEvents: \"keep\" is not allowed; use one of \"drop\", \"send\""),
            messages(ex));
        ex = assertThrows(InvalidConfigException.class, () -> BridgeConfig.parse(
            "{\"version\": 1, \"bridge\": {" + VALID + ", \"midiLongEvents\": true}}"));
        assertEquals(List.of("bridge.midiLongEvents: true is not allowed; use one of \"drop\", \"send\""),
            messages(ex));
        assertEquals(List.of("bridge.midiLongEvents: is missing; use " +
            org.oligarchy.vmm.bridge.netjack.MidiLongEvents.ALLOWED), new BridgeConfig().peerAddresses(List.of(
                InetAddress.getByName("10.77.0.2"))).midiLongEvents(null).check().stream().map(ConfigProblem::toString)
            .toList());

        for (final String value : new String[] {"drop", "send"})
        {
            final Path file = dir.resolve(value + ".json");
            Files.writeString(file, "{\"version\": 1, \"bridge\": {" + VALID + ", \"midiLongEvents\": \"" + value +
                "\", \"countersFile\": \"" + dir.resolve("c.dat") + "\", \"controlSocket\": \"" +
                dir.resolve("c.sock") + "\"}}");
            final CliRun check = CliRun.execute("run", "--check", "--config", file.toString());
            final int code = check.code();
            final String out = check.out();
            assertEquals(0, code);
            assertEquals(true, out.toString().contains(", midiFromVmPorts=0, midiLongEvents=" + value + " ("),
                out.toString());
        }

        final PrintStream originalErr = System.err;
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true));
        final int code;
        try
        {
            code = BridgeMain.execute("slave", "--master", "127.0.0.1:19000", "--loopback", "--midi-long-events",
                "keep");
        }
        finally
        {
            System.setErr(originalErr);
        }
        assertEquals(2, code);
        assertEquals("netjack-bridge: --midi-long-events must be " +
            org.oligarchy.vmm.bridge.netjack.MidiLongEvents.ALLOWED + ", got keep", err.toString().trim());
    }
}

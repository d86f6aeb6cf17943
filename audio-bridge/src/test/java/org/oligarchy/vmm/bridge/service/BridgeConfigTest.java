package org.oligarchy.vmm.bridge.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.oligarchy.vmm.bridge.cli.BridgeMain;
import org.oligarchy.vmm.bridge.engine.WaitStrategy;

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
            "\"controlSocket\": \"/run/netjack-bridge/control.sock\"}}", "example");
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
        "`\"toVmPorts\": 0, " + VALID + "`|bridge.toVmPorts: is 0, must be an integer 1..64 (the number of JACK ports whose audio goes to the VM)",
        "`\"toVmPorts\": \"two\", " + VALID + "`|bridge.toVmPorts: is \"two\", must be an integer 1..64 (the number of JACK ports whose audio goes to the VM)",
        "`\"fromVmPorts\": 65, " + VALID + "`|bridge.fromVmPorts: is 65, must be an integer 1..64 (the number of JACK ports the VM's audio returns on)",
        "`\"midiToVmPorts\": 1, " + VALID + "`|bridge.midiToVmPorts: is 1, must be an integer equal to 0 (MIDI through the host bridge is not implemented yet (the protocol library has it); set 0)",
        "`\"latencyPeriods\": 11, " + VALID + "`|bridge.latencyPeriods: is 11, must be an integer 0..10 (periods between sending a block and playing its return; 1 is the usual choice, 0 only on an idle host)",
        "`\"latencyPeriods\": -1, " + VALID + "`|bridge.latencyPeriods: is -1, must be an integer 0..10 (periods between sending a block and playing its return; 1 is the usual choice, 0 only on an idle host)",
        "`\"port\": 70000, " + VALID + "`|bridge.port: is 70000, must be an integer 1..65535 (the UDP port the VM's slave announces to)",
        "`\"mtu\": 100, " + VALID + "`|bridge.mtu: is 100, must be an integer 576..9000 (the largest MTU accepted from the slave)",
        "`\"encoder\": \"opus\", " + VALID + "`|bridge.encoder: \"opus\" is not supported; use \"float\" or \"int16\"",
        "`\"clientName\": \"a:b\", " + VALID + "`|bridge.clientName: \"a:b\" must be 1..63 characters without ':' (it becomes the JACK client name, e.g. dsp:to_vm_1)",
        "`\"clientName\": 5, " + VALID + "`|bridge.clientName: is 5, must be a string",
        "`\"peerAddresses\": []`|bridge.peerAddresses: missing or empty; list the DSP VM's IPv4 address (for example [\"10.77.0.2\"]): packets from any other address are dropped",
        "`\"peerAddresses\": [\"vm.local\"]`|bridge.peerAddresses[0]: \"vm.local\" is not an IPv4 address like 10.77.0.2",
        "`\"peerAddresses\": [\"10.0.0.300\"]`|bridge.peerAddresses[0]: \"10.0.0.300\" is not an IPv4 address like 10.77.0.2",
        "`\"peerAddresses\": \"10.77.0.2\"`|bridge.peerAddresses: is \"10.77.0.2\", must be a list of IPv4 addresses",
        "`\"listenAddress\": \"::\", " + VALID + "`|bridge.listenAddress: \"::\" is not an IPv4 address like 10.77.0.1 (NetJack2 is IPv4 only; host names are not resolved)",
        "`\"waitStrategy\": \"spin\", " + VALID + "`|bridge.waitStrategy: \"spin\" is unknown; use busy-spin (isolated cores only), yielding, sleeping or blocking (shared machines)",
        "`\"waitStrategy\": \"busy-spin\", \"priorities\": {\"sender\": 70}, " + VALID + "`|bridge.waitStrategy: busy-spin with bridge.priorities.sender 70 would spin at SCHED_FIFO, which the kernel throttles (and starves the core); set the sender priority to 0 or use blocking",
        "`\"priorities\": {\"receiver\": 100}, " + VALID + "`|bridge.priorities.receiver: is 100, must be an integer 0..99 (0 (none) or a SCHED_FIFO priority 1..99)",
        "`\"cpus\": {\"jack\": -2}, " + VALID + "`|bridge.cpus.jack: is -2, must be an integer 0..1023 (a CPU number)",
        "`\"cpus\": {\"jak\": 2}, " + VALID + "`|bridge.cpus.jak: unknown field; use jack, sender or receiver",
        "`\"cpus\": [2], " + VALID + "`|bridge.cpus: is [2], must be an object",
        "`\"mlockall\": \"yes\", " + VALID + "`|bridge.mlockall: is \"yes\", must be true or false",
        "`\"countersFile\": \"counters.dat\", " + VALID + "`|bridge.countersFile: \"counters.dat\" must be an absolute path",
        "`\"histogramLog\": \"lat.hlog\", " + VALID + "`|bridge.histogramLog: \"lat.hlog\" must be an absolute path",
        "`\"port\": 0, " + VALID + "`|bridge.port: is 0, must be an integer 1..65535 (the UDP port the VM's slave announces to)",
        "`\"latencyPeriod\": 1, " + VALID + "`|bridge.latencyPeriod: unknown field; remove it or fix its spelling (known: clientName, controlSocket, countersFile, cpus, encoder, fromVmPorts, histogramLog, jackServer, latencyPeriods, listenAddress, midiFromVmPorts, midiToVmPorts, mlockall, mtu, peerAddresses, port, priorities, toVmPorts, waitStrategy)"
    })
    void shouldRejectAnInvalidFieldWithAMessageNamingFieldValueAndFix(final String fields, final String message)
    {
        final BridgeConfig.InvalidConfigException ex = assertThrows(BridgeConfig.InvalidConfigException.class,
            () -> BridgeConfig.parse("{\"version\": 1, \"bridge\": {" + fields + "}}", "test"));
        assertEquals(List.of(message), ex.problems());
    }

    @Test
    void shouldRejectAWrongVersionAndAMissingBridgeSection()
    {
        final BridgeConfig.InvalidConfigException ex = assertThrows(BridgeConfig.InvalidConfigException.class,
            () -> BridgeConfig.parse("{\"version\": 2}", "test"));
        assertEquals(List.of(
            "version: is 2, must be 1 (the config format this bridge reads)",
            "bridge: missing; the file has no bridge section (is custom.vm.dsp.archibaldOS.netjack enabled in the " +
                "NixOS config?)"), ex.problems());
    }

    @Test
    void shouldPointAtTheLineAndColumnOfBrokenJson()
    {
        final BridgeConfig.InvalidConfigException ex = assertThrows(BridgeConfig.InvalidConfigException.class,
            () -> BridgeConfig.parse("{\"version\": 1,\n  \"bridge\": {\"port\": }\n}", "test.json"));
        assertEquals(1, ex.problems().size());
        assertEquals(true, ex.problems().get(0).startsWith("test.json: not valid JSON at line 2, column 22"),
            ex.problems().get(0));
    }

    @Test
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
        assertEquals("netjack-bridge: invalid config " + file + ":\n  bridge.latencyPeriods: is 99, must be an " +
            "integer 0..10 (periods between sending a block and playing its return; 1 is the usual choice, 0 only " +
            "on an idle host)\n", err.toString());
        assertEquals(false, Files.exists(counters), "nothing was started: no counters file");
    }
}

package org.oligarchy.vmm.bridge.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.config.ConfigProblem;
import org.oligarchy.vmm.config.InvalidConfigException;

/**
 * The bridge refuses a bad bridge section with the words the NixOS module prints for it
 * ({@code native-config/lib/validate.nix}, {@code bridgeErrors}): each case is checked by the
 * real {@code nix-instantiate} and by {@link BridgeConfig}, and the two lists must be equal.
 * Only rules both sides share are here (Nix allows priorities 1 … 98, the bridge 0 (none) … 99).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
final class BridgeNixMessagesTest
{
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** A full bridge section as the module renders it (every key present), valid for both. */
    private static final String BASE = "{\"clientName\": \"dsp\", \"toVmPorts\": 2, \"fromVmPorts\": 2, " +
        "\"midiToVmPorts\": 0, \"midiFromVmPorts\": 0, \"peerAddresses\": [\"10.77.0.2\"], \"listenAddress\": " +
        "\"0.0.0.0\", \"port\": 19000, \"latencyPeriods\": 1, \"encoder\": \"float\", \"mtu\": 1500, " +
        "\"dscp\": 34, \"sessionPort\": null, " +
        "\"jackServer\": null, \"cpus\": {\"jack\": null, \"sender\": null, \"receiver\": null}, \"priorities\": " +
        "{\"sender\": 70, \"receiver\": 70}, \"waitStrategy\": \"blocking\", \"mlockall\": true, \"countersFile\": " +
        "\"/dev/shm/netjack-bridge/counters.dat\", \"histogramLog\": null, \"controlSocket\": " +
        "\"/run/netjack-bridge/control.sock\"}";
    private static final String[] CASES = {
        "{\"port\": 0, \"mtu\": 9001, \"waitStrategy\": \"spin\"}",
        "{\"port\": 65536, \"latencyPeriods\": 11, \"encoder\": \"opus\"}",
        "{\"toVmPorts\": 0, \"fromVmPorts\": 65, \"mtu\": 575}",
        "{\"toVmPorts\": \"two\", \"latencyPeriods\": -1}",
        "{\"peerAddresses\": []}",
        "{\"peerAddresses\": [\"vm.local\", \"10.0.0.300\", \"10.77.0.2\"], \"listenAddress\": \"::\"}",
        "{\"cpus\": {\"jack\": -1, \"sender\": 3, \"receiver\": null}}",
        "{\"dscp\": 64, \"sessionPort\": 0}",
        "{\"dscp\": -1, \"sessionPort\": 19000}",
        "{\"dscp\": \"ef\", \"sessionPort\": 65536}",
        "{\"maxSessions\": 0}",
        "{\"maxSessions\": 9}",
        "{\"maxSessions\": \"one\"}",
        "{\"midiLongEvents\": \"keep\"}",
        "{\"sendPath\": \"jack\"}",
        "{\"sendPath\": 0}",
        "{\"midiLongEvents\": 1, \"maxSessions\": 2}",
    };

    @TempDir
    Path tmp;

    @Test
    void shouldRefuseABadBridgeSectionWithTheWordsOfTheNixosModule() throws Exception
    {
        final List<String> docs = new ArrayList<>();
        for (final String change : CASES)
        {
            final ObjectNode bridge = (ObjectNode)MAPPER.readTree(BASE);
            bridge.setAll((ObjectNode)MAPPER.readTree(change));
            docs.add(bridge.toString());
        }
        final Path file = tmp.resolve("cases.json");
        Files.writeString(file, MAPPER.writeValueAsString(docs), StandardCharsets.UTF_8);
        final JsonNode nix = MAPPER.readTree(nixEval("let v = (import " + nativeConfig().resolve("lib") +
            ").validate; in map (d: v.bridgeErrors (builtins.fromJSON d)) (builtins.fromJSON (builtins.readFile " +
            file + "))"));
        assertEquals(CASES.length, nix.size(), nix.toString());
        for (int i = 0; i < CASES.length; i++)
        {
            final String doc = "{\"version\": 1, \"bridge\": " + docs.get(i) + "}";
            final List<String> java = assertThrows(InvalidConfigException.class, () -> BridgeConfig.parse(doc))
                .problems().stream().map(ConfigProblem::toString).sorted().toList();
            final List<String> expected = new ArrayList<>();
            nix.get(i).forEach((message) -> expected.add(message.textValue()));
            assertEquals(expected.stream().sorted().toList(), java, CASES[i]);
        }
    }

    @Test
    void shouldAcceptTheFullSectionBothWays() throws Exception
    {
        final Path file = tmp.resolve("base.json");
        Files.writeString(file, BASE, StandardCharsets.UTF_8);
        assertEquals("[]", nixEval("(import " + nativeConfig().resolve("lib") + ").validate.bridgeErrors " +
            "(builtins.fromJSON (builtins.readFile " + file + "))").strip());
        assertEquals(19000, BridgeConfig.parse("{\"version\": 1, \"bridge\": " + BASE + "}").port());
    }

    private String nixEval(final String expr) throws Exception
    {
        final Path state = tmp.resolve("nix-state");
        Files.createDirectories(state);
        final Process process = new ProcessBuilder("env", "NIX_STATE_DIR=" + state, "NIX_LOG_DIR=" + state.resolve("log"),
            "nix-instantiate", "--readonly-mode", "--eval", "--strict", "--json", "-E", expr)
            .redirectError(tmp.resolve("nix.err").toFile()).start();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
        }
        assertEquals(0, process.exitValue(), "nix-instantiate: " + Files.readString(tmp.resolve("nix.err")));
        return out;
    }

    /** native-config/ of this checkout, found from the working directory (a module or the root). */
    private static Path nativeConfig() throws IOException
    {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent())
        {
            final Path candidate = dir.resolve("native-config");
            if (Files.isRegularFile(candidate.resolve("lib/validate.nix")))
            {
                return candidate;
            }
        }
        throw new IOException("native-config/lib/validate.nix not found above " + Path.of("").toAbsolutePath());
    }
}

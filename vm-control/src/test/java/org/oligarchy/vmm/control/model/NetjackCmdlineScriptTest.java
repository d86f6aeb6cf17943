package org.oligarchy.vmm.control.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The guest half of "the guest learns its NetJack2 parameters from vmctl": the NixOS guest
 * module's {@code native-config/modules/netjack-cmdline.sh} run, as its systemd unit runs it,
 * against sample kernel command lines ({@code src/test/resources/netjack-cmdline/}), the valid
 * one being exactly what {@link GuestKernelParams} writes. The jackd it starts is a recorder
 * that prints its argv, so each test asserts the exact argv and every line the script logs.
 * Both POSIX shells the script must run under (dash, and bash as pkgs.writeShellScript runs it).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NetjackCmdlineScriptTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String P = "netjack-cmdline: ";
    /** The argv the module builds from its defaults (lib/guest.nix jackdArgs), after the binary. */
    private static final List<String> STATIC_ARGS = List.of("--name", "default", "--realtime",
        "--realtime-priority", "70", "--sync", "-d", "net", "-a", "10.77.0.1", "-p", "19000", "-M", "1500",
        "-C", "2", "-P", "2", "-i", "0", "-o", "0", "-n", "dsp-vm", "-l", "1");
    private static final String ALL_STATIC = P + "jackd -d net: master=10.77.0.1 (module), port=19000 (module), " +
        "capture=2 (module), playback=2 (module), name=dsp-vm (module), latency=1 (module)";

    @TempDir
    Path tmp;

    @Test
    void shouldHaveTheValidSampleBeExactlyWhatVmctlAppends() throws Exception
    {
        final DspVmConfig vm = ConfigParser.parse("""
            { "version": 1, "dsp": { "name": "dsp2", "isolatedCores": [1], "memoryMB": 256,
              "kernel": "/var/cache/test-guest/vmlinuz", "initrd": "/var/cache/test-guest/initrd.img",
              "kernelParams": ["console=ttyS0", "panic=-1"],
              "netjack": { "sourcePort": 19100, "bufferSize": 1024, "sampleRate": 48000, "channels": 4, "latency": 2,
                "vmAddress": "10.77.0.10", "hostAddress": "10.77.0.9" },
              "network": { "type": "tap", "tap": "dsptap0", "mac": "52:54:00:d5:00:01" } } }
            """).dsp();

        assertEquals(Files.readString(sample("valid")).strip(), GuestKernelParams.commandLine(vm));
    }

    @ParameterizedTest
    @ValueSource(strings = {"dash", "bash"})
    void shouldTakeEveryWordVmctlWritesOverTheModulesValues(final String shell) throws Exception
    {
        final Result result = jackd(shell, sample("valid"));

        assertEquals(0, result.exitCode(), result.stderr());
        assertEquals(argv("--name", "default", "--realtime", "--realtime-priority", "70", "--sync", "-d", "net",
            "-a", "10.77.0.9", "-p", "19100", "-M", "1500", "-C", "4", "-P", "4", "-i", "0", "-o", "0",
            "-n", "dsp2", "-l", "2"), result.stdoutLines());
        assertEquals(List.of(firewall(19100), P + "jackd -d net: master=10.77.0.9 (kernel command line), port=19100 (kernel command line), " +
            "capture=4 (kernel command line), playback=4 (kernel command line), name=dsp2 (kernel command line), " +
            "latency=2 (kernel command line), rate=48000 (kernel command line; the master imposes it), " +
            "period=1024 (kernel command line; the master imposes it)"), result.stderrLines());
    }

    @ParameterizedTest
    @ValueSource(strings = {"dash", "bash"})
    void shouldKeepTheModulesValueForEveryBadWordAndNameTheFix(final String shell) throws Exception
    {
        final Result result = jackd(shell, sample("bad"));

        assertEquals(0, result.exitCode(), result.stderr());
        assertEquals(argv(STATIC_ARGS.toArray(String[]::new)), result.stdoutLines());
        final String vmctl = " in vmctl's configuration";
        assertEquals(List.of(
            P + "ignoring netjack.mtu=9000 on the kernel command line: vmctl writes only " +
                "netjack.{master,port,ip,capture,playback,latency,rate,period,name}; drop the word from the boot entry",
            P + "ignoring netjack.port on the kernel command line: it has no value; write netjack.port=VALUE",
            P + "ignoring netjack.master=10.77.0.256 on the kernel command line: it is not an IPv4 address such as " +
                "10.77.0.1; fix dsp.netjack.hostAddress" + vmctl + "; using the module's master=10.77.0.1",
            P + "ignoring netjack.port=70000 on the kernel command line: it is not a UDP port 1-65535; " +
                "fix dsp.netjack.sourcePort" + vmctl + "; using the module's port=19000",
            P + "ignoring netjack.capture=0 on the kernel command line: it is not a channel count 1-64; " +
                "fix dsp.netjack.channels" + vmctl + "; using the module's capture=2",
            P + "ignoring netjack.playback=65 on the kernel command line: it is not a channel count 1-64; " +
                "fix dsp.netjack.channels" + vmctl + "; using the module's playback=2",
            P + "ignoring netjack.name=a/b on the kernel command line: it is not a name of 1-63 letters, digits, _ . -; " +
                "fix dsp.name" + vmctl + "; using the module's name=dsp-vm",
            P + "ignoring netjack.latency=011 on the kernel command line: it is not a latency of 0-10 periods; " +
                "fix dsp.netjack.latency" + vmctl + "; using the module's latency=1",
            P + "ignoring netjack.rate=44 on the kernel command line: it is not one of 44100, 48000, 88200, 96000, " +
                "176400, 192000; fix dsp.netjack.sampleRate" + vmctl,
            P + "ignoring netjack.period=100 on the kernel command line: it is not a power of two 16-4096; " +
                "fix dsp.netjack.bufferSize" + vmctl,
            P + "jackd -d net: master=10.77.0.1 (module; the word is invalid), port=19000 (module; the word is invalid), " +
                "capture=2 (module; the word is invalid), playback=2 (module; the word is invalid), " +
                "name=dsp-vm (module; the word is invalid), latency=1 (module; the word is invalid)"),
            result.stderrLines());
    }

    @ParameterizedTest
    @ValueSource(strings = {"dash", "bash"})
    void shouldMixValidWordsBadWordsAndAbsentOnesParameterByParameter(final String shell) throws Exception
    {
        final Result result = jackd(shell, sample("mixed"));

        assertEquals(0, result.exitCode(), result.stderr());
        assertEquals(argv("--name", "default", "--realtime", "--realtime-priority", "70", "--sync", "-d", "net",
            "-a", "10.77.0.1", "-p", "19003", "-M", "1500", "-C", "8", "-P", "2", "-i", "0", "-o", "0",
            "-n", "dsp-vm", "-l", "10"), result.stdoutLines());
        assertEquals(List.of(
            P + "netjack.port appears more than once on the kernel command line; the last one (19003) counts",
            P + "ignoring netjack.master=10.77.0.01 on the kernel command line: it is not an IPv4 address such as " +
                "10.77.0.1; fix dsp.netjack.hostAddress in vmctl's configuration; using the module's master=10.77.0.1",
            P + "ignoring netjack.playback=abc on the kernel command line: it is not a channel count 1-64; " +
                "fix dsp.netjack.channels in vmctl's configuration; using the module's playback=2",
            firewall(19003),
            P + "jackd -d net: master=10.77.0.1 (module; the word is invalid), port=19003 (kernel command line), " +
                "capture=8 (kernel command line), playback=2 (module; the word is invalid), name=dsp-vm (module), " +
                "latency=10 (kernel command line)"),
            result.stderrLines());
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "empty"})
    void shouldRunTheModulesArgvWhenTheCommandLineHasNoNetjackWord(final String sample) throws Exception
    {
        final Result result = jackd("dash", sample(sample));

        assertEquals(0, result.exitCode(), result.stderr());
        assertEquals(argv(STATIC_ARGS.toArray(String[]::new)), result.stdoutLines());
        assertEquals(List.of(ALL_STATIC), result.stderrLines());
    }

    @Test
    void shouldSayItCannotReadTheCommandLineAndRunTheModulesArgv() throws Exception
    {
        final Result result = jackd("dash", tmp.resolve("absent"));

        assertEquals(0, result.exitCode(), result.stderr());
        assertEquals(argv(STATIC_ARGS.toArray(String[]::new)), result.stdoutLines());
        assertEquals(List.of(P + "cannot read " + tmp.resolve("absent") + "; every parameter is the module's", ALL_STATIC),
            result.stderrLines());
    }

    @Test
    void shouldRefuseAnArgvWithoutItsNetPart() throws Exception
    {
        final Result result = run(List.of("dash", script().toString(), "jackd", recorder().toString(), "-d", "dummy"),
            sample("valid"));

        assertEquals(2, result.exitCode());
        assertEquals(List.of(), result.stdoutLines());
        assertEquals(List.of(P + "the jackd argv has no complete `-d net` part; it is the module's to give"),
            result.stderrLines());
    }

    /** Address mode on a real tap in a network namespace of the test's own (root only). */
    @Test
    void shouldGiveTheInterfaceNetjackIpAndAHostRouteToTheMasterFromThatAddress() throws Exception
    {
        assumeRoot();
        final Result result = inNamespace(sample("valid"));

        assertEquals(0, result.exitCode(), result.stderr());
        assertEquals(List.of(P + "dsp0: ip=10.77.0.10 (kernel command line), master=10.77.0.9 (kernel command line)"),
            result.stderrLines());
        assertEquals(List.of("inet 10.77.0.10/24", "10.77.0.0/24 proto kernel scope link src 10.77.0.10",
            "10.77.0.9 scope link src 10.77.0.10"), result.stdoutLines());
    }

    @Test
    void shouldGiveTheInterfaceTheModulesAddressWithoutWords() throws Exception
    {
        assumeRoot();
        final Result result = inNamespace(sample("none"));

        assertEquals(0, result.exitCode(), result.stderr());
        assertEquals(List.of(P + "dsp0: ip=10.77.0.2 (module), master=10.77.0.1 (module)"), result.stderrLines());
        assertEquals(List.of("inet 10.77.0.2/24", "10.77.0.0/24 proto kernel scope link src 10.77.0.2",
            "10.77.0.1 scope link src 10.77.0.2"), result.stdoutLines());
    }

    @Test
    void shouldRefuseAMasterThatIsTheVmsOwnAddressBeforeTouchingTheInterface() throws Exception
    {
        final Path cmdline = tmp.resolve("cmdline");
        Files.writeString(cmdline, "netjack.master=10.77.0.2\n");
        // No interface exists: an `ip` call would fail with a different message.
        final Result result = run(List.of("dash", script().toString(), "address", "nosuchif0", "10.77.0.2", "24",
            "10.77.0.1"), cmdline);

        assertEquals(1, result.exitCode());
        assertEquals(List.of(P + "the VM's address and the master's are both 10.77.0.2 (ip=10.77.0.2 (module), " +
            "master=10.77.0.2 (kernel command line)); the host and the VM need different addresses: " +
            "fix dsp.netjack.vmAddress or dsp.netjack.hostAddress"), result.stderrLines());
    }

    @Test
    void shouldBeShellcheckCleanAsPosixShAndAsBash() throws Exception
    {
        for (final String dialect : List.of("sh", "bash"))
        {
            final Result result;
            try
            {
                result = run(List.of("shellcheck", "-s", dialect, script().toString()), tmp.resolve("unused"));
            }
            catch (final IOException e)
            {
                fail("shellcheck is not installed (Debian package shellcheck, test-deps.txt): " + e.getMessage());
                return;
            }
            assertEquals(0, result.exitCode(), "shellcheck -s " + dialect + ":\n" + result.stdout());
        }
    }

    /** The master sends to the slave's port, so a port other than the module's needs a firewall rule. */
    private static String firewall(final int port)
    {
        return P + "port=" + port + " is not the module's port=19000, the one networking.firewall opens; open " + port +
            " too (networking.firewall.allowedUDPPorts) or set custom.archibaldos.dspAudio.port = " + port;
    }

    private Result jackd(final String shell, final Path cmdline) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of(shell, script().toString(), "jackd", recorder().toString()));
        command.addAll(STATIC_ARGS);
        return run(command, cmdline);
    }

    /** Prints the tap's address and routes, one per line, with the device names cut out. */
    private Result inNamespace(final Path cmdline) throws Exception
    {
        final String steps = "set -e; ip tuntap add dev dsp0 mode tap; " +
            "dash \"$0\" address dsp0 10.77.0.2 24 10.77.0.1; " +
            "ip -4 -o address show dev dsp0 | sed -E 's/.* (inet [^ ]+) .*/\\1/'; " +
            "ip -4 route show dev dsp0 | sed -E 's/ +linkdown//; s/ +$//'";
        return run(List.of("unshare", "--net", "sh", "-c", steps, script().toString()), cmdline);
    }

    private static void assumeRoot() throws IOException
    {
        final boolean root = Files.readAllLines(Path.of("/proc/self/status")).stream()
            .anyMatch((line) -> line.matches("Uid:\\s+0\\s.*"));
        assumeTrue(root, "a network namespace with a tap needs root");
    }

    private List<String> argv(final String... args) throws IOException
    {
        final List<String> all = new ArrayList<>(List.of(recorder().toString()));
        all.addAll(List.of(args));
        return all;
    }

    /** The jackd the script execs: prints its own path and each argument on a line. */
    private Path recorder() throws IOException
    {
        final Path file = tmp.resolve("jackd");
        if (!Files.exists(file))
        {
            Files.writeString(file, "#!/bin/sh\nprintf '%s\\n' \"$0\" \"$@\"\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        }
        return file;
    }

    private static Path sample(final String name) throws URISyntaxException
    {
        return Path.of(NetjackCmdlineScriptTest.class.getResource("/netjack-cmdline/" + name + ".cmdline").toURI());
    }

    /** native-config/modules/netjack-cmdline.sh of this checkout, found from the working directory. */
    private static Path script() throws IOException
    {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent())
        {
            final Path candidate = dir.resolve("native-config/modules/netjack-cmdline.sh");
            if (Files.isRegularFile(candidate))
            {
                return candidate;
            }
        }
        throw new IOException("native-config/modules/netjack-cmdline.sh not found above " + Path.of("").toAbsolutePath());
    }

    private record Result(int exitCode, String stdout, String stderr)
    {
        List<String> stdoutLines()
        {
            return stdout.isEmpty() ? List.of() : stdout.lines().toList();
        }

        List<String> stderrLines()
        {
            return stderr.isEmpty() ? List.of() : stderr.lines().toList();
        }
    }

    /** Runs a process with NETJACK_CMDLINE set; one that outlives the timeout is killed and fails the test. */
    private Result run(final List<String> command, final Path cmdline) throws Exception
    {
        final Path out = Files.createTempFile(tmp, "out", ".txt");
        final Path err = Files.createTempFile(tmp, "err", ".txt");
        final ProcessBuilder builder = new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().put("NETJACK_CMDLINE", cmdline.toString());
        final Process process = builder.start();
        if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
        {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor();
            fail(String.join(" ", command) + " did not finish within " + TIMEOUT);
        }
        return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
    }
}

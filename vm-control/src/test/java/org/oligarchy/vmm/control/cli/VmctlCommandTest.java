package org.oligarchy.vmm.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.control.host.ProcFs;
import org.oligarchy.vmm.control.host.SysfsCpuTopology;
import org.oligarchy.vmm.control.host.SysfsWriter;
import org.oligarchy.vmm.control.model.ConfigParser;
import org.oligarchy.vmm.control.model.CpuTopology;
import org.oligarchy.vmm.control.qemu.DspVmLauncher;
import org.oligarchy.vmm.control.qemu.DspVmSession;
import org.oligarchy.vmm.control.qemu.TestHost;
import org.oligarchy.vmm.control.qemu.StopOutcome;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The vmctl command line, run in-process. */
class VmctlCommandTest
{
    @TempDir
    Path tempDir;

    record Run(int exitCode, String out, String err)
    {
    }

    static Run run(final String... args)
    {
        final CommandLine commandLine = VmctlCommand.commandLine();
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        commandLine.setOut(new PrintWriter(out));
        commandLine.setErr(new PrintWriter(err));
        final int exitCode = commandLine.execute(args);
        return new Run(exitCode, out.toString(), err.toString());
    }

    @Test
    void shouldPrintTheSerialLogWithConsoleLogAndNameTheFixWhenThereIsNone() throws Exception
    {
        final Path state = tempDir.resolve("run");
        final Path config = Files.writeString(tempDir.resolve("config.json"), "{ \"version\": 1, \"dsp\": { " +
            "\"name\": \"dsp\", \"isolatedCores\": [1], \"memoryMB\": 256, \"stateDir\": \"" + state + "\" } }");

        final Run missing = run("console", "dsp", "--config", config.toString(), "--log");

        assertEquals(ExitCodes.FAILED, missing.exitCode());
        assertEquals("vmctl: no serial log at " + state.resolve("serial.log") + "; start dsp first (vmctl start)\n",
            missing.err().replace("\r\n", "\n").lines().filter((l) -> l.startsWith("vmctl:")).findFirst().orElse("") +
                "\n");

        Files.createDirectories(state);
        final byte[] bootLog = "[    0.000000] Linux version 6.1.0\r\nguest: init on 6.1.0\r\n\u00e9\n"
            .getBytes(StandardCharsets.ISO_8859_1);
        Files.write(state.resolve("serial.log"), bootLog);
        final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        final PrintStream original = System.out;
        final Run printed;
        System.setOut(new PrintStream(stdout, true));
        try
        {
            printed = run("console", "dsp", "--config", config.toString(), "--log");
        }
        finally
        {
            System.setOut(original);
        }

        assertEquals(ExitCodes.OK, printed.exitCode(), printed.err());
        org.junit.jupiter.api.Assertions.assertArrayEquals(bootLog, stdout.toByteArray());
    }

    @Test
    void shouldRejectInvalidConfigWithExitCodeAndEveryProblem() throws Exception
    {
        final Path config = Files.writeString(tempDir.resolve("config.json"),
            "{ \"version\": 1, \"dsp\": { \"isolatedCores\": [1], \"memoryMB\": 100, \"firmware\": \"efi\" } }");

        final Run run = run("validate", "--config", config.toString());

        assertEquals(ExitCodes.CONFIG, run.exitCode());
        assertEquals("vmctl: invalid configuration " + config + ":\n" +
            "  dsp.memoryMB: 100 is out of range; use a whole number from 256 to 1048576\n" +
            "  dsp.firmware: \"efi\" is not allowed; use one of \"bios\", \"uefi\"\n", run.err());
    }

    @Test
    void shouldRejectUnknownVmName() throws Exception
    {
        final Path config = Files.writeString(tempDir.resolve("config.json"),
            "{ \"version\": 1, \"guests\": [ { \"name\": \"kali\", \"os\": \"kali\" } ] }");

        final Run run = run("status", "nope", "--config", config.toString());

        assertEquals(ExitCodes.CONFIG, run.exitCode());
        assertEquals("vmctl: no VM named \"nope\" in the configuration; known: kali\n", run.err());
    }

    @Test
    void shouldPrintDoctorJsonAndExitWithWorstStatus() throws Exception
    {
        final Path root = tempDir.resolve("root");
        Files.createDirectories(root.resolve("sys/devices/system/cpu"));
        Files.writeString(root.resolve("sys/devices/system/cpu/online"), "0-1\n");
        Files.writeString(root.resolve("sys/devices/system/cpu/isolated"), "1\n");

        final Run run = run("doctor", "--json", "--root", root.toString(), "--config",
            Files.writeString(tempDir.resolve("c.json"), "{ \"version\": 1 }").toString());

        assertEquals(ExitCodes.FAILED, run.exitCode());
        final JsonNode json = new ObjectMapper().readTree(run.out());
        assertEquals("kvm", json.path("checks").get(0).path("id").asText());
        assertEquals("fail", json.path("checks").get(0).path("status").asText());
        assertEquals("/dev/kvm missing; modules: none", json.path("checks").get(0).path("seen").asText());
        assertEquals("pass", json.path("checks").get(1).path("status").asText());
        assertEquals("/sys/devices/system/cpu/isolated = \"1\"", json.path("checks").get(1).path("seen").asText());
        assertEquals(json.path("checks").size(), json.path("summary").path("pass").asInt() +
            json.path("summary").path("warn").asInt() + json.path("summary").path("fail").asInt());
    }

    @Test
    void shouldPrintQuickemuConfOfGuest() throws Exception
    {
        final Path config = Files.writeString(tempDir.resolve("config.json"),
            "{ \"version\": 1, \"guests\": [ { \"name\": \"kali\", \"os\": \"kali\" } ] }");

        final Run run = run("quickemu-conf", "kali", "--config", config.toString(), "--guests-dir", "/srv/vms");

        assertEquals(0, run.exitCode());
        assertEquals(true, run.out().contains("disk_img=\"/srv/vms/kali/disk.qcow2\"\n"));
        assertEquals(true, run.out().contains("ram=\"2G\"\n"));
    }

    @Test
    @Timeout(60)
    void shouldPrintQuickemuConfOnStdoutOfARealProcess() throws Exception
    {
        // Issue 20: picocli's stdout writer buffers; the conf never reached a real stdout.
        final Path config = Files.writeString(tempDir.resolve("config.json"),
            "{ \"version\": 1, \"guests\": [ { \"name\": \"kali\", \"os\": \"kali\" } ] }");
        final Process vmctl = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"), VmctlCommand.class.getName(), "quickemu-conf", "kali",
            "--config", config.toString(), "--guests-dir", "/srv/vms").start();
        final String out = new String(vmctl.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);

        assertEquals(0, vmctl.waitFor());
        assertEquals(org.oligarchy.vmm.control.quickemu.QuickemuConf.render(
            org.oligarchy.vmm.control.model.ConfigParser.parse(Files.readString(config)).guests().get(0),
            org.oligarchy.vmm.control.quickemu.GuestPaths.under(Path.of("/srv/vms"), "kali")), out);
    }

    @Test
    @Timeout(60)
    void shouldReportRunningVmAsJsonFromQmpAndProc() throws Exception
    {
        final ProcFs fs = ProcFs.host();
        final CpuTopology topology = SysfsCpuTopology.read(fs);
        final List<Integer> isolated = TestHost.isolatedCore(topology);
        assumeTrue(!isolated.isEmpty(), "needs a core to isolate and a housekeeping CPU");
        final Path stateDir = tempDir.resolve("run");
        final Path config = Files.writeString(tempDir.resolve("config.json"), "{ \"version\": 1, \"dsp\": { " +
            "\"name\": \"dsp\", \"isolatedCores\": " + isolated + ", \"memoryMB\": 256, \"stateDir\": \"" +
            stateDir + "\" } }");
        final DspVmSession session = new DspVmLauncher(TestHost.TCG, fs, SysfsWriter.of(fs),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
            .launch(ConfigParser.parse(config).dsp(), topology);
        try
        {
            final Run run = run("status", "--json", "--config", config.toString());

            assertEquals(0, run.exitCode(), run.err());
            final JsonNode vm = new ObjectMapper().readTree(run.out()).path("vms").get(0);
            assertEquals("dsp", vm.path("name").asText());
            assertEquals(session.vm().process().pid(), vm.path("pid").asLong());
            assertEquals("running", vm.path("state").asText());
            final JsonNode vcpu = vm.path("vcpus").get(0);
            assertEquals(session.placements().get(0).vcpu().threadId(), vcpu.path("threadId").asInt());
            assertEquals("CPU 0/TCG", vcpu.path("threadName").asText());
            assertEquals(Integer.toString(isolated.get(0)), vcpu.path("cpusAllowed").asText());
            assertEquals(isolated.size(), vm.path("vcpus").size());
            assertEquals(session.placements().get(0).fifoErrno() == 0 ? "SCHED_FIFO" : "SCHED_OTHER",
                vcpu.path("policy").asText());
            assertEquals(stateDir.resolve("serial.sock").toString(), vm.path("serialSocket").asText());

            final Run stop = run("stop", "--config", config.toString(), "--powerdown-timeout-seconds", "1");
            assertEquals(0, stop.exitCode(), stop.err());
            assertEquals("dsp: QUIT_AFTER_POWERDOWN_TIMEOUT\n", stop.out());
            assertEquals(StopOutcome.ALREADY_STOPPED, session.stop(0, 10_000));

            final Run after = run("status", "dsp", "--config", config.toString());
            assertEquals(1, after.exitCode());
            assertEquals(List.of("=== VM dsp ===", "state:     stopped"), after.out().lines().limit(2).toList());
        }
        finally
        {
            session.vm().close();
        }
    }
}

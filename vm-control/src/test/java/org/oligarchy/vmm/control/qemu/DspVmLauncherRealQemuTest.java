package org.oligarchy.vmm.control.qemu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.control.host.ProcFs;
import org.oligarchy.vmm.control.host.SysfsCpuTopology;
import org.oligarchy.vmm.control.host.SysfsWriter;
import org.oligarchy.vmm.control.host.ThreadScheduler;
import org.oligarchy.vmm.control.model.AudioDeviceConfig;
import org.oligarchy.vmm.control.model.CpuTopology;
import org.oligarchy.vmm.control.model.DspVmConfig;
import org.oligarchy.vmm.control.model.Firmware;
import org.oligarchy.vmm.control.model.HugepagesConfig;
import org.oligarchy.vmm.control.model.NetjackConfig;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Launches a real {@code qemu-system-x86_64} (TCG here) from a DSP VM model and checks the whole
 * sequence against what the kernel reports in {@code /proc}.
 */
class DspVmLauncherRealQemuTest
{
    static final long QUIT_TIMEOUT_MILLIS = 10_000;

    @TempDir
    Path tempDir;

    static DspVmConfig dspVm(final Path stateDir, final String diskImage, final List<Integer> isolated)
    {
        return new DspVmConfig(true, "dsp-it", isolated, List.of(), 256, HugepagesConfig.DISABLED,
            diskImage, Firmware.BIOS, null, stateDir.toString(), NetjackConfig.DISABLED, AudioDeviceConfig.DISABLED,
            null);
    }

    @Test
    @Timeout(90)
    void shouldPinVcpuResumeAndQuitAfterPowerdownTimeoutWhenGuestHasNoOs() throws Exception
    {
        final ProcFs fs = ProcFs.host();
        final CpuTopology topology = SysfsCpuTopology.read(fs);
        final List<Integer> isolated = TestHost.isolatedCore(topology);
        assumeTrue(!isolated.isEmpty(), "needs a core to isolate and a housekeeping CPU");
        final List<Integer> housekeeping = TestHost.housekeeping(topology, isolated);
        final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
        final PrintStream log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);
        final DspVmLauncher launcher = new DspVmLauncher(TestHost.TCG, fs, SysfsWriter.of(fs), log);

        final DspVmSession session = launcher.launch(dspVm(tempDir.resolve("run"), null, isolated), topology);
        try
        {
            final RunningVm vm = session.vm();
            final long pid = vm.process().pid();
            assertEquals("running", vm.status());

            final List<String> lines = logBytes.toString(StandardCharsets.UTF_8).lines().toList();
            assertEquals(isolated.size(), session.placements().size());
            final java.util.Set<Long> vcpuTids = new java.util.HashSet<>();
            for (final VcpuPlacement placement : session.placements())
            {
                final int index = placement.vcpu().cpuIndex();
                final int tid = placement.vcpu().threadId();
                vcpuTids.add((long)tid);
                assertEquals(List.of(isolated.get(index)), fs.cpusAllowed(pid, tid).orElseThrow());
                assertEquals("CPU " + index + "/TCG", fs.threadName(pid, tid).orElseThrow());
                final int[] policy = fs.schedPolicy(pid, tid).orElseThrow();
                if (placement.fifoErrno() == 0)
                {
                    assertEquals(ThreadScheduler.SCHED_FIFO, policy[0]);
                    assertEquals(1, policy[1]);
                }
                else
                {
                    assertEquals(ThreadScheduler.SCHED_OTHER, policy[0]);
                    assertTrue(lines.stream().anyMatch((l) -> l.startsWith("WARNING: SCHED_FIFO 1 refused")));
                }
                assertTrue(lines.contains("vcpu " + index + ": TID " + tid + " on CPU " + isolated.get(index) +
                    (placement.fifoErrno() == 0 ? " SCHED_FIFO 1" : " SCHED_OTHER (FIFO refused)")), lines.toString());
            }
            for (final long other : fs.threads(pid))
            {
                if (!vcpuTids.contains(other))
                {
                    assertEquals(housekeeping, fs.cpusAllowed(pid, other).orElseThrow(), "thread " + other);
                    assertEquals(ThreadScheduler.SCHED_OTHER, fs.schedPolicy(pid, other).orElseThrow()[0]);
                }
            }
            assertTrue(lines.contains("qemu: query-kvm enabled=false present=false") ||
                lines.contains("qemu: query-kvm enabled=false present=true"), lines.toString());
            assertTrue(lines.contains("qemu: dsp-it running"), lines.toString());

            // SeaBIOS finds no disk and halts: nothing acts on the ACPI power button, so the stop
            // sequence presses it again every 5 s (QEMU reports each press as POWERDOWN) and falls
            // through to quit once the powerdown timeout expires.
            final StopOutcome outcome = session.stop(11_000, QUIT_TIMEOUT_MILLIS);

            assertEquals(StopOutcome.QUIT_AFTER_POWERDOWN_TIMEOUT, outcome);
            assertFalse(vm.process().isAlive());
            assertTrue(vm.qmp().pendingEvents().stream().filter((e) -> e.name().equals("POWERDOWN")).count() >= 2,
                "pressed again after 5 s (at 0, 5 and 10 s unless the machine stalls): " + vm.qmp().pendingEvents());
        }
        finally
        {
            session.vm().close();
        }
    }

    @Test
    @Timeout(90)
    void shouldStopGracefullyWhenGuestActsOnPowerButton() throws Exception
    {
        final ProcFs fs = ProcFs.host();
        final CpuTopology topology = SysfsCpuTopology.read(fs);
        final List<Integer> isolated = TestHost.isolatedCore(topology);
        assumeTrue(!isolated.isEmpty(), "needs a core to isolate and a housekeeping CPU");
        final Path disk = BootSectorImage.writeRaw(tempDir.resolve("boot.img"));
        final DspVmLauncher launcher = new DspVmLauncher(TestHost.TCG, fs, SysfsWriter.of(fs),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

        final DspVmSession session = launcher.launch(
            dspVm(tempDir.resolve("run"), disk.toString(), isolated), topology);
        try
        {
            final VmRuntimePaths paths = session.vm().paths();
            assertNotNull(SerialLogWait.await(paths.serialLog(), BootSectorImage.BANNER, 30_000));

            final StopOutcome outcome = session.stop(20_000, QUIT_TIMEOUT_MILLIS);

            assertEquals(StopOutcome.GUEST_POWERED_OFF, outcome);
            assertFalse(session.vm().process().isAlive());
        }
        finally
        {
            session.vm().close();
        }
    }
}

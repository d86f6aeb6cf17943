package org.oligarchy.vmm.control.qemu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.control.host.HostSetupException;
import org.oligarchy.vmm.control.host.SysfsFixture;
import org.oligarchy.vmm.control.model.ConfigParser;
import org.oligarchy.vmm.control.model.CpuTopology;
import org.oligarchy.vmm.control.model.DspVmConfig;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The launch stops at preflight, before touching the host, when a blocking check fails (fixture host). */
class DspVmLauncherPreflightTest
{
    @TempDir
    Path root;

    @Test
    void shouldStopAtPreflightWhenMemlockLimitIsTooLow() throws Exception
    {
        final SysfsFixture fixture = new SysfsFixture(root)
            .file("/sys/devices/system/cpu/online", "0-1")
            .file("/sys/devices/system/cpu/isolated", "1")
            .file("/proc/self/limits", "Max locked memory         65536                65536                bytes")
            .file("/proc/self/status", "CapEff:\t0000000000000000");
        final DspVmConfig vm = ConfigParser.parse("{ \"version\": 1, \"dsp\": { \"isolatedCores\": [1], " +
            "\"memoryMB\": 512, \"stateDir\": \"" + root.resolve("run") + "\" } }").dsp();
        final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
        final DspVmLauncher launcher = new DspVmLauncher(LaunchSettings.DEFAULT, fixture.fs(), fixture,
            new PrintStream(logBytes, true, StandardCharsets.UTF_8));

        final HostSetupException ex = assertThrows(HostSetupException.class,
            () -> launcher.launch(vm, CpuTopology.withoutSmt(2)));

        assertEquals("preflight failed: memlock: Max locked memory = 65536 (fix: -overcommit mem-lock=on needs " +
            "805306368 bytes: set LimitMEMLOCK=infinity on the service or grant CAP_IPC_LOCK)", ex.getMessage());
        assertFalse(Files.exists(root.resolve("run")));
        assertEquals(List.of(), fixture.writes);
        assertEquals("preflight FAIL kvm: /dev/kvm missing; modules: none (fix: enable VT-x/AMD-V in the firmware " +
            "and load kvm_intel or kvm_amd; without KVM the VM runs under TCG emulation)",
            logBytes.toString(StandardCharsets.UTF_8).lines().filter((l) -> l.startsWith("preflight FAIL kvm"))
                .findFirst().orElseThrow());
    }
}

package org.oligarchy.vmm.control.model;

import org.oligarchy.vmm.config.ConfigProblem;
import org.oligarchy.vmm.config.ValidationReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ConfigValidatorTest
{
    /** Eight CPUs, SMT on: CPU n and n+4 share a core (as sysfs thread_siblings_list reports it). */
    static final CpuTopology SMT_HOST = new CpuTopology(List.of(0, 1, 2, 3, 4, 5, 6, 7), Map.of(
        0, List.of(0, 4), 1, List.of(1, 5), 2, List.of(2, 6), 3, List.of(3, 7),
        4, List.of(0, 4), 5, List.of(1, 5), 6, List.of(2, 6), 7, List.of(3, 7)));

    static Stream<Arguments> invalidModels()
    {
        return Stream.of(
            Arguments.of(dsp("\"isolatedCores\": [], \"memoryMB\": 512"), CpuTopology.withoutSmt(4),
                "dsp.isolatedCores: [] is empty; list at least one host CPU, one per vCPU, such as [2, 3]"),
            Arguments.of(dsp("\"isolatedCores\": [2, 2], \"memoryMB\": 512"), CpuTopology.withoutSmt(4),
                "dsp.isolatedCores: [2, 2] names CPU 2 twice; list each CPU once (each vCPU gets a CPU of its own)"),
            Arguments.of(dsp("\"isolatedCores\": [5], \"memoryMB\": 512"), CpuTopology.withoutSmt(4),
                "dsp.isolatedCores: CPU 5 is not online on this host (online: 0-3); use CPUs from 0-3"),
            Arguments.of(dsp("\"isolatedCores\": [1, 0], \"memoryMB\": 512"), CpuTopology.withoutSmt(2),
                "dsp.isolatedCores: [1, 0] leaves no housekeeping CPU (online: 0-1); keep at least one online " +
                "CPU out of the list for QEMU's emulator threads, IRQs and the host"),
            Arguments.of(dsp("\"isolatedCores\": [2, 3], \"housekeepingCores\": [0, 3], \"memoryMB\": 512"),
                CpuTopology.withoutSmt(4),
                "dsp.housekeepingCores: [0, 3] shares CPU 3 with dsp.isolatedCores; remove it from one of the two " +
                "lists"),
            Arguments.of(dsp("\"isolatedCores\": [2, 3], \"memoryMB\": 512"), SMT_HOST,
                "dsp.isolatedCores: [2, 3] splits SMT cores: CPUs 6-7 share a core with an isolated CPU; isolate " +
                "whole cores (add them) or turn SMT off"),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"hugepages\": { \"count\": 1000 }"),
                CpuTopology.withoutSmt(4),
                "dsp.hugepages.count: 1000 pages of 2048 KiB = 2000 MiB is less than dsp.memoryMB = 4096; set count " +
                "to at least 2048"),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"hugepages\": { \"pageSizeKB\": 1048576, " +
                "\"count\": 3 }"), CpuTopology.withoutSmt(4),
                "dsp.hugepages.count: 3 pages of 1048576 KiB = 3072 MiB is less than dsp.memoryMB = 4096; set count " +
                "to at least 4"),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 512, \"firmware\": \"uefi\", " + HUGE),
                CpuTopology.withoutSmt(4),
                "dsp.ovmfCode: is missing but dsp.firmware is \"uefi\"; set it to the OVMF code file (OVMF_CODE.fd), " +
                "or use \"bios\" for MBR images such as ArchibaldOS"),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 512, \"network\": { \"type\": \"tap\" }, " + HUGE),
                CpuTopology.withoutSmt(4),
                "dsp.network.tap: is missing but dsp.network.type is \"tap\"; name the tap interface, such as " +
                "\"dsp0\""),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 512, \"netjack\": { \"enable\": true }, " + HUGE),
                CpuTopology.withoutSmt(4),
                "dsp.network: is missing but dsp.netjack.enable is true; add a \"tap\" or \"bridge\" network " +
                "(NetJack2 never runs over slirp)"),
            Arguments.of("{ \"version\": 1, \"guests\": [ { \"name\": \"a\", \"os\": \"arch\" }, " +
                "{ \"name\": \"a\", \"os\": \"kali\" } ] }", CpuTopology.withoutSmt(4),
                "guests[1].name: \"a\" is already used by guests[0]; give each VM its own name"),
            Arguments.of("{ \"version\": 1, \"dsp\": { \"name\": \"dsp\", \"isolatedCores\": [1], \"memoryMB\": 256, " +
                HUGE + " }, \"guests\": [ { \"name\": \"dsp\", \"os\": \"arch\" } ] }", CpuTopology.withoutSmt(4),
                "guests[0].name: \"dsp\" is already used by dsp; give each VM its own name"),
            Arguments.of("{ \"version\": 1, \"guests\": [ " +
                "{ \"name\": \"a\", \"os\": \"arch\", \"portForwards\": [ { \"host\": 2222, \"guest\": 22 } ] }, " +
                "{ \"name\": \"b\", \"os\": \"kali\", \"portForwards\": [ { \"host\": 8080, \"guest\": 80 }, " +
                "{ \"host\": 2222, \"guest\": 22 } ] } ] }", CpuTopology.withoutSmt(4),
                "guests[1].portForwards[1].host: 2222 is already forwarded by guests[0].portForwards[0]; pick " +
                "another host port, such as 2223"),
            Arguments.of("{ \"version\": 1, \"guests\": [ { \"name\": \"a\", \"os\": \"arch\", " +
                "\"network\": { \"type\": \"bridge\" } } ] }", CpuTopology.withoutSmt(4),
                "guests[0].network.bridge: is missing but guests[0].network.type is \"bridge\"; name the host " +
                "bridge, such as \"br0\""),
            Arguments.of("{ \"version\": 1, \"guests\": [ { \"name\": \"a\", \"os\": \"arch\", \"ssh\": true } ] }",
                CpuTopology.withoutSmt(4),
                "guests[0].ssh: is true but no tcp port forward reaches guest port 22; add { \"host\": 2222, " +
                "\"guest\": 22 } to guests[0].portForwards or set ssh to false"));
    }

    static final String HUGE = "\"hugepages\": { \"count\": 1024 }";

    @ParameterizedTest
    @MethodSource("invalidModels")
    void shouldRejectInvalidModelWithExactMessage(final String json, final CpuTopology topology, final String expected)
        throws Exception
    {
        final ValidationReport report = ConfigValidator.validate(ConfigParser.parse(json), topology);

        assertEquals(List.of(expected), report.errors().stream().map(ConfigProblem::toString).toList());
    }

    @Test
    void shouldWarnAboutCpuZeroDisabledHugepagesAndExposedForward() throws Exception
    {
        final VmControlConfig config = ConfigParser.parse("{ \"version\": 1, " +
            "\"dsp\": { \"isolatedCores\": [0], \"memoryMB\": 512 }, \"guests\": [ { \"name\": \"a\", \"os\": " +
            "\"arch\", \"portForwards\": [ { \"host\": 8080, \"guest\": 80, \"address\": \"0.0.0.0\" } ] } ] }");

        final ValidationReport report = ConfigValidator.validate(config, CpuTopology.withoutSmt(2));

        assertEquals(List.of(), report.errors());
        assertEquals(List.of(
            "dsp.isolatedCores: [0] contains CPU 0, the boot CPU, where nohz_full is only half-working; prefer " +
                "other CPUs",
            "dsp.hugepages.enable: false; guest RAM uses ordinary pages, which adds TLB misses and page faults to " +
                "the DSP path; enable hugepages for real-time use",
            "guests[0].portForwards[0].address: \"0.0.0.0\" exposes guest port 80 beyond this host; use " +
                "\"127.0.0.1\" unless that is intended"),
            report.warnings().stream().map(ConfigProblem::toString).toList());
    }

    @Test
    void shouldSuggestAFreeHostPortWhenSshHasNoForward() throws Exception
    {
        // Following the advice literally for a second guest must not produce a duplicate forward.
        final VmControlConfig config = ConfigParser.parse("{ \"version\": 1, \"guests\": [ " +
            "{ \"name\": \"a\", \"os\": \"arch\", \"ssh\": true, \"portForwards\": [ { \"host\": 2222, \"guest\": 22 }, " +
            "{ \"host\": 2223, \"guest\": 80 } ] }, " +
            "{ \"name\": \"b\", \"os\": \"kali\", \"ssh\": true } ] }");

        final ValidationReport report = ConfigValidator.validate(config, CpuTopology.withoutSmt(4));

        assertEquals(List.of("guests[1].ssh: is true but no tcp port forward reaches guest port 22; add " +
                "{ \"host\": 2224, \"guest\": 22 } to guests[1].portForwards or set ssh to false"),
            report.errors().stream().map(ConfigProblem::toString).toList());
    }

    @Test
    void shouldRejectHugepagesPastTheHostsMemory() throws Exception
    {
        final VmControlConfig config = ConfigParser.parse(
            dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"hugepages\": { \"count\": 100000 }"));

        final ValidationReport report = ConfigValidator.validate(config, CpuTopology.withoutSmt(4), OptionalLong.of(32768));

        assertEquals(List.of("dsp.hugepages.count: 100000 pages of 2048 KiB = 200000 MiB is more than this host's " +
                "memory (32768 MiB); set count to 2048, what dsp.memoryMB = 4096 needs"),
            report.errors().stream().map(ConfigProblem::toString).toList());
        assertEquals(List.of(), report.warnings());
    }

    @Test
    void shouldWarnAboutHugepagesPastWhatTheVmUses() throws Exception
    {
        final VmControlConfig config = ConfigParser.parse(
            dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"hugepages\": { \"count\": 100000 }"));

        for (final OptionalLong host : List.of(OptionalLong.empty(), OptionalLong.of(262144)))
        {
            final ValidationReport report = ConfigValidator.validate(config, CpuTopology.withoutSmt(4), host);

            assertEquals(List.of(), report.errors(), "host memory " + host);
            assertEquals(List.of("dsp.hugepages.count: 100000 pages of 2048 KiB = 200000 MiB is more than " +
                    "dsp.memoryMB = 4096 needs; the other 195904 MiB stay reserved and the host cannot use them; " +
                    "set count to 2048"),
                report.warnings().stream().map(ConfigProblem::toString).toList(), "host memory " + host);
        }
    }

    @Test
    void shouldAcceptExactlyThePagesTheVmNeeds() throws Exception
    {
        final VmControlConfig config = ConfigParser.parse(
            dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"hugepages\": { \"count\": 2048 }"));

        final ValidationReport report = ConfigValidator.validate(config, CpuTopology.withoutSmt(4), OptionalLong.of(4096));

        assertEquals(List.of(), report.errors());
        assertEquals(List.of(), report.warnings());
    }

    @Test
    void shouldAcceptWholeSmtCores() throws Exception
    {
        final VmControlConfig config = ConfigParser.parse(
            dsp("\"isolatedCores\": [2, 6], \"memoryMB\": 512, " + HUGE));

        final ValidationReport report = ConfigValidator.validate(config, SMT_HOST);

        assertEquals(List.of(), report.errors());
        assertEquals(List.of(0, 1, 3, 4, 5, 7), config.dsp().effectiveHousekeepingCores(SMT_HOST));
    }

    static Stream<Arguments> invalidBoots()
    {
        final String base = "\"isolatedCores\": [2], \"memoryMB\": 512, " + HUGE + ", ";
        return Stream.of(
            Arguments.of(base + "\"kernel\": \"KERNEL\", \"diskImage\": \"/var/lib/dsp-vm/a.qcow2\"",
                "dsp.kernel: \"KERNEL\" is set together with dsp.diskImage; boot from one source: remove " +
                "dsp.diskImage to boot the kernel directly, or remove dsp.kernel, dsp.initrd and dsp.kernelParams to " +
                "boot the disk"),
            Arguments.of(base + "\"initrd\": \"INITRD\"",
                "dsp.initrd: \"INITRD\" is set but dsp.kernel is missing; add the kernel image (vmlinuz) it belongs " +
                "to, or remove dsp.initrd"),
            Arguments.of(base + "\"kernelParams\": [\"console=ttyS0\"]",
                "dsp.kernelParams: is set but dsp.kernel is missing; add the kernel image (vmlinuz) to boot " +
                "directly, or remove dsp.kernelParams (a disk image's boot loader has its own command line)"),
            Arguments.of(base + "\"kernel\": \"MISSING\"",
                "dsp.kernel: \"MISSING\" is not a file (it does not exist); put the guest kernel (vmlinuz) there " +
                "or correct the path (vm-control/guest/build-test-guest.sh builds a test guest)"),
            Arguments.of(base + "\"kernel\": \"KERNEL\", \"initrd\": \"DIR\"",
                "dsp.initrd: \"DIR\" is not a file; put the guest initramfs there or correct the path"),
            Arguments.of(base + "\"kernel\": \"KERNEL\", \"kernelParams\": [\"netjack.master=10.0.0.9\"], " +
                "\"netjack\": { \"hostAddress\": \"10.77.0.1\", \"vmAddress\": \"10.77.0.2\" }, " +
                "\"network\": { \"type\": \"tap\", \"tap\": \"dsp0\" }",
                "dsp.kernelParams: \"netjack.master=10.0.0.9\" is set by vmctl from dsp.netjack; remove it and " +
                "set the dsp.netjack field instead"),
            Arguments.of(base + "\"kernel\": \"KERNEL\", \"netjack\": { \"hostAddress\": \"10.77.0.1\" }, " +
                "\"network\": { \"type\": \"tap\", \"tap\": \"dsp0\" }",
                "dsp.netjack.vmAddress: is missing but dsp.kernel boots the guest directly and vmctl passes its " +
                "address to it as netjack.ip; add the VM's address on the link, such as \"10.77.0.2\""),
            Arguments.of(base + "\"kernel\": \"KERNEL\", \"netjack\": { \"vmAddress\": \"10.77.0.2\" }, " +
                "\"network\": { \"type\": \"tap\", \"tap\": \"dsp0\" }",
                "dsp.netjack.hostAddress: is missing but dsp.kernel boots the guest directly and vmctl passes the " +
                "master's address to it as netjack.master; add the host's address on the VM's link, such as " +
                "\"10.77.0.1\""),
            Arguments.of(base + "\"kernel\": \"KERNEL\", \"kernelParams\": [" +
                String.join(", ", java.util.Collections.nCopies(9, "\"" + "x".repeat(255) + "\"")) + "]",
                "dsp.kernelParams: with vmctl's netjack.* words makes a kernel command line of 2303 characters, " +
                "longer than the kernel's 2047; remove words"));
    }

    @ParameterizedTest
    @MethodSource("invalidBoots")
    void shouldRejectInvalidBootSourcesWithExactMessage(final String fields, final String expected,
        @org.junit.jupiter.api.io.TempDir final java.nio.file.Path dir) throws Exception
    {
        final java.nio.file.Path kernel = java.nio.file.Files.writeString(dir.resolve("vmlinuz"), "k");
        final java.nio.file.Path initrd = java.nio.file.Files.writeString(dir.resolve("initrd.img"), "i");
        final String json = dsp(fields.replace("KERNEL", kernel.toString()).replace("INITRD", initrd.toString())
            .replace("MISSING", dir.resolve("none").toString()).replace("DIR", dir.toString()));

        final ValidationReport report = ConfigValidator.validate(ConfigParser.parse(json), CpuTopology.withoutSmt(4));

        assertEquals(List.of(expected.replace("KERNEL", kernel.toString()).replace("INITRD", initrd.toString())
                .replace("MISSING", dir.resolve("none").toString()).replace("DIR", dir.toString())),
            report.errors().stream().map(ConfigProblem::toString).toList());
    }

    @Test
    void shouldAcceptDirectKernelBootWithNetjackAddresses(@org.junit.jupiter.api.io.TempDir final java.nio.file.Path dir)
        throws Exception
    {
        final java.nio.file.Path kernel = java.nio.file.Files.writeString(dir.resolve("vmlinuz"), "k");
        final java.nio.file.Path initrd = java.nio.file.Files.writeString(dir.resolve("initrd.img"), "i");
        final VmControlConfig config = ConfigParser.parse(dsp("\"isolatedCores\": [2], \"memoryMB\": 2048, " + HUGE +
            ", \"kernel\": \"" + kernel + "\", \"initrd\": \"" + initrd + "\", \"kernelParams\": " +
            "[\"console=ttyS0\", \"quiet\"], \"netjack\": { \"hostAddress\": \"10.77.0.1\", \"vmAddress\": " +
            "\"10.77.0.2\" }, \"network\": { \"type\": \"tap\", \"tap\": \"dsp0\" }"));

        final ValidationReport report = ConfigValidator.validate(config, CpuTopology.withoutSmt(4));

        assertEquals(List.of(), report.errors());
        assertEquals(List.of(), report.warnings());
    }

    static String dsp(final String fields)
    {
        return "{ \"version\": 1, \"dsp\": { " + fields + " } }";
    }
}

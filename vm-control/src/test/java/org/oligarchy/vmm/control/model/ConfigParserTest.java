package org.oligarchy.vmm.control.model;

import org.oligarchy.vmm.config.InvalidConfigException;
import org.oligarchy.vmm.config.ValidationReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConfigParserTest
{
    /** The example of docs/config-format.md, bridge part included (it is not ours, but must be accepted). */
    static final String DOC_EXAMPLE = """
        {
          "version": 1,
          "dsp": {
            "enable": true,
            "name": "dsp",
            "isolatedCores": [2, 3],
            "housekeepingCores": [0, 1],
            "memoryMB": 4096,
            "hugepages": { "enable": true, "pageSizeKB": 2048, "count": 2048 },
            "diskImage": "/var/lib/dsp-vm/archibaldos.qcow2",
            "firmware": "bios",
            "ovmfCode": null,
            "stateDir": "/run/dsp-vm",
            "netjack": {
              "enable": true, "sourcePort": 19000, "bufferSize": 128, "sampleRate": 96000,
              "channels": 2, "latency": 1, "vmAddress": "10.77.0.2", "hostAddress": "10.77.0.1"
            },
            "audioDevice": { "enable": false, "pci": ["0000:00:1f.3"], "usb": ["1235:8210"] },
            "network": { "type": "tap", "tap": "dsp0", "bridge": null, "mac": "52:54:00:d5:00:01" }
          },
          "guests": [
            {
              "name": "coding-sandbox", "os": "debian", "release": "bookworm", "cores": 2,
              "memory": "4G", "diskSize": "32G", "network": { "type": "nat", "bridge": null },
              "pciDevice": null, "usbDevice": null,
              "portForwards": [ { "host": 2222, "guest": 22, "protocol": "tcp", "address": "127.0.0.1" } ],
              "spice": false, "vnc": false, "ssh": true
            }
          ],
          "bridge": { "clientName": "dsp", "port": 19000 }
        }
        """;

    @Test
    void shouldParseDocumentedExample() throws Exception
    {
        final VmControlConfig config = ConfigParser.parse(DOC_EXAMPLE);

        final DspVmConfig dsp = config.dsp();
        assertEquals("dsp", dsp.name());
        assertEquals(List.of(2, 3), dsp.isolatedCores());
        assertEquals(List.of(0, 1), dsp.housekeepingCores());
        assertEquals(4096, dsp.memoryMiB());
        assertEquals(new HugepagesConfig(true, 2048, 2048), dsp.hugepages());
        assertEquals("/var/lib/dsp-vm/archibaldos.qcow2", dsp.diskImage());
        assertEquals(Firmware.BIOS, dsp.firmware());
        assertNull(dsp.ovmfCode());
        assertEquals(new NetjackConfig(true, 19000, 128, 96000, 2, 1, "10.77.0.2", "10.77.0.1"), dsp.netjack());
        assertEquals(new AudioDeviceConfig(false, List.of("0000:00:1f.3"), List.of("1235:8210")), dsp.audioDevice());
        assertEquals(new DspNetworkConfig(DspNetworkConfig.Type.TAP, "dsp0", null, "52:54:00:d5:00:01"),
            dsp.network());

        final GuestConfig guest = config.guests().get(0);
        assertEquals(new GuestConfig("coding-sandbox", GuestOs.DEBIAN, "bookworm", 2, "4G", "32G",
            GuestNetworkConfig.NAT, null, null,
            List.of(new PortForward(2222, 22, PortForward.Protocol.TCP, "127.0.0.1")), false, false, true), guest);
        assertEquals(4096, guest.memoryMiB());

        final ValidationReport report = ConfigValidator.validate(config, CpuTopology.withoutSmt(4));
        assertEquals(List.of(), report.errors());
        assertEquals(List.of(), report.warnings());
    }

    @Test
    void shouldApplyDefaultsForOptionalFields() throws Exception
    {
        final VmControlConfig config = ConfigParser.parse("""
            { "version": 1, "dsp": { "isolatedCores": [1], "memoryMB": 256 },
              "guests": [ { "name": "kali", "os": "kali" } ] }
            """);

        assertEquals(new DspVmConfig(true, "dsp", List.of(1), List.of(), 256, HugepagesConfig.DISABLED, null,
            Firmware.BIOS, null, "/run/dsp-vm", NetjackConfig.DISABLED, AudioDeviceConfig.DISABLED, null),
            config.dsp());
        assertEquals(new GuestConfig("kali", GuestOs.KALI, null, 1, "2G", "32G", GuestNetworkConfig.NAT, null,
            null, List.of(), false, false, false), config.guests().get(0));
    }

    static Stream<Arguments> invalidFields()
    {
        return Stream.of(
            Arguments.of("{ \"version\": 2 }", "version: 2 is out of range; use a whole number from 1 to 1"),
            Arguments.of("{ }", "version: is missing; add it, set \"version\": 1"),
            Arguments.of("{ \"version\": 1, \"dsps\": {} }",
                "dsps: unknown key; remove it or use one of version, dsp, guests, bridge"),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"memoryMb\": 1"),
                "dsp.memoryMb: unknown key; remove it or correct the spelling to \"memoryMB\""),
            Arguments.of(dsp("\"memoryMB\": 4096"),
                "dsp.isolatedCores: is missing; add the host CPUs for the vCPUs, one per vCPU, such as [2, 3]"),
            Arguments.of(dsp("\"isolatedCores\": [2, -1], \"memoryMB\": 4096"),
                "dsp.isolatedCores[1]: -1 is out of range; use a whole number from 0 to 8191"),
            Arguments.of(dsp("\"isolatedCores\": \"2-3\", \"memoryMB\": 4096"),
                "dsp.isolatedCores: \"2-3\" is not a list; write it as [ ... ]"),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 128"),
                "dsp.memoryMB: 128 is out of range; use a whole number from 256 to 1048576"),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": \"4096\""),
                "dsp.memoryMB: \"4096\" is not an integer; write a whole number from 256 to 1048576"),
            Arguments.of(dsp("\"isolatedCores\": [2]"),
                "dsp.memoryMB: is missing; add it, guest RAM in MiB, such as 4096"),
            Arguments.of(dsp("\"name\": \"DSP\", \"isolatedCores\": [2], \"memoryMB\": 4096"),
                "dsp.name: \"DSP\" is not valid; use 1 to 32 characters: a lower-case letter, then lower-case " +
                "letters, digits or '-'"),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"hugepages\": { \"pageSizeKB\": 4096, " +
                "\"count\": 1 }"),
                "dsp.hugepages.pageSizeKB: 4096 is not a hugepage size; use 2048 (2 MiB) or 1048576 (1 GiB)"),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"firmware\": \"efi\""),
                "dsp.firmware: \"efi\" is not allowed; use one of \"bios\", \"uefi\""),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"diskImage\": \"disk.qcow2\""),
                "dsp.diskImage: \"disk.qcow2\" is not valid; use an absolute path of letters, digits and " +
                "_ . / + @ - (no spaces, commas or quotes)"),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"kernel\": \"boot/vmlinuz\""),
                "dsp.kernel: \"boot/vmlinuz\" is not valid; use an absolute path of letters, digits and " +
                "_ . / + @ - (no spaces, commas or quotes)"),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"initrd\": \"/boot/init rd\""),
                "dsp.initrd: \"/boot/init rd\" is not valid; use an absolute path of letters, digits and " +
                "_ . / + @ - (no spaces, commas or quotes)"),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"kernelParams\": [\"quiet\", " +
                "\"root=/dev/vda 1\"]"),
                "dsp.kernelParams[1]: \"root=/dev/vda 1\" is not valid; write one word of 1 to 256 printable " +
                "characters without spaces or quotes, such as \"console=ttyS0\""),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"diskImage\": \"/vm/a,b.qcow2\""),
                "dsp.diskImage: \"/vm/a,b.qcow2\" is not valid; use an absolute path of letters, digits and " +
                "_ . / + @ - (no spaces, commas or quotes)"),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"netjack\": { \"sampleRate\": 44000 }"),
                "dsp.netjack.sampleRate: 44000 is not a supported sample rate; use one of 44100, 48000, 88200, " +
                "96000, 176400, 192000"),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"netjack\": { \"bufferSize\": 96 }"),
                "dsp.netjack.bufferSize: 96 is not a power of two; use one of 16, 32, 64, 128, 256, 512, 1024, " +
                "2048, 4096"),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"netjack\": { \"channels\": 65 }"),
                "dsp.netjack.channels: 65 is out of range; use a whole number from 1 to 64"),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"netjack\": { \"latency\": 11 }"),
                "dsp.netjack.latency: 11 is out of range; use a whole number from 0 to 10"),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"netjack\": { \"sourcePort\": 96000 }"),
                "dsp.netjack.sourcePort: 96000 is out of range; use a whole number from 1 to 65535"),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"audioDevice\": { \"pci\": [\"c7:00.3\"] }"),
                "dsp.audioDevice.pci[0]: \"c7:00.3\" is not valid; write a PCI address as dddd:bb:ss.f in " +
                "lower-case hex, such as 0000:00:1f.3"),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"audioDevice\": { \"pci\": [\"0000:c7:00.8\"] }"),
                "dsp.audioDevice.pci[0]: \"0000:c7:00.8\" is not valid; write a PCI address as dddd:bb:ss.f in " +
                "lower-case hex, such as 0000:00:1f.3"),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"audioDevice\": { \"usb\": [\"1022:15C0\"] }"),
                "dsp.audioDevice.usb[0]: \"1022:15C0\" is not valid; write vendor:product as 4 + 4 lower-case hex " +
                "digits, such as 1235:8210"),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"network\": { \"type\": \"user\" }"),
                "dsp.network.type: \"user\" is not allowed; use one of \"tap\", \"bridge\""),
            Arguments.of(dsp("\"isolatedCores\": [2], \"memoryMB\": 4096, \"network\": { \"tap\": \"dsp0\" }"),
                "dsp.network.type: is missing; add \"tap\" or \"bridge\" (NetJack2 never runs over slirp)"),
            Arguments.of(guest("\"name\": \"vm\", \"os\": \"windows\""),
                "guests[0].os: \"windows\" is not allowed; use one of \"arch\", \"debian\", \"fedora\", \"kali\", " +
                "\"ubuntu\", \"openwrt\""),
            Arguments.of(guest("\"os\": \"arch\""),
                "guests[0].name: is missing; add a name such as \"coding-sandbox\""),
            Arguments.of(guest("\"name\": \"vm\", \"os\": \"arch\", \"memory\": \"4GB\""),
                "guests[0].memory: \"4GB\" is not valid; write a whole number followed by M or G, such as 4G or 512M"),
            Arguments.of(guest("\"name\": \"vm\", \"os\": \"arch\", \"diskSize\": \"0G\""),
                "guests[0].diskSize: \"0G\" is not valid; write a whole number followed by M or G, such as 4G or 512M"),
            Arguments.of(guest("\"name\": \"vm\", \"os\": \"arch\", \"network\": { \"type\": \"user\" }"),
                "guests[0].network.type: \"user\" is not allowed; use one of \"nat\", \"bridge\", \"host\""),
            Arguments.of(guest("\"name\": \"vm\", \"os\": \"arch\", \"portForwards\": [ { \"host\": 0, \"guest\": 22 } ]"),
                "guests[0].portForwards[0].host: 0 is out of range; use a whole number from 1 to 65535"),
            Arguments.of(guest("\"name\": \"vm\", \"os\": \"arch\", \"portForwards\": [ \"2222:22\" ]"),
                "guests[0].portForwards[0]: \"2222:22\" is not an object; write it as { ... }"),
            Arguments.of(guest("\"name\": \"vm\", \"os\": \"arch\", \"usbDevice\": \"1235-8210\""),
                "guests[0].usbDevice: \"1235-8210\" is not valid; write vendor:product as 4 + 4 lower-case hex " +
                "digits, such as 1235:8210"),
            Arguments.of(guest("\"name\": \"vm\", \"os\": \"arch\", \"spice\": \"yes\""),
                "guests[0].spice: \"yes\" is not a boolean; write true or false without quotes"),
            Arguments.of("{ \"version\": 1, ", "(file): is not valid JSON (Unexpected end-of-input within/between " +
                "Object entries at line 1, column 17); fix the syntax"));
    }

    @ParameterizedTest
    @MethodSource("invalidFields")
    void shouldRejectInvalidFieldWithExactMessage(final String json, final String expected)
    {
        final InvalidConfigException ex = assertThrows(InvalidConfigException.class, () -> ConfigParser.parse(json));

        assertEquals(expected, ex.getMessage());
    }

    static String dsp(final String fields)
    {
        return "{ \"version\": 1, \"dsp\": { " + fields + " } }";
    }

    static String guest(final String fields)
    {
        return "{ \"version\": 1, \"guests\": [ { " + fields + " } ] }";
    }
}

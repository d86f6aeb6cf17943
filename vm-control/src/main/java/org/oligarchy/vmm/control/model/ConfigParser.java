package org.oligarchy.vmm.control.model;

import org.oligarchy.vmm.config.ConfigFile;
import org.oligarchy.vmm.config.ConfigProblem;
import org.oligarchy.vmm.config.InvalidConfigException;
import org.oligarchy.vmm.config.Ipv4;
import org.oligarchy.vmm.config.JsonFields;
import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Turns the configuration file ({@code docs/config-format.md}) into a {@link VmControlConfig},
 * checking every field's type, range and format and rejecting unknown keys. Rules that relate
 * several fields or the host are in {@link ConfigValidator}.
 */
public final class ConfigParser
{
    public static final Pattern NAME = Pattern.compile("^[a-z][a-z0-9-]{0,31}$");
    public static final Pattern PCI_ADDRESS = Pattern.compile("^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]$");
    public static final Pattern USB_ID = Pattern.compile("^[0-9a-f]{4}:[0-9a-f]{4}$");
    public static final Pattern MAC = Pattern.compile("^[0-9a-f]{2}(:[0-9a-f]{2}){5}$");
    public static final Pattern INTERFACE = Pattern.compile("^[A-Za-z0-9_.-]{1,15}$");
    /** The shared IPv4 syntax (also the bridge's and Nix's). */
    public static final Pattern IPV4 = Ipv4.PATTERN;
    /** Absolute, and free of characters that QEMU option syntax or quickemu's word splitting would misread. */
    public static final Pattern SAFE_ABSOLUTE_PATH = Pattern.compile("^/[A-Za-z0-9_./+@-]*$");

    static final String NAME_RULE = "use 1 to 32 characters: a lower-case letter, then lower-case letters, digits or '-'";
    static final String PATH_RULE =
        "use an absolute path of letters, digits and _ . / + @ - (no spaces, commas or quotes)";
    static final int MAX_CPU = 8191;
    /** One kernel command line word: printable ASCII without spaces or quotes (the kernel's own quoting is not used). */
    public static final Pattern KERNEL_PARAM = Pattern.compile("^[!#-&(-~]{1,256}$");
    static final String KERNEL_PARAM_RULE =
        "write one word of 1 to 256 printable characters without spaces or quotes, such as \"console=ttyS0\"";

    private ConfigParser()
    {
    }

    /**
     * Read and parse a configuration file.
     *
     * @param file the JSON file.
     * @return the parsed configuration.
     * @throws InvalidConfigException with every problem found, or why the file cannot be read.
     */
    public static VmControlConfig parse(final Path file) throws InvalidConfigException
    {
        return parse(ConfigFile.readText(file));
    }

    /**
     * Parse configuration text. The syntax, unique keys, nesting limit, version and top-level keys
     * are checked by the reader shared with netjack-bridge ({@link ConfigFile}), with the same words.
     *
     * @param json the JSON text.
     * @return the parsed configuration.
     * @throws InvalidConfigException with every problem found.
     */
    public static VmControlConfig parse(final String json) throws InvalidConfigException
    {
        final List<ConfigProblem> problems = new ArrayList<>();
        final ConfigFile.TopLevel topLevel = ConfigFile.topLevel(ConfigFile.parse(json), problems);
        final JsonFields top = topLevel.fields();
        final Integer version = topLevel.version();
        DspVmConfig dsp = null;
        final JsonNode dspNode = top.value("dsp");
        if (dspNode != null)
        {
            dsp = parseDsp(dspNode, problems);
        }
        final List<GuestConfig> guests = new ArrayList<>();
        final List<JsonNode> guestNodes = top.array("guests");
        for (int i = 0; i < guestNodes.size(); i++)
        {
            final GuestConfig guest = parseGuest(guestNodes.get(i), "guests[" + i + "]", problems);
            if (guest != null)
            {
                guests.add(guest);
            }
        }
        if (!problems.isEmpty())
        {
            throw new InvalidConfigException(problems);
        }
        return new VmControlConfig(version, dsp, guests);
    }

    private static DspVmConfig parseDsp(final JsonNode node, final List<ConfigProblem> problems)
    {
        final JsonFields f = JsonFields.object(node, "dsp", problems);
        if (f == null)
        {
            return null;
        }
        final int before = problems.size();
        final boolean enable = f.bool("enable", true);
        String name = f.matching("name", NAME, NAME_RULE);
        name = name == null && !f.has("name") ? "dsp" : name;
        final List<Integer> isolated = cpuList(f, "isolatedCores", true);
        final List<Integer> housekeeping = cpuList(f, "housekeepingCores", false);
        final Integer memoryMiB = f.integer("memoryMB", 256, 1048576, "guest RAM in MiB, such as 4096");
        final HugepagesConfig hugepages = parseHugepages(f, problems);
        final String diskImage = f.matching("diskImage", SAFE_ABSOLUTE_PATH, PATH_RULE);
        final String kernel = f.matching("kernel", SAFE_ABSOLUTE_PATH, PATH_RULE);
        final String initrd = f.matching("initrd", SAFE_ABSOLUTE_PATH, PATH_RULE);
        final List<String> kernelParams = stringList(f, "kernelParams", KERNEL_PARAM, KERNEL_PARAM_RULE, problems);
        final Firmware firmware = f.choice(
            "firmware", Firmware.values(), new String[]{"bios", "uefi"}, Firmware.BIOS);
        final String ovmfCode = f.matching("ovmfCode", SAFE_ABSOLUTE_PATH, PATH_RULE);
        String stateDir = f.matching("stateDir", SAFE_ABSOLUTE_PATH, PATH_RULE);
        stateDir = stateDir == null ? "/run/dsp-vm" : stateDir;
        final NetjackConfig netjack = parseNetjack(f, problems);
        final AudioDeviceConfig audio = parseAudio(f, problems);
        final DspNetworkConfig network = parseDspNetwork(f, problems);
        f.finish();
        if (problems.size() != before)
        {
            return null;
        }
        return new DspVmConfig(enable, name, isolated, housekeeping, memoryMiB, hugepages, diskImage, kernel, initrd,
            kernelParams, firmware, ovmfCode, stateDir, netjack, audio, network);
    }

    private static List<Integer> cpuList(final JsonFields f, final String key, final boolean required)
    {
        if (required && !f.has(key))
        {
            f.problem(key, "is missing; add the host CPUs for the vCPUs, one per vCPU, such as [2, 3]");
            return List.of();
        }
        final List<Integer> cpus = new ArrayList<>();
        final List<JsonNode> elements = f.array(key);
        for (int i = 0; i < elements.size(); i++)
        {
            final Integer cpu = f.checkInteger(f.path(key) + "[" + i + "]", elements.get(i), 0, MAX_CPU);
            if (cpu != null)
            {
                cpus.add(cpu);
            }
        }
        return cpus;
    }

    private static HugepagesConfig parseHugepages(final JsonFields parent, final List<ConfigProblem> problems)
    {
        final JsonNode node = parent.value("hugepages");
        if (node == null)
        {
            return HugepagesConfig.DISABLED;
        }
        final JsonFields f = JsonFields.object(node, parent.path("hugepages"), problems);
        if (f == null)
        {
            return null;
        }
        final boolean enable = f.bool("enable", true);
        final Integer pageSizeKiB = f.integer("pageSizeKB", 2048, 1048576, null);
        if (pageSizeKiB != null && pageSizeKiB != 2048 && pageSizeKiB != 1048576)
        {
            f.problem("pageSizeKB", pageSizeKiB + " is not a hugepage size; use 2048 (2 MiB) or 1048576 (1 GiB)");
        }
        final Integer count = f.integer("count", 0, Integer.MAX_VALUE, enable ? "the number of pages" : null);
        f.finish();
        return new HugepagesConfig(enable, pageSizeKiB == null ? 2048 : pageSizeKiB, count == null ? 0 : count);
    }

    private static NetjackConfig parseNetjack(final JsonFields parent, final List<ConfigProblem> problems)
    {
        final JsonNode node = parent.value("netjack");
        if (node == null)
        {
            return NetjackConfig.DISABLED;
        }
        final JsonFields f = JsonFields.object(node, parent.path("netjack"), problems);
        if (f == null)
        {
            return null;
        }
        final NetjackConfig d = NetjackConfig.DISABLED;
        final boolean enable = f.bool("enable", true);
        final Integer sourcePort = f.integer("sourcePort", 1, 65535, null);
        final Integer bufferSize = f.integer("bufferSize", 16, 4096, null);
        if (bufferSize != null && Integer.bitCount(bufferSize) != 1)
        {
            f.problem("bufferSize", bufferSize + " is not a power of two; use one of 16, 32, 64, 128, 256, 512, " +
                "1024, 2048, 4096");
        }
        final Integer sampleRate = f.integer("sampleRate", 1, Integer.MAX_VALUE, null);
        if (sampleRate != null && !List.of(44100, 48000, 88200, 96000, 176400, 192000).contains(sampleRate))
        {
            f.problem("sampleRate", sampleRate + " is not a supported sample rate; use one of 44100, 48000, " +
                "88200, 96000, 176400, 192000");
        }
        final Integer channels = f.integer("channels", 1, 64, null);
        final Integer latency = f.integer("latency", 0, 10, null);
        final String vmAddress = f.matching("vmAddress", IPV4, "write an IPv4 address such as 10.77.0.2");
        final String hostAddress = f.matching("hostAddress", IPV4, "write an IPv4 address such as 10.77.0.1");
        f.finish();
        return new NetjackConfig(enable,
            sourcePort == null ? d.sourcePort() : sourcePort,
            bufferSize == null ? d.bufferFrames() : bufferSize,
            sampleRate == null ? d.sampleRateHz() : sampleRate,
            channels == null ? d.channels() : channels,
            latency == null ? d.latencyPeriods() : latency,
            vmAddress, hostAddress);
    }

    private static AudioDeviceConfig parseAudio(final JsonFields parent, final List<ConfigProblem> problems)
    {
        final JsonNode node = parent.value("audioDevice");
        if (node == null)
        {
            return AudioDeviceConfig.DISABLED;
        }
        final JsonFields f = JsonFields.object(node, parent.path("audioDevice"), problems);
        if (f == null)
        {
            return null;
        }
        final boolean enable = f.bool("enable", true);
        final List<String> pci = stringList(f, "pci", PCI_ADDRESS,
            "write a PCI address as dddd:bb:ss.f in lower-case hex, such as 0000:00:1f.3", problems);
        final List<String> usb = stringList(f, "usb", USB_ID,
            "write vendor:product as 4 + 4 lower-case hex digits, such as 1235:8210", problems);
        f.finish();
        return new AudioDeviceConfig(enable, pci, usb);
    }

    private static List<String> stringList(
        final JsonFields f, final String key, final Pattern pattern, final String rule,
        final List<ConfigProblem> problems)
    {
        final List<String> values = new ArrayList<>();
        final List<JsonNode> elements = f.array(key);
        for (int i = 0; i < elements.size(); i++)
        {
            final JsonNode element = elements.get(i);
            final String path = f.path(key) + "[" + i + "]";
            if (!element.isTextual() || !pattern.matcher(element.textValue()).matches())
            {
                problems.add(new ConfigProblem(path, element + " is not valid; " + rule));
            }
            else
            {
                values.add(element.textValue());
            }
        }
        return values;
    }

    private static DspNetworkConfig parseDspNetwork(final JsonFields parent, final List<ConfigProblem> problems)
    {
        final JsonNode node = parent.value("network");
        if (node == null)
        {
            return null;
        }
        final JsonFields f = JsonFields.object(node, parent.path("network"), problems);
        if (f == null)
        {
            return null;
        }
        final DspNetworkConfig.Type type = f.choice("type", DspNetworkConfig.Type.values(),
            new String[]{"tap", "bridge"}, null);
        if (type == null && !f.has("type"))
        {
            f.problem("type", "is missing; add \"tap\" or \"bridge\" (NetJack2 never runs over slirp)");
        }
        final String tap = f.matching("tap", INTERFACE, "use an interface name of 1 to 15 letters, digits, _ . -");
        final String bridge = f.matching("bridge", INTERFACE,
            "use an interface name of 1 to 15 letters, digits, _ . -");
        final String mac = f.matching("mac", MAC, "write a MAC address in lower-case hex, such as 52:54:00:d5:00:01");
        f.finish();
        return new DspNetworkConfig(type, tap, bridge, mac);
    }

    private static GuestConfig parseGuest(final JsonNode node, final String path, final List<ConfigProblem> problems)
    {
        final JsonFields f = JsonFields.object(node, path, problems);
        if (f == null)
        {
            return null;
        }
        final int before = problems.size();
        final String name = f.matching("name", NAME, NAME_RULE);
        if (!f.has("name"))
        {
            f.problem("name", "is missing; add a name such as \"coding-sandbox\"");
        }
        final GuestOs os = f.choice("os", GuestOs.values(),
            new String[]{"arch", "debian", "fedora", "kali", "ubuntu", "openwrt"}, null);
        if (!f.has("os"))
        {
            f.problem("os", "is missing; add one of \"arch\", \"debian\", \"fedora\", \"kali\", \"ubuntu\", \"openwrt\"");
        }
        final String release = f.string("release");
        final Integer cores = f.integer("cores", 1, 256, null);
        final String sizeRule = "write a whole number followed by M or G, such as 4G or 512M";
        String memory = f.matching("memory", SizeNotation.PATTERN, sizeRule);
        memory = memory == null ? "2G" : memory;
        String diskSize = f.matching("diskSize", SizeNotation.PATTERN, sizeRule);
        diskSize = diskSize == null ? "32G" : diskSize;
        GuestNetworkConfig network = GuestNetworkConfig.NAT;
        final JsonNode networkNode = f.value("network");
        if (networkNode != null)
        {
            final JsonFields n = JsonFields.object(networkNode, f.path("network"), problems);
            if (n != null)
            {
                final GuestNetworkConfig.Type type = n.choice("type", GuestNetworkConfig.Type.values(),
                    new String[]{"nat", "bridge", "host"}, GuestNetworkConfig.Type.NAT);
                final String bridge = n.matching("bridge", INTERFACE,
                    "use an interface name of 1 to 15 letters, digits, _ . -");
                n.finish();
                network = new GuestNetworkConfig(type, bridge);
            }
        }
        final String pci = f.matching("pciDevice", PCI_ADDRESS,
            "write a PCI address as dddd:bb:ss.f in lower-case hex, such as 0000:00:1f.3");
        final String usb = f.matching("usbDevice", USB_ID,
            "write vendor:product as 4 + 4 lower-case hex digits, such as 1235:8210");
        final List<PortForward> forwards = new ArrayList<>();
        final List<JsonNode> forwardNodes = f.array("portForwards");
        for (int i = 0; i < forwardNodes.size(); i++)
        {
            final JsonFields p = JsonFields.object(forwardNodes.get(i), f.path("portForwards") + "[" + i + "]",
                problems);
            if (p == null)
            {
                continue;
            }
            final Integer host = p.integer("host", 1, 65535, "the host port, such as 2222");
            final Integer guest = p.integer("guest", 1, 65535, "the guest port, such as 22");
            final PortForward.Protocol protocol = p.choice("protocol", PortForward.Protocol.values(),
                new String[]{"tcp", "udp"}, PortForward.Protocol.TCP);
            String address = p.matching("address", IPV4,
                "write an IPv4 address; 127.0.0.1 keeps the port on this host");
            address = address == null ? PortForward.LOOPBACK : address;
            p.finish();
            if (host != null && guest != null && protocol != null)
            {
                forwards.add(new PortForward(host, guest, protocol, address));
            }
        }
        final boolean spice = f.bool("spice", false);
        final boolean vnc = f.bool("vnc", false);
        final boolean ssh = f.bool("ssh", false);
        final String iso = f.matching("iso", SAFE_ABSOLUTE_PATH, PATH_RULE);
        final String img = f.matching("img", SAFE_ABSOLUTE_PATH, PATH_RULE);
        final Firmware firmware = f.choice("firmware", Firmware.values(), new String[]{"bios", "uefi"}, null);
        final String publicDir = f.matching("publicDir", SAFE_ABSOLUTE_PATH, PATH_RULE);
        // Optional: without it the SPICE display (when asked for) is a Unix socket, never a TCP port.
        final Integer spicePort = f.integer("spicePort", 1024, 65535, null);
        f.finish();
        if (problems.size() != before)
        {
            return null;
        }
        return new GuestConfig(name, os, release, cores == null ? 1 : cores, memory, diskSize, network, pci, usb,
            forwards, spice, vnc, ssh, iso, img, firmware, publicDir, spicePort == null ? 0 : spicePort);
    }
}

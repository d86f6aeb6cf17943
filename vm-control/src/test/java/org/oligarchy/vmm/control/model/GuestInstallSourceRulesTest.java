package org.oligarchy.vmm.control.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.config.ConfigProblem;
import org.oligarchy.vmm.config.InvalidConfigException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The guest fields of issue 20: install source, firmware, shared folder and SPICE port. */
class GuestInstallSourceRulesTest
{
    @TempDir
    Path tempDir;

    static List<String> errors(final String guest) throws Exception
    {
        return ConfigValidator.validate(ConfigParser.parse("{ \"version\": 1, \"guests\": [ " + guest + " ] }"),
            CpuTopology.withoutSmt(4)).errors().stream().map(ConfigProblem::toString).toList();
    }

    @Test
    void shouldParseInstallSourceFirmwarePublicDirAndSpicePort() throws Exception
    {
        final Path iso = Files.write(tempDir.resolve("debian.iso"), new byte[16]);
        final GuestConfig guest = ConfigParser.parse("{ \"version\": 1, \"guests\": [ { \"name\": \"g\", \"os\": " +
            "\"debian\", \"iso\": \"" + iso + "\", \"firmware\": \"bios\", \"publicDir\": \"" + tempDir + "\", " +
            "\"spice\": true, \"spicePort\": 5931 } ] }").guests().get(0);

        assertEquals(iso.toString(), guest.iso());
        assertEquals(iso.toString(), guest.installSource());
        assertEquals(Firmware.BIOS, guest.firmware());
        assertEquals(tempDir.toString(), guest.publicDir());
        assertEquals(5931, guest.spicePort());
        assertEquals(List.of(), errors("{ \"name\": \"g\", \"os\": \"debian\", \"iso\": \"" + iso + "\", " +
            "\"publicDir\": \"" + tempDir + "\", \"spice\": true, \"spicePort\": 5931 }"));
    }

    @Test
    void shouldDefaultToNoSourceNothingSharedNoPortAndTheOsFirmware() throws Exception
    {
        final List<GuestConfig> guests = ConfigParser.parse("{ \"version\": 1, \"guests\": [ " +
            "{ \"name\": \"d\", \"os\": \"debian\" }, { \"name\": \"o\", \"os\": \"openwrt\" } ] }").guests();

        assertEquals(null, guests.get(0).installSource());
        assertEquals(null, guests.get(0).publicDir());
        assertEquals(0, guests.get(0).spicePort());
        assertEquals(Firmware.UEFI, guests.get(0).firmware());
        assertEquals(Firmware.BIOS, guests.get(1).firmware());
    }

    @Test
    void shouldRejectEachBadFieldWithItsPathAndFix() throws Exception
    {
        final Path file = Files.write(tempDir.resolve("a.img"), new byte[16]);

        assertEquals(List.of("guests[0].iso: \"" + tempDir.resolve("missing.iso") + "\" is not a file (it does not " +
            "exist); put the installer ISO (quickget downloads one) there or correct the path"),
            errors("{ \"name\": \"g\", \"os\": \"debian\", \"iso\": \"" + tempDir.resolve("missing.iso") + "\" }"));
        assertEquals(List.of("guests[0].img: is set beside guests[0].iso; a guest boots one install source: keep " +
            "\"iso\" for an installer ISO or \"img\" for a ready disk image, not both"),
            errors("{ \"name\": \"g\", \"os\": \"debian\", \"iso\": \"" + file + "\", \"img\": \"" + file + "\" }"));
        assertEquals(List.of("guests[0].publicDir: \"" + file + "\" is not a directory; create it or leave " +
            "publicDir out (then no host folder is shared with the guest)"),
            errors("{ \"name\": \"g\", \"os\": \"debian\", \"publicDir\": \"" + file + "\" }"));
        assertEquals(List.of("guests[0].spicePort: 5931 is set but guests[0].spice is false; set spice to true " +
            "for a SPICE display on that port, or remove spicePort"),
            errors("{ \"name\": \"g\", \"os\": \"debian\", \"spicePort\": 5931 }"));
        assertEquals(List.of("guests[0].spicePort: 80 is out of range; use a whole number from 1024 to 65535"),
            parseErrors("{ \"name\": \"g\", \"os\": \"debian\", \"spice\": true, " +
            "\"spicePort\": 80 }"));
        assertEquals(List.of("guests[0].firmware: \"efi\" is not allowed; use one of \"bios\", \"uefi\""),
            parseErrors("{ \"name\": \"g\", \"os\": \"debian\", \"firmware\": \"efi\" }"));
    }

    static List<String> parseErrors(final String guest)
    {
        try
        {
            ConfigParser.parse("{ \"version\": 1, \"guests\": [ " + guest + " ] }");
            return List.of();
        }
        catch (final InvalidConfigException ex)
        {
            return ex.problems().stream().map(ConfigProblem::toString).toList();
        }
    }
}

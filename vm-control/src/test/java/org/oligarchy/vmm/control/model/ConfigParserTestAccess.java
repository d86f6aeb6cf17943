package org.oligarchy.vmm.control.model;

/** Gives tests in other packages the documented example configuration. */
public final class ConfigParserTestAccess
{
    private ConfigParserTestAccess()
    {
    }

    public static String docExample()
    {
        return ConfigParserTest.DOC_EXAMPLE;
    }
}

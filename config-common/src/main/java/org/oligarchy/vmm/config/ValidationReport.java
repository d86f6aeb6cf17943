package org.oligarchy.vmm.config;

import java.util.List;

/**
 * The outcome of checking a configuration against rules and the host (vm-control's
 * ConfigValidator, the bridge's host checks): errors forbid a launch, warnings are printed and
 * the launch goes ahead.
 *
 * @param errors   problems that must be fixed.
 * @param warnings problems worth knowing about.
 */
public record ValidationReport(List<ConfigProblem> errors, List<ConfigProblem> warnings)
{
    public ValidationReport
    {
        errors = List.copyOf(errors);
        warnings = List.copyOf(warnings);
    }

    public boolean isValid()
    {
        return errors.isEmpty();
    }

    /**
     * @throws InvalidConfigException carrying the errors, if there are any.
     */
    public void throwIfInvalid() throws InvalidConfigException
    {
        if (!errors.isEmpty())
        {
            throw new InvalidConfigException(errors);
        }
    }
}

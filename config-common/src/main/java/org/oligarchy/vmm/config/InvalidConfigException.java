package org.oligarchy.vmm.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Thrown when a configuration cannot be used; carries every problem found, not just the first,
 * so an operator can fix the file in one pass.
 */
public final class InvalidConfigException extends Exception
{
    private static final long serialVersionUID = 1L;

    private final List<ConfigProblem> problems;

    public InvalidConfigException(final List<ConfigProblem> problems)
    {
        super(problems.stream().map(ConfigProblem::toString).collect(Collectors.joining("\n")));
        this.problems = List.copyOf(problems);
    }

    public List<ConfigProblem> problems()
    {
        return problems;
    }
}

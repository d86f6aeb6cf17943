package org.oligarchy.vmm.config;

/**
 * One problem found in a configuration: the JSON path of the field and a message that states the
 * value seen, the rule it breaks and how to fix it.
 *
 * @param path    JSON path such as {@code dsp.netjack.sampleRate} or {@code guests[1].name}.
 * @param message value, rule and fix, without the path.
 */
public record ConfigProblem(String path, String message)
{
    @Override
    public String toString()
    {
        return path + ": " + message;
    }
}

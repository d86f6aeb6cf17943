package org.oligarchy.vmm.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads the fields of one JSON object of the configuration file, recording a {@link ConfigProblem}
 * for each bad value and, on {@link #finish()}, for each key that nobody asked for (typos must not
 * fall back to defaults). The messages follow one style, the one {@code native-config/lib/validate.nix}
 * prints: {@code <path>: <value seen> <rule>; <fix>}. Both vmctl and the bridge read through it.
 */
public final class JsonFields
{
    private final JsonNode node;
    private final String path;
    private final List<ConfigProblem> problems;
    private final Set<String> knownKeys = new LinkedHashSet<>();

    public JsonFields(final JsonNode node, final String path, final List<ConfigProblem> problems)
    {
        this.node = node;
        this.path = path;
        this.problems = problems;
    }

    /**
     * Open a nested object, or record a problem and return null when the value is not an object.
     */
    public static JsonFields object(final JsonNode node, final String path, final List<ConfigProblem> problems)
    {
        if (!node.isObject())
        {
            problems.add(new ConfigProblem(path, node + " is not an object; write it as { ... }"));
            return null;
        }
        return new JsonFields(node, path, problems);
    }

    public String path(final String key)
    {
        return path.isEmpty() ? key : path + "." + key;
    }

    public void problem(final String key, final String message)
    {
        problems.add(new ConfigProblem(path(key), message));
    }

    /** The raw value, or null when the key is absent or JSON null. Marks the key as known. */
    public JsonNode value(final String key)
    {
        knownKeys.add(key);
        final JsonNode value = node.get(key);
        return value == null || value.isNull() ? null : value;
    }

    public boolean bool(final String key, final boolean defaultValue)
    {
        final JsonNode value = value(key);
        if (value == null)
        {
            return defaultValue;
        }
        if (!value.isBoolean())
        {
            problem(key, value + " is not a boolean; write true or false without quotes");
            return defaultValue;
        }
        return value.booleanValue();
    }

    /**
     * An integer in [min, max]; null when missing (a problem is recorded if {@code requiredHint} is
     * not null) or invalid.
     */
    public Integer integer(final String key, final long min, final long max, final String requiredHint)
    {
        final JsonNode value = value(key);
        if (value == null)
        {
            if (requiredHint != null)
            {
                problem(key, "is missing; add it, " + requiredHint);
            }
            return null;
        }
        return checkInteger(path(key), value, min, max);
    }

    public Integer checkInteger(final String fieldPath, final JsonNode value, final long min, final long max)
    {
        if (!value.isIntegralNumber() || !value.canConvertToInt())
        {
            problems.add(new ConfigProblem(
                fieldPath, value + " is not an integer; write a whole number from " + min + " to " + max));
            return null;
        }
        final int v = value.intValue();
        if (v < min || v > max)
        {
            problems.add(new ConfigProblem(fieldPath, outOfRange(v, min, max)));
            return null;
        }
        return v;
    }

    /** The words for a whole number outside [min, max], for checks of values set in code too. */
    public static String outOfRange(final long value, final long min, final long max)
    {
        return value + " is out of range; use a whole number from " + min + " to " + max;
    }

    /** A string, or null when absent, JSON null or not a string (then a problem is recorded). */
    public String string(final String key)
    {
        final JsonNode value = value(key);
        if (value == null)
        {
            return null;
        }
        if (!value.isTextual())
        {
            problem(key, value + " is not a string; write it in double quotes");
            return null;
        }
        return value.textValue();
    }

    /** A string that must match {@code pattern}; {@code rule} describes the format and an example. */
    public String matching(final String key, final Pattern pattern, final String rule)
    {
        final String value = string(key);
        if (value != null && !pattern.matcher(value).matches())
        {
            problem(key, quote(value) + " is not valid; " + rule);
            return null;
        }
        return value;
    }

    /** One of the allowed JSON names, mapped to the enum constant with the same position. */
    public <E extends Enum<E>> E choice(final String key, final E[] constants, final String[] jsonNames, final E defaultValue)
    {
        final JsonNode value = value(key);
        if (value == null)
        {
            return defaultValue;
        }
        if (value.isTextual())
        {
            for (int i = 0; i < jsonNames.length; i++)
            {
                if (jsonNames[i].equals(value.textValue()))
                {
                    return constants[i];
                }
            }
        }
        final StringBuilder allowed = new StringBuilder();
        for (final String name : jsonNames)
        {
            allowed.append(allowed.length() == 0 ? "" : ", ").append('"').append(name).append('"');
        }
        problem(key, value + " is not allowed; use one of " + allowed);
        return null;
    }

    /** One of the allowed strings; the default when absent, null (with a problem) when not allowed. */
    public String choice(final String key, final String[] allowed, final String defaultValue)
    {
        final JsonNode value = value(key);
        if (value == null)
        {
            return defaultValue;
        }
        for (final String name : allowed)
        {
            if (value.isTextual() && name.equals(value.textValue()))
            {
                return name;
            }
        }
        final StringBuilder names = new StringBuilder();
        for (final String name : allowed)
        {
            names.append(names.length() == 0 ? "" : ", ").append('"').append(name).append('"');
        }
        problem(key, value + " is not allowed; use one of " + names);
        return null;
    }

    /** The elements of an array, or an empty list (with a problem) when the value is not an array. */
    public List<JsonNode> array(final String key)
    {
        final JsonNode value = value(key);
        final List<JsonNode> elements = new ArrayList<>();
        if (value == null)
        {
            return elements;
        }
        if (!value.isArray())
        {
            problem(key, value + " is not a list; write it as [ ... ]");
            return elements;
        }
        value.forEach(elements::add);
        return elements;
    }

    public boolean has(final String key)
    {
        knownKeys.add(key);
        final JsonNode value = node.get(key);
        return value != null && !value.isNull();
    }

    /** Record a problem for every key of the object that was never read. */
    public void finish()
    {
        final Iterator<String> names = node.fieldNames();
        while (names.hasNext())
        {
            final String name = names.next();
            if (!knownKeys.contains(name))
            {
                String hint = null;
                for (final String known : knownKeys)
                {
                    if (known.equalsIgnoreCase(name))
                    {
                        hint = known;
                    }
                }
                problems.add(new ConfigProblem(path(name), hint != null ?
                    "unknown key; remove it or correct the spelling to \"" + hint + "\"" :
                    "unknown key; remove it or use one of " + String.join(", ", knownKeys)));
            }
        }
    }

    public static String quote(final String value)
    {
        return '"' + value + '"';
    }
}

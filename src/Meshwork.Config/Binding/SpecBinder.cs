using System.Collections.Immutable;
using System.Globalization;
using System.Numerics;
using Meshwork.Config.Reading;
using Meshwork.Config.Values;

namespace Meshwork.Config.Binding;

/// <summary>
/// Binds a <see cref="ConfigNode"/> tree onto immutable config records by reflection over their
/// init-only properties, with protojson's rules: lowerCamelCase (or proto) field names, enums by
/// name or number, Go durations, oneofs exclusive, and unknown fields and wrong types as errors.
/// It never throws on bad input: each problem becomes a <see cref="BindIssue"/> and binding goes on,
/// so one run reports every error of a resource.
/// </summary>
public sealed class SpecBinder
{
    private readonly List<BindIssue> _issues = [];

    private readonly List<BindIssue> _ignored = [];

    public SpecBinder(LineMap lines) => Lines = lines;

    public LineMap Lines { get; }

    public IReadOnlyList<BindIssue> Issues => _issues;

    /// <summary>
    /// When set, unknown fields are collected in <see cref="Ignored"/> instead of being errors. For documents
    /// such as MeshConfig, where Istio has many fields that have no meaning in Meshwork.
    /// </summary>
    public bool IgnoreUnknownFields { get; init; }

    /// <summary>
    /// Accept an integer written as a quoted string (<c>port: "8000"</c>), as protobuf's JSON mapping
    /// does; Istio's documented MeshConfig examples quote ports.
    /// </summary>
    public bool AcceptQuotedIntegers { get; init; }

    /// <summary>The unknown fields passed over under <see cref="IgnoreUnknownFields"/>.</summary>
    public IReadOnlyList<BindIssue> Ignored => _ignored;

    public T? Bind<T>(ConfigNode node, string path)
        where T : class => (T?)Bind(typeof(T), node, path);

    public object? Bind(Type type, ConfigNode node, string path)
    {
        Lines.Record(path, node.Line);
        if (node is ScalarNode { IsNull: true })
        {
            return null;
        }

        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying == typeof(RawValue))
        {
            return new RawValue(node);
        }

        if (underlying == typeof(string))
        {
            return BindString(node, path);
        }

        if (underlying == typeof(bool))
        {
            return Scalar(node, path, "a boolean", s => ScalarResolver.TryParseBool(s.Value, out var b) && s.Kind == ScalarKind.Bool ? b : null);
        }

        if (underlying == typeof(int) || underlying == typeof(uint) || underlying == typeof(long) || underlying == typeof(ulong))
        {
            return BindInteger(underlying, node, path);
        }

        if (underlying == typeof(double))
        {
            return Scalar(node, path, "a number", s => s.Kind is ScalarKind.Int or ScalarKind.Float && TryDouble(s.Value, out var d) ? d : null);
        }

        if (underlying == typeof(TimeSpan))
        {
            return Scalar(node, path, "a duration such as 1.5s or 100ms", s => s.Kind is ScalarKind.String or ScalarKind.Int && GoDuration.TryParse(s.Value, out var d) ? d : null);
        }

        if (underlying.IsEnum)
        {
            return BindEnum(underlying, node, path);
        }

        if (underlying == typeof(ValueList<byte>))
        {
            return Scalar(node, path, "base64-encoded bytes", s => s.Kind == ScalarKind.String && TryBase64(s.Value, out var bytes) ? new ValueList<byte>(bytes) : (object?)null);
        }

        if (underlying.IsGenericType && underlying.GetGenericTypeDefinition() == typeof(ValueList<>))
        {
            return BindList(underlying, node, path);
        }

        if (underlying.IsGenericType && underlying.GetGenericTypeDefinition() == typeof(ValueMap<,>))
        {
            return BindMap(underlying, node, path);
        }

        return BindRecord(underlying, node, path);
    }

    public void Error(string path, int line, string message) => _issues.Add(new BindIssue(path, line, message));

    private object? BindString(ConfigNode node, string path)
    {
        if (node is not ScalarNode scalar)
        {
            return Mismatch(node, path, "a string");
        }

        if (scalar.Kind != ScalarKind.String)
        {
            Error(path, node.Line, $"expected a string, got {scalar.Describe()} {scalar.Value} (quote it: \"{scalar.Value}\")");
            return null;
        }

        return scalar.Value;
    }

    private object? BindInteger(Type type, ConfigNode node, string path)
    {
        var (min, max, expected) = type == typeof(int) ? ((BigInteger)int.MinValue, (BigInteger)int.MaxValue, "an integer")
            : type == typeof(uint) ? (BigInteger.Zero, (BigInteger)uint.MaxValue, "a non-negative integer")
            : type == typeof(long) ? ((BigInteger)long.MinValue, (BigInteger)long.MaxValue, "an integer")
            : (BigInteger.Zero, (BigInteger)ulong.MaxValue, "a non-negative integer");
        if (node is not ScalarNode scalar
            || (scalar.Kind != ScalarKind.Int && !(AcceptQuotedIntegers && scalar.Kind == ScalarKind.String))
            || !ScalarResolver.TryParseInt(scalar.Value, out var value))
        {
            return Mismatch(node, path, expected);
        }

        if (value < min || value > max)
        {
            Error(path, node.Line, $"expected {expected} between {min} and {max}, got {scalar.Value}");
            return null;
        }

        return Convert.ChangeType(value.ToString(CultureInfo.InvariantCulture), type, CultureInfo.InvariantCulture);
    }

    private object? BindEnum(Type type, ConfigNode node, string path)
    {
        var shape = EnumShape.Of(type);
        if (node is ScalarNode scalar)
        {
            if (scalar.Kind == ScalarKind.String && shape.ByName.TryGetValue(scalar.Value, out var byName))
            {
                return byName;
            }

            if (scalar.Kind == ScalarKind.Int && long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && shape.ByNumber.TryGetValue(n, out var byNumber))
            {
                return byNumber;
            }

            Error(path, node.Line, $"unknown value \"{scalar.Value}\", expected one of: {string.Join(", ", shape.Names)}");
            return null;
        }

        return Mismatch(node, path, "one of: " + string.Join(", ", shape.Names));
    }

    private object? BindList(Type type, ConfigNode node, string path)
    {
        if (node is not SequenceNode sequence)
        {
            return Mismatch(node, path, "a list");
        }

        var elementType = type.GetGenericArguments()[0];
        var builder = Array.CreateInstance(elementType, sequence.Items.Count);
        var count = 0;
        for (var i = 0; i < sequence.Items.Count; i++)
        {
            var item = Bind(elementType, sequence.Items[i], $"{path}[{i}]");
            if (item != null)
            {
                builder.SetValue(item, count++);
            }
            else if (sequence.Items[i] is ScalarNode { IsNull: true })
            {
                Error($"{path}[{i}]", sequence.Items[i].Line, "list items must not be null");
            }
        }

        return CreateList(elementType, builder, count);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, System.Reflection.MethodInfo> ListFactories = new();

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, System.Reflection.MethodInfo> MapFactories = new();

    private static object CreateList(Type elementType, Array items, int count)
    {
        var method = ListFactories.GetOrAdd(elementType, t => typeof(SpecBinder).GetMethod(nameof(MakeList), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.MakeGenericMethod(t));
        return method.Invoke(null, [items, count])!;
    }

    private static ValueList<T> MakeList<T>(Array items, int count) => new(((T[])items).AsSpan(0, count).ToImmutableArray());

    private object? BindMap(Type type, ConfigNode node, string path)
    {
        if (node is not MappingNode mapping)
        {
            return Mismatch(node, path, "a mapping");
        }

        var args = type.GetGenericArguments();
        var entries = new List<(object Key, object? Value)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in mapping.Entries)
        {
            var entryPath = $"{path}[{keyNode.Value}]";
            Lines.Record(entryPath, keyNode.Line);
            if (!seen.Add(keyNode.Value))
            {
                Error(entryPath, keyNode.Line, $"duplicate key \"{keyNode.Value}\"");
                continue;
            }

            var key = MapKey(args[0], keyNode, entryPath);
            if (key == null)
            {
                continue;
            }

            var value = Bind(args[1], valueNode, entryPath);
            if (value == null && args[1] != typeof(string) && Nullable.GetUnderlyingType(args[1]) == null && args[1].IsValueType)
            {
                continue;
            }

            entries.Add((key, value ?? (args[1] == typeof(string) ? string.Empty : null)));
        }

        var method = MapFactories.GetOrAdd(type, _ => typeof(SpecBinder).GetMethod(nameof(MakeMap), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.MakeGenericMethod(args));
        return method.Invoke(null, [entries]);
    }

    private static ValueMap<TKey, TValue> MakeMap<TKey, TValue>(List<(object Key, object? Value)> entries)
        where TKey : notnull =>
        new(entries.Select(e => KeyValuePair.Create((TKey)e.Key, (TValue)e.Value!)));

    private object? MapKey(Type keyType, ScalarNode keyNode, string path)
    {
        if (keyType == typeof(string))
        {
            return keyNode.Value;
        }

        if (ScalarResolver.TryParseInt(keyNode.Value, out var n))
        {
            try
            {
                return Convert.ChangeType(n.ToString(CultureInfo.InvariantCulture), keyType, CultureInfo.InvariantCulture);
            }
            catch (OverflowException)
            {
            }
        }

        Error(path, keyNode.Line, $"map key \"{keyNode.Value}\" must be {(keyType == typeof(uint) ? "a port number" : "an integer")}");
        return null;
    }

    private object? BindRecord(Type type, ConfigNode node, string path)
    {
        if (node is not MappingNode mapping)
        {
            return Mismatch(node, path, "a mapping");
        }

        var shape = TypeShape.Of(type);
        var instance = Activator.CreateInstance(type)!;
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var setOneOfs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in mapping.Entries)
        {
            var prefix = path.Length == 0 ? string.Empty : path + ".";
            if (!shape.ByName.TryGetValue(keyNode.Value, out var field))
            {
                var fieldPath = prefix + keyNode.Value;
                Lines.Record(fieldPath, keyNode.Line);
                var issue = new BindIssue(fieldPath, keyNode.Line, $"unknown field \"{keyNode.Value}\", expected one of: {string.Join(", ", shape.Fields.Select(f => f.WireName))}");
                (IgnoreUnknownFields ? _ignored : _issues).Add(issue);
                continue;
            }

            var childPath = prefix + field.WireName;
            Lines.Record(childPath, keyNode.Line);
            if (!seen.TryAdd(field.WireName, keyNode.Value))
            {
                Error(childPath, keyNode.Line, $"duplicate field \"{keyNode.Value}\"");
                continue;
            }

            if (field.OneOf != null && valueNode is not ScalarNode { IsNull: true })
            {
                if (setOneOfs.TryGetValue(field.OneOf, out var other))
                {
                    Error(childPath, keyNode.Line, $"only one of {string.Join(", ", shape.OneOfGroups[field.OneOf])} may be set, got {other} and {field.WireName}");
                    continue;
                }

                setOneOfs[field.OneOf] = field.WireName;
            }

            var value = Bind(field.Property.PropertyType, valueNode, childPath);
            if (value != null)
            {
                field.Property.SetValue(instance, value);
            }
        }

        return instance;
    }

    private object? Scalar(ConfigNode node, string path, string expected, Func<ScalarNode, object?> convert)
    {
        if (node is ScalarNode scalar)
        {
            var value = convert(scalar);
            if (value != null)
            {
                return value;
            }

            var shown = scalar.Style == ScalarStyle.Plain ? scalar.Value : $"\"{scalar.Value}\"";
            Error(path, node.Line, $"expected {expected}, got {scalar.Describe()} {Truncate(shown)}");
            return null;
        }

        return Mismatch(node, path, expected);
    }

    private object? Mismatch(ConfigNode node, string path, string expected)
    {
        var got = node is ScalarNode scalar
            ? $"{scalar.Describe()} {Truncate(scalar.Style == ScalarStyle.Plain ? scalar.Value : $"\"{scalar.Value}\"")}"
            : node.Describe();
        Error(path, node.Line, $"expected {expected}, got {got}");
        return null;
    }

    private static string Truncate(string value) => value.Length <= 60 ? value : value[..57] + "...";

    private static bool TryDouble(string value, out double result)
    {
        if (ScalarResolver.TryParseInt(value, out var n))
        {
            result = (double)n;
            return true;
        }

        return ScalarResolver.TryParseFloat(value, out result);
    }

    private static bool TryBase64(string value, out byte[] bytes)
    {
        bytes = new byte[((value.Length * 3) + 3) / 4];
        if (Convert.TryFromBase64String(value, bytes, out var written))
        {
            bytes = bytes[..written];
            return true;
        }

        return false;
    }
}

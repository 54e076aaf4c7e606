using System.Collections.Concurrent;
using System.Reflection;
using System.Text;

namespace Meshwork.Config.Binding;

/// <summary>
/// What the binder knows about one record type: its fields by wire name (lowerCamelCase, and the
/// proto snake_case name protojson also accepts) and its oneof groups. Built once per type.
/// </summary>
internal sealed class TypeShape
{
    private static readonly ConcurrentDictionary<Type, TypeShape> Cache = new();

    private TypeShape(Type type)
    {
        Type = type;
        var fields = new List<FieldShape>();
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.CanWrite || property.GetIndexParameters().Length > 0 || property.Name == "EqualityContract")
            {
                continue;
            }

            var wire = property.GetCustomAttribute<WireNameAttribute>()?.Name ?? LowerCamel(property.Name);
            fields.Add(new FieldShape(property, wire, Snake(wire), property.GetCustomAttribute<OneOfAttribute>()?.Group));
        }

        Fields = fields;
        ByName = new Dictionary<string, FieldShape>(StringComparer.Ordinal);
        foreach (var field in fields)
        {
            ByName[field.WireName] = field;
            ByName.TryAdd(field.SnakeName, field);
        }

        OneOfGroups = fields.Where(f => f.OneOf != null).GroupBy(f => f.OneOf!).ToDictionary(g => g.Key, g => g.Select(f => f.WireName).ToList());
    }

    public Type Type { get; }

    public IReadOnlyList<FieldShape> Fields { get; }

    public Dictionary<string, FieldShape> ByName { get; }

    public Dictionary<string, List<string>> OneOfGroups { get; }

    public static TypeShape Of(Type type) => Cache.GetOrAdd(type, t => new TypeShape(t));

    public static string LowerCamel(string name) => char.ToLowerInvariant(name[0]) + name[1..];

    public static string Snake(string camel)
    {
        var sb = new StringBuilder(camel.Length + 4);
        foreach (var c in camel)
        {
            if (char.IsAsciiLetterUpper(c))
            {
                sb.Append('_').Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    /// <summary><c>LeastRequest</c> → <c>LEAST_REQUEST</c>: an underscore before each capital that follows a lowercase letter or a digit.</summary>
    public static string UpperSnake(string pascal)
    {
        var sb = new StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            var c = pascal[i];
            if (i > 0 && char.IsAsciiLetterUpper(c) && (char.IsAsciiLetterLower(pascal[i - 1]) || char.IsAsciiDigit(pascal[i - 1])))
            {
                sb.Append('_');
            }

            sb.Append(char.ToUpperInvariant(c));
        }

        return sb.ToString();
    }
}

internal sealed record FieldShape(PropertyInfo Property, string WireName, string SnakeName, string? OneOf);

/// <summary>The wire names of an enum's values, both ways.</summary>
internal sealed class EnumShape
{
    private static readonly ConcurrentDictionary<Type, EnumShape> Cache = new();

    private EnumShape(Type type)
    {
        foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var name = field.GetCustomAttribute<WireNameAttribute>()?.Name ?? TypeShape.UpperSnake(field.Name);
            var value = field.GetValue(null)!;
            ByName[name] = value;
            ByNumber[Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)] = value;
            Names.Add(name);
            NameOf[value] = name;
        }
    }

    public Dictionary<string, object> ByName { get; } = new(StringComparer.Ordinal);

    public Dictionary<long, object> ByNumber { get; } = [];

    public Dictionary<object, string> NameOf { get; } = [];

    public List<string> Names { get; } = [];

    public static EnumShape Of(Type type) => Cache.GetOrAdd(type, t => new EnumShape(t));
}

/// <summary>Proto names of enum values, for messages and dumps.</summary>
public static class WireNames
{
    public static string Of<TEnum>(TEnum value)
        where TEnum : struct, Enum =>
        EnumShape.Of(typeof(TEnum)).NameOf.TryGetValue(value, out var name) ? name : value.ToString();

    public static string OfField(Type recordType, string propertyName)
    {
        var property = recordType.GetProperty(propertyName);
        return property?.GetCustomAttribute<WireNameAttribute>()?.Name ?? TypeShape.LowerCamel(propertyName);
    }
}

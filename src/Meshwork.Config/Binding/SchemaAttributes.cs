namespace Meshwork.Config.Binding;

/// <summary>
/// Marks a property as one member of a proto <c>oneof</c>: at most one member of a group may be set,
/// as protojson enforces.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OneOfAttribute(string group) : Attribute
{
    public string Group { get; } = group;
}

/// <summary>
/// The name a field or enum value has on the wire when it is not the lowerCamelCase of the
/// property name (for fields) or the UPPER_SNAKE_CASE of the member name (for enum values).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class WireNameAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>The proto field is deprecated upstream; setting it is accepted.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class DeprecatedFieldAttribute(string? replacement = null) : Attribute
{
    public string? Replacement { get; } = replacement;
}

/// <summary>
/// The field is a google.protobuf.Duration: written as a Go duration string (<c>1.5s</c>, <c>100ms</c>, <c>1h2m</c>).
/// The property type must be <see cref="TimeSpan"/> or <c>TimeSpan?</c>; the attribute documents intent only,
/// since every TimeSpan property binds this way.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class DurationAttribute : Attribute
{
}

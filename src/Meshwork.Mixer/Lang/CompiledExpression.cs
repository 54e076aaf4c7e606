using Meshwork.Mixer.Attributes;

namespace Meshwork.Mixer.Lang;

/// <summary>
/// A CEXL expression compiled once per config into a delegate. Evaluation returns null when the expression reads an
/// absent attribute that no <c>|</c> defaults (Istio's "lookup failed", which makes a rule not apply).
/// </summary>
public sealed class CompiledExpression(string text, AttributeType type, Func<AttributeReader, object?> evaluate)
{
    public string Text { get; } = text;

    public AttributeType Type { get; } = type;

    public object? Evaluate(AttributeReader reader) => evaluate(reader);

    /// <summary>A match condition: true only when the expression evaluated to true.</summary>
    public bool Matches(AttributeReader reader) => evaluate(reader) is true;

    public override string ToString() => Text;
}

namespace Meshwork.Config.Diagnostics;

public enum Severity
{
    Error,
    Warning,
}

/// <summary>
/// One problem found in config, located as precisely as the input allows:
/// <c>routes.yaml:14: VirtualService retail/shop: spec.http[0].route[0].weight: must not be negative, got -5</c>.
/// Warnings print the same way after a <c>warning:</c> tag and do not fail validation.
/// </summary>
public sealed record ConfigDiagnostic(Severity Severity, string File, int Line, string Message)
{
    /// <summary><c>Kind namespace/name</c> of the resource, when the problem belongs to one.</summary>
    public string? Resource { get; init; }

    /// <summary>Field path within the resource (<c>spec.http[0].timeout</c>), when the problem belongs to a field.</summary>
    public string? Path { get; init; }

    public bool IsError => Severity == Severity.Error;

    public override string ToString()
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(File).Append(':').Append(Line).Append(": ");
        if (Severity == Severity.Warning)
        {
            sb.Append("warning: ");
        }

        if (Resource != null)
        {
            sb.Append(Resource).Append(": ");
        }

        if (!string.IsNullOrEmpty(Path))
        {
            sb.Append(Path).Append(": ");
        }

        return sb.Append(Message).ToString();
    }
}

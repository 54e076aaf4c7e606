namespace Meshwork.Citadel.Authentication;

/// <summary>
/// A workload's identity as Istio names it: a Kubernetes service account. Tokens carry it as
/// <c>system:serviceaccount:NS:SA</c>, certificates as <c>spiffe://TRUST_DOMAIN/ns/NS/sa/SA</c>.
/// </summary>
public sealed record WorkloadIdentity(string Namespace, string ServiceAccount)
{
    private const string SubjectPrefix = "system:serviceaccount:";

    public string Subject => $"{SubjectPrefix}{Namespace}:{ServiceAccount}";

    public string SpiffeId(string trustDomain) => $"spiffe://{trustDomain}/ns/{Namespace}/sa/{ServiceAccount}";

    public override string ToString() => $"{Namespace}/{ServiceAccount}";

    /// <summary>Parses a Kubernetes service-account subject; null when <paramref name="subject"/> is not one.</summary>
    public static WorkloadIdentity? FromSubject(string? subject)
    {
        if (subject == null || !subject.StartsWith(SubjectPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var parts = subject[SubjectPrefix.Length..].Split(':');
        return parts.Length == 2 && IsName(parts[0]) && IsName(parts[1]) ? new WorkloadIdentity(parts[0], parts[1]) : null;
    }

    /// <summary>Parses <c>spiffe://TRUST_DOMAIN/ns/NS/sa/SA</c> for the given trust domain; null otherwise.</summary>
    public static WorkloadIdentity? FromSpiffeId(string uri, string trustDomain)
    {
        var prefix = $"spiffe://{trustDomain}/ns/";
        if (!uri.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var parts = uri[prefix.Length..].Split('/');
        return parts.Length == 3 && parts[1] == "sa" && IsName(parts[0]) && IsName(parts[2]) ? new WorkloadIdentity(parts[0], parts[2]) : null;
    }

    /// <summary>A Kubernetes DNS-1123 label, the shape of namespace and service-account names.</summary>
    public static bool IsName(string value) =>
        value.Length is > 0 and <= 253
        && value.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.')
        && char.IsAsciiLetterOrDigit(value[0]) && char.IsAsciiLetterOrDigit(value[^1]);
}

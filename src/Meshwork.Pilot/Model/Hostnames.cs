namespace Meshwork.Pilot.Model;

/// <summary>
/// Istio's host name rules (pkg/config/host): short names resolved against a namespace, and the
/// two wildcard relations. <c>Matches</c> is symmetric ("could these name the same host"), used to
/// bind routes to services; <c>SubsetOf</c> is directional, used to intersect Gateway and
/// VirtualService hosts.
/// </summary>
internal static class Hostnames
{
    /// <summary>The DNS suffix Istio appends to short names (meta.Domain); not the trust domain.</summary>
    public const string DomainSuffix = "cluster.local";

    /// <summary>Istio's ResolveShortnameToFQDN: <c>reviews</c> in <c>ns</c> becomes <c>reviews.ns.svc.cluster.local</c>; names with a dot, <c>*</c> and IPs stay.</summary>
    public static string ResolveShortName(string host, string @namespace)
    {
        if (host.Length == 0 || host == "*" || host.Contains('.', StringComparison.Ordinal) || System.Net.IPAddress.TryParse(host, out _))
        {
            return host;
        }

        return $"{host}.{@namespace}.svc.{DomainSuffix}";
    }

    public static bool IsWildcard(string host) => host.StartsWith('*');

    /// <summary>Istio's Name.Matches: equal, or one is a wildcard whose suffix the other ends with.</summary>
    public static bool Matches(string a, string b)
    {
        var aWild = IsWildcard(a);
        var bWild = IsWildcard(b);
        if (aWild && bWild)
        {
            return a.Length < b.Length
                ? b[1..].EndsWith(a[1..], StringComparison.Ordinal)
                : a[1..].EndsWith(b[1..], StringComparison.Ordinal);
        }

        if (aWild)
        {
            return b.EndsWith(a[1..], StringComparison.Ordinal);
        }

        return bWild ? a.EndsWith(b[1..], StringComparison.Ordinal) : a == b;
    }

    /// <summary>Istio's Name.SubsetOf: every host <paramref name="a"/> names is also named by <paramref name="b"/>.</summary>
    public static bool SubsetOf(string a, string b)
    {
        if (IsWildcard(a))
        {
            return IsWildcard(b) && a[1..].EndsWith(b[1..], StringComparison.Ordinal);
        }

        return IsWildcard(b) ? a.EndsWith(b[1..], StringComparison.Ordinal) : a == b;
    }

    /// <summary>Istio's Names.Intersection: for each overlapping pair, the narrower of the two, without duplicates.</summary>
    public static IReadOnlyList<string> Intersection(IEnumerable<string> first, IReadOnlyCollection<string> second)
    {
        var result = new List<string>();
        foreach (var a in first)
        {
            foreach (var b in second)
            {
                var narrower = SubsetOf(a, b) ? a : SubsetOf(b, a) ? b : null;
                if (narrower != null && !result.Contains(narrower, StringComparer.Ordinal))
                {
                    result.Add(narrower);
                }
            }
        }

        return result;
    }

    /// <summary><c>host:port</c>, as Istio names virtual hosts and proxyless listeners.</summary>
    public static string WithPort(string host, uint port) => $"{host}:{port}";
}

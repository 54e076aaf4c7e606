namespace Meshwork.Config.Validation;

/// <summary>Istio's host naming: short names resolve against the resource's namespace.</summary>
public static class Hosts
{
    public const string DefaultDomainSuffix = "cluster.local";

    /// <summary><c>reviews</c> in namespace <c>bookinfo</c> → <c>reviews.bookinfo.svc.cluster.local</c>; names with a dot and <c>*</c> are kept.</summary>
    public static string Resolve(string host, string @namespace, string domainSuffix = DefaultDomainSuffix)
    {
        if (host.Length == 0 || host == "*" || host.Contains('.', StringComparison.Ordinal))
        {
            return host;
        }

        return $"{host}.{@namespace}.svc.{domainSuffix}";
    }
}

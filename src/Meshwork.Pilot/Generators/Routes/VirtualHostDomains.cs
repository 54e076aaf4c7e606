using Meshwork.Pilot.Model;
using Meshwork.Registry.Model;

namespace Meshwork.Pilot.Generators.Routes;

/// <summary>
/// The Host header values that reach a service port from one proxy (Istio's
/// generateVirtualHostDomains): the FQDN, the short forms Kubernetes-style DNS allows from the
/// proxy's namespace (<c>name</c>, <c>name.ns</c>, <c>name.ns.svc</c>; only <c>name.ns</c> and
/// <c>name.ns.svc</c> from other namespaces), and the service's addresses, each with and/or without
/// the port.
/// </summary>
internal static class VirtualHostDomains
{
    /// <summary>The domains, and which of them are expanded short names (those never shadow a real FQDN).</summary>
    public static (List<string> Domains, List<string> ShortNames) For(MeshService service, uint port, bool withoutPort, bool withPort, string proxyDomain)
    {
        var domains = new List<string>();
        Append(domains, service.Hostname, port, withoutPort, withPort);
        var shortNames = new List<string>();
        foreach (var shortName in ShortNames(service.Hostname, proxyDomain))
        {
            Append(shortNames, shortName, port, withoutPort, withPort);
        }

        domains.AddRange(shortNames);
        foreach (var address in service.Addresses.Where(a => !a.Contains('/', StringComparison.Ordinal)))
        {
            Append(domains, address.Contains(':', StringComparison.Ordinal) ? $"[{address}]" : address, port, withoutPort, withPort);
        }

        return (domains, shortNames);
    }

    /// <summary>The proxy's DNS domain (<c>ns.svc.cluster.local</c>), from its node id or else its namespace.</summary>
    public static string ProxyDomain(ProxyNode proxy) =>
        proxy.DnsDomain.Length > 0 ? proxy.DnsDomain : $"{proxy.Namespace}.svc.{Hostnames.DomainSuffix}";

    /// <summary>Istio's generateAltVirtualHostsForKubernetesService; names outside the proxy's DNS suffix get none.</summary>
    internal static IReadOnlyList<string> ShortNames(string hostname, string proxyDomain)
    {
        var proxySvc = proxyDomain.IndexOf(".svc.", StringComparison.Ordinal);
        var hostSvc = hostname.IndexOf(".svc.", StringComparison.Ordinal);
        if (proxySvc <= 0 || hostSvc <= 0 || !hostname.EndsWith(proxyDomain[proxySvc..], StringComparison.Ordinal))
        {
            return [];
        }

        var firstDot = hostname.IndexOf('.', StringComparison.Ordinal);
        if (firstDot + 1 >= hostname.Length || firstDot + 1 > hostSvc)
        {
            return [];
        }

        var name = hostname[..firstDot];
        var nameAndNamespace = hostname[..hostSvc];
        return hostname[(firstDot + 1)..hostSvc] == proxyDomain[..proxySvc]
            ? [name, nameAndNamespace + ".svc", nameAndNamespace]
            : [nameAndNamespace, nameAndNamespace + ".svc"];
    }

    private static void Append(List<string> domains, string host, uint port, bool withoutPort, bool withPort)
    {
        if (withoutPort)
        {
            domains.Add(host);
        }

        if (withPort)
        {
            domains.Add(Hostnames.WithPort(host, port));
        }
    }
}

/// <summary>
/// Keeps every domain unique across one route table, as Envoy requires (Istio's dedupeDomains): the
/// first virtual host to claim a domain keeps it, and an expanded short name never takes a name
/// that is some service's real FQDN.
/// </summary>
internal sealed class DomainClaims
{
    private readonly HashSet<string> _claimed = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _knownFqdns = new(StringComparer.Ordinal);

    public void AddKnownFqdn(string domain) => _knownFqdns.Add(domain);

    public List<string> Claim(IEnumerable<string> domains, IReadOnlyCollection<string> shortNames)
    {
        var kept = new List<string>();
        foreach (var domain in domains)
        {
            if (_claimed.Contains(domain) || (shortNames.Contains(domain) && _knownFqdns.Contains(domain)))
            {
                continue;
            }

            _claimed.Add(domain);
            kept.Add(domain);
        }

        return kept;
    }
}

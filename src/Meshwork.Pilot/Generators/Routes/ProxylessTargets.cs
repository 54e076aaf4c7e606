using System.Globalization;
using Meshwork.Pilot.Model;
using Meshwork.Registry.Model;

namespace Meshwork.Pilot.Generators.Routes;

/// <summary>One service port a proxyless gRPC client asked for by name (<c>xds:///NAME</c>), under the name it used.</summary>
internal sealed record ProxylessTarget(string Name, string RequestedHost, MeshService Service, MeshServicePort Port);

/// <summary>
/// Resolves the names a proxyless gRPC client subscribes to (Istio's grpcgen listener name filter):
/// <c>host:port</c> or <c>host</c> (every port), where host is the FQDN or a short form relative to
/// the client's namespace (<c>name</c>, <c>name.ns</c>, <c>name.ns.svc</c>). Resources keep the
/// requested spelling, because the client's channel authority must match it.
/// </summary>
internal static class ProxylessTargets
{
    /// <summary>The targets for <paramref name="names"/>, or every visible service port under its FQDN when names is null.</summary>
    public static IReadOnlyList<ProxylessTarget> Resolve(IReadOnlySet<string>? names, IReadOnlyList<MeshService> services, ProxyNode proxy)
    {
        var byHost = services.ToDictionary(s => s.Hostname, StringComparer.Ordinal);
        if (names == null)
        {
            return services.SelectMany(s => s.Ports.Select(p => new ProxylessTarget(Hostnames.WithPort(s.Hostname, p.Number), s.Hostname, s, p))).ToList();
        }

        var targets = new List<ProxylessTarget>();
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            var (host, port) = SplitHostPort(name);
            var service = byHost.GetValueOrDefault(host) ?? (Fqdn(host, proxy) is { } fqdn ? byHost.GetValueOrDefault(fqdn) : null);
            if (service == null)
            {
                continue;
            }

            foreach (var servicePort in service.Ports.Where(p => port == null || p.Number == port))
            {
                targets.Add(new ProxylessTarget(Hostnames.WithPort(host, servicePort.Number), host, service, servicePort));
            }
        }

        return targets;
    }

    /// <summary>Istio's tryFindFQDN: <c>name</c>, <c>name.ns</c> and <c>name.ns.svc</c> in the client's own DNS domain.</summary>
    internal static string? Fqdn(string host, ProxyNode proxy)
    {
        var domain = VirtualHostDomains.ProxyDomain(proxy);
        if (!host.Contains('.', StringComparison.Ordinal))
        {
            return $"{host}.{domain}";
        }

        foreach (var suffix in new[] { proxy.Namespace, proxy.Namespace + ".svc" })
        {
            if (host.EndsWith("." + suffix, StringComparison.Ordinal) && domain.StartsWith(suffix, StringComparison.Ordinal))
            {
                return $"{host[..^(suffix.Length + 1)]}.{domain}";
            }
        }

        return null;
    }

    private static (string Host, uint? Port) SplitHostPort(string name)
    {
        var colon = name.LastIndexOf(':');
        if (colon > 0 && !name.EndsWith(']') && uint.TryParse(name.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            return (name[..colon], port);
        }

        return (name, null);
    }
}

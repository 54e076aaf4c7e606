using System.Net;
using System.Net.Sockets;

namespace Meshwork.Proxy.Upstream;

/// <summary>
/// STRICT_DNS: every configured host name is resolved at dns_refresh_rate and each address becomes
/// an endpoint (with the configured endpoint's weight, locality and transport); a failed lookup
/// keeps the addresses last resolved for that name. TTLs are not available from the platform
/// resolver, so respect_dns_ttl is not honoured. LOGICAL_DNS needs no loop: its one endpoint keeps
/// the name, which the connection pool resolves for each new connection, as Envoy's logical DNS
/// uses the latest address for new connections only.
/// </summary>
public sealed partial class UpstreamCluster
{
    private readonly Dictionary<string, IPAddress[]> _resolved = new(StringComparer.OrdinalIgnoreCase);
    private ITimer? _dnsTimer;
    private CancellationTokenSource? _dnsCancel;

    /// <summary>Resolves every name now and republishes the endpoints (the timer calls this; tests await it).</summary>
    internal async Task RefreshDnsAsync()
    {
        var model = Model;
        var cancel = _dnsCancel;
        if (model.Discovery != UpstreamDiscovery.StrictDns || cancel == null)
        {
            return;
        }

        var names = (model.InlineEndpoints ?? EndpointAssignment.Empty).Endpoints
            .Select(e => e.Host)
            .Where(h => !IPAddress.TryParse(h, out _))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToArray();
        var results = await Task.WhenAll(names.Select(async name =>
        {
            try
            {
                var addresses = await _options.ResolveHost(name, model.DnsFamily, cancel.Token).ConfigureAwait(false);
                return (name, addresses.Where(a => model.DnsFamily == AddressFamily.Unspecified || a.AddressFamily == model.DnsFamily).ToArray());
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ArgumentException)
            {
                return (name, (IPAddress[]?)null);
            }
        })).ConfigureAwait(false);

        lock (_updateGate)
        {
            if (_disposed || !ReferenceEquals(Model, model))
            {
                return;
            }

            var changed = false;
            foreach (var (name, addresses) in results)
            {
                // An empty or failed answer keeps the last good one, so a DNS hiccup does not empty the cluster.
                if (addresses is { Length: > 0 } && (!_resolved.TryGetValue(name, out var previous) || !previous.SequenceEqual(addresses)))
                {
                    _resolved[name] = addresses;
                    changed = true;
                }
            }

            if (changed)
            {
                var current = _snapshot;
                Publish(current.Model, current.Transports, _assignment, ResolvedSpecs(_assignment), current.States);
            }
        }
    }

    /// <summary>The configured endpoints with each name replaced by its resolved addresses (IP endpoints kept as they are).</summary>
    private List<EndpointSpec> ResolvedSpecs(EndpointAssignment assignment)
    {
        var specs = new List<EndpointSpec>();
        foreach (var spec in assignment.Endpoints)
        {
            if (IPAddress.TryParse(spec.Host, out _))
            {
                specs.Add(spec);
            }
            else if (_resolved.TryGetValue(spec.Host, out var addresses))
            {
                specs.AddRange(addresses.Select(a => spec with { Host = a.ToString() }));
            }
        }

        return specs;
    }

    private void RestartDns(ClusterModel model)
    {
        _dnsTimer?.Dispose();
        _dnsTimer = null;
        _dnsCancel?.Cancel();
        _dnsCancel = null;
        if (model.Discovery != UpstreamDiscovery.StrictDns)
        {
            return;
        }

        _dnsCancel = new CancellationTokenSource();
        _dnsTimer = _options.Time.CreateTimer(_ => _ = RefreshDnsAsync(), null, TimeSpan.Zero, model.DnsRefreshRate);
    }
}
